// Orders the dataset heatmap's rows: dataset order, an aggregate of the row's values (min or mean,
// rows with no value last whatever the direction), or verdict (correct, incorrect, unparseable, none).
import type { Verdict } from '../../src-shared/domain';

export interface HeatRow {
  problemId: number;
  extId: string;
  solutionId: number | null;
  verdict: Verdict | null;
  scores: (number | null)[];
}

export type SortKey = 'dataset' | 'min' | 'mean' | 'verdict';
export type SortDir = 'asc' | 'desc';

/** min or mean of the values that are there; null when the row has none. */
export function aggregateRow(scores: readonly (number | null)[], how: 'min' | 'mean'): number | null {
  let n = 0;
  let acc = how === 'min' ? Infinity : 0;
  for (const v of scores) {
    if (v === null || Number.isNaN(v)) continue;
    n++;
    acc = how === 'min' ? Math.min(acc, v) : acc + v;
  }
  if (n === 0) return null;
  return how === 'min' ? acc : acc / n;
}

const VERDICT_RANK: Record<string, number> = { correct: 0, incorrect: 1, unparseable: 2, none: 3 };

/** A new array of the rows in the asked order; ties keep dataset order. */
export function sortRows<R extends HeatRow>(rows: readonly R[], key: SortKey, dir: SortDir = 'asc'): R[] {
  const indexed = rows.map((r, i) => ({ r, i }));
  const sign = dir === 'asc' ? 1 : -1;
  if (key === 'dataset') return (dir === 'asc' ? indexed : indexed.reverse()).map((x) => x.r);
  if (key === 'verdict') {
    indexed.sort((a, b) => sign * (VERDICT_RANK[a.r.verdict ?? 'none'] - VERDICT_RANK[b.r.verdict ?? 'none']) || a.i - b.i);
    return indexed.map((x) => x.r);
  }
  const agg = indexed.map((x) => ({ ...x, v: aggregateRow(x.r.scores, key) }));
  agg.sort((a, b) => {
    if (a.v === null || b.v === null) return (a.v === null ? 1 : 0) - (b.v === null ? 1 : 0) || a.i - b.i;
    return sign * (a.v - b.v) || a.i - b.i;
  });
  return agg.map((x) => x.r);
}
