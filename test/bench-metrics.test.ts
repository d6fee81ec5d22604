// The step-level benchmark formulas on hand-made rows and scores, against values worked out by hand in
// the comments: ProcessBench's first-error accuracies and F1 (all-correct rows, an error at step 0, ties
// at the threshold, empty groups, the mean over splits), VisualProcessBench's step macro F1, the sweep's
// tie rule, the bootstrap, PRMBench's mr_eval scores, and the one "accepted when above" rule that the
// demo's step metrics (score, bon) share.
import { describe, expect, it } from 'vitest';
import { accepts, firstRejected, sweepBest, SWEEP_THRESHOLDS } from '../src-shared/stepRule';
import { benchScore, bootstrap, firstErrorScore, headline, percentile, stepMacroF1, sweep, type BenchRow } from '../src-main/core/reward/benchMetrics';
import { chooseThreshold, processBenchF1, stepF1 } from '../src-main/core/reward/metrics';
import { prmbenchF1, prmbenchScore } from '../src-main/core/reward/prmbenchMetrics';

const row = (id: string, split: string, label: number, scores: number[], gold?: (0 | 1 | null)[]): BenchRow => ({
  id,
  split,
  label,
  scores,
  gold: gold ?? scores.map((_, i) => (label === -1 || i < label ? 1 : i === label ? 0 : null)),
});

describe('the one threshold rule', () => {
  it('accepts a step only when its score is above the threshold', () => {
    expect(accepts(0.51, 0.5)).toBe(true);
    expect(accepts(0.5, 0.5)).toBe(false);
    expect(accepts(0.49, 0.5)).toBe(false);
    expect(firstRejected([0.9, 0.5, 0.1], 0.5)).toBe(1); // the tie is the first step not accepted
    expect(firstRejected([0.9, 0.7], 0.5)).toBe(-1);
    expect(firstRejected([], 0.5)).toBe(-1);
  });

  it('sweeps 0.00 to 1.00 in steps of 0.01 and breaks ties towards the lowest threshold', () => {
    expect(SWEEP_THRESHOLDS).toHaveLength(101);
    expect(SWEEP_THRESHOLDS[0]).toBe(0);
    expect(SWEEP_THRESHOLDS[7]).toBe(0.07);
    expect(SWEEP_THRESHOLDS[100]).toBe(1);
    expect(sweepBest(() => 1)).toEqual({ threshold: 0, value: 1 });
    // a plateau from 0.30 to 0.60: the lowest of it, whatever order the grid is given in
    expect(sweepBest((t) => (t >= 0.3 && t <= 0.6 ? 2 : 1), [...SWEEP_THRESHOLDS].reverse()).threshold).toBe(0.3);
    expect(sweepBest((t) => (t === 0.2 ? NaN : t < 0.5 ? 1 : 0)).threshold).toBe(0);
  });

  it("is the rule of the demo's step metrics (score, bon): a score equal to the threshold is not accepted", () => {
    // correct solution whose first step sits on the threshold: an error predicted at step 0, a miss
    const pb = processBenchF1([{ gold: [1, 1], scores: [0.5, 0.9], finalCorrect: true }, { gold: [1, 0], scores: [0.9, 0.5], finalCorrect: false }], 0.5);
    expect(pb).toMatchObject({ correct: 1, correctAccuracy: 0, flawed: 1, errorAccuracy: 1, f1: 0 });
    // gold-good step on the threshold: predicted bad (FN); gold-bad step on it: bad (TN)
    const s = stepF1([[1, 0.5], [0, 0.5], [1, 0.7]], 0.5);
    expect(s).toMatchObject({ steps: 3, accuracy: 2 / 3 });
    expect(s.f1Good).toBeCloseTo(2 / 3, 12); // tp 1, fn 1, fp 0: 2/(2+1)
    expect(s.f1Bad).toBeCloseTo(2 / 3, 12); // tn 1, fn(bad) 0, fp(bad) 1: 2/(2+1)
    // the threshold bon chooses comes from the same sweep: ties to the lowest
    expect(chooseThreshold(() => 0.5)).toBe(0);
    expect(chooseThreshold((t) => -Math.abs(t - 0.35))).toBe(0.35);
  });
});

