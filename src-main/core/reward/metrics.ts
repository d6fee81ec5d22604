// Best-of-N accuracy tables and step-level metrics of a PRM.
//
// Best-of-N: with C candidates per problem (i.i.d. samples in seed order), accuracy at N is averaged over
// the floor(C/N) disjoint consecutive groups of N, so N < C uses every sample once instead of one subset.
// Step level: ProcessBench's F1 (harmonic mean of the exact first-error accuracy on flawed solutions and
// the "no error" accuracy on correct ones) and VisualProcessBench's macro F1 over steps (mean of the F1
// of the "good" and the "bad" class). A step is predicted good when the PRM accepts it: its score is above
// the threshold (src-shared/stepRule.ts, the one rule of the tool); thresholds are chosen by its sweep.
import { accepts, firstRejected, sweepBest, SWEEP_THRESHOLDS } from '../../../src-shared/stepRule';
import { createRng } from '../rng';
import { aggregate, AGGREGATORS, bestOfN, majorityVote, passAtN, randomPick, weightedVote, type Aggregator, type Candidate } from './aggregate';

import { BON_METHODS, type BonMethod } from '../../../src-shared/aggregate';
export { BON_METHODS, type BonMethod };
/** The PRM-based selection rules, among which one is chosen on a validation split. */
export const PRM_METHODS = BON_METHODS.filter((m) => m.startsWith('prm_')) as BonMethod[];

export interface ProblemCandidates {
  problemId: number;
  /** the greedy solution's verdict; null when no greedy solution was made */
  greedyCorrect: boolean | null;
  candidates: Candidate[];
}

export type BonRow = Record<BonMethod, number>;

export const DEFAULT_NS = [1, 2, 4, 8, 16];

function methodScore(m: BonMethod, cands: readonly Candidate[], voteWeight: Aggregator): number {
  if (m === 'random') return randomPick(cands);
  if (m === 'majority') return majorityVote(cands);
  if (m === 'pass_at_n') return passAtN(cands);
  if (m === 'prm_weighted_vote') return weightedVote(cands, voteWeight);
  return bestOfN(cands, m.slice(4) as Aggregator);
}

/** A method's expected accuracy on one problem at N: averaged over the disjoint groups of N of its candidates (greedy: its one solution). */
function methodAtN(m: BonMethod, p: ProblemCandidates, n: number, voteWeight: Aggregator): number {
  if (m === 'greedy') return p.greedyCorrect ? 1 : 0;
  const groups = Math.floor(p.candidates.length / n);
  let sum = 0;
  for (let g = 0; g < groups; g++) sum += methodScore(m, p.candidates.slice(g * n, (g + 1) * n), voteWeight);
  return groups ? sum / groups : 0;
}

/**
 * The 95% percentile interval of a statistic over 1,000 bootstrap resamples of per-problem items (seed 0,
 * so a stored evaluation reads the same every time); [NaN, NaN] when there is no item.
 */
function bootstrap95<T>(items: readonly T[], stat: (sample: readonly T[]) => number): [number, number] {
  if (!items.length) return [NaN, NaN];
  const rng = createRng(0);
  const boots: number[] = [];
  for (let r = 0; r < 1000; r++) boots.push(stat(items.map(() => items[rng.int(0, items.length - 1)])));
  boots.sort((x, y) => x - y);
  return [boots[24], boots[974]];
}

/** Accuracy (fraction of problems) of every method at each N that every problem has enough candidates for. */
export function bonTable(problems: readonly ProblemCandidates[], ns: readonly number[] = DEFAULT_NS, opts: { voteWeight?: Aggregator } = {}): Map<number, BonRow> {
  const voteWeight = opts.voteWeight ?? 'product';
  const out = new Map<number, BonRow>();
  if (problems.length === 0) return out;
  const have = Math.min(...problems.map((p) => p.candidates.length));
  for (const n of ns) {
    if (n < 1 || n > have) continue;
    const row = Object.fromEntries(BON_METHODS.map((m) => [m, 0])) as BonRow;
    for (const p of problems) for (const m of BON_METHODS) row[m] += methodAtN(m, p, n, voteWeight);
    for (const m of BON_METHODS) row[m] /= problems.length;
    out.set(n, row);
  }
  return out;
}

