// The launch form's fields for each job kind, and the edits they make to the config object. The config
// object is the one truth: the form reads and writes fields of it, the JSON editor shows all of it; both
// are checked against the kind's schema in src-shared/jobConfigs.ts (the one the CLI and the core use).
import type { z } from 'zod';
import { parseScoresText, type ScoresFile } from '../../src-shared/benchScores';
import type { Dataset, ModelRecord } from '../../src-shared/domain';
import { BENCH_FORMATS } from '../../src-shared/benchmarks';
import { DEMO_SCALE, ImportLabelsLaunchConfig, JOB_CONFIGS, isBenchFormat } from '../../src-shared/jobConfigs';
import { modelLabel } from '../../src-shared/modelLabel';

/**
 * The job kinds the launch form starts (cycle runs have their own form): through jobs.start, except
 * import-labels, which is started through import.labels as the CLI does (it resumes an interrupted import
 * of the same files; it reads a path, so it is offered only where the door serves it: the desktop app).
 */
export type LaunchKind = 'search' | 'generate' | 'score' | 'bon' | 'train-prm' | 'bench-prm' | 'import-labels';
export const LAUNCH_KINDS: readonly LaunchKind[] = ['search', 'generate', 'score', 'bon', 'train-prm', 'bench-prm', 'import-labels'];
export const LAUNCH_KIND_LABEL: Record<LaunchKind, string> = {
  search: 'search (step labels by OmegaPRM or MC)',
  generate: 'generate (sample and verify solutions)',
  score: 'score (PRM step scores of solutions or trees)',
  bon: 'Best-of-N evaluation',
  'train-prm': 'train a PRM (on an annotation set)',
  'bench-prm': 'benchmark a PRM (ProcessBench, VisualProcessBench, PRMBench)',
  'import-labels': "import step labels (the field's trees and labelled paths)",
};
/** The kinds that read a path on this machine: the HTTP host does not serve them (src-shared/api.ts httpRefusal). */
export const LOCAL_KINDS: ReadonlySet<LaunchKind> = new Set(['import-labels']);

