// The cycle's infer: k samples per problem of the cycle's slice of the train split, stored as solutions.
import type { CycleRecord } from '../../store/cycles';
import type { NewSolution } from '../../store/solutions';
import { label, PROBLEM_BATCH } from './common';
import type { CycleRunner } from '../cycleJob';

export async function infer(run: CycleRunner, c: CycleRecord): Promise<void> {
  const pool = run.trainPool(c.idx);
  const { samples, temperature, maxNewTokens, seed } = run.cfg.infer;
  const policyId = run.policyOf(c);
  await run.withPolicy(policyId, async (policy) => {
    for (let start = run.cp.cursor; start < pool.length; start += PROBLEM_BATCH) {
      run.ctx.throwIfCancelled();
      const batch = pool.slice(start, start + PROBLEM_BATCH);
      const outs = await policy.generate(
        batch.map((p) => ({ problem: p, prefixSteps: [], reflection: null, n: samples, seedKey: [seed, p.id, c.idx, 1] })),
        { temperature, maxNewTokens },
        run.ctx.signal,
      );
      const rows: NewSolution[] = [];
      batch.forEach((p, i) =>
        outs[i].forEach((o) =>
          rows.push({
            problemId: p.id,
            modelId: policyId,
            origin: 'generate',
            finalAnswer: null,
            verdict: null,
            settings: { temperature, seed, finish: o.finish, tokens: o.tokens },
            provider: policy.provider,
            jobId: run.ctx.job.id,
            cycleId: c.id,
            cycleRole: 'sample',
            steps: o.steps.map((text) => ({ text })),
          }),
        ),
      );
      const done = Math.min(start + batch.length, pool.length);
      run.commitCursor(() => run.store.solutions.insertMany(rows), done, `${done}/${pool.length} problems`);
    }
  });
  const n = run.store.solutions.countForCycle(c.id, 'sample');
  run.finishStage({ problems: pool.length, samples: n }, { policy: label(run.store, policyId), samplesPerProblem: samples, temperature });
}
