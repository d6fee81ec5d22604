// The Cycles screen's pure parts and its store slice: the stage table with the job's live progress, the
// chart series, the per-difficulty table, the lineage, the reflection's step marks, the launch form over
// CycleConfig (and its JSON check), the #/cycles/<run> route, and the slice refreshing a run only when a
// stage starts or ends, opening a run started from the form, and dropping a stale reflections reply.
import { describe, expect, it, vi } from 'vitest';
import type { Api } from '../src-shared/api';
import { CYCLE_STAGES, type CycleRun, type CycleStageRecord, type Reflection } from '../src-shared/cycles';
import type { Job, ModelRecord } from '../src-shared/domain';
import { jsonSchemaOf, validateConfig } from '../src-renderer/config/validate';
import { CYCLE_LAUNCH_SCHEMA, CYCLE_TEMPLATE, cycleFields, cycleFieldValue, fieldChecked, fieldText, firstIssue } from '../src-renderer/cycles/form';
import { canCancel, canResume, chartSeries, difficultyTable, formatCounts, formatDuration, lineage, parseProgress, stageRows, stepMarks } from '../src-renderer/cycles/model';
import { setField } from '../src-renderer/jobs/form';
import { paletteCommands } from '../src-renderer/palette/commands';
import { createAppStore } from '../src-renderer/store';
import { shownRun } from '../src-renderer/store/selectors';
import { formatHash, parseHash } from '../src-renderer/store/route';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();

function stage(name: (typeof CYCLE_STAGES)[number], status: CycleStageRecord['status'], extra: Partial<CycleStageRecord> = {}): CycleStageRecord {
  return { stage: name, status, counts: {}, artifacts: {}, startedAt: status === 'pending' || status === 'skipped' ? null : at(0), endedAt: status === 'done' ? at(2) : null, ...extra };
}

/** A 2-cycle run: cycle 0 evaluated, cycle 1 done, cycle 2 in its regenerate stage. */
function run(): CycleRun {
  return {
    id: 3,
    name: 'demo-tiny-policy-1',
    dataset: 'demo',
    baseModel: 'tiny-policy@1',
    config: { cycles: 2, evaluate: { samples: 4 }, reflect: { enabled: true } },
    jobId: 11,
    jobState: 'running',
    createdAt: at(0),
    cycles: [
      {
        id: 21,
        idx: 1,
        status: 'done',
        parentModel: 'tiny-policy@1',
        model: 'run-c1@1',
        metrics: { test_accuracy: 0.5, pass_at_k: 0.75, by_difficulty: { '10': { n: 2, accuracy: 0.5 }, '2': { n: 3, accuracy: 1 } }, correct_paths: 6, diagnosed: 5, corrected: 2, train_examples: 8, vs_base: { diff: -0.125, lo: -0.375, hi: 0.125, problems: 8 } },
        stages: CYCLE_STAGES.map((s) =>
          s === 'build' ? stage(s, 'done', { counts: { train_examples: 8, correct: 6 }, artifacts: { trainingDataHash: 'sha256:abc' } }) : stage(s, 'done', s === 'infer' ? { counts: { problems: 8, samples: 16 } } : {}),
        ),
      },
      {
        id: 20,
        idx: 0,
        status: 'done',
        parentModel: 'tiny-policy@1',
        model: 'tiny-policy@1',
        metrics: { test_accuracy: 0.625, pass_at_k: 0.625, by_difficulty: { '2': { n: 3, accuracy: 0.667 } }, correct_paths: 0, diagnosed: 0, corrected: 0, train_examples: 0 },
        stages: CYCLE_STAGES.map((s) => (s === 'evaluate' ? stage(s, 'done', { counts: { problems: 8 } }) : stage(s, 'skipped'))),
      },
      {
        id: 22,
        idx: 2,
        status: 'running',
        parentModel: 'run-c1@1',
        model: null,
        metrics: {},
        stages: CYCLE_STAGES.map((s, i) => (i < 4 ? stage(s, 'done') : s === 'regenerate' ? stage(s, 'running') : stage(s, 'pending'))),
      },
    ],
  };
}

const job = (state: Job['state'], message: string | null, done = 14): Job => ({
  id: 11,
  kind: 'cycle',
  config: {},
  state,
  progress: { done, total: 19, message },
  result: null,
  error: null,
  attempts: 1,
  createdAt: at(0),
  updatedAt: at(done),
  finishedAt: null,
});

