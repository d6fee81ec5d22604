// Step-score aggregations and Best-of-N selection rules against hand-computed values.
import { describe, expect, it } from 'vitest';
import { aggregate, answerKey, bestOfN, majorityVote, passAtN, randomPick, weightedVote, type Candidate } from '../src-main/core/reward/aggregate';
import { bonTable, chooseMethod, chooseThreshold, pairedDifference, pairwiseAccuracy, processBenchF1, stepF1, stepPairs } from '../src-main/core/reward/metrics';

const c = (correct: boolean, answer: string | null, scores: number[]): Candidate => ({ correct, answer, scores });

describe('aggregate', () => {
  const s = [0.9, 0.5, 0.8];
  it('computes each aggregation by hand', () => {
    expect(aggregate(s, 'min')).toBe(0.5);
    expect(aggregate(s, 'last')).toBe(0.8);
    expect(aggregate(s, 'product')).toBeCloseTo(0.36, 12);
    expect(aggregate(s, 'mean')).toBeCloseTo(2.2 / 3, 12);
    expect(aggregate(s, 'max')).toBe(0.9);
    // log(9) + log(1) + log(4)
    expect(aggregate(s, 'sum_log_odds')).toBeCloseTo(Math.log(9) + Math.log(4), 12);
    // (9 + 1 + 4) / 3
    expect(aggregate(s, 'mean_odds')).toBeCloseTo(14 / 3, 12);
  });

  it('stays finite for saturated scores and never prefers a solution without scores', () => {
    expect(Number.isFinite(aggregate([1, 0], 'sum_log_odds'))).toBe(true);
    expect(aggregate([1], 'mean_odds')).toBeCloseTo((1 - 1e-6) / 1e-6, 0);
    expect(aggregate([], 'min')).toBe(-Infinity);
  });
});

describe('selection rules', () => {
  const cands = [c(false, '7', [0.9, 0.2]), c(true, '8', [0.6, 0.7]), c(true, '8', [0.5, 0.5]), c(false, '9', [0.95, 0.99])];

  it('random pick is the fraction correct; pass@N is any correct', () => {
    expect(randomPick(cands)).toBe(0.5);
    expect(passAtN(cands)).toBe(1);
    expect(passAtN([cands[0]])).toBe(0);
  });

  it('best-of-N picks by the aggregation', () => {
    expect(bestOfN(cands, 'min')).toBe(0); // 0.95 (wrong "9") beats 0.6
    expect(bestOfN(cands.slice(0, 3), 'min')).toBe(1); // 0.6 ("8")
    expect(bestOfN(cands.slice(0, 3), 'max')).toBe(0); // 0.9 ("7")
    expect(bestOfN(cands.slice(0, 3), 'last')).toBe(1);
  });

  it('resolves ties in expectation', () => {
    expect(bestOfN([c(true, '1', [0.5]), c(false, '2', [0.5])], 'min')).toBe(0.5);
    expect(majorityVote([c(true, '1', []), c(false, '2', [])])).toBe(0.5);
  });

  it('majority vote counts answers; weighted vote sums aggregated scores', () => {
    expect(majorityVote(cands)).toBe(1); // "8" twice
    const two = [c(false, '7', [0.9]), c(false, '7', [0.9]), c(true, '8', [0.5]), c(true, '8', [0.5]), c(true, '8', [0.5])];
    expect(majorityVote(two)).toBe(1);
    expect(weightedVote(two, 'product')).toBe(0); // 1.8 for "7" vs 1.5 for "8"
    expect(majorityVote([c(false, null, [])])).toBe(0);
  });

  it('normalises answers for voting', () => {
    expect(answerKey(' 1 2 ')).toBe('12');
    expect(answerKey('')).toBeNull();
    expect(answerKey(null)).toBeNull();
  });
});

describe('bonTable', () => {
  it('averages over disjoint groups of N and leaves out N larger than the candidates', () => {
    const problems = [
      { problemId: 1, greedyCorrect: true, candidates: [c(true, '1', [0.9]), c(false, '2', [0.1]), c(false, '2', [0.2]), c(false, '2', [0.3])] },
      { problemId: 2, greedyCorrect: false, candidates: [c(false, '5', [0.9]), c(false, '5', [0.8]), c(true, '6', [0.1]), c(false, '5', [0.2])] },
    ];
    const t = bonTable(problems, [1, 2, 4, 8]);
    expect([...t.keys()]).toEqual([1, 2, 4]);
    // N=1: each candidate alone: problem 1 1/4, problem 2 1/4
    expect(t.get(1)!.random).toBeCloseTo(0.25, 12);
    expect(t.get(1)!.prm_min).toBeCloseTo(0.25, 12);
    // N=2, problem 1: groups {T,F} -> min picks T (1), {F,F} -> 0: 0.5; problem 2: {F,F} 0, {T(0.1),F(0.2)} -> F: 0
    expect(t.get(2)!.prm_min).toBeCloseTo(0.25, 12);
    expect(t.get(2)!.pass_at_n).toBeCloseTo((0.5 + 0.5) / 2, 12);
    // N=4: min picks p1's correct one, p2's 0.9 (wrong); majority: p1 "2" (wrong), p2 "5" (wrong)
    expect(t.get(4)!.prm_min).toBe(0.5);
    expect(t.get(4)!.majority).toBe(0);
    expect(t.get(4)!.greedy).toBe(0.5);
    expect(chooseMethod(t.get(4)!)).toBe('prm_min');
  });
});

