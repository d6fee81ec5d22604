// The one threshold rule of the whole tool. A PRM's step score accepts the step when it is above the
// threshold (strictly): ProcessBench's code/run_eval_prm_rlhflow.py stops at the first step the PRM does
// not accept, and PRMBench's mr_eval models label a step valid when `score > validity_threshold`. Every
// step metric (score, bon, bench-prm) goes through `accepts`, and every threshold chosen from data is
// chosen by `sweepBest` over the same grid, ties going to the lowest threshold.

/** The threshold used when none is given or chosen. */
export const DEFAULT_THRESHOLD = 0.5;

/** A step is accepted when its score is above the threshold; a score equal to it is not accepted. */
export function accepts(score: number, threshold: number): boolean {
  return score > threshold;
}

/** 0.00, 0.01, ..., 1.00 (rounded to two decimals, so 0.07 is 0.07 and not 0.07000000000000001). */
export const SWEEP_THRESHOLDS: readonly number[] = Array.from({ length: 101 }, (_, i) => Math.round(i) / 100);

/**
 * The threshold of the grid where `metric` is highest; ties (and NaN, which never wins) go to the lowest
 * threshold. The grid is read in ascending order whatever order it is given in.
 */
export function sweepBest(metric: (t: number) => number, grid: readonly number[] = SWEEP_THRESHOLDS): { threshold: number; value: number } {
  if (grid.length === 0) throw new Error('sweepBest: empty threshold grid');
  const sorted = [...grid].sort((a, b) => a - b);
  let best = sorted[0];
  let bestV = -Infinity;
  for (const t of sorted) {
    const v = metric(t);
    if (v > bestV) [best, bestV] = [t, v];
  }
  return { threshold: best, value: bestV };
}

/** The 0-based index of the first step not accepted, else -1 (ProcessBench's prediction). */
export function firstRejected(scores: readonly number[], threshold: number): number {
  for (let i = 0; i < scores.length; i++) if (!accepts(scores[i], threshold)) return i;
  return -1;
}