describe('stage table', () => {
  it('reads where the job is from its progress message', () => {
    expect(parseProgress('cycle 2/3 · regenerate · 40/120 diagnosed paths')).toEqual({ cycle: 2, stage: 'regenerate', detail: '40/120 diagnosed paths' });
    expect(parseProgress('cycle 0 · evaluate the stage-0 policy')).toEqual({ cycle: 0, stage: 'evaluate', detail: '' });
    expect(parseProgress('cycle 1/2 · finetune')).toEqual({ cycle: 1, stage: 'finetune', detail: '' });
    expect(parseProgress('cycle 1/2 · dance · x')).toBeNull();
    expect(parseProgress(null)).toBeNull();
  });

  it('has a row per cycle × stage in order, cycle 0 only with its evaluation, the running stage current with the message', () => {
    const rows = stageRows(run(), job('running', 'cycle 2/2 · regenerate · 3/5 diagnosed paths'), T0 + 7000);
    expect(rows.map((r) => `${r.cycle}.${r.stage}`)).toEqual(['0.evaluate', ...CYCLE_STAGES.map((s) => `1.${s}`), ...CYCLE_STAGES.map((s) => `2.${s}`)]);
    const current = rows.filter((r) => r.current);
    expect(current).toHaveLength(1);
    expect(current[0]).toMatchObject({ cycle: 2, stage: 'regenerate', status: 'running', message: '3/5 diagnosed paths', durationMs: 7000 });
    expect(rows.find((r) => r.cycle === 1 && r.stage === 'infer')).toMatchObject({ status: 'done', counts: { problems: 8, samples: 16 }, durationMs: 2000, current: false, message: null });
    expect(rows.find((r) => r.cycle === 2 && r.stage === 'evaluate')).toMatchObject({ status: 'pending', durationMs: null });
  });

  it('a late message of the stage before does not make two rows current: the stored running stage wins', () => {
    const rows = stageRows(run(), job('running', 'cycle 2/2 · reflect · 5/5 paths'), T0 + 1000);
    expect(rows.filter((r) => r.current).map((r) => `${r.cycle}.${r.stage}:${r.message}`)).toEqual(['2.regenerate:null']);
    // before the stage is stored as running, the message names it
    const r = run();
    r.cycles[2].stages[4] = stage('regenerate', 'pending');
    const early = stageRows(r, job('running', 'cycle 2/2 · regenerate · 1/5 diagnosed paths'), T0);
    expect(early.filter((x) => x.current).map((x) => `${x.cycle}.${x.stage}:${x.status}:${x.message}`)).toEqual(['2.regenerate:running:1/5 diagnosed paths']);
  });

  it('shows a failed stage with its error and no current row once the job stopped', () => {
    const r = run();
    r.cycles[2].stages[6] = stage('finetune', 'failed', { artifacts: { error: 'trainer exited 1: Traceback …\nRuntimeError: out of memory' } });
    const rows = stageRows(r, job('failed', 'cycle 2/2 · finetune · step 3'), T0);
    expect(rows.some((x) => x.current)).toBe(false);
    expect(rows.find((x) => x.cycle === 2 && x.stage === 'finetune')).toMatchObject({ status: 'failed', error: 'trainer exited 1: Traceback …\nRuntimeError: out of memory' });
  });

  it('offers cancel while the job runs and resume after a failure, a cancel or a crash', () => {
    expect(['queued', 'running'].every(canCancel)).toBe(true);
    expect(canCancel('done')).toBe(false);
    expect(['failed', 'cancelled', 'interrupted'].every(canResume)).toBe(true);
    expect(['done', 'running', 'queued', null].some(canResume)).toBe(false);
  });

  it('formats durations and counts', () => {
    expect(formatDuration(null)).toBe('');
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(2500)).toBe('2.5 s');
    expect(formatDuration(184_000)).toBe('3 min 4 s');
    expect(formatCounts({ correct_paths: 6, first_error_exact: 1 })).toBe('correct paths 6 · first error exact 1');
  });
});