describe('ProcessBench (run_eval_prm_rlhflow.py)', () => {
  const a = [
    row('a-0', 'a', 2, [0.9, 0.8, 0.3, 0.9]), // predicted 2: hit
    row('a-1', 'a', 0, [0.2, 0.9]), // an error at step 0, predicted 0: hit
    row('a-2', 'a', 1, [0.9, 0.5, 0.1]), // the tie at 0.5 is not accepted: predicted 1, hit
    row('a-3', 'a', -1, [0.9, 0.7]), // all correct, predicted -1: hit
    row('a-4', 'a', -1, [0.9, 0.5]), // all correct, the tie rejects step 1: miss
    row('a-5', 'a', 1, [0.6, 0.7, 0.2]), // predicted 2, label 1: miss
  ];

  it('error accuracy, correct accuracy and their harmonic mean on one split', () => {
    const r = benchScore('processbench', a, 0.5);
    // error rows a-0, a-1, a-2, a-5: 3 of 4; correct rows a-3, a-4: 1 of 2; F1 = 2·0.75·0.5/1.25 = 0.6
    expect(r.bySplit.a).toMatchObject({ rows: 6, errorRows: 4, errorHits: 3, correctRows: 2, correctHits: 1, errorAcc: 0.75, correctAcc: 0.5 });
    expect(r.bySplit.a.f1).toBeCloseTo(0.6, 12);
    expect(r.f1).toBeCloseTo(0.6, 12);
    expect(r.headline).toEqual({ name: 'f1', value: r.f1 });
  });

  it('an empty group has no accuracy and its split no F1 (upstream: nan); the mean is over the splits that have one', () => {
    const onlyCorrect = [row('b-0', 'b', -1, [0.4])]; // predicted 0: miss; no error rows at all
    const perfect = [row('c-0', 'c', 1, [0.9, 0.1]), row('c-1', 'c', -1, [0.9])]; // both hit: F1 1
    const r = benchScore('processbench', [...a, ...onlyCorrect, ...perfect], 0.5);
    expect(r.bySplit.b).toMatchObject({ errorRows: 0, errorAcc: null, correctAcc: 0, f1: null });
    expect(r.splitsWithoutF1).toEqual(['b']);
    expect(r.f1).toBeCloseTo((0.6 + 1) / 2, 12);
    expect(r.errorAcc).toBeCloseTo((0.75 + 1) / 2, 12); // b has none
    expect(r.correctAcc).toBeCloseTo((0.5 + 0 + 1) / 3, 12);
    expect(firstErrorScore([])).toMatchObject({ rows: 0, errorAcc: null, correctAcc: null, f1: null });
  });

  it('F1 is 0 when both accuracies are 0', () => {
    const r = firstErrorScore([
      { label: 2, prediction: -1 },
      { label: -1, prediction: 0 },
    ]);
    expect(r).toMatchObject({ errorAcc: 0, correctAcc: 0, f1: 0 });
  });

  it('the sweep picks the best threshold, the lowest of a tie, and reports every point', () => {
    // t < 0.10: both accepted everywhere -> error acc 0, F1 0; 0.10 <= t < 0.30: both hit -> F1 1;
    // t >= 0.30: the correct row is rejected -> F1 0. Best: 0.10 (0.10 itself rejects the 0.1 step).
    const rows = [row('x', 's', -1, [0.3]), row('y', 's', 0, [0.1])];
    const s = sweep('processbench', rows);
    expect(s.best).toBe(0.1);
    expect(s.points).toHaveLength(101);
    expect(s.points[9]).toEqual({ threshold: 0.09, value: 0, f1: 0, errorAcc: 0, correctAcc: 1 });
    expect(s.points[10]).toEqual({ threshold: 0.1, value: 1, f1: 1, errorAcc: 1, correctAcc: 1 });
    expect(s.points[29].f1).toBe(1);
    expect(s.points[30]).toEqual({ threshold: 0.3, value: 0, f1: 0, errorAcc: 1, correctAcc: 0 });
  });
});

