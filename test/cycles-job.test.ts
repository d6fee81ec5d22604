// The MathSE cycle's orchestration with a scripted policy and ORM (test/helpers/scriptedCycle.ts) and a
// scripted trainer that speaks the trainer protocol (test/helpers/copy-trainer.mjs): what each stage
// stores and counts, resume after a kill inside every stage with exactly the rows of an uninterrupted
// run, a trainer crash that pauses the run and resumes once fixed, and the exports of a training set.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CycleStage, OrmVerdictRecord } from '../src-shared/cycles';
import { CycleConfig } from '../src-shared/cycles';
import { runCycles, type CycleCheckpoint, type CycleRunResult, cycleJob, reflectionText } from '../src-main/core/cycles/cycleJob';
import { exportCycleTrainingSet, reflections, runView } from '../src-main/core/cycles/view';
import { pairedWithBase } from '../src-main/core/cycles/stages/evaluate';
import { meanDifference } from '../src-main/core/reward/metrics';
import type { JobHandler } from '../src-main/core/jobs/types';
import { Store } from '../src-main/core/store';
import { cli } from './helpers/cli';
import { runJob, SimulatedKill } from './helpers/runJob';
import { reference as referenceSteps, scriptedPorts } from './helpers/scriptedCycle';
import { tempDir } from './helpers/tmp';

const TRAINER = [process.execPath, join(import.meta.dirname, 'helpers', 'copy-trainer.mjs')];

let tmp: ReturnType<typeof tempDir>;
let store: Store;
beforeAll(async () => {
  tmp = tempDir();
  const ws = join(tmp.dir, 'ws');
  expect((await cli('init', ws, '--demo')).code).toBe(0);
  store = Store.open(ws);
});
afterAll(() => {
  store.close();
  tmp.cleanup();
});

const scripted: JobHandler<CycleConfig, CycleRunResult> = { ...cycleJob, run: (ctx) => runCycles(ctx, scriptedPorts()) };

function config(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    dataset: 'demo',
    policy: 'tiny-policy',
    orm: 'tiny-prm', // replaced below by an ORM-role registration
    cycles: 2,
    infer: { problems: 6, samples: 2 },
    reflect: { maxPerProblem: 1 },
    regenerate: { tries: 2 },
    build: { distilled: 3 },
    evaluate: { problems: 5, samples: 2 },
    finetune: { trainer: TRAINER },
    ...extra,
  };
}

let ormName = '';
beforeAll(async () => {
  // the scripted ORM needs an ORM-role model to name: the policy's folder registered under role orm
  const dir = join(tmp.dir, 'scripted-orm');
  const { cpSync } = await import('node:fs');
  cpSync(store.models.byName('tiny-policy').path, dir, { recursive: true });
  const mf = join(dir, 'manifest.json');
  const m = JSON.parse(readFileSync(mf, 'utf8'));
  writeFileSync(mf, JSON.stringify({ ...m, name: 'scripted-orm', role: 'orm', ormTemplate: { verdict: 'V:\n' } }));
  const { registerModel } = await import('../src-main/core/models/registry');
  ormName = (await registerModel(store, dir)).name;
});

const cfg = (name: string, extra: Record<string, unknown> = {}) => ({ ...config(name, extra), orm: ormName });

/** Row counts of a run: what must be the same after any kill and resume. */
function shape(runId: number) {
  const cycles = store.cycles.forRun(runId);
  return cycles.map((c) => ({
    idx: c.idx,
    status: c.status,
    samples: store.solutions.countForCycle(c.id, 'sample'),
    regens: store.solutions.countForCycle(c.id, 'regen'),
    evalGreedy: store.solutions.countForCycle(c.id, 'eval-greedy'),
    evalSample: store.solutions.countForCycle(c.id, 'eval-sample'),
    judged: (store.db.prepare("SELECT count(*) AS n FROM solutions WHERE cycle_id = ? AND cycle_role = 'sample' AND orm IS NOT NULL").get(c.id) as { n: number }).n,
    examples: store.cycles.examples(c.id).map((e) => [e.source, e.reflection !== null]),
    stages: c.stages.map((s) => [s.stage, s.status, s.counts]),
    metrics: c.metrics,
    models: store.models.list().filter((m) => (m.provenance as { cycleId?: number } | null)?.cycleId === c.id).length,
  }));
}

let reference: { runId: number; commits: { stage: CycleStage; cycle: number }[]; result: CycleRunResult };