describe('per-cycle results', () => {
  it('chart series: accuracy and pass@k in percent per cycle from cycle 0, counts from cycle 1', () => {
    const s = chartSeries(run());
    expect(s.labels).toEqual(['cycle 0 (base)', 'cycle 1', 'cycle 2']);
    expect(s.accuracy).toEqual([62.5, 50, null]);
    expect(s.passAtK).toEqual([62.5, 75, null]);
    expect(s.k).toBe(4);
    expect(s.counts.corrected).toEqual([null, 2, null]);
    expect(s.counts.train_examples).toEqual([null, 8, null]);
  });

  it('accuracy per difficulty, difficulties in numeric order, a cell per evaluated cycle', () => {
    const t = difficultyTable(run());
    expect(t.cycles).toEqual([0, 1]);
    expect(t.rows.map((r) => r.difficulty)).toEqual(['2', '10']);
    expect(t.rows[1].cells).toEqual([null, { n: 2, accuracy: 0.5 }]);
  });

  it('lineage: base → c1 → c2 with training set, hash and accuracy change; provenance fills what the build stage lacks', () => {
    const models = [{ id: 5, name: 'run-c1@x', version: 1, role: 'policy', family: 'f', path: '/', manifest: {}, provenance: {}, createdAt: '' }] as ModelRecord[];
    const nodes = lineage(run(), models);
    expect(nodes.map((n) => [n.cycle, n.model, n.parent])).toEqual([
      [0, 'tiny-policy@1', null],
      [1, 'run-c1@1', 'tiny-policy@1'],
      [2, null, 'run-c1@1'],
    ]);
    expect(nodes[1]).toMatchObject({ trainExamples: 8, trainingDataHash: 'sha256:abc', testAccuracy: 0.5, delta: -12.5 });
    expect(nodes[1].vsBase).toEqual({ diff: -12.5, lo: -37.5, hi: 12.5, problems: 8 });
    expect(nodes[0]).toMatchObject({ trainExamples: null, trainingDataHash: null, delta: null, vsBase: null });
    const r = run();
    r.cycles[0].stages = r.cycles[0].stages.map((s) => (s.stage === 'build' ? { ...s, artifacts: {}, counts: {} } : s));
    const c1 = r.cycles.find((c) => c.idx === 1)!;
    c1.stages = c1.stages.map((s) => (s.stage === 'build' ? { ...s, artifacts: {}, counts: {} } : s));
    const prov = [{ id: 5, name: 'run-c1', version: 1, role: 'policy', family: 'f', path: '/', manifest: {}, provenance: { trainingDataHash: 'sha256:fromprov', trainExamples: 9 }, createdAt: '' }] as ModelRecord[];
    expect(lineage(r, prov)[1]).toMatchObject({ trainExamples: 9, trainingDataHash: 'sha256:fromprov' });
  });
});

describe('reflection marks', () => {
  const steps = ['a', 'b', 'c', 'd'].map((text) => ({ text, goldLabel: null }));
  const verdict = (v: Partial<Reflection['verdict']>): Reflection['verdict'] => ({ ok: true, status: 'WRONG', errorStep: 3, errorAnalysis: '', improvementSuggestion: '', reason: null, raw: '', ...v });
  it('marks the ORM-flagged step (1-based) and the gold first error (0-based), or both on one step', () => {
    expect(stepMarks({ steps, goldFirstError: 1, verdict: verdict({}) })).toEqual([null, 'gold', 'flagged', null]);
    expect(stepMarks({ steps, goldFirstError: 2, verdict: verdict({}) })).toEqual([null, null, 'flagged gold', null]);
    expect(stepMarks({ steps, goldFirstError: null, verdict: verdict({ ok: false, status: null, errorStep: null, reason: 'no JSON' }) })).toEqual([null, null, null, null]);
    expect(stepMarks({ steps, goldFirstError: null, verdict: verdict({ status: 'CORRECT', errorStep: null }) })).toEqual([null, null, null, null]);
  });
});

