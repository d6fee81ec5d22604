// What a merge reports: counts by kind of row, conflicts, and what it did not carry.
import { MERGE_KINDS } from '../../../src-shared/api';

export { MERGE_KINDS };
export type MergeKind = (typeof MERGE_KINDS)[number];
export type MergeCounts = Record<MergeKind, { added: number; skipped: number }>;

export interface MergeConflict {
  source: string;
  kind: MergeKind;
  message: string;
}

export interface SourceReport {
  source: string;
  schemaVersion: number;
  counts: MergeCounts;
  conflicts: MergeConflict[];
  /** tables with rows that the merge does not carry */
  notMerged: { table: string; rows: number }[];
}

export interface MergeReport {
  into: string;
  /** the target workspace was created by this merge */
  created: boolean;
  sources: SourceReport[];
  totals: MergeCounts;
  conflicts: MergeConflict[];
}

export const emptyCounts = (): MergeCounts => Object.fromEntries(MERGE_KINDS.map((k) => [k, { added: 0, skipped: 0 }])) as MergeCounts;