/** What the CLI runs for a local-only kind, for the one line the browser-mode UI shows instead of its form. */
export function cliCommand(kind: LaunchKind, workspace: string, config: Config): string {
  const q = (v: string): string => (/^[A-Za-z0-9_./:@=+-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);
  const str = (k: string): string | null => (typeof config[k] === 'string' && config[k] !== '' ? (config[k] as string) : null);
  const parts = ['steplab', kind, str('path') ? q(str('path')!) : '<path>', '--workspace', q(workspace || '<workspace>'), '--dataset', str('dataset') ? q(str('dataset')!) : '<dataset>'];
  const flags: [string, string][] = [
    ['format', '--format'],
    ['split', '--split'],
    ['imageRoot', '--image-root'],
    ['setName', '--set'],
  ];
  for (const [k, flag] of flags) if (str(k)) parts.push(flag, q(str(k)!));
  if (config.skipBad === true) parts.push('--skip-bad');
  if (config.allowOutside === true) parts.push('--allow-outside');
  return parts.join(' ');
}
/** The schema each kind's config is checked against, as typed. */
/** the schema a kind's form is checked against: the job's, but for import-labels the CLI's (its benchmark formats too) */
export const launchSchema = (kind: LaunchKind): z.ZodType => (kind === 'import-labels' ? ImportLabelsLaunchConfig : JOB_CONFIGS[kind]);

/** import-labels with a benchmark format: not a job, an import of the file or each split file of the folder */
export const isBenchImport = (kind: LaunchKind, config: Config): boolean => kind === 'import-labels' && typeof config.format === 'string' && isBenchFormat(config.format);

const BENCH_CHOICES: FieldChoice[] = BENCH_FORMATS.map((f) => ({ value: f, label: `${f} (a step-level benchmark: file or folder of split files)` }));
export type Config = Record<string, unknown>;

export interface FieldChoice {
  value: string;
  label: string;
}

export interface FormField {
  /** the field's path in the config: ['config', 'rolloutBudget'] is config.config.rolloutBudget */
  path: string[];
  label: string;
  /** file: a file of this computer read into the config by readFile (bench-prm's scores) */
  kind: 'select' | 'number' | 'text' | 'checkbox' | 'file';
  /** a field that is not one config key (score's target): how it reads the config and what a choice makes of it */
  read?(config: Config): string;
  write?(config: Config, text: string): Config;
  /** for selects; '' means "not set" (the key is removed) when `optional` */
  choices?: FieldChoice[];
  optional?: boolean;
  /** what the core uses when the field is not set (shown instead of an empty choice) */
  defaultValue?: string;
  min?: number;
  help?: string;
}

export interface FormContext {
  datasets: Dataset[];
  models: ModelRecord[];
  /** annotation sets (train-prm) */
  annotationSets?: string[];
  /** finished search jobs and their searches (score a job's trees) */
  searchJobs?: { id: number; label: string; searchIds: number[] }[];
  /** the formats import-labels reads (import.labelFormats) */
  labelFormats?: FieldChoice[];
}

/** Small runs on the demo workspace, the starting point of each kind. */
export const TEMPLATES: Record<LaunchKind, Config> = {
  search: {
    dataset: 'demo',
    split: 'train',
    model: 'tiny-policy',
    algo: 'omega',
    limit: 5,
    seed: 0,
    annotationMode: 'mmprm',
    config: { ...DEMO_SCALE.omega },
  },
  bon: { dataset: 'demo', split: 'test', selectOn: 'val', policy: 'tiny-policy', prm: 'tiny-prm', n: 4, limit: 20, seed: 0 },
  generate: { dataset: 'demo', split: 'train', model: 'tiny-policy', n: 4, limit: 20, seed: 0 },
  score: { prm: 'tiny-prm', dataset: 'demo', split: 'test' },
  'train-prm': { annotations: '', labels: 'soft', seed: 0 },
  'bench-prm': { dataset: '', prm: 'tiny-prm', threshold: 0.5, resamples: 1000, seed: 0 },
  'import-labels': { path: '', dataset: '', skipBad: false },
};

/**
 * A scores file chosen in the bench-prm form, as the config's `scores` (what the CLI makes of --scores):
 * parsed by the shared parser, hashed with Web Crypto over the same UTF-8 bytes node:crypto hashes.
 * Rejects with the parser's one line (file and line) when the file does not read.
 */
export async function readScoresFile(name: string, text: string): Promise<ScoresFile> {
  const parsed = parseScoresText(text, name);
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  const sha256 = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return { ...parsed, sha256 };
}

/**
 * Each schema issue of a config beside the field it is about: the field whose path is the longest prefix of
 * the issue's path. Issues about no field (a rule between fields) are left to the line beside Start.
 */
export function fieldIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[], fields: readonly FormField[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const issue of issues) {
    const at = issue.path.map(String);
    let best: FormField | null = null;
    for (const f of fields) {
      if (f.read) continue;
      if (f.path.length <= at.length && f.path.every((k, i) => k === at[i]) && (!best || f.path.length > best.path.length)) best = f;
    }
    if (best && !out.has(best.path.join('.'))) out.set(best.path.join('.'), issue.message);
  }
  return out;
}

/** The algorithm settings a search starts from when its algorithm changes (the demo scale). */
export const ALGO_DEFAULTS: Record<string, Config> = DEMO_SCALE;

const modelChoices = (ctx: FormContext, role: string): FieldChoice[] =>
  ctx.models.filter((m) => m.role === role).map((m) => ({ value: m.name, label: modelLabel(m) }));

function splitChoices(ctx: FormContext, config: Config, noneLabel: string): FieldChoice[] {
  const d = ctx.datasets.find((x) => x.name === config.dataset);
  return [{ value: '', label: noneLabel }, ...Object.keys(d?.splits ?? {}).sort().map((s) => ({ value: s, label: `${s} (${d!.splits[s].toLocaleString()})` }))];
}