describe('launch form', () => {
  const ctx = {
    datasets: [{ id: 1, name: 'demo', version: 1, description: null, problemCount: 10, imageCount: 0, splits: { train: 7, test: 3 }, createdAt: '', updatedAt: '' }] as never[],
    models: [
      { id: 1, name: 'tiny-policy', version: 1, role: 'policy' },
      { id: 2, name: 'tiny-orm', version: 1, role: 'orm' },
      { id: 3, name: 'tiny-prm', version: 1, role: 'prm' },
    ] as ModelRecord[],
  };

  it('the template is a valid CycleConfig; the fields cover the settings the brief names', () => {
    expect(firstIssue(CYCLE_TEMPLATE)).toBeNull();
    const fields = cycleFields(CYCLE_TEMPLATE, ctx);
    expect(fields.map((f) => f.path.join('.'))).toEqual(
      expect.arrayContaining(['dataset', 'policy', 'orm', 'cycles', 'trainSplit', 'evalSplit', 'reflect.enabled', 'infer.samples', 'infer.problems', 'finetune.maxSteps', 'finetune.epochs']),
    );
    expect(fields.find((f) => f.path[0] === 'orm')!.choices!.map((c) => c.value)).toEqual(['', 'tiny-orm']);
    expect(fields.find((f) => f.path[0] === 'policy')!.choices!.map((c) => c.value)).toEqual(['tiny-policy']);
    expect(fields.find((f) => f.path[0] === 'evalSplit')!.choices!.map((c) => c.label)).toEqual(['test (3)', 'train (7)']);
  });

  it('edits: numbers parsed, empty as null where the schema means all/none, checkbox as boolean', () => {
    const fields = cycleFields(CYCLE_TEMPLATE, ctx);
    const f = (p: string) => fields.find((x) => x.path.join('.') === p)!;
    let c = setField(CYCLE_TEMPLATE, f('infer.problems').path, cycleFieldValue(f('infer.problems'), ''));
    expect((c.infer as Record<string, unknown>).problems).toBeNull();
    expect(fieldText(f('infer.problems'), c)).toBe('');
    c = setField(c, f('finetune.maxSteps').path, cycleFieldValue(f('finetune.maxSteps'), '5'));
    expect((c.finetune as Record<string, unknown>).maxSteps).toBe(5);
    expect(fieldText(f('evaluate.samples'), {})).toBe('4');
    expect(fieldChecked(f('reflect.enabled'), {})).toBe(true);
    c = setField(c, ['orm'], cycleFieldValue(f('orm'), ''));
    expect(c.orm).toBeNull();
    expect(firstIssue(c)).toMatch(/^orm: an ORM is required/);
    c = setField(c, ['reflect', 'enabled'], false);
    expect(firstIssue(c)).toBeNull();
    expect(firstIssue({ ...c, evalSplit: 'train' })).toMatch(/^evalSplit: must differ/);
  });

  it('the JSON editor checks against CycleConfig: its JSON Schema builds, a bad key is placed on its line', () => {
    expect(jsonSchemaOf(CYCLE_LAUNCH_SCHEMA)).toHaveProperty('properties.infer');
    const text = JSON.stringify({ ...CYCLE_TEMPLATE, infer: { samples: 0 } }, null, 2);
    const check = validateConfig(text, CYCLE_LAUNCH_SCHEMA);
    expect(check.issues).toHaveLength(1);
    expect(check.issues[0].path).toBe('infer.samples');
    expect(text.split('\n')[check.issues[0].line - 1]).toContain('"samples"');
    expect(validateConfig(JSON.stringify(CYCLE_TEMPLATE), CYCLE_LAUNCH_SCHEMA).issues).toEqual([]);
  });
});

describe('route and palette', () => {
  it('#/cycles and #/cycles/<run> round-trip', () => {
    expect(parseHash('#/cycles')).toEqual({ view: 'cycles', dataset: null });
    expect(parseHash('#/cycles/7')).toEqual({ view: 'cycles', dataset: null, cycleRun: 7 });
    expect(parseHash('#/cycles/x')).toEqual({ view: 'cycles', dataset: null });
    expect(formatHash({ view: 'cycles', dataset: null, cycleRun: 7 })).toBe('#/cycles/7');
    expect(formatHash({ view: 'cycles', dataset: 'demo' })).toBe('#/cycles');
    expect(formatHash({ view: 'jobs', dataset: null, cycleRun: 7 })).toBe('#/jobs');
  });

  it('the palette opens a run', () => {
    const openCycleRun = vi.fn();
    const cmds = paletteCommands({ go: vi.fn(), datasets: [], searches: [], evaluations: [], cycleRuns: [run()], openCycleRun } as never, () => {});
    const c = cmds.find((x) => x.id === 'cycle-run:3')!;
    expect(c.label).toBe('Cycle run #3: demo-tiny-policy-1');
    c.run();
    expect(openCycleRun).toHaveBeenCalledWith(3);
    expect(cmds.find((x) => x.id === 'view:cycles')!.shortcut).toBe('Alt+8');
  });
});