describe('VisualProcessBench', () => {
  it('macro F1 over the labelled steps, neutral steps left out', () => {
    const rows = [row('v0', 'test', 1, [0.9, 0.2, 0.1], [1, 0, null]), row('v1', 'test', 2, [0.6, 0.4, 0.7], [1, 1, 0])];
    // steps (gold, score): (1,.9) TP, (0,.2) TN, (1,.6) TP, (1,.4) FN, (0,.7) FP; the neutral (.1) out
    // correct F1 = 2·2/(2·2+1+1) = 2/3; incorrect F1 = 2·1/(2·1+1+1) = 1/2; macro = 7/12
    const m = stepMacroF1(rows, 0.5);
    expect(m).toMatchObject({ steps: 5, goodSteps: 3, badSteps: 2 });
    expect(m.macroF1).toBeCloseTo(7 / 12, 12);
    const r = benchScore('visualprocessbench', rows, 0.5);
    expect(r.headline.name).toBe('macro_f1');
    expect(r.headline.value).toBeCloseTo(7 / 12, 12);
    expect(r.bySplit.test.macroF1!.macroF1).toBeCloseTo(7 / 12, 12);
    // first-error F1 beside it: v0 label 1, predicted 1 (0.2): hit; v1 label 2, predicted 1: miss; no correct rows
    expect(r.bySplit.test).toMatchObject({ errorAcc: 0.5, correctAcc: null, f1: null });
    expect(headline('visualprocessbench', rows, 0.5)).toBeCloseTo(7 / 12, 12);
  });
});

describe('bootstrap', () => {
  const rows = [...Array(20)].map((_, i) => row(`r${i}`, i % 2 ? 'odd' : 'even', i % 3 === 0 ? -1 : 1, [0.9, i % 4 === 0 ? 0.2 : 0.8, 0.6]));

  it('is reproducible from its seed and brackets a constant statistic exactly', () => {
    const stat = (s: BenchRow[]): number | null => headline('processbench', s, 0.5);
    const one = bootstrap(rows, stat, { resamples: 200, seed: 3 });
    expect(bootstrap(rows, stat, { resamples: 200, seed: 3 })).toEqual(one);
    expect(one.low!).toBeLessThanOrEqual(one.high!);
    expect(one).toMatchObject({ resamples: 200, seed: 3 });
    expect(bootstrap(rows, () => 0.25, { resamples: 50 })).toMatchObject({ low: 0.25, high: 0.25, defined: 50 });
    expect(bootstrap(rows, () => null, { resamples: 10 })).toMatchObject({ low: null, high: null, defined: 0 });
  });

  it('resamples within each split, keeping its size', () => {
    const sizes: string[] = [];
    bootstrap(rows, (s) => (sizes.push(`${s.filter((r) => r.split === 'odd').length}/${s.filter((r) => r.split === 'even').length}`), 0), { resamples: 5 });
    expect(sizes).toEqual(['10/10', '10/10', '10/10', '10/10', '10/10']);
  });

  it("interpolates percentiles as numpy's default does", () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentile([0, 10], 0.025)).toBeCloseTo(0.25, 12);
  });
});