/** Choices from value → label (in that order). */
const choiceList = (labels: Record<string, string>): FieldChoice[] => Object.entries(labels).map(([value, label]) => ({ value, label }));

const sameIds = (a: unknown, b: readonly number[]): boolean => Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);

export function formFields(kind: LaunchKind, config: Config, ctx: FormContext): FormField[] {
  const datasets = { path: ['dataset'], label: 'Dataset', kind: 'select' as const, choices: ctx.datasets.map((d) => ({ value: d.name, label: `${d.name} (${d.problemCount.toLocaleString()} problems)` })) };
  const seed: FormField = { path: ['seed'], label: 'Seed', kind: 'number' };
  const common: FormField[] = [{ path: ['limit'], label: 'Problems (at most)', kind: 'number', optional: true, min: 1, help: 'empty: all of the split' }, seed];
  const anySplit: FormField = { path: ['split'], label: 'Split', kind: 'select', optional: true, choices: splitChoices(ctx, config, 'all splits') };
  const policy = (path: string): FormField => ({ path: [path], label: 'Policy', kind: 'select', choices: modelChoices(ctx, 'policy') });
  const prm: FormField = { path: ['prm'], label: 'PRM', kind: 'select', choices: modelChoices(ctx, 'prm') };
  if (kind === 'generate') {
    return [
      datasets,
      anySplit,
      policy('model'),
      { path: ['n'], label: 'Samples per problem (n)', kind: 'number', min: 1 },
      { path: ['temperature'], label: 'Temperature', kind: 'number', optional: true, min: 0, help: "the policy manifest's" },
      ...common,
    ];
  }
  if (kind === 'score') {
    const jobs = ctx.searchJobs ?? [];
    const target: FormField = {
      path: ['target'],
      label: 'Score',
      kind: 'select',
      choices: choiceList({ dataset: "a dataset's stored solutions", searches: "a search job's trees" }),
      read: (c) => (c.searches ? 'searches' : 'dataset'),
      write: (c, v) => {
        const { dataset: _d, split: _s, searches: _x, ...rest } = c;
        return v === 'searches' ? { ...rest, searches: jobs[0]?.searchIds ?? [] } : { ...rest, dataset: ctx.datasets[0]?.name ?? '' };
      },
    };
    const fields: FormField[] = [prm, target];
    if (config.searches) {
      fields.push({
        path: ['searches'],
        label: 'Trees of',
        kind: 'select',
        choices: jobs.map((j) => ({ value: `job:${j.id}`, label: j.label })),
        read: (c) => {
          const j = jobs.find((x) => sameIds(c.searches, x.searchIds));
          return j ? `job:${j.id}` : Array.isArray(c.searches) ? `${c.searches.length} searches (from the JSON)` : '';
        },
        write: (c, v) => ({ ...c, searches: jobs.find((x) => `job:${x.id}` === v)?.searchIds ?? c.searches }),
      });
    } else {
      fields.push(datasets, anySplit);
    }
    fields.push({ path: ['rescore'], label: 'score again what this PRM scored', kind: 'checkbox' });
    return fields;
  }
  if (kind === 'train-prm') {
    const sets = ctx.annotationSets ?? [];
    return [
      { path: ['annotations'], label: 'Annotation set', kind: 'select', choices: sets.map((x) => ({ value: x, label: x })) },
      {
        path: ['base'],
        label: 'Start from',
        kind: 'select',
        optional: true,
        choices: [{ value: '', label: 'the policy that labelled the set' }, ...modelChoices(ctx, 'policy'), ...modelChoices(ctx, 'prm')],
      },
      { path: ['name'], label: 'Register as', kind: 'text', optional: true, help: `prm-${String(config.annotations || '<set>')}` },
      {
        path: ['labels'],
        label: 'Labels',
        kind: 'select',
        choices: choiceList({ soft: 'soft (MC values, as MM-PRM)', hard: 'hard (MC > 0)' }),
      },
      { path: ['calculator'], label: "reads a calculator's check of each a op b = c (=v, or !=v when c is wrong)", kind: 'checkbox' },
      { path: ['epochs'], label: 'Epochs', kind: 'number', optional: true, min: 1, help: "the trainer's default" },
      { path: ['maxSteps'], label: 'Max steps', kind: 'number', optional: true, min: 1, help: 'no limit' },
      seed,
    ];
  }
  if (kind === 'bench-prm') {
    const rule = config.sweep === true ? 'sweep' : config.sweepOn !== undefined ? 'sweepOn' : 'threshold';
    const fields: FormField[] = [
      datasets,
      { path: ['split'], label: 'Split evaluated', kind: 'select', optional: true, choices: splitChoices(ctx, config, 'every split') },
      {
        path: ['source'],
        label: 'Step scores from',
        kind: 'select',
        choices: choiceList({ prm: 'a registered PRM', file: 'a scores file' }),
        read: (c) => (c.prm !== undefined ? 'prm' : 'file'),
        write: (c, v) => {
          const { prm: _p, scores: _s, ...rest } = c;
          return v === 'prm' ? { ...rest, prm: modelChoices(ctx, 'prm')[0]?.value ?? '' } : rest;
        },
      },
      config.prm !== undefined
        ? prm
        : { path: ['scores'], label: 'Scores file (JSON lines)', kind: 'file', read: (c) => String((c.scores as { file?: unknown } | undefined)?.file ?? ''), help: '{"id", "scores"} per line, or bare arrays in row order' },
      {
        path: ['rule'],
        label: 'Threshold',
        kind: 'select',
        choices: choiceList({ threshold: 'given', sweep: 'oracle sweep (these rows)', sweepOn: 'sweep on another split' }),
        read: () => rule,
        write: (c, v) => {
          const { threshold: _t, sweep: _w, sweepOn: _o, ...rest } = c;
          if (v === 'sweep') return { ...rest, sweep: true };
          if (v === 'sweepOn') return { ...rest, sweepOn: splitChoices(ctx, c, '').slice(1).find((x) => x.value !== c.split)?.value ?? '' };
          return { ...rest, threshold: 0.5 };
        },
      },
    ];
    if (rule === 'threshold') fields.push({ path: ['threshold'], label: 'Accept a step when its score is above', kind: 'number', optional: true, min: 0, help: '0.5' });
    if (rule === 'sweepOn') fields.push({ path: ['sweepOn'], label: 'Choose the threshold on split', kind: 'select', choices: splitChoices(ctx, config, '').slice(1) });
    fields.push(
      { path: ['resamples'], label: 'Bootstrap resamples (95% interval)', kind: 'number', min: 0 },
      seed,
      { path: ['name'], label: 'Name', kind: 'text', optional: true, help: 'automatic' },
    );
    return fields;
  }
  if (kind === 'import-labels') {
    const bench = isBenchImport(kind, config);
    return [
      { path: ['path'], label: 'File or folder on this machine', kind: 'text', help: bench ? "/data/ProcessBench (each file a split: gsm8k.json, math.json, ...)" : '/data/omegaprm/outputs' },
      { path: ['format'], label: 'Format', kind: 'select', optional: true, choices: [{ value: '', label: 'detect from the content' }, ...(ctx.labelFormats ?? []), ...BENCH_CHOICES] },
      bench
        ? { path: ['dataset'], label: 'Dataset (new or existing)', kind: 'text', optional: true, help: 'processbench' }
        : { path: ['dataset'], label: 'Dataset (new or existing)', kind: 'text', optional: true, help: 'none: the problems are in the workspace already' },
      { path: ['split'], label: bench ? "Split (one file only; a folder's files are each the split of their name)" : 'Split of the problems added', kind: 'text', optional: true, help: bench ? "the file's name" : 'none' },
      { path: ['imageRoot'], label: 'Image root', kind: 'text', optional: true, help: "the file's folder" },
      // a benchmark takes neither (shown only while set, beside the schema's line saying so)
      ...(bench && config.setName === undefined ? [] : [{ path: ['setName'], label: 'Annotation set', kind: 'text', optional: true, help: "the file's or folder's name" } as FormField]),
      ...(bench && !config.skipBad ? [] : [{ path: ['skipBad'], label: 'skip bad units (import the rest, report them)', kind: 'checkbox' } as FormField]),
      { path: ['allowOutside'], label: "read images outside the file's folder and the image root", kind: 'checkbox' },
    ];
  }
  if (kind === 'bon') {
    return [
      datasets,
      { path: ['split'], label: 'Evaluate on split', kind: 'select', choices: splitChoices(ctx, config, 'choose a split').slice(1) },
      { path: ['selectOn'], label: 'Choose the rule on split', kind: 'select', optional: true, choices: splitChoices(ctx, config, 'none (report every rule)') },
      policy('policy'),
      prm,
      { path: ['n'], label: 'N (candidates per problem)', kind: 'number', min: 1 },
      ...common,
    ];
  }
  const algo = config.algo === 'mc' ? 'mc' : 'omega';
  const algoFields: FormField[] =
    algo === 'omega'
      ? [
          { path: ['config', 'maxSearchCount'], label: 'Selections (max search count)', kind: 'number', min: 1 },
          { path: ['config', 'rolloutBudget'], label: 'Rollout budget', kind: 'number', min: 1 },
          { path: ['config', 'rolloutsPerState'], label: 'Rollouts per state (k)', kind: 'number', min: 1 },
        ]
      : [
          { path: ['config', 'samplesPerSolution'], label: 'Solutions sampled', kind: 'number', min: 1 },
          { path: ['config', 'k'], label: 'Completions per prefix (k)', kind: 'number', min: 1 },
        ];
  return [
    datasets,
    anySplit,
    policy('model'),
    {
      path: ['algo'],
      label: 'Algorithm',
      kind: 'select',
      choices: choiceList({ omega: 'OmegaPRM (MCTS + binary search)', mc: 'Math-Shepherd (Monte Carlo from every step)' }),
    },
    ...algoFields,
    {
      path: ['annotationMode'],
      label: 'Paths to label',
      kind: 'select',
      defaultValue: 'mmprm',
      choices: choiceList({ mmprm: "MM-PRM's rules", 'all-paths': 'every root-to-node path' }),
    },
    ...common,
  ];
}

