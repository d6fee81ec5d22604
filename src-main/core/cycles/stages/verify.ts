// The cycle's verify and collect: each sample checked against the gold answer; the verified-correct paths kept.
import type { Problem } from '../../../../src-shared/domain';
import type { CycleRecord } from '../../store/cycles';
import type { Solution } from '../../store/solutions';
import { norm, checked, isRight } from './common';
import type { CycleRunner } from '../cycleJob';

export async function verify(run: CycleRunner, c: CycleRecord): Promise<void> {
  const samples = run.store.solutions.forCycle(c.id, 'sample');
  const problems = new Map<number, Problem>();
  const updates = samples.map((s) => {
    const p = problems.get(s.problemId) ?? run.store.problems.get(s.problemId);
    problems.set(p.id, p);
    const r = checked(p, s.steps.map((x) => x.text));
    return { id: s.id, problemId: s.problemId, verdict: r.verdict!, finalAnswer: r.finalAnswer, goldLabels: r.gold, strict: r.gold ? r.goldFirstError === null && r.verdict === 'correct' : null };
  });
  const solved = new Set(updates.filter((u) => u.verdict === 'correct').map((u) => u.problemId));
  const counts = {
    samples: updates.length,
    correct: updates.filter((u) => u.verdict === 'correct').length,
    incorrect: updates.filter((u) => u.verdict === 'incorrect').length,
    unparseable: updates.filter((u) => u.verdict === 'unparseable').length,
    strict_correct: updates.filter((u) => u.strict === true).length,
    problems_solved: solved.size,
    problems: problems.size,
  };
  run.finishStage(counts, {}, () => run.store.solutions.setVerification(updates));
}

/** Verified-correct samples, deduplicated per problem and capped. */
export function collected(run: CycleRunner, c: CycleRecord): Solution[] {
  const byProblem = new Map<number, { seen: Set<string>; kept: Solution[] }>();
  for (const s of run.store.solutions.forCycle(c.id, 'sample')) {
    if (!isRight(s)) continue;
    const g = byProblem.get(s.problemId) ?? { seen: new Set<string>(), kept: [] };
    byProblem.set(s.problemId, g);
    const key = norm(s.steps.map((x) => x.text));
    if (g.seen.has(key) || g.kept.length >= run.cfg.collect.maxPerProblem) continue;
    g.seen.add(key);
    g.kept.push(s);
  }
  return [...byProblem.values()].flatMap((g) => g.kept);
}

export function collect(run: CycleRunner, c: CycleRecord): void {
  const kept = collected(run, c);
  const correct = run.store.solutions.forCycle(c.id, 'sample').filter(isRight).length;
  run.finishStage({ correct_paths: kept.length, duplicates_or_over_cap: correct - kept.length, problems: new Set(kept.map((s) => s.problemId)).size }, { solutionIds: kept.map((s) => s.id) });
}