describe('PRMBench (mr_eval task.py)', () => {
  const pb = (id: string, classification: string, errorSteps: number[], scores: number[], twin?: string): BenchRow => ({
    id,
    split: 'prmbench',
    label: errorSteps.length ? Math.min(...errorSteps) : -1,
    gold: scores.map((_, i) => (errorSteps.includes(i) ? 0 : 1)),
    scores,
    classification,
    errorSteps,
    ...(twin ? { twin } : {}),
  });
  const rows = [
    pb('correct_p0', 'correct', [], [0.9, 0.8, 0.4]), // valid T,T,F: TP 2, FN 1; share valid 2/3
    pb('circular_p0', 'circular', [1, 2], [0.9, 0.3, 0.7, 0.6], 'correct_p0'), // T,F,T,T: TP, TN (first error caught), FP, TP; 3/4
    pb('multi_solutions_p0', 'multi_solutions', [], [0.2, 0.9], 'correct_p0'), // F,T: FN, TP; 1/2
    pb('counterfactual_p1', 'counterfactual', [0], [0.5, 0.9], 'correct_p1'), // the tie is invalid: TN (first error caught), TP; no twin
  ];

  it('totals over the modified rows (the correct twins count only in their own class)', () => {
    const r = prmbenchScore(rows, 0.5);
    // TP 2+1+1 = 4, FP 1, TN 1+1 = 2, FN 1: precision 4/5, recall 4/5, F1 0.8; negative 2/3, 2/3, 2/3
    expect(r.total.confusion).toEqual({ TP: 4, FP: 1, TN: 2, FN: 1 });
    expect(r.total.f1).toBeCloseTo(0.8, 12);
    expect(r.total.negative_f1).toBeCloseTo(2 / 3, 12);
    expect(r.prmScore).toBeCloseTo(0.4 + 1 / 3, 12);
    // step lists: correct [1,1]+[0,1]+[1] = 4/5; wrong [1,0]+[1] = 2/3; total 6/8; first error [1]+[1] = 1
    expect(r.total.correct_step_acc).toBeCloseTo(4 / 5, 12);
    expect(r.total.wrong_step_acc).toBeCloseTo(2 / 3, 12);
    expect(r.total.total_step_acc).toBeCloseTo(6 / 8, 12);
    expect(r.total.first_error_acc).toBe(1);
    // similarity |3/4 - 2/3| = 1/12 and |1/2 - 2/3| = 1/6 (counterfactual_p1 has no twin): mean 1/8
    expect(r.total.similarity).toBeCloseTo(1 / 8, 12);
    expect(r.validityRate).toBe(1);
  });

  it('per class, with mr_eval\'s -1 for an empty list or a zero denominator', () => {
    const r = prmbenchScore(rows, 0.5);
    // correct: TP 2, FN 1 -> precision 1, recall 2/3, F1 0.8; TN 0, FN 1 -> negative precision 0, negative recall 0/0 = -1, F1 2·0·(-1)/(0-1) = 0
    expect(r.byClass.correct).toMatchObject({ rows: 1, precision: 1, negative_precision: 0, negative_recall: -1, wrong_step_acc: -1, first_error_acc: -1, similarity: -1 });
    expect(r.byClass.correct.f1).toBeCloseTo(0.8, 12);
    expect(r.byClass.correct.negative_f1 === 0).toBe(true);
    expect(r.byClass.correct.prmScore).toBeCloseTo(0.4, 12);
    // circular: TP 2, FP 1, TN 1 -> F1 2·(2/3)·1/(5/3) = 0.8; negative precision 1, recall 1/2 -> 2/3; PRMScore 11/15
    expect(r.byClass.circular.prmScore).toBeCloseTo(11 / 15, 12);
    // multi_solutions: PRMScore is its F1 alone: precision 1, recall 1/2 -> 2/3
    expect(r.byClass.multi_solutions.prmScore).toBeCloseTo(2 / 3, 12);
    expect(r.byClass.counterfactual.prmScore).toBe(1);
    // groups: the classes present (redundency, deception, ... absent)
    expect(r.groups.simplicity).toBeCloseTo(11 / 15, 12);
    expect(r.groups.soundness).toBe(1);
    expect(r.groups.sensitivity).toBeCloseTo(2 / 3, 12);
  });

  it("applies the F1 formula to the -1 sentinels as upstream does, and skips a twin whose valid share is 0 (Python's falsy 0)", () => {
    // every step an error, every one rejected: TP 0, FP 0 -> precision -1, recall 0/0 -> -1, F1 2·1/(-2) = -1
    expect(prmbenchF1({ TP: 0, FP: 0, TN: 1, FN: 0 })).toEqual({ precision: -1, recall: -1, f1: -1, negative_precision: 1, negative_recall: 1, negative_f1: 1 });
    const r = prmbenchScore([pb('deception_p2', 'deception', [0], [0.1])], 0.5);
    expect(r.prmScore).toBe(0); // 0.5·(-1) + 0.5·1
    const twins = prmbenchScore([pb('correct_q', 'correct', [], [0.1, 0.2]), pb('confidence_q', 'confidence', [1], [0.9, 0.1], 'correct_q')], 0.5);
    expect(twins.total.similarity).toBe(-1); // the twin's share is 0: not compared
  });
});
