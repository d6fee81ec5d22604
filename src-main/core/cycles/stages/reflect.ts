// The cycle's reflect: the ORM diagnoses the wrong paths (which step, why, what to do instead).
import type { OrmVerdictRecord } from '../../../../src-shared/cycles';
import type { CycleRecord } from '../../store/cycles';
import type { Solution } from '../../store/solutions';
import { norm, isRight, label, ORM_BATCH } from './common';
import type { CycleRunner } from '../cycleJob';

/** Wrong samples the ORM judges: deduplicated per problem and capped, in solution order. */
export function reflectTargets(run: CycleRunner, c: CycleRecord): Solution[] {
  const byProblem = new Map<number, { seen: Set<string>; n: number }>();
  const out: Solution[] = [];
  for (const s of run.store.solutions.forCycle(c.id, 'sample')) {
    if (isRight(s) || s.steps.length === 0) continue;
    const g = byProblem.get(s.problemId) ?? { seen: new Set<string>(), n: 0 };
    byProblem.set(s.problemId, g);
    const key = norm(s.steps.map((x) => x.text));
    if (g.seen.has(key) || g.n >= run.cfg.reflect.maxPerProblem) continue;
    g.seen.add(key);
    g.n++;
    out.push(s);
  }
  return out;
}

export async function reflect(run: CycleRunner, c: CycleRecord): Promise<void> {
  if (!run.cfg.reflect.enabled) return run.finishStage({}, { reason: 'reflect.enabled is false: correct paths only' }, undefined, 'skipped');
  const targets = reflectTargets(run, c);
  await run.withOrm(async (orm) => {
    for (let start = run.cp.cursor; start < targets.length; start += ORM_BATCH) {
      run.ctx.throwIfCancelled();
      const batch = targets.slice(start, start + ORM_BATCH);
      const verdicts = await orm.judge(
        batch.map((s) => ({ problem: run.store.problems.get(s.problemId), steps: s.steps.map((x) => x.text) })),
        run.ctx.signal,
      );
      const done = Math.min(start + batch.length, targets.length);
      run.commitCursor(() => batch.forEach((s, i) => run.store.solutions.setOrm(s.id, { ...verdicts[i], model: orm.label })), done, `${done}/${targets.length} wrong paths`);
    }
  });
  const judged = targets.map((t) => run.store.solutions.get(t.id));
  const rec = (s: Solution) => s.orm as OrmVerdictRecord;
  const wrong = judged.filter((s) => rec(s).ok && rec(s).status === 'WRONG');
  const goldKnown = wrong.filter((s) => s.steps.some((x) => x.goldLabel !== null));
  const exact = goldKnown.filter((s) => {
    const fe = s.steps.findIndex((x) => x.goldLabel === 0);
    return rec(s).errorStep !== null && fe >= 0 && rec(s).errorStep === fe + 1;
  });
  run.finishStage(
    {
      judged: judged.length,
      diagnosed: wrong.length,
      judged_correct: judged.filter((s) => rec(s).ok && rec(s).status === 'CORRECT').length,
      unparsed: judged.filter((s) => !rec(s).ok).length,
      first_error_known: goldKnown.length,
      first_error_exact: exact.length,
    },
    { orm: run.cfg.orm },
  );
}
