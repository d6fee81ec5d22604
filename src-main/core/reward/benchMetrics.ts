// Step-level benchmark metrics, computed as the benchmarks' own code computes them (pure functions; the
// README names the upstream file behind each formula).
//
// ProcessBench (QwenLM/ProcessBench @ e802463, code/run_eval_prm_rlhflow.py): the prediction of a row is
// the 0-based index of the first step the PRM does not accept, else -1 (src-shared/stepRule.ts: accepted
// when the score is above the threshold). `error acc` is the share of rows with an error (label != -1)
// whose prediction equals the label, `correct acc` the share of all-correct rows (label = -1) predicted
// -1, F1 their harmonic mean; the paper's headline is the mean of the splits' F1. Upstream prints numpy's
// nan for an empty group; here its accuracy is null, and so is the F1 of its split (a split without F1 is
// left out of the mean and named in the result). When both accuracies are 0 upstream divides 0 by 0
// (nan); here F1 is 0, the limit of the harmonic mean.
//
// VisualProcessBench (VisualPRM paper §4.2, the dataset card's process_correctness): macro F1 over steps,
// the mean of the F1 of the correct steps (label 1) and of the incorrect ones (label -1), counts pooled
// over every step of the rows evaluated; neutral steps (0) take no part. A class's F1 is 2TP/(2TP+FP+FN),
// 0 when that is 0/0.
//
// The threshold sweep: 0.00, 0.01, ..., 1.00, the headline at each, the best with ties to the lowest.
// The bootstrap: rows resampled with replacement within each split, the headline recomputed at the fixed
// threshold, the 2.5th and 97.5th percentiles of the resampled values.
import type { BenchFormat } from '../../../src-shared/benchmarks';
import { firstRejected, sweepBest, SWEEP_THRESHOLDS } from '../../../src-shared/stepRule';
import { createRng, mixSeed } from '../rng';
import { stepF1, type StepF1Result } from './metrics';
import { prmbenchScore, type PrmbenchResult } from './prmbenchMetrics';

export type { BenchFormat };

/** One benchmark row as the metrics read it. */
export interface BenchRow {
  /** the row's id (PRMBench: mr_eval's `{classification}_{idx}`) */
  id: string;
  split: string;
  /** the 0-based index of the first wrong step, or -1 when every step is right */
  label: number;
  /** per step: 1 correct, 0 incorrect, null unlabelled (after ProcessBench's first error) or neutral */
  gold: readonly (0 | 1 | null)[];
  /** the PRM's score of every step */
  scores: readonly number[];
  /** PRMBench: the error class ('correct' for mr_eval's correct twin of a modified row) */
  classification?: string;
  /** PRMBench: 0-based indexes of the erroneous steps (task.py subtracts 1 from error_steps) */
  errorSteps?: readonly number[];
  /** PRMBench: the id of the correct twin a modified row is compared with (mr_eval's similarity) */
  twin?: string;
  /** VisualProcessBench: the row's data_source (MathVista, MathVerse, ...), which the paper reports by */
  source?: string;
}

/** ProcessBench's numbers for one group of rows. */
export interface FirstErrorResult {
  rows: number;
  /** rows with an error (label != -1) and how many were predicted exactly */
  errorRows: number;
  errorHits: number;
  /** all-correct rows (label = -1) and how many were predicted -1 */
  correctRows: number;
  correctHits: number;
  /** fractions; null for an empty group (upstream: nan) */
  errorAcc: number | null;
  correctAcc: number | null;
  /** harmonic mean of the two; null when either is; 0 when both are 0 */
  f1: number | null;
}

/** ProcessBench's prediction: the first step not accepted, else -1. */
export function firstErrorPrediction(scores: readonly number[], threshold: number): number {
  return firstRejected(scores, threshold);
}

/** The label a row's gold steps give: the first step labelled incorrect, else -1. */
export function firstErrorLabel(gold: readonly (0 | 1 | null)[]): number {
  return gold.indexOf(0);
}

export function harmonicF1(a: number | null, b: number | null): number | null {
  if (a === null || b === null) return null;
  return a + b > 0 ? (2 * a * b) / (a + b) : 0;
}

