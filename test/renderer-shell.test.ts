// The shell's pure parts: theme resolution, the command palette's commands and shortcuts, and the job
// launch form (fields per kind, edits of the config object, the JSON round trip).
import { describe, expect, it, vi } from 'vitest';
import type { Dataset, ModelRecord } from '../src-shared/domain';
import { ALGO_DEFAULTS, fieldValue, formFields, getField, parseConfigText, setField, TEMPLATES } from '../src-renderer/jobs/form';
import { isPaletteShortcut, paletteCommands, problemCommands, viewForShortcut } from '../src-renderer/palette/commands';
import type { AppState } from '../src-renderer/store';
import { VIEWS } from '../src-renderer/store/route';
import { parseThemeChoice, resolveTheme } from '../src-renderer/theme';
import { provenanceSummary } from '../src-renderer/views/ModelsView';

const dataset = (name: string, splits: Record<string, number>): Dataset =>
  ({ id: 1, name, version: 1, description: null, problemCount: Object.values(splits).reduce((a, b) => a + b, 0), imageCount: 0, splits, createdAt: '', updatedAt: '' }) as unknown as Dataset;
const model = (name: string, role: ModelRecord['role']): ModelRecord => ({ id: 1, name, version: 2, role, family: 'tiny', path: '/m', manifest: {}, provenance: null, createdAt: '' });

describe('theme', () => {
  it('follows the system unless the researcher chose', () => {
    expect(resolveTheme('system', true)).toBe('dark');
    expect(resolveTheme('system', false)).toBe('light');
    expect(resolveTheme('light', true)).toBe('light');
    expect(resolveTheme('dark', false)).toBe('dark');
    expect(parseThemeChoice('dark')).toBe('dark');
    expect(parseThemeChoice('purple')).toBe('system');
    expect(parseThemeChoice(null)).toBe('system');
  });
});

describe('command palette', () => {
  const key = (k: string, mods: Partial<{ altKey: boolean; ctrlKey: boolean; metaKey: boolean }> = {}) => ({ key: k, altKey: false, ctrlKey: false, metaKey: false, ...mods });

  it('Ctrl+K or Cmd+K opens it; Alt+digit picks a view in tab order', () => {
    expect(isPaletteShortcut(key('k', { ctrlKey: true }))).toBe(true);
    expect(isPaletteShortcut(key('K', { metaKey: true }))).toBe(true);
    expect(isPaletteShortcut(key('k'))).toBe(false);
    expect(isPaletteShortcut(key('k', { ctrlKey: true, altKey: true }))).toBe(false);
    expect(viewForShortcut(key('1', { altKey: true }))).toBe(VIEWS[0]);
    expect(viewForShortcut(key(String(VIEWS.length), { altKey: true }))).toBe(VIEWS.at(-1));
    expect(viewForShortcut(key(String(VIEWS.length + 1), { altKey: true }))).toBeNull();
    expect(viewForShortcut(key('1'))).toBeNull();
    expect(viewForShortcut(key('1', { altKey: true, ctrlKey: true }))).toBeNull();
  });

  it('offers every view, each dataset, recent searches and evaluations, themes; running one acts on the store', async () => {
    const go = vi.fn();
    const navigate = vi.fn();
    const setThemeChoice = vi.fn();
    const refresh = vi.fn();
    const state = {
      go,
      navigate,
      dataset: null,
      openEvaluation: vi.fn(async () => {}),
      setThemeChoice,
      requestPicker: vi.fn(),
      datasets: [dataset('demo', { train: 3, test: 2 })],
      searches: [{ id: 7, algorithm: 'omegaprm', problemId: 3, status: 'done', dataset: 'demo', extId: 'demo-train-0003' }],
      evaluations: [{ id: 2, name: 'bon demo test', createdAt: '', jobId: 1 }],
      cycleRuns: [],
    } as unknown as AppState;
    const cmds = paletteCommands(state, refresh);
    expect(cmds.filter((c) => c.group === 'Go to').map((c) => c.label)).toEqual(['Datasets', 'Problems', 'Searches', 'Evaluations', 'Models', 'Jobs', 'Import', 'Cycles']);
    expect(new Set(cmds.map((c) => c.id)).size).toBe(cmds.length);
    cmds.find((c) => c.id === 'dataset:demo')!.run();
    expect(go).toHaveBeenLastCalledWith('problems', 'demo');
    const search = cmds.find((c) => c.id === 'search:7')!;
    expect(search.label).toBe('Search #7: demo-train-0003, OmegaPRM');
    expect(search.keywords).toContain('demo-train-0003');
    search.run();
    expect(navigate).toHaveBeenLastCalledWith({ view: 'searches', dataset: null, search: 7 });
    cmds.find((c) => c.id === 'evaluation:2')!.run();
    expect(navigate).toHaveBeenLastCalledWith({ view: 'evaluations', dataset: null, evaluationId: 2 });
    // a problem found by its dataset id opens by that id
    const [hit] = problemCommands(state, [{ dataset: 'demo', extId: 'demo-train-0008', question: 'Leo owns 7 stickers.' }]);
    expect(hit).toMatchObject({ group: 'Problems', label: 'demo-train-0008 (demo): Leo owns 7 stickers.' });
    hit.run();
    expect(navigate).toHaveBeenLastCalledWith({ view: 'problems', dataset: 'demo', focus: { kind: 'ref', extId: 'demo-train-0008' } });
    cmds.find((c) => c.id === 'theme:dark')!.run();
    expect(setThemeChoice).toHaveBeenCalledWith('dark');
    cmds.find((c) => c.id === 'workspace')!.run();
    expect(state.requestPicker).toHaveBeenCalledWith(true);
    cmds.find((c) => c.id === 'refresh')!.run();
    expect(refresh).toHaveBeenCalledOnce();
  });
});

