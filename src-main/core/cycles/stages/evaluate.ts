// The cycle's evaluate: greedy accuracy, pass@k and accuracy per difficulty on the held-out split.
import type { CycleMetrics, CycleStage } from '../../../../src-shared/cycles';
import type { Problem } from '../../../../src-shared/domain';
import type { CycleRecord } from '../../store/cycles';
import type { NewSolution, Solution } from '../../store/solutions';
import { meanDifference } from '../../reward/metrics';
import type { GenOutput } from '../ports';
import { checked, isRight, difficulty, label, PROBLEM_BATCH } from './common';
import type { CycleRunner } from '../cycleJob';

export async function evaluate(run: CycleRunner, c: CycleRecord, modelId: number): Promise<void> {
  const pool = run.evalPool();
  const e = run.cfg.evaluate;
  await run.withPolicy(modelId, async (policy) => {
    for (let start = run.cp.cursor; start < pool.length; start += PROBLEM_BATCH) {
      run.ctx.throwIfCancelled();
      const batch = pool.slice(start, start + PROBLEM_BATCH);
      const greedy = await policy.generate(batch.map((p) => ({ problem: p, prefixSteps: [], reflection: null, n: 1, seedKey: [e.seed, p.id, 0] })), { temperature: 0 }, run.ctx.signal);
      const sampled = await policy.generate(
        batch.map((p) => ({ problem: p, prefixSteps: [], reflection: null, n: e.samples, seedKey: [e.seed, p.id, 1] })),
        { temperature: e.temperature },
        run.ctx.signal,
      );
      const rows: NewSolution[] = [];
      const add = (p: Problem, o: GenOutput, role: string, temperature: number): void => {
        const r = checked(p, o.steps);
        rows.push({
          problemId: p.id,
          modelId,
          origin: 'generate',
          finalAnswer: r.finalAnswer,
          verdict: r.verdict,
          settings: { temperature, seed: e.seed, finish: o.finish, tokens: o.tokens },
          provider: policy.provider,
          jobId: run.ctx.job.id,
          cycleId: c.id,
          cycleRole: role,
          steps: o.steps.map((text, i) => ({ text, goldLabel: r.gold ? r.gold[i] ?? null : null })),
        });
      };
      batch.forEach((p, i) => {
        add(p, greedy[i][0], 'eval-greedy', 0);
        for (const o of sampled[i]) add(p, o, 'eval-sample', e.temperature);
      });
      const done = Math.min(start + batch.length, pool.length);
      run.commitCursor(() => run.store.solutions.insertMany(rows), done, `${done}/${pool.length} held-out problems`);
    }
  });
  const metrics = metricsOf(run, c, pool);
  run.finishStage(
    { problems: pool.length, greedy_correct: Math.round((metrics.test_accuracy ?? 0) * pool.length) },
    { model: label(run.store, modelId), split: run.cfg.evalSplit, samples: e.samples },
    () => {
      run.store.cycles.finish(c.id, 'done', c.idx === 0 ? modelId : c.modelId, metrics);
    },
  );
}

export function metricsOf(run: CycleRunner, c: CycleRecord, pool: readonly Problem[]): CycleMetrics {
  const greedy = run.store.solutions.forCycle(c.id, 'eval-greedy');
  const sampled = run.store.solutions.forCycle(c.id, 'eval-sample');
  const diffOf = new Map(pool.map((p) => [p.id, difficulty(p)]));
  const solvedBySample = new Set(sampled.filter(isRight).map((s) => s.problemId));
  const byDifficulty: Record<string, { n: number; accuracy: number }> = {};
  for (const s of greedy) {
    const d = diffOf.get(s.problemId) ?? 'all';
    const b = (byDifficulty[d] ??= { n: 0, accuracy: 0 });
    b.n++;
    if (isRight(s)) b.accuracy++;
  }
  for (const b of Object.values(byDifficulty)) b.accuracy = b.n ? b.accuracy / b.n : 0;
  const strictKnown = greedy.filter((s) => s.steps.some((x) => x.goldLabel !== null));
  const counts = (stage: CycleStage, key: string): number => c.stages.find((s) => s.stage === stage)?.counts[key] ?? 0;
  return {
    test_accuracy: greedy.length ? greedy.filter(isRight).length / greedy.length : null,
    pass_at_k: pool.length ? solvedBySample.size / pool.length : null,
    strict_accuracy: strictKnown.length ? strictKnown.filter((s) => isRight(s) && s.steps.every((x) => x.goldLabel !== 0)).length / strictKnown.length : null,
    by_difficulty: byDifficulty,
    correct_paths: counts('collect', 'correct_paths'),
    diagnosed: counts('reflect', 'diagnosed'),
    corrected: counts('regenerate', 'corrected'),
    train_examples: counts('build', 'train_examples'),
    vs_base: c.idx === 0 || c.runId === null ? null : versusBase(run, c.runId, greedy),
  };
}

/** This cycle's greedy correctness against the stage-0 policy's on the problems both answered (cycle 0's rows). */
function versusBase(run: CycleRunner, runId: number, greedy: readonly Solution[]): CycleMetrics['vs_base'] {
  const base = run.store.cycles.byRunIdx(runId, 0);
  if (!base) return null;
  const baseRight = new Map(run.store.solutions.forCycle(base.id, 'eval-greedy').map((s) => [s.problemId, isRight(s)]));
  return pairedWithBase(baseRight, greedy.map((s) => ({ problemId: s.problemId, right: isRight(s) })));
}

/**
 * Per held-out problem, right now (1/0) minus right under the base (1/0), over the problems both have: the
 * mean is the accuracy difference on them, with meanDifference's paired bootstrap interval; null when none.
 */
export function pairedWithBase(baseRight: ReadonlyMap<number, boolean>, now: readonly { problemId: number; right: boolean }[]): CycleMetrics['vs_base'] {
  const d = now.filter((s) => baseRight.has(s.problemId)).map((s) => Number(s.right) - Number(baseRight.get(s.problemId)));
  if (!d.length) return null;
  const m = meanDifference(d);
  return { diff: m.diff, lo: m.interval[0], hi: m.interval[1], problems: d.length };
}