/** Error accuracy, correct accuracy and F1 of rows with their predictions. */
export function firstErrorScore(rows: readonly { label: number; prediction: number }[]): FirstErrorResult {
  let errorRows = 0;
  let errorHits = 0;
  let correctRows = 0;
  let correctHits = 0;
  for (const r of rows) {
    if (r.label !== -1) {
      errorRows++;
      if (r.prediction === r.label) errorHits++;
    } else {
      correctRows++;
      if (r.prediction === -1) correctHits++;
    }
  }
  const errorAcc = errorRows ? errorHits / errorRows : null;
  const correctAcc = correctRows ? correctHits / correctRows : null;
  return { rows: rows.length, errorRows, errorHits, correctRows, correctHits, errorAcc, correctAcc, f1: harmonicF1(errorAcc, correctAcc) };
}

/** The mean of the defined values, null when none is. */
export function meanDefined(values: readonly (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

/** VisualProcessBench's step macro F1 over the labelled (non-neutral) steps of rows. */
export function stepMacroF1(rows: readonly Pick<BenchRow, 'gold' | 'scores'>[], threshold: number): StepF1Result {
  const pairs: [0 | 1, number][] = [];
  for (const r of rows) r.scores.forEach((s, i) => r.gold[i] !== null && r.gold[i] !== undefined && pairs.push([r.gold[i] as 0 | 1, s]));
  return stepF1(pairs, threshold);
}

export interface SplitResult extends FirstErrorResult {
  /** VisualProcessBench: macro F1 over the split's steps */
  macroF1?: StepF1Result;
}

/** Everything a benchmark reports at one threshold. */
export interface BenchResult {
  format: BenchFormat;
  threshold: number;
  /** ProcessBench-style first-error F1: the mean of the splits' F1 */
  f1: number | null;
  /** means of the splits' accuracies */
  errorAcc: number | null;
  correctAcc: number | null;
  /** splits whose F1 is undefined (an empty group), left out of the means */
  splitsWithoutF1: string[];
  bySplit: Record<string, SplitResult>;
  /** VisualProcessBench: macro F1 over every step of the rows evaluated, and over each data source's */
  macroF1?: StepF1Result;
  bySource?: Record<string, StepF1Result & { rows: number }>;
  /** PRMBench: mr_eval's scores */
  prmbench?: PrmbenchResult;
  /** the benchmark's own headline and its value: f1 (ProcessBench), macro_f1 (VisualProcessBench), prm_score (PRMBench) */
  headline: { name: 'f1' | 'macro_f1' | 'prm_score'; value: number | null };
}

export const HEADLINE: Record<BenchFormat, BenchResult['headline']['name']> = { processbench: 'f1', visualprocessbench: 'macro_f1', prmbench: 'prm_score' };

/** The rows' splits in first-seen order. */
export function splitsOf(rows: readonly Pick<BenchRow, 'split'>[]): string[] {
  return [...new Set(rows.map((r) => r.split))];
}

/** The benchmark's metrics of rows at one threshold. */
export function benchScore(format: BenchFormat, rows: readonly BenchRow[], threshold: number): BenchResult {
  const bySplit: Record<string, SplitResult> = {};
  const preds = rows.map((r) => ({ label: r.label, prediction: firstErrorPrediction(r.scores, threshold) }));
  for (const sp of splitsOf(rows)) {
    const idx = rows.map((r, i) => (r.split === sp ? i : -1)).filter((i) => i >= 0);
    const res: SplitResult = firstErrorScore(idx.map((i) => preds[i]));
    if (format === 'visualprocessbench') res.macroF1 = stepMacroF1(idx.map((i) => rows[i]), threshold);
    bySplit[sp] = res;
  }
  const splits = Object.values(bySplit);
  const out: BenchResult = {
    format,
    threshold,
    f1: meanDefined(splits.map((s) => s.f1)),
    errorAcc: meanDefined(splits.map((s) => s.errorAcc)),
    correctAcc: meanDefined(splits.map((s) => s.correctAcc)),
    splitsWithoutF1: Object.entries(bySplit)
      .filter(([, s]) => s.f1 === null)
      .map(([k]) => k),
    bySplit,
    headline: { name: HEADLINE[format], value: null },
  };
  if (format === 'visualprocessbench') {
    out.macroF1 = stepMacroF1(rows, threshold);
    const sources = [...new Set(rows.map((r) => r.source).filter((x): x is string => typeof x === 'string'))];
    out.bySource = Object.fromEntries(
      sources.map((src) => {
        const of = rows.filter((r) => r.source === src);
        return [src, { ...stepMacroF1(of, threshold), rows: of.length }];
      }),
    );
  }
  if (format === 'prmbench') out.prmbench = prmbenchScore(rows, threshold);
  out.headline.value = headlineOf(out);
  return out;
}

function headlineOf(r: BenchResult): number | null {
  if (r.format === 'visualprocessbench') return r.macroF1 && r.macroF1.steps > 0 ? r.macroF1.macroF1 : null;
  if (r.format === 'prmbench') return r.prmbench ? r.prmbench.prmScore : null;
  return r.f1;
}

/** The headline alone (what the sweep maximises and the bootstrap resamples). */
export function headline(format: BenchFormat, rows: readonly BenchRow[], threshold: number): number | null {
  if (format === 'visualprocessbench') {
    const m = stepMacroF1(rows, threshold);
    return m.steps > 0 ? m.macroF1 : null;
  }
  if (format === 'prmbench') return prmbenchScore(rows, threshold).prmScore;
  const bySplit = new Map<string, { label: number; prediction: number }[]>();
  for (const r of rows) {
    const l = bySplit.get(r.split) ?? [];
    l.push({ label: r.label, prediction: firstErrorPrediction(r.scores, threshold) });
    bySplit.set(r.split, l);
  }
  return meanDefined([...bySplit.values()].map((l) => firstErrorScore(l).f1));
}

export interface SweepPoint {
  threshold: number;
  /** the benchmark's headline */
  value: number | null;
  f1: number | null;
  errorAcc: number | null;
  correctAcc: number | null;
}

/** The headline and the first-error numbers at every threshold of the grid, and the best (ties to the lowest). */
export function sweep(format: BenchFormat, rows: readonly BenchRow[], grid: readonly number[] = SWEEP_THRESHOLDS): { best: number; points: SweepPoint[] } {
  const points = [...grid]
    .sort((a, b) => a - b)
    .map((t) => {
      const r = benchScore(format, rows, t);
      return { threshold: t, value: r.headline.value, f1: r.f1, errorAcc: r.errorAcc, correctAcc: r.correctAcc };
    });
  const at = new Map(points.map((p) => [p.threshold, p.value]));
  // an undefined headline never wins (NaN loses every comparison)
  const best = sweepBest((t) => at.get(t) ?? NaN, grid).threshold;
  return { best, points };
}

export interface BootstrapCI {
  low: number | null;
  high: number | null;
  resamples: number;
  /** resamples whose statistic was defined */
  defined: number;
  seed: number;
}

/** Percentile (linear interpolation between order statistics, numpy's default). */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * A 95% percentile bootstrap interval of a statistic over rows: each resample draws, within every split,
 * as many rows as the split has, with replacement, from a seeded stream.
 */
export function bootstrap<R extends Pick<BenchRow, 'split'>>(rows: readonly R[], statistic: (sample: R[]) => number | null, opts: { resamples?: number; seed?: number } = {}): BootstrapCI {
  const resamples = opts.resamples ?? 1000;
  const seed = opts.seed ?? 0;
  const rng = createRng(mixSeed(seed, 0xb007));
  const groups = splitsOf(rows).map((sp) => rows.filter((r) => r.split === sp));
  const values: number[] = [];
  for (let b = 0; b < resamples; b++) {
    const sample: R[] = [];
    for (const g of groups) for (let i = 0; i < g.length; i++) sample.push(g[rng.int(0, g.length - 1)]);
    const v = statistic(sample);
    if (v !== null && Number.isFinite(v)) values.push(v);
  }
  values.sort((a, b) => a - b);
  return { low: values.length ? percentile(values, 0.025) : null, high: values.length ? percentile(values, 0.975) : null, resamples, defined: values.length, seed };
}