describe('cycles store slice', () => {
  function fakeApi(over: Partial<Record<keyof Api, (input: never) => Promise<unknown>>> = {}) {
    const calls: string[] = [];
    const base: Partial<Record<keyof Api, (input: never) => Promise<unknown>>> = {
      'cycles.list': async () => [run()],
      'cycles.get': async () => run(),
      'models.list': async () => [],
      'jobs.metrics': async () => ({ 'loss c1': [[1, 0.5]] }),
      'jobs.list': async () => [],
      'datasets.list': async () => ({ total: 0, items: [] }),
      'workspace.info': async () => ({}),
      'evaluations.list': async () => ({ total: 0, items: [] }),
      'searches.list': async () => [],
    };
    const all = { ...base, ...over };
    const api = new Proxy({} as Api, {
      get: (_t, m: string) => (input: never) => {
        calls.push(m);
        const f = all[m as keyof Api];
        return f ? f(input) : Promise.reject(new Error(`unexpected call ${m}`));
      },
    });
    return { api, calls };
  }
  const flush = () => new Promise((r) => setTimeout(r, 0));

  it('refreshes the run when a stage starts or ends, not on every progress message', async () => {
    const { api, calls } = fakeApi();
    const store = createAppStore(api, { view: 'cycles', dataset: null });
    await store.getState().loadCycleRuns();
    expect(shownRun(store.getState())?.id).toBe(3);
    const s = store.getState();
    s.applyJob(job('running', 'cycle 2/2 · regenerate · 1/5 diagnosed paths'));
    await flush();
    const gets = () => calls.filter((c) => c === 'cycles.get').length;
    const first = gets();
    s.applyJob({ ...job('running', 'cycle 2/2 · regenerate · 2/5 diagnosed paths'), updatedAt: at(15) });
    s.applyJob({ ...job('running', 'cycle 2/2 · regenerate · 3/5 diagnosed paths'), updatedAt: at(16) });
    await flush();
    expect(gets()).toBe(first);
    s.applyJob({ ...job('running', 'cycle 2/2 · build', 15), updatedAt: at(17) });
    await flush();
    expect(gets()).toBe(first + 1);
  });

  it("grows the loss curve shown from the job's metric events, keeping them when the stored curve is read", async () => {
    const { api } = fakeApi();
    const store = createAppStore(api, { view: 'cycles', dataset: null });
    const s = store.getState();
    await s.loadCycleLoss(5);
    expect(store.getState().cycleLoss).toEqual({ jobId: 5, series: { 'loss c1': [[1, 0.5]] } });
    s.applyJobEvent({ type: 'metric', jobId: 5, name: 'loss c1', step: 2, value: 0.4 });
    s.applyJobEvent({ type: 'metric', jobId: 5, name: 'loss c1', step: 3, value: 0.3 });
    // another job's points are not this curve's
    s.applyJobEvent({ type: 'metric', jobId: 6, name: 'loss c1', step: 4, value: 9 });
    expect(store.getState().cycleLoss?.series['loss c1']).toEqual([[1, 0.5], [2, 0.4], [3, 0.3]]);
    // the store keeps points in batches: reading it again does not drop the ones events told
    await s.loadCycleLoss(5);
    expect(store.getState().cycleLoss?.series['loss c1']).toEqual([[1, 0.5], [2, 0.4], [3, 0.3]]);
  });

  it('opens the run a job started from the form once the core lists it', async () => {
    let listed: CycleRun[] = [];
    const { api } = fakeApi({ 'cycles.list': async () => listed, 'cycles.start': async () => ({ ...job('queued', null, 0), id: 12 }) });
    const store = createAppStore(api, { view: 'cycles', dataset: null });
    await store.getState().startCycles(CYCLE_TEMPLATE);
    expect(store.getState().pendingCycleJob).toBe(12);
    listed = [{ ...run(), id: 9, jobId: 12 }, run()];
    store.getState().applyJob({ ...job('running', 'cycle 0 · evaluate the stage-0 policy', 0), id: 12, updatedAt: at(30) });
    await vi.waitFor(() => expect(store.getState().cycleRun).toBe(9));
    expect(store.getState().pendingCycleJob).toBeNull();
    expect(formatHash(store.getState())).toBe('#/cycles/9');
  });

  it('a slow reflections reply for a filter the researcher left does not replace the newer one', async () => {
    let releaseSlow: () => void = () => {};
    const { api } = fakeApi({
      'cycles.reflections': async (q: never) => {
        const query = q as { outcome?: string };
        if (query.outcome === 'corrected') await new Promise<void>((r) => (releaseSlow = r));
        return { total: query.outcome ? 1 : 2, items: [] };
      },
    });
    const store = createAppStore(api, { view: 'cycles', dataset: null });
    const slow = store.getState().loadReflections({ run: 3, outcome: 'corrected', offset: 0 });
    await store.getState().loadReflections({ run: 3, offset: 0 });
    releaseSlow();
    await slow;
    expect(store.getState().reflectionPage?.total).toBe(2);
    expect(store.getState().reflectionPage?.query.outcome).toBeUndefined();
  });
});
