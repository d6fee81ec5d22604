// One source merged into the target: the maps from the source's ids to the target's that every stage
// reads and fills, the report it counts into, and the stages run in order (stages/*.ts, one per kind of
// row) inside one transaction.
import { copyFileSync, cpSync, renameSync, rmSync } from 'node:fs';
import { UserError } from '../errors';
import type { Store } from '../store';
import { DERIVED_TABLES } from '../store/derived';
import { MergeSide, mergeTransaction } from '../store/merge';
import type { OpenSource } from './source';
import { emptyCounts, type MergeKind, type SourceReport } from './types';
import { mergeAnnotation, annotationsBySearch } from './stages/annotations';
import { mergeDatasets, mergeImages, mergeProblems } from './stages/content';
import { mergeModels } from './stages/models';
import { mergeSearches, mergeLabelImports } from './stages/searches';
import { mergeSolutions } from './stages/solutions';

export type Row = Record<string, unknown>;

/** Tables a merge carries (with the kind they are counted under, or the row they belong to). */
const CARRIED = new Set([
  'images',
  'problems',
  'problem_images',
  'datasets',
  'dataset_problems',
  'models',
  'solutions',
  'steps',
  'step_scores',
  'searches',
  'tree_nodes',
  'search_events',
  'node_scores',
  'annotations',
  'annotation_steps',
  'curation_edits',
  // import-labels (migration 009): the kept rollout texts go with their nodes, the imported-unit hashes
  // with their problems and searches, so a merged workspace knows what it imported
  'node_rollouts',
  'label_imports',
]);

/** Merges one source into the target in one transaction; files it copied are removed if that fails. */
export function mergeOne(target: Store, src: OpenSource): SourceReport {
  const m = new SourceMerge(target, src);
  try {
    m.inTransaction(() => m.run()); // the source read as one consistent snapshot
  } catch (e) {
    m.removeCopiedFiles();
    throw e;
  }
  return m.report;
}

export class SourceMerge {
  readonly report: SourceReport;
  readonly t: MergeSide;
  readonly s: MergeSide;
  readonly copied: string[] = [];
  readonly problems = new Map<number, number>();
  readonly models = new Map<number, number>();
  /** source `name@version` -> target `name@version` */
  readonly modelLabels = new Map<string, string>();
  readonly solutions = new Map<number, number>();
  readonly searches = new Map<number, number>();
  /** source curation batch -> target batch */
  readonly batches = new Map<number, number>();
  readonly folderHashes = new Map<string, string | null>();
  /** how many source rows of each identity were met so far (see nth) */
  readonly occurrences = new Map<string, number>();

  constructor(
    readonly target: Store,
    readonly src: OpenSource,
  ) {
    this.t = new MergeSide(target.db);
    this.s = new MergeSide(src.db);
    this.report = { source: src.ws.dir, schemaVersion: src.ws.schemaVersion, counts: emptyCounts(), conflicts: [], notMerged: [] };
  }

  inTransaction(fn: () => void): void {
    mergeTransaction(this.t, this.s, fn);
  }

  run(): void {
    this.listNotMerged();
    mergeImages(this);
    mergeProblems(this);
    mergeDatasets(this);
    mergeModels(this);
    mergeSolutions(this);
    const annotations = annotationsBySearch(this);
    mergeSearches(this, annotations);
    for (const a of annotations.get(null) ?? []) mergeAnnotation(this, a, null, null);
    mergeLabelImports(this);
  }

  sourceHas(table: string): boolean {
    return this.s.hasTable(table);
  }

  removeCopiedFiles(): void {
    for (const p of this.copied.reverse()) rmSync(p, { recursive: true, force: true });
    this.copied.length = 0;
  }

  /**
   * The target row that a source row with identity `key` is: the k-th target candidate with that identity
   * when this is the k-th source row with it (in id order). Equal rows in one source (two identical samples
   * drawn in the same millisecond, the same search run twice) so stay as many in the target, while a row
   * that two sources both hold comes in once: the target holds each identity as often as the source that
   * holds it most often (or the target itself).
   */
  nth<T>(scope: string, key: string, candidates: readonly T[], keyOf: (c: T) => string): T | undefined {
    const k = `${scope}\0${key}`;
    const seen = this.occurrences.get(k) ?? 0;
    this.occurrences.set(k, seen + 1);
    return candidates.filter((c) => keyOf(c) === key)[seen];
  }

  count(kind: MergeKind, what: 'added' | 'skipped', n = 1): void {
    this.report.counts[kind][what] += n;
  }

  conflict(kind: MergeKind, message: string): void {
    this.report.conflicts.push({ source: this.src.ws.dir, kind, message });
  }

  /** Inserts a source row into the target's table: every column the target has, `id` left to the target. Returns the new rowid. */
  insert(table: string, row: Row, keepId = false): number {
    return this.t.insert(table, row, keepId);
  }

  listNotMerged(): void {
    for (const table of this.s.tables()) {
      if (CARRIED.has(table) || DERIVED_TABLES.has(table)) continue;
      const rows = this.s.rowCount(table);
      if (rows > 0) this.report.notMerged.push({ table, rows });
    }
  }

  /** A copy made next to its destination and renamed into place, remembered for a rollback. */
  copyInto(from: string, to: string, folder: boolean): void {
    const tmp = `${to}.merge-${process.pid}`;
    this.copied.push(tmp);
    if (folder) cpSync(from, tmp, { recursive: true, filter: (p) => !p.includes('__pycache__') });
    else copyFileSync(from, tmp);
    renameSync(tmp, to);
    this.copied[this.copied.length - 1] = to;
  }

  problem(srcId: number): number {
    const id = this.problems.get(srcId);
    if (id === undefined) throw new UserError(`the source refers to problem ${srcId}, which it does not hold`);
    return id;
  }

  model(srcId: number | null): number | null {
    if (srcId === null) return null;
    const id = this.models.get(srcId);
    if (id === undefined) throw new UserError(`the source refers to model ${srcId}, which it does not hold`);
    return id;
  }
}
