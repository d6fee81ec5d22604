// Two stored Best-of-N evaluations side by side, problem by problem: MM-PRM's ablations (soft against
// hard labels, one learning rate against another) are two PRMs scoring the same candidates, and the
// question is whether the difference at N is more than noise. Each side is read as `steplab bon` read it
// (its candidates k < N in k order, its PRM's stored step scores, its vote weighting), each with its own
// chosen rule unless one method is named for both, and the difference at every N up to the largest both
// have comes with the paired bootstrap interval over the problems that the demo's goals are stated in.
// Two policies' evaluations of the same problems compare the same way (their candidates then differ).
import type { EvaluationComparison } from '../../../src-shared/domain';
import { modelLabel } from '../../../src-shared/modelLabel';
import { UserError } from '../errors';
import type { Store } from '../store';
import type { EvaluationRecord } from '../store/evaluations';
import type { Aggregator } from './aggregate';
import { isBenchEvaluation } from './benchEvaluation';
import { evaluationKeys, scoredProblems } from './bonJob';
import { BON_METHODS, DEFAULT_NS, pairedDifferenceAcross, type BonMethod, type ProblemCandidates } from './metrics';

interface Side {
  ev: EvaluationRecord;
  n: number;
  split: string;
  voteWeight: Aggregator;
  chosen: BonMethod | null;
  chosenOn: string | null;
  problems: ProblemCandidates[];
  solutionIds: number[][];
}

function readSide(store: Store, id: number): Side {
  const ev = store.evaluations.get(id);
  const c = ev.config as { n?: unknown; split?: unknown; voteWeight?: unknown };
  if (isBenchEvaluation(ev) || typeof c.n !== 'number' || typeof c.split !== 'string') {
    throw new UserError(`evaluation ${id} is not a Best-of-N evaluation (steplab bon); only two of those can be compared`);
  }
  const keys = evaluationKeys(ev);
  if (!keys || ev.rewardId === null) throw new UserError(`evaluation ${id} does not record its policy, sampling settings and PRM; run steplab bon again to compare it`);
  const problemIds = [...new Set(store.evaluations.items(id).map((it) => it.problemId))].sort((x, y) => x - y);
  const scored = scoredProblems(store, problemIds.map((pid) => ({ id: pid })), keys, c.n, ev.rewardId);
  const short = scored.problems.find((p) => p.candidates.length < (c.n as number));
  if (short) {
    throw new UserError(
      `evaluation ${id}: problem ${short.problemId} has ${short.candidates.length} of its ${c.n} candidates left in the workspace; run the same steplab bon again to make them`,
    );
  }
  const m = ev.metrics as { chosen?: unknown; chosen_on?: unknown };
  const chosen = typeof m.chosen === 'string' && (BON_METHODS as readonly string[]).includes(m.chosen) ? (m.chosen as BonMethod) : null;
  // each problem's candidates in k order (scoredProblems lists them so)
  const byProblem = new Map<number, number[]>();
  for (const it of scored.items) byProblem.set(it.problemId, [...(byProblem.get(it.problemId) ?? []), it.solutionId]);
  return {
    ev,
    n: c.n,
    split: c.split,
    voteWeight: (typeof c.voteWeight === 'string' ? c.voteWeight : 'product') as Aggregator,
    chosen,
    chosenOn: chosen && typeof m.chosen_on === 'string' ? m.chosen_on : null,
    problems: scored.problems,
    solutionIds: problemIds.map((pid) => byProblem.get(pid) ?? []),
  };
}

/** Evaluation a against evaluation b (accuracy of a minus b), at every N of the Best-of-N table up to `n` (default: the largest both have). */
export function compareEvaluations(store: Store, q: { a: number; b: number; n?: number; method?: BonMethod }): EvaluationComparison {
  if (q.a === q.b) throw new UserError(`evaluation ${q.a} compared with itself; name two evaluations`);
  const A = readSide(store, q.a);
  const B = readSide(store, q.b);
  const where = (s: Side) => `${s.ev.datasetId === null ? '?' : (store.datasets.nameOf(s.ev.datasetId) ?? '?')}/${s.split}`;
  if (A.ev.datasetId !== B.ev.datasetId || A.split !== B.split) {
    throw new UserError(`evaluations ${q.a} and ${q.b} report on different problems (${where(A)} and ${where(B)}); a paired comparison needs the same split of the same dataset`);
  }
  const idsA = A.problems.map((p) => p.problemId).join(',');
  if (idsA !== B.problems.map((p) => p.problemId).join(',')) {
    throw new UserError(
      `evaluations ${q.a} and ${q.b} hold different problems of ${where(A)} (${A.problems.length} and ${B.problems.length}); run steplab bon with the same --limit for both`,
    );
  }
  const top = Math.min(A.n, B.n);
  const n = q.n ?? top;
  if (n > top) {
    const who = A.n === B.n ? 'both evaluations have' : `evaluation ${A.n < B.n ? q.a : q.b} has`;
    throw new UserError(`N ${n} is more than the ${top} candidates per problem ${who}; give --n ${top} or less`);
  }
  const method = (s: Side): BonMethod => {
    if (q.method) return q.method;
    if (!s.chosen) throw new UserError(`evaluation ${s.ev.id} records no chosen method; name one with --method (${BON_METHODS.join(', ')})`);
    return s.chosen;
  };
  const ma = method(A);
  const mb = method(B);
  if ((ma === 'greedy' && A.problems.some((p) => p.greedyCorrect === null)) || (mb === 'greedy' && B.problems.some((p) => p.greedyCorrect === null))) {
    throw new UserError('greedy: a problem has no greedy solution in the workspace; run the same steplab bon again to make it');
  }
  const ns = DEFAULT_NS.filter((x) => x < n).concat(n);
  const side = (s: Side, m: BonMethod) => ({
    id: s.ev.id,
    name: s.ev.name,
    policy: s.ev.policyId === null ? '?' : modelLabel(store.models.get(s.ev.policyId)),
    prm: s.ev.rewardId === null ? '?' : modelLabel(store.models.get(s.ev.rewardId)),
    method: m,
    chosenOn: q.method ? null : s.chosenOn,
    voteWeight: s.voteWeight,
  });
  return {
    dataset: store.datasets.nameOf(A.ev.datasetId ?? -1) ?? '?',
    split: A.split,
    problems: A.problems.length,
    sameCandidates: A.solutionIds.every((ids, i) => ids.slice(0, n).join(',') === B.solutionIds[i].slice(0, n).join(',')),
    a: side(A, ma),
    b: side(B, mb),
    rows: ns.map((k) => pairedDifferenceAcross(A.problems, ma, B.problems, mb, k, { voteWeightA: A.voteWeight, voteWeightB: B.voteWeight })),
  };
}