export interface PairedDifference {
  /** the two methods compared: accuracy of `a` minus accuracy of `b` */
  a: BonMethod;
  b: BonMethod;
  n: number;
  diff: number;
  /** 95% percentile interval of a paired bootstrap over problems (1,000 resamples, seed 0) */
  interval: [number, number];
}

/**
 * Accuracy of method a minus method b at N, with a paired bootstrap over problems: each resample draws
 * problems with replacement and takes both methods' accuracy on the same draw, so the interval is that of
 * the difference, not of two separate accuracies.
 */
export function pairedDifference(problems: readonly ProblemCandidates[], n: number, a: BonMethod, b: BonMethod, opts: { voteWeight?: Aggregator } = {}): PairedDifference {
  const voteWeight = opts.voteWeight ?? 'product';
  const d = problems.map((p) => methodAtN(a, p, n, voteWeight) - methodAtN(b, p, n, voteWeight));
  return { a, b, n, ...meanDifference(d) };
}

/** The mean of a list; NaN for none. */
const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((x, y) => x + y, 0) / xs.length : NaN);

/**
 * Method a on one set of candidates minus method b on another, problem by problem, at N: two PRMs on the
 * same candidates, or two policies' candidates of the same problems. `pa` and `pb` hold the same problems
 * in the same order; the interval is the paired bootstrap over them (1,000 resamples, seed 0).
 */
export function pairedDifferenceAcross(
  pa: readonly ProblemCandidates[],
  a: BonMethod,
  pb: readonly ProblemCandidates[],
  b: BonMethod,
  n: number,
  opts: { voteWeightA?: Aggregator; voteWeightB?: Aggregator } = {},
): { n: number; a: number; b: number; diff: number; interval: [number, number] } {
  if (pa.length !== pb.length || pa.some((p, i) => p.problemId !== pb[i].problemId)) throw new Error('pairedDifferenceAcross: the two sets must hold the same problems in the same order');
  const va = pa.map((p) => methodAtN(a, p, n, opts.voteWeightA ?? 'product'));
  const vb = pb.map((p) => methodAtN(b, p, n, opts.voteWeightB ?? 'product'));
  return { n, a: mean(va), b: mean(vb), ...meanDifference(va.map((x, i) => x - vb[i])) };
}

/**
 * The mean of per-item paired differences (e.g. one problem's greedy correctness under two models, 1/0 each)
 * with the seeded 95% bootstrap interval over items: the paired bootstrap the demo's goals are stated in.
 */
export function meanDifference(d: readonly number[]): { diff: number; interval: [number, number] } {
  return { diff: mean(d), interval: bootstrap95(d, mean) };
}

/** The PRM method with the highest accuracy in a row (first in PRM_METHODS order on a tie). */
export function chooseMethod(row: BonRow): BonMethod {
  return PRM_METHODS.reduce((best, m) => (row[m] > row[best] ? m : best), PRM_METHODS[0]);
}

export interface ScoredSolution {
  /** gold step labels, 1 right and 0 wrong */
  gold: readonly (0 | 1)[];
  /** PRM scores, aligned with gold (may be shorter when the context cut steps off) */
  scores: readonly number[];
  /** the final answer is right */
  finalCorrect: boolean;
}

export interface ProcessBenchResult {
  f1: number;
  /** exact first-error accuracy on flawed solutions */
  errorAccuracy: number;
  /** accuracy of "no error" on correct solutions */
  correctAccuracy: number;
  flawed: number;
  correct: number;
}

/**
 * ProcessBench's F1. Flawed: some gold step is wrong (the target is the first wrong step). Correct: every
 * step right and the final answer right (the target is "no error"). Other solutions (all steps right but
 * unfinished) count as neither.
 */
export function processBenchF1(items: readonly ScoredSolution[], threshold: number): ProcessBenchResult {
  let flawed = 0;
  let flawedHit = 0;
  let correct = 0;
  let correctHit = 0;
  for (const it of items) {
    const goldFirst = it.gold.indexOf(0);
    const pred = firstRejected(it.scores, threshold);
    if (goldFirst >= 0) {
      flawed++;
      if (pred === goldFirst) flawedHit++;
    } else if (it.finalCorrect) {
      correct++;
      if (pred < 0) correctHit++;
    }
  }
  const errorAccuracy = flawed ? flawedHit / flawed : 0;
  const correctAccuracy = correct ? correctHit / correct : 0;
  const f1 = errorAccuracy + correctAccuracy > 0 ? (2 * errorAccuracy * correctAccuracy) / (errorAccuracy + correctAccuracy) : 0;
  return { f1, errorAccuracy, correctAccuracy, flawed, correct };
}