describe('step metrics', () => {
  const items = [
    { gold: [1, 0, 0] as (0 | 1)[], scores: [0.9, 0.3, 0.2], finalCorrect: false }, // first error found at 1
    { gold: [1, 1, 0] as (0 | 1)[], scores: [0.4, 0.8, 0.1], finalCorrect: false }, // predicted at 0, gold 2: miss
    { gold: [1, 1] as (0 | 1)[], scores: [0.9, 0.7], finalCorrect: true }, // correct, no error predicted: hit
    { gold: [1, 1] as (0 | 1)[], scores: [0.9, 0.2], finalCorrect: true }, // correct, error predicted: miss
    { gold: [1] as (0 | 1)[], scores: [0.9], finalCorrect: false }, // unfinished: neither
  ];

  it('ProcessBench F1 is the harmonic mean of error and correct accuracy', () => {
    const r = processBenchF1(items, 0.5);
    expect(r).toMatchObject({ flawed: 2, correct: 2, errorAccuracy: 0.5, correctAccuracy: 0.5 });
    expect(r.f1).toBeCloseTo(0.5, 12);
    expect(processBenchF1(items, 0).f1).toBe(0); // never flags an error: F1 0
  });

  it('macro F1 over steps', () => {
    const pairs = stepPairs(items);
    expect(pairs).toHaveLength(11);
    const r = stepF1(pairs, 0.5);
    // gold: [1,0,0],[1,1,0],[1,1],[1,1],[1] -> good 8, bad 3; good scores 0.9,0.4,0.8,0.9,0.7,0.9,0.2,0.9 -> tp 6, fn 2; bad 0.3,0.2,0.1 -> tn 3, fp 0
    expect(r).toMatchObject({ steps: 11, goodSteps: 8, badSteps: 3, accuracy: 9 / 11 });
    expect(r.f1Good).toBeCloseTo(12 / 14, 12);
    expect(r.f1Bad).toBeCloseTo(6 / 8, 12);
    expect(r.macroF1).toBeCloseTo((12 / 14 + 6 / 8) / 2, 12);
  });

  it('chooses the best threshold on the grid', () => {
    expect(chooseThreshold((t) => -Math.abs(t - 0.35))).toBe(0.35);
  });
});

describe('pairwiseAccuracy', () => {
  const c = (correct: boolean, scores: number[]): Candidate => ({ correct, answer: correct ? '1' : '2', scores });
  it('counts correct-above-incorrect pairs within each problem, ties half, and skips one-sided problems', () => {
    const problems = [
      // min scores: right 0.9, 0.5; wrong 0.6, 0.5 -> pairs (0.9>0.6) 1, (0.9>0.5) 1, (0.5<0.6) 0, (0.5=0.5) 0.5 = 2.5 of 4
      { problemId: 1, greedyCorrect: null, candidates: [c(true, [0.95, 0.9]), c(true, [0.5]), c(false, [0.7, 0.6]), c(false, [0.5, 0.8])] },
      // one right above one wrong: 1 of 1
      { problemId: 2, greedyCorrect: null, candidates: [c(true, [0.4]), c(false, [0.3])] },
      // no wrong candidate: not counted
      { problemId: 3, greedyCorrect: null, candidates: [c(true, [0.1]), c(true, [0.2])] },
    ];
    const r = pairwiseAccuracy(problems, 'min');
    expect(r.pairs).toBe(5);
    expect(r.problems).toBe(2);
    expect(r.accuracy).toBeCloseTo(3.5 / 5, 12);
    expect(r.interval[0]).toBeLessThanOrEqual(r.accuracy);
    expect(r.interval[1]).toBeGreaterThanOrEqual(r.accuracy);
    // by the last step instead: right 0.9, 0.5; wrong 0.6, 0.8 -> 1 + 1 + 0 + 0 = 2; problem 2: 1
    expect(pairwiseAccuracy(problems, 'last').accuracy).toBeCloseTo(3 / 5, 12);
  });
  it('is NaN with an empty interval when no problem has both kinds', () => {
    const r = pairwiseAccuracy([{ problemId: 1, greedyCorrect: null, candidates: [c(true, [0.5])] }]);
    expect(r.pairs).toBe(0);
    expect(Number.isNaN(r.accuracy)).toBe(true);
  });
});

describe('pairedDifference', () => {
  const c = (correct: boolean, answer: string, scores: number[]): Candidate => ({ correct, answer, scores });
  it('is the mean per-problem difference of two methods at N, with a bootstrap interval around it', () => {
    const problems = [
      // N = 2, two groups. prm_min picks the right one in both groups (1); majority ties 1-1 in each (0.5)
      { problemId: 1, greedyCorrect: false, candidates: [c(true, '1', [0.9]), c(false, '2', [0.1]), c(false, '3', [0.2]), c(true, '1', [0.8])] },
      // prm_min picks the wrong one (0); majority: both agree on the wrong answer (0)
      { problemId: 2, greedyCorrect: true, candidates: [c(false, '5', [0.9]), c(false, '5', [0.1]), c(false, '5', [0.7]), c(false, '5', [0.3])] },
    ];
    const d = pairedDifference(problems, 2, 'prm_min', 'majority');
    expect(d.diff).toBeCloseTo((1 - 0.5 + 0) / 2, 12);
    expect(d.interval[0]).toBeLessThanOrEqual(d.diff);
    expect(d.interval[1]).toBeGreaterThanOrEqual(d.diff);
    expect(d.interval[0]).toBeGreaterThanOrEqual(0);
    expect(d.interval[1]).toBeLessThanOrEqual(0.5);
    // against greedy: (1 - 0) and (0 - 1)
    expect(pairedDifference(problems, 2, 'prm_min', 'greedy').diff).toBeCloseTo(0, 12);
  });
});
