// The SQL of `steplab merge` (merge/merge.ts keeps what is matched with what, the files and the report).
// A merge reads one side and writes the other: a source workspace's database (a foreign one, opened
// read-only or a migrated temporary copy, never through a Store) and the target workspace's. Rows come as
// the tables hold them, every column, since a merge copies every column the target has; the statements
// that both sides answer (steps, tree nodes, annotation steps, curation edits) are asked of either.
import type { DB } from './db';
import { prep } from './db';
import { NODE_SCORE_INSERT } from './scores';

/** A row as its table holds it. */
export type MergeRow = Record<string, unknown>;

/** Tables a merge reads whole, each in the order it walks them. */
const WHOLE: Record<'images' | 'problems' | 'datasets' | 'models' | 'solutions' | 'annotations' | 'searches', string> = {
  images: 'SELECT * FROM images ORDER BY hash',
  problems: 'SELECT * FROM problems ORDER BY id',
  datasets: 'SELECT * FROM datasets ORDER BY id',
  models: 'SELECT * FROM models ORDER BY id',
  solutions: 'SELECT * FROM solutions ORDER BY id',
  annotations: 'SELECT * FROM annotations ORDER BY id',
  searches: 'SELECT * FROM searches ORDER BY id',
};

export interface MemberRow {
  ext_id: string;
  split: string | null;
  meta: string;
}

/**
 * Runs `fn` in an IMMEDIATE transaction on the target while the source stays in one read transaction: one
 * consistent snapshot of the source, also while another process writes to it.
 */
export function mergeTransaction<T>(target: MergeSide, source: MergeSide, fn: () => T): T {
  source.db.exec('BEGIN');
  try {
    return target.db.transaction(fn).immediate();
  } finally {
    source.db.exec('ROLLBACK');
  }
}

/** One database of a merge: a source's or the target's. */
export class MergeSide {
  private readonly columnCache = new Map<string, string[]>();

  constructor(readonly db: DB) {}

  private st(sql: string) {
    return prep(this.db, sql);
  }

  // ---- the database as a whole ----

  hasTable(table: string): boolean {
    return this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
  }