export interface StepF1Result {
  macroF1: number;
  f1Good: number;
  f1Bad: number;
  accuracy: number;
  steps: number;
  goodSteps: number;
  badSteps: number;
}

/** Per-step binary F1 of both classes and their mean (VisualProcessBench's macro F1). */
export function stepF1(pairs: readonly (readonly [gold: 0 | 1, score: number])[], threshold: number): StepF1Result {
  let tp = 0; // good predicted good
  let fp = 0; // bad predicted good
  let fn = 0; // good predicted bad
  let tn = 0; // bad predicted bad
  for (const [gold, score] of pairs) {
    const good = accepts(score, threshold);
    if (gold === 1) good ? tp++ : fn++;
    else good ? fp++ : tn++;
  }
  const f1 = (a: number, b: number, c: number): number => (2 * a + b + c > 0 ? (2 * a) / (2 * a + b + c) : 0);
  const f1Good = f1(tp, fp, fn);
  const f1Bad = f1(tn, fn, fp);
  const steps = tp + fp + fn + tn;
  return { macroF1: (f1Good + f1Bad) / 2, f1Good, f1Bad, accuracy: steps ? (tp + tn) / steps : 0, steps, goodSteps: tp + fn, badSteps: fp + tn };
}

/** The (gold, score) pairs of scored steps. */
export function stepPairs(items: readonly ScoredSolution[]): [0 | 1, number][] {
  return items.flatMap((it) => it.scores.map((s, i) => [it.gold[i], s] as [0 | 1, number]));
}

export const THRESHOLDS = SWEEP_THRESHOLDS;

/** The threshold (of 0.00, 0.01, ..., 1.00) that maximises a metric; the lowest one on a tie. */
export function chooseThreshold(metric: (t: number) => number, grid: readonly number[] = THRESHOLDS): number {
  return sweepBest(metric, grid).threshold;
}

export interface PairwiseResult {
  /** the aggregation the candidates are compared by */
  aggregator: Aggregator;
  /** share of (correct, incorrect) pairs of one problem's candidates in which the correct one scores higher (ties half) */
  accuracy: number;
  /** pairs compared, over every problem with both kinds of candidate */
  pairs: number;
  /** problems with both a correct and an incorrect candidate */
  problems: number;
  /** 95% percentile interval of a bootstrap over those problems (1,000 resamples, seed 0) */
  interval: [number, number];
}

/**
 * Within-problem pairwise accuracy of a PRM: how often a correct candidate's aggregate score is above an
 * incorrect candidate's of the same problem. Unlike Best-of-N it does not depend on N or on how many
 * candidates are right, and 0.5 is chance whatever the policy. The interval resamples problems.
 */
export function pairwiseAccuracy(problems: readonly ProblemCandidates[], how: Aggregator = 'min'): PairwiseResult {
  const per: [wins: number, pairs: number][] = [];
  for (const p of problems) {
    const right = p.candidates.filter((c) => c.correct).map((c) => aggregate(c.scores, how));
    const wrong = p.candidates.filter((c) => !c.correct).map((c) => aggregate(c.scores, how));
    if (!right.length || !wrong.length) continue;
    let wins = 0;
    for (const r of right) for (const w of wrong) wins += r > w ? 1 : r === w ? 0.5 : 0;
    per.push([wins, right.length * wrong.length]);
  }
  const ratio = (rows: readonly [number, number][]): number => {
    let w = 0;
    let n = 0;
    for (const [a, b] of rows) [w, n] = [w + a, n + b];
    return n ? w / n : NaN;
  };
  return {
    aggregator: how,
    accuracy: ratio(per),
    pairs: per.reduce((a, [, n]) => a + n, 0),
    problems: per.length,
    interval: bootstrap95(per, ratio),
  };
}