export function getField(config: Config, path: string[]): unknown {
  let at: unknown = config;
  for (const key of path) at = at && typeof at === 'object' && !Array.isArray(at) ? (at as Config)[key] : undefined;
  return at;
}

/** The config with one field set (undefined removes it); changing a search's algorithm resets its settings. */
export function setField(config: Config, path: string[], value: unknown): Config {
  const [key, ...rest] = path;
  const next: Config = { ...config };
  if (rest.length === 0) {
    if (value === undefined) delete next[key];
    else next[key] = value;
  } else {
    const inner = next[key] && typeof next[key] === 'object' && !Array.isArray(next[key]) ? (next[key] as Config) : {};
    next[key] = setField(inner, rest, value);
  }
  if (path.length === 1 && key === 'algo' && typeof value === 'string' && value !== config.algo && ALGO_DEFAULTS[value]) next.config = { ...ALGO_DEFAULTS[value] };
  // a split of the dataset before may not exist in the new one
  if (path.length === 1 && key === 'dataset' && value !== config.dataset) {
    delete next.split;
    delete next.selectOn;
    delete next.sweepOn;
  }
  return next;
}

/** A form input's text as the field's value: numbers parsed, '' → undefined for optional fields. */
export function fieldValue(field: FormField, text: string): unknown {
  if (text === '') return field.optional ? undefined : field.kind === 'number' ? undefined : '';
  if (field.kind === 'number') {
    const n = Number(text);
    return Number.isFinite(n) ? n : text;
  }
  return text;
}

/** The JSON text of a config, or why a text is not one. */
export function parseConfigText(text: string): { config: Config } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { error: `not valid JSON: ${(e as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'the config must be a JSON object' };
  return { config: value as Config };
}