  /** Every table but SQLite's own, by name. */
  tables(): string[] {
    return (this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  }

  rowCount(table: string): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM "${table.replace(/"/g, '""')}"`).get() as { n: number }).n;
  }

  /** The table's column names. */
  columns(table: string): string[] {
    let cols = this.columnCache.get(table);
    if (!cols) {
      cols = (this.db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
      this.columnCache.set(table, cols);
    }
    return cols;
  }

  /** Inserts a row: every column this side's table has, `id` left to the table unless `keepId`. Returns the new rowid. */
  insert(table: string, row: MergeRow, keepId = false): number {
    const cols = this.columns(table).filter((c) => (keepId || c !== 'id') && c in row);
    const st = this.st(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
    return Number(st.run(cols.map((c) => row[c])).lastInsertRowid);
  }

  /** A table read whole, in the order a merge walks it. */
  rows(table: keyof typeof WHOLE): MergeRow[] {
    return this.db.prepare(WHOLE[table]).all() as MergeRow[];
  }

  // ---- images and problems ----

  hasImage(hash: unknown): boolean {
    return this.st('SELECT 1 FROM images WHERE hash = ?').get(hash) !== undefined;
  }

  problemByFingerprint(fingerprint: unknown): number | undefined {
    return (this.st('SELECT id FROM problems WHERE fingerprint = ?').get(fingerprint) as { id: number } | undefined)?.id;
  }

  problemImages(problemId: number): MergeRow[] {
    return this.st('SELECT * FROM problem_images WHERE problem_id = ? ORDER BY position').all(problemId) as MergeRow[];
  }

  // ---- datasets ----

  datasetByName(name: unknown): number | undefined {
    return (this.st('SELECT id FROM datasets WHERE name = ?').get(name) as { id: number } | undefined)?.id;
  }

  members(datasetId: number): MergeRow[] {
    return this.st('SELECT * FROM dataset_problems WHERE dataset_id = ? ORDER BY position').all(datasetId) as MergeRow[];
  }

  member(datasetId: number, problemId: number): MemberRow | undefined {
    return this.st('SELECT ext_id, split, meta FROM dataset_problems WHERE dataset_id = ? AND problem_id = ?').get(datasetId, problemId) as MemberRow | undefined;
  }

  /** The problem a dataset's ext id names, or undefined. */
  memberByExtId(datasetId: number, extId: string): number | undefined {
    return (this.st('SELECT problem_id FROM dataset_problems WHERE dataset_id = ? AND ext_id = ?').get(datasetId, extId) as { problem_id: number } | undefined)?.problem_id;
  }

  setMemberSplit(datasetId: number, problemId: number, split: string | null): void {
    this.st('UPDATE dataset_problems SET split = ? WHERE dataset_id = ? AND problem_id = ?').run(split, datasetId, problemId);
  }

  setMemberMeta(datasetId: number, problemId: number, meta: string): void {
    this.st('UPDATE dataset_problems SET meta = ? WHERE dataset_id = ? AND problem_id = ?').run(meta, datasetId, problemId);
  }

  nextMemberPosition(datasetId: number): number {
    return (this.st('SELECT coalesce(max(position), -1) + 1 AS p FROM dataset_problems WHERE dataset_id = ?').get(datasetId) as { p: number }).p;
  }

  // ---- models ----

  modelsNamed(name: string): MergeRow[] {
    return this.st('SELECT * FROM models WHERE name = ? ORDER BY version').all(name) as MergeRow[];
  }

  nextModelVersion(name: string): number {
    return (this.st('SELECT coalesce(max(version), 0) + 1 AS v FROM models WHERE name = ?').get(name) as { v: number }).v;
  }

  // ---- solutions ----

  /** A solution's steps as its identity sees them. */
  stepKeys(solutionId: number): MergeRow[] {
    return this.st('SELECT idx, text, gold_label FROM steps WHERE solution_id = ? ORDER BY idx').all(solutionId) as MergeRow[];
  }

  steps(solutionId: number): MergeRow[] {
    return this.st('SELECT * FROM steps WHERE solution_id = ? ORDER BY idx').all(solutionId) as MergeRow[];
  }

  solutionsAt(problemId: number, createdAt: string): MergeRow[] {
    return this.st('SELECT * FROM solutions WHERE problem_id = ? AND created_at = ?').all(problemId, createdAt) as MergeRow[];
  }

  stepScores(solutionId: number): { model_id: number; idx: number; score: number }[] {
    return this.st('SELECT model_id, idx, score FROM step_scores WHERE solution_id = ?').all(solutionId) as { model_id: number; idx: number; score: number }[];
  }

  stepScore(modelId: number, solutionId: number, idx: number): { score: number } | undefined {
    return this.st('SELECT score FROM step_scores WHERE model_id = ? AND solution_id = ? AND idx = ?').get(modelId, solutionId, idx) as { score: number } | undefined;
  }

  insertStepScore(solutionId: number, modelId: number, idx: number, score: number): void {
    this.st('INSERT INTO step_scores (solution_id, model_id, idx, score) VALUES (?, ?, ?, ?)').run(solutionId, modelId, idx, score);
  }

  // ---- searches ----

  treeNodes(searchId: number): MergeRow[] {
    return this.st('SELECT id, parent_id, depth, step_text, visits, rollouts, correct, mc, q, first_error, meta FROM tree_nodes WHERE search_id = ? ORDER BY id').all(searchId) as MergeRow[];
  }

  searchCandidates(problemId: number, algorithm: string, seed: number | null, modelId: number | null): MergeRow[] {
    return this.st('SELECT id, algorithm, config, seed FROM searches WHERE problem_id = ? AND algorithm = ? AND seed IS ? AND model_id IS ? ORDER BY id').all(problemId, algorithm, seed, modelId) as MergeRow[];
  }

  searchEvents(searchId: number): { seq: number; kind: string; data: string }[] {
    return this.st('SELECT seq, kind, data FROM search_events WHERE search_id = ? ORDER BY seq').all(searchId) as { seq: number; kind: string; data: string }[];
  }

  insertSearchEvent(searchId: number, seq: number, kind: string, data: string): void {
    this.st('INSERT INTO search_events (search_id, seq, kind, data) VALUES (?, ?, ?, ?)').run(searchId, seq, kind, data);
  }

  nodeScoresOfSearch(searchId: number): { node_id: number; model_id: number; score: number }[] {
    return this.st('SELECT ns.node_id, ns.model_id, ns.score FROM tree_nodes t CROSS JOIN node_scores ns ON ns.node_id = t.id WHERE t.search_id = ? ORDER BY ns.node_id, ns.model_id').all(searchId) as {
      node_id: number;
      model_id: number;
      score: number;
    }[];
  }

  nodeScore(modelId: number, nodeId: number): { score: number } | undefined {
    return this.st('SELECT score FROM node_scores WHERE model_id = ? AND node_id = ?').get(modelId, nodeId) as { score: number } | undefined;
  }

  insertNodeScore(nodeId: number, modelId: number, score: number): void {
    this.st(NODE_SCORE_INSERT).run({ node: nodeId, model: modelId, score });
  }

  rolloutsOfSearch(searchId: number): { node_id: number; correct: string; incorrect: string }[] {
    return this.st('SELECT r.node_id, r.correct, r.incorrect FROM tree_nodes t CROSS JOIN node_rollouts r ON r.node_id = t.id WHERE t.search_id = ? ORDER BY r.node_id').all(searchId) as {
      node_id: number;
      correct: string;
      incorrect: string;
    }[];
  }

  insertRollout(nodeId: number, correct: string, incorrect: string): void {
    this.st('INSERT OR IGNORE INTO node_rollouts (node_id, correct, incorrect) VALUES (?, ?, ?)').run(nodeId, correct, incorrect);
  }

  // ---- annotations and curation ----

  annotationSteps(annotationId: number): MergeRow[] {
    return this.st('SELECT * FROM annotation_steps WHERE annotation_id = ? ORDER BY idx').all(annotationId) as MergeRow[];
  }

  annotationCandidates(problemId: number, setName: string, searchId: number | null, solutionId: number | null): { id: number }[] {
    return this.st('SELECT id FROM annotations WHERE problem_id = ? AND set_name = ? AND search_id IS ? AND solution_id IS ? ORDER BY id').all(problemId, setName, searchId, solutionId) as { id: number }[];
  }

  curationEdits(annotationId: number): MergeRow[] {
    return this.st('SELECT * FROM curation_edits WHERE annotation_id = ? ORDER BY id').all(annotationId) as MergeRow[];
  }

  nextCurationBatch(): number {
    return (this.st('SELECT coalesce(max(batch), 0) + 1 AS b FROM curation_edits').get() as { b: number }).b;
  }

  // ---- import-labels ----

  labelImports(): { hash: string; format: string; problem_id: number; search_id: number | null; created_at: string }[] {
    return this.db.prepare('SELECT hash, format, problem_id, search_id, created_at FROM label_imports ORDER BY hash').all() as {
      hash: string;
      format: string;
      problem_id: number;
      search_id: number | null;
      created_at: string;
    }[];
  }

  insertLabelImport(hash: string, format: string, problemId: number, searchId: number | null, createdAt: string): void {
    this.st('INSERT OR IGNORE INTO label_imports (hash, format, problem_id, search_id, job_id, created_at) VALUES (?, ?, ?, ?, NULL, ?)').run(hash, format, problemId, searchId, createdAt);
  }
}