describe('job launch form', () => {
  const ctx = { datasets: [dataset('demo', { train: 3, test: 2, val: 1 }), dataset('other', { all: 5 })], models: [model('tiny-policy', 'policy'), model('tiny-prm', 'prm')] };

  it('shows the algorithm settings of the chosen algorithm, and the workspace models of the right role', () => {
    const omega = formFields('search', TEMPLATES.search, ctx).map((f) => f.path.join('.'));
    expect(omega).toEqual(expect.arrayContaining(['dataset', 'split', 'model', 'algo', 'config.rolloutBudget', 'config.maxSearchCount', 'limit', 'seed']));
    const mc = formFields('search', setField(TEMPLATES.search, ['algo'], 'mc'), ctx).map((f) => f.path.join('.'));
    expect(mc).toEqual(expect.arrayContaining(['config.k', 'config.samplesPerSolution']));
    expect(mc).not.toContain('config.rolloutBudget');
    const bon = formFields('bon', TEMPLATES.bon, ctx);
    expect(bon.find((f) => f.path[0] === 'prm')!.choices).toEqual([{ value: 'tiny-prm', label: 'tiny-prm@2' }]);
    expect(bon.find((f) => f.path[0] === 'policy')!.choices!.map((c) => c.value)).toEqual(['tiny-policy']);
    expect(bon.find((f) => f.path[0] === 'split')!.choices!.map((c) => c.value)).toEqual(['test', 'train', 'val']);
  });

  it('edits nested fields without touching the rest; a new algorithm or dataset resets what no longer fits', () => {
    const a = setField(TEMPLATES.search, ['config', 'rolloutBudget'], 64);
    expect(getField(a, ['config', 'rolloutBudget'])).toBe(64);
    expect(getField(a, ['config', 'maxSearchCount'])).toBe(20);
    expect(TEMPLATES.search.config).toEqual(ALGO_DEFAULTS.omega); // the template is not mutated
    expect(setField(a, ['algo'], 'mc').config).toEqual(ALGO_DEFAULTS.mc);
    const b = setField(a, ['dataset'], 'other');
    expect(b.split).toBeUndefined();
    expect(setField(b, ['limit'], undefined)).not.toHaveProperty('limit');
  });

  it('reads inputs as values and JSON text as a config, or says why not', () => {
    const limit = formFields('search', TEMPLATES.search, ctx).find((f) => f.path[0] === 'limit')!;
    expect(fieldValue(limit, '12')).toBe(12);
    expect(fieldValue(limit, '')).toBeUndefined();
    expect(parseConfigText('{"dataset":"demo"}')).toEqual({ config: { dataset: 'demo' } });
    expect(parseConfigText('[1]')).toEqual({ error: 'the config must be a JSON object' });
    expect(parseConfigText('{"dataset":')).toMatchObject({ error: expect.stringMatching(/^not valid JSON: /) });
  });
});

describe('models view', () => {
  it('summarises the provenance a researcher looks for first', () => {
    expect(provenanceSummary({ parent: 'tiny-policy', annotationSet: 'omega-3', job: 12, options: { lr: 1 }, trainingDataHash: 'sha256:19d41ded52e1e0a4ce4e' })).toEqual([
      'parent: tiny-policy',
      'annotationSet: omega-3',
      'job: 12',
      'trainingDataHash: sha256:19d41ded52e1…',
    ]);
    expect(provenanceSummary(null)).toEqual([]);
    expect(provenanceSummary([1, 2])).toEqual([]);
  });
});