describe('a cycle run with scripted models', () => {
  it('runs every stage in order and records its counts, artifacts, lineage and metrics', async () => {
    const positions: { stage: CycleStage; cycle: number }[] = [];
    let last: { stage: CycleStage; cycle: number } = { stage: 'evaluate', cycle: 0 };
    const r = await runJob(store, scripted, cfg('ref'), {
      afterCommit: (_n, _p, cp) => {
        positions.push(last); // the stage this commit happened in
        last = { stage: (cp as CycleCheckpoint).stage, cycle: (cp as CycleCheckpoint).cycle };
      },
    });
    reference = { runId: r.result.runId, commits: positions, result: r.result };
    const view = runView(store, store.cycles.run(r.result.runId));
    expect(view.cycles.map((c) => [c.idx, c.status])).toEqual([
      [0, 'done'],
      [1, 'done'],
      [2, 'done'],
    ]);
    // cycle 0 evaluates the base only
    expect(view.cycles[0].stages.filter((s) => s.status !== 'skipped').map((s) => s.stage)).toEqual(['evaluate']);
    expect(view.cycles[0].model).toBe('tiny-policy@1');
    // lineage: c1 from the base, c2 from c1
    expect(view.cycles[1]).toMatchObject({ parentModel: 'tiny-policy@1', model: 'ref-c1@1' });
    expect(view.cycles[2]).toMatchObject({ parentModel: 'ref-c1@1', model: 'ref-c2@1' });
    const c2model = store.models.byName('ref-c2');
    expect(c2model.provenance).toMatchObject({ parent: 'ref-c1@1', cycle: 2, cycleRun: 'ref', trainingDataHash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });

    const c1 = store.cycles.byRunIdx(r.result.runId, 1)!;
    const st = Object.fromEntries(c1.stages.map((s) => [s.stage, s]));
    expect(st.infer.counts).toEqual({ problems: 6, samples: 12 });
    const v = st.verify.counts;
    expect(v.correct + v.incorrect + v.unparseable).toBe(12);
    expect(v.correct).toBeGreaterThan(0);
    expect(v.incorrect).toBeGreaterThan(0);
    // collect: deduplicated (the scripted policy repeats the reference), at most 2 per problem
    expect(st.collect.counts.correct_paths).toBe(v.problems_solved);
    // reflect: one wrong path per problem with a wrong sample; every 5th problem's verdict is unparsed
    const judged = store.solutions.forCycle(c1.id, 'sample').filter((s) => s.orm !== null);
    expect(judged.length).toBe(st.reflect.counts.judged);
    expect(new Set(judged.map((s) => s.problemId)).size).toBe(judged.length);
    expect(st.reflect.counts.diagnosed + st.reflect.counts.unparsed + st.reflect.counts.judged_correct).toBe(judged.length);
    expect(st.reflect.counts.first_error_exact).toBe(st.reflect.counts.diagnosed); // the scripted ORM names the gold first error
    for (const s of judged) {
      const o = s.orm as OrmVerdictRecord;
      if (s.problemId % 5 === 0) expect(o).toMatchObject({ ok: false, reason: 'no JSON object in the output' });
      else expect(o).toMatchObject({ ok: true, status: 'WRONG' });
    }
    // regenerate: `tries` per diagnosed path, from the prefix before the flagged step, with the diagnosis
    const regens = store.solutions.forCycle(c1.id, 'regen');
    expect(regens).toHaveLength(2 * st.reflect.counts.diagnosed);
    for (const g of regens) {
      const parent = store.solutions.get(g.parentSolutionId!);
      const o = parent.orm as OrmVerdictRecord;
      expect(g.settings.prefixSteps).toBe(o.errorStep! - 1);
      expect(g.steps.slice(0, o.errorStep! - 1).map((x) => x.text)).toEqual(parent.steps.slice(0, o.errorStep! - 1).map((x) => x.text));
      expect(g.settings.reflection).toBe(reflectionText(o));
      expect(g.verdict).toBe('correct'); // with a reflection the scripted policy gets it right
      expect((g.orm as OrmVerdictRecord).status).toBe('CORRECT'); // rechecked by the ORM
    }
    // build: correct + corrected (one kept per diagnosed path), no reflection text in the prompt by default
    const ex = store.cycles.examples(c1.id);
    expect(ex.filter((e) => e.source === 'correct')).toHaveLength(st.collect.counts.correct_paths);
    // the distilled stage-0 rows: reference solutions of the split's last 3 problems, stored once per cycle
    const distilled = store.solutions.forCycle(c1.id, 'distilled');
    expect(distilled).toHaveLength(3);
    expect(ex.filter((e) => e.source === 'distilled').map((e) => e.solutionId)).toEqual(distilled.map((d) => d.id));
    for (const d of distilled) expect(d.steps.map((x) => x.text)).toEqual(referenceSteps(store.problems.get(d.problemId)));
    expect(st.build.counts.distilled).toBe(3);
    expect(ex.filter((e) => e.source === 'corrected')).toHaveLength(st.reflect.counts.diagnosed);
    expect(ex.every((e) => e.reflection === null)).toBe(true);
    expect(ex).toHaveLength(st.collect.counts.correct_paths + st.reflect.counts.diagnosed + 3);
    expect(st.build.counts.train_examples).toBe(ex.length);
    expect(st.build.counts).toMatchObject({ correct: st.collect.counts.correct_paths, corrected: st.reflect.counts.diagnosed, distilled: 3, carried_over: 0 });
    // cumulative pool: cycle 2 carries cycle 1's rows
    const c2 = store.cycles.byRunIdx(r.result.runId, 2)!;
    const ex2 = new Set(store.cycles.examples(c2.id).map((e) => e.solutionId));
    expect(ex.filter((e) => e.source !== 'distilled').every((e) => ex2.has(e.solutionId))).toBe(true);
    const b2 = c2.stages.find((s) => s.stage === 'build')!.counts;
    expect(b2.carried_over).toBe(ex.length - 3);
    expect(b2.correct + b2.corrected + b2.distilled + b2.carried_over).toBe(b2.train_examples);
    // evaluate: greedy + k samples per held-out problem; the scripted greedy is right on even problem ids
    expect(store.solutions.countForCycle(c1.id, 'eval-greedy')).toBe(5);
    expect(store.solutions.countForCycle(c1.id, 'eval-sample')).toBe(10);
    const evalIds = store.solutions.forCycle(c1.id, 'eval-greedy').map((s) => s.problemId);
    expect(r.result.cycles[0].test_accuracy).toBeCloseTo(evalIds.filter((id) => id % 2 === 0).length / 5);
    expect(r.result.cycles.map((c) => c.cycle)).toEqual([1, 2]);
    expect(r.result.cycles[0]).toMatchObject({ correct_paths: st.collect.counts.correct_paths, diagnosed: st.reflect.counts.diagnosed, corrected: st.regenerate.counts.corrected, train_examples: ex.length });
    expect(r.result.base_test_accuracy).toBe(r.result.cycles[0].test_accuracy);
    // against the base, paired on the same held-out problems: the scripted greedy is the same in every cycle
    expect(view.cycles[0].metrics.vs_base).toBeNull();
    for (const c of r.result.cycles) expect(c.vs_base).toEqual({ diff: 0, lo: 0, hi: 0, problems: 5 });
    // the work folder keeps the training set, not the trained copy (it lives in the workspace's models/)
    expect(existsSync(join(store.paths.dir, 'cycles', 'ref', 'c1', 'train.jsonl'))).toBe(true);
    expect(existsSync(join(store.paths.dir, 'cycles', 'ref', 'c1', 'model'))).toBe(false);
  });

  it('without reflection trains on correct paths only (the ablation), everything else equal', async () => {
    const r = await runJob(store, scripted, { ...cfg('ablation'), reflect: { enabled: false }, orm: null, cycles: 1 });
    const c1 = store.cycles.byRunIdx(r.result.runId, 1)!;
    expect(c1.stages.filter((s) => s.status === 'skipped').map((s) => s.stage)).toEqual(['reflect', 'regenerate']);
    expect(store.solutions.countForCycle(c1.id, 'regen')).toBe(0);
    expect(store.cycles.examples(c1.id).every((e) => e.source === 'correct' || e.source === 'distilled')).toBe(true);
    // the same samples as the reflection run's first cycle (same seed, same policy)
    const ref1 = store.cycles.byRunIdx(reference.runId, 1)!;
    const texts = (id: number) => store.solutions.forCycle(id, 'sample').map((s) => s.steps.map((x) => x.text).join('|'));
    expect(texts(c1.id)).toEqual(texts(ref1.id));
  });

  it('with reflectionInTraining "prompt", corrected rows carry the diagnosis as the prompt\'s R: line', async () => {
    const r = await runJob(store, scripted, { ...cfg('withr'), cycles: 1, build: { reflectionInTraining: 'prompt' } });
    const c1 = store.cycles.byRunIdx(r.result.runId, 1)!;
    const corrected = store.cycles.examples(c1.id).filter((e) => e.source === 'corrected');
    expect(corrected.length).toBeGreaterThan(0);
    expect(corrected.every((e) => e.reflection !== null && e.reflection.startsWith('step '))).toBe(true);
    const lines = readFileSync(join(store.paths.dir, 'cycles', 'withr', 'c1', 'train.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => /\nR: step \d+: /.test(l.messages[0].content))).toHaveLength(corrected.length);
  });
});

describe('resume after a kill inside each stage', () => {
  const STAGES: CycleStage[] = ['infer', 'verify', 'collect', 'reflect', 'regenerate', 'build', 'finetune', 'register', 'evaluate'];
  const killPoints = (): { label: string; n: number }[] => {
    const out: { label: string; n: number }[] = [];
    const cyc0 = reference.commits.map((p, i) => ({ ...p, i })).filter((p) => p.cycle === 0);
    out.push({ label: 'cycle 0 evaluate (first batch)', n: cyc0[0].i });
    for (const s of STAGES) {
      const inStage = reference.commits.map((p, i) => ({ ...p, i })).filter((p) => p.cycle === 1 && p.stage === s);
      // commit i (0-based) is the (i+1)-th: killAfterCommits = i kills the process right at it
      out.push({ label: `cycle 1 ${s} (its last commit)`, n: inStage.at(-1)!.i });
      if (inStage.length > 1) out.push({ label: `cycle 1 ${s} (first batch)`, n: inStage[0].i });
    }
    return out;
  };

  it('every stage resumes where it stopped: the same rows, counts and models as an uninterrupted run', async () => {
    const want = shape(reference.runId);
    const points = killPoints();
    expect(points.length).toBeGreaterThanOrEqual(10);
    for (const [k, p] of points.entries()) {
      const name = `kill${k}`;
      const killed = runJob(store, scripted, cfg(name), { killAfterCommits: p.n });
      await expect(killed, p.label).rejects.toBeInstanceOf(SimulatedKill);
      const job = store.jobs.list(1)[0];
      const resumed = await runJob(store, scripted, cfg(name), { jobId: job.id });
      const got = shape(resumed.result.runId);
      // model names differ by run; everything else is equal
      expect(JSON.stringify(got).replaceAll(name, 'ref'), p.label).toBe(JSON.stringify(want));
      expect(resumed.result.cycles.map((c) => c.test_accuracy), p.label).toEqual(reference.result.cycles.map((c) => c.test_accuracy));
    }
  });
});

describe('a trainer that crashes', () => {
  it('pauses the run at finetune with the stderr tail, registers nothing, and resumes once the cause is fixed', async () => {
    const gate = join(tmp.dir, 'gpu-fixed');
    process.env.STEPLAB_FAKE_TRAINER_FAIL_UNLESS = gate;
    try {
      const first = runJob(store, scripted, cfg('crash', { cycles: 1 }));
      await expect(first).rejects.toThrow(/^cycle 1, stage finetune: trainer failed: exit 1\nlast lines of stderr:\n[\s\S]*RuntimeError: CUDA out of memory \(scripted\)$/);
      const run = store.cycles.runByName('crash')!;
      const c1 = store.cycles.byRunIdx(run.id, 1)!;
      expect(c1.status).toBe('failed');
      const ft = c1.stages.find((s) => s.stage === 'finetune')!;
      expect(ft.status).toBe('failed');
      expect(String(ft.artifacts.error)).toContain('CUDA out of memory');
      expect(c1.stages.find((s) => s.stage === 'build')!.status).toBe('done');
      expect(store.models.list().filter((m) => m.name.startsWith('crash-'))).toHaveLength(0);
      const samples = store.solutions.countForCycle(c1.id, 'sample');
      writeFileSync(gate, 'fixed');
      const job = store.jobs.list(1)[0];
      const resumed = await runJob(store, scripted, cfg('crash', { cycles: 1 }), { jobId: job.id });
      expect(resumed.result.cycles).toHaveLength(1);
      expect(store.solutions.countForCycle(c1.id, 'sample')).toBe(samples); // infer was not redone
      expect(store.models.list().filter((m) => m.name.startsWith('crash-'))).toHaveLength(1);
    } finally {
      delete process.env.STEPLAB_FAKE_TRAINER_FAIL_UNLESS;
    }
  });
});

describe('exports of a training set', () => {
  it('writes ShareGPT conversations and TRL messages with their documented fields and the images beside them', () => {
    const c1 = store.cycles.byRunIdx(reference.runId, 1)!;
    const n = store.cycles.examples(c1.id).length;
    for (const format of ['sharegpt', 'trl'] as const) {
      const out = join(tmp.dir, `exp-${format}`, 'train.jsonl');
      const w = exportCycleTrainingSet(store, reference.runId, 1, format, out);
      expect(w.rows).toBe(n);
      const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(rows).toHaveLength(n);
      for (const r of rows) {
        expect(Object.keys(r).sort()).toEqual(format === 'sharegpt' ? ['conversations', 'images', 'problem_id', 'source'] : ['images', 'messages', 'problem_id', 'source']);
        const [user, asst] = format === 'sharegpt' ? r.conversations.map((m: { from: string; value: string }) => [m.from, m.value]) : r.messages.map((m: { role: string; content: string }) => [m.role, m.content]);
        expect(user[0]).toBe(format === 'sharegpt' ? 'human' : 'user');
        expect(asst[0]).toBe(format === 'sharegpt' ? 'gpt' : 'assistant');
        expect(asst[1]).toMatch(/\nAnswer: \d+$/);
        expect(user[1].startsWith('<image>')).toBe(r.images.length === 1);
        for (const img of r.images) expect(readFileSync(join(tmp.dir, `exp-${format}`, img)).subarray(1, 4).toString()).toBe('PNG');
        expect(['correct', 'corrected', 'distilled']).toContain(r.source);
      }
    }
    expect(() => exportCycleTrainingSet(store, reference.runId, 0, 'trl', join(tmp.dir, 'x.jsonl'))).toThrow('run ref has no cycle 0 with a training set (cycle 0 is the stage-0 policy)');
    expect(() => exportCycleTrainingSet(store, reference.runId, 7, 'trl', join(tmp.dir, 'x.jsonl'))).toThrow('run ref has no cycle 7');
  });

  it('lists reflections by cycle and outcome with their regenerations', () => {
    const all = reflections(store, { run: reference.runId, offset: 0, limit: 500 });
    expect(all.total).toBeGreaterThan(0);
    const corrected = reflections(store, { run: reference.runId, cycle: 1, outcome: 'corrected', offset: 0, limit: 500 });
    const unparsed = reflections(store, { run: reference.runId, cycle: 1, outcome: 'unparsed', offset: 0, limit: 500 });
    const c1 = store.cycles.byRunIdx(reference.runId, 1)!;
    const counts = Object.fromEntries(c1.stages.map((s) => [s.stage, s.counts]));
    expect(corrected.total).toBe(counts.regenerate.corrected);
    expect(unparsed.total).toBe(counts.reflect.unparsed);
    const one = corrected.items[0];
    expect(one.cycle).toBe(1);
    expect(one.verdict.errorStep).toBe(one.goldFirstError! + 1);
    expect(one.regenerations).toHaveLength(2);
    expect(one.regenerations.filter((g) => g.kept)).toHaveLength(1);
    expect(one.regenerations[0].prefixSteps).toBe(one.verdict.errorStep! - 1);
    expect(unparsed.items.every((u) => u.regenerations.length === 0 && u.verdict.reason === 'no JSON object in the output')).toBe(true);
  });
});

describe('a cycle against the base', () => {
  it('pairs greedy correctness by problem: the accuracy difference on the shared problems, with a bootstrap interval', () => {
    // 20 shared problems: the base right on 0-9, the cycle right on 4-15 (gains 10-15, loses 0-3); 99 only in the cycle
    const base = new Map(Array.from({ length: 20 }, (_, i) => [i, i < 10] as [number, boolean]));
    const now = [...Array.from({ length: 20 }, (_, i) => ({ problemId: i, right: i >= 4 && i < 16 })), { problemId: 99, right: true }];
    const r = pairedWithBase(base, now)!;
    expect(r.problems).toBe(20);
    expect(r.diff).toBeCloseTo((6 - 4) / 20, 12);
    expect(r.lo).toBeLessThan(r.diff);
    expect(r.hi).toBeGreaterThan(r.diff);
    // the interval is meanDifference's over the per-problem differences, in the cycle's order
    const d = Array.from({ length: 20 }, (_, i) => (i >= 10 && i < 16 ? 1 : i < 4 ? -1 : 0));
    expect([r.lo, r.hi]).toEqual(meanDifference(d).interval);
    expect(pairedWithBase(base, now)).toEqual(r); // seeded: the same interval every time
    // every problem gained: the interval is the point
    expect(pairedWithBase(new Map([[1, false], [2, false]]), [{ problemId: 1, right: true }, { problemId: 2, right: true }])).toEqual({ diff: 1, lo: 1, hi: 1, problems: 2 });
    expect(pairedWithBase(base, [{ problemId: 99, right: true }])).toBeNull();
  });
});
