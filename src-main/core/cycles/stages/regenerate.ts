// The cycle's regenerate: the policy rewrites each diagnosed path from the step before its error, with the reflection in context.
import type { OrmVerdictRecord } from '../../../../src-shared/cycles';
import type { CycleRecord } from '../../store/cycles';
import type { NewSolution, Solution } from '../../store/solutions';
import type { GenOutput } from '../ports';
import { norm, reflectionText, checked, isRight, label, PROBLEM_BATCH } from './common';
import { reflectTargets } from './reflect';
import type { CycleRunner } from '../cycleJob';

export function diagnosed(run: CycleRunner, c: CycleRecord): Solution[] {
  return reflectTargets(run, c)
    .map((t) => run.store.solutions.get(t.id))
    .filter((s) => {
      const v = s.orm as OrmVerdictRecord | null;
      return Boolean(v?.ok && v.status === 'WRONG');
    });
}

export async function regenerate(run: CycleRunner, c: CycleRecord): Promise<void> {
  if (!run.cfg.reflect.enabled) return run.finishStage({}, { reason: 'reflect.enabled is false: correct paths only' }, undefined, 'skipped');
  const rg = run.cfg.regenerate;
  const parents = diagnosed(run, c);
  const regenId = rg.regenerator ? run.store.models.byName(rg.regenerator).id : run.policyOf(c);
  await run.withPolicy(regenId, (policy) =>
    run.withOrm(async (orm) => {
      for (let start = run.cp.cursor; start < parents.length; start += PROBLEM_BATCH) {
        run.ctx.throwIfCancelled();
        const batch = parents.slice(start, start + PROBLEM_BATCH);
        const plans = batch.map((s) => {
          const v = s.orm as OrmVerdictRecord;
          const steps = s.steps.map((x) => x.text);
          const prefix = v.errorStep ? steps.slice(0, v.errorStep - 1) : [];
          return { parent: s, problem: run.store.problems.get(s.problemId), prefix, reflection: rg.withReflection ? reflectionText(v) || null : null };
        });
        const outs: GenOutput[][] = await policy.generate(
          plans.map((p) => ({ problem: p.problem, prefixSteps: p.prefix, reflection: p.reflection, n: rg.tries, seedKey: [rg.tries, p.parent.id, c.idx, 2] })),
          { temperature: rg.temperature },
          run.ctx.signal,
        );
        const made = plans.flatMap((p, i) => outs[i].map((o) => ({ plan: p, out: o, check: checked(p.problem, o.steps) })));
        const toRecheck = rg.ormRecheck ? made.filter((m) => m.check.verdict === 'correct') : [];
        const rechecks = toRecheck.length ? await orm.judge(toRecheck.map((m) => ({ problem: m.plan.problem, steps: m.out.steps })), run.ctx.signal) : [];
        const recheckOf = new Map(toRecheck.map((m, i) => [m, { ...rechecks[i], model: orm.label }]));
        const rows: NewSolution[] = made.map((m) => ({
          problemId: m.plan.problem.id,
          modelId: regenId,
          origin: 'regenerate',
          finalAnswer: m.check.finalAnswer,
          verdict: m.check.verdict,
          settings: { prefixSteps: m.plan.prefix.length, reflection: m.plan.reflection, temperature: rg.temperature, finish: m.out.finish, tokens: m.out.tokens },
          provider: policy.provider,
          jobId: run.ctx.job.id,
          cycleId: c.id,
          cycleRole: 'regen',
          parentSolutionId: m.plan.parent.id,
          orm: recheckOf.get(m),
          steps: m.out.steps.map((text, i) => ({ text, goldLabel: m.check.gold ? m.check.gold[i] ?? null : null })),
        }));
        const done = Math.min(start + batch.length, parents.length);
        run.commitCursor(() => run.store.solutions.insertMany(rows), done, `${done}/${parents.length} diagnosed paths`);
      }
    }),
  );
  const regens = run.store.solutions.forCycle(c.id, 'regen');
  const kept = corrected(run, c);
  run.finishStage(
    {
      diagnosed: parents.length,
      regenerated: regens.length,
      verified_correct: regens.filter(isRight).length,
      ...(rg.ormRecheck ? { recheck_passed: regens.filter((s) => isRight(s) && (s.orm as OrmVerdictRecord | null)?.status === 'CORRECT').length } : {}),
      corrected: new Set(kept.map((k) => k.solution.parentSolutionId)).size,
      corrected_paths: kept.length,
    },
    { regenerator: label(run.store, regenId), withReflection: rg.withReflection, ormRecheck: rg.ormRecheck },
  );
}

/** Regenerations that join the training set: verified correct, ORM-rechecked when asked, deduplicated, keepPerPath per original. */
export function corrected(run: CycleRunner, c: CycleRecord): { solution: Solution; reflection: string | null }[] {
  const rg = run.cfg.regenerate;
  const byParent = new Map<number, { seen: Set<string>; n: number }>();
  const out: { solution: Solution; reflection: string | null }[] = [];
  for (const s of run.store.solutions.forCycle(c.id, 'regen')) {
    if (!isRight(s)) continue;
    if (rg.ormRecheck && (s.orm as OrmVerdictRecord | null)?.status !== 'CORRECT') continue;
    const g = byParent.get(s.parentSolutionId!) ?? { seen: new Set<string>(), n: 0 };
    byParent.set(s.parentSolutionId!, g);
    const key = norm(s.steps.map((x) => x.text));
    if (g.seen.has(key) || g.n >= rg.keepPerPath) continue;
    g.seen.add(key);
    g.n++;
    const r = s.settings.reflection;
    out.push({ solution: s, reflection: typeof r === 'string' ? r : null });
  }
  return out;
}
