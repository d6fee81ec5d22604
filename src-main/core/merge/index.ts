export { mergeWorkspaces, MERGE_KINDS, type MergeConflict, type MergeCounts, type MergeKind, type MergeReport, type SourceReport } from './merge';
export { mergeReportJson, mergeReportLines } from './report';
