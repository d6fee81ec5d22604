import type { AnswerType, Problem } from '../../../src-shared/domain';
import { problemFingerprint } from '../data/fingerprint';
import { NotFoundError } from '../errors';
import type { DB } from './db';
import { nowIso, prep } from './db';
import { ImagesRepo } from './images';
import { fromJson, toJson } from './json';

export interface NewProblem {
  question: string;
  answer: string;
  answerType: AnswerType;
  source: string | null;
  tags: string[];
  imageHashes: string[];
  meta: Record<string, unknown>;
}

interface ProblemRow {
  id: number;
  question: string;
  answer: string;
  answer_type: AnswerType;
  source: string | null;
  tags: string;
  meta: string;
  ext_id?: string;
  split?: string | null;
  /** the membership's extra fields (the dataset listed, or the problem's first dataset) */
  member_meta?: string | null;
}

export type SolvedFilter = 'solved' | 'unsolved' | 'none';
export type LabelStatus = 'search' | 'curated' | 'none';

export interface ProblemQuery {
  split?: string;
  search?: string;
  hasImage?: boolean;
  answerType?: AnswerType;
  /** solved: a stored solution was verified correct; unsolved: solutions exist, none correct; none: no solutions */
  solved?: SolvedFilter;
  /** search: labelled by a search (annotations or a tree), none curated; curated: a curation edit in force; none: neither */
  label?: LabelStatus;
  offset?: number;
  limit?: number;
}

export interface ProblemStats {
  imageCount: number;
  solutions: number;
  correct: number;
  label: LabelStatus;
}

const HAS_CORRECT = "EXISTS (SELECT 1 FROM solutions s WHERE s.problem_id = p.id AND s.verdict = 'correct')";
const HAS_SOLUTION = 'EXISTS (SELECT 1 FROM solutions s WHERE s.problem_id = p.id)';
// an edit undone (undone_at set) no longer counts
const CURATED =
  'EXISTS (SELECT 1 FROM annotations a JOIN curation_edits e ON e.annotation_id = a.id WHERE a.problem_id = p.id AND e.undone_at IS NULL)';
const LABELLED =
  '(EXISTS (SELECT 1 FROM annotations a WHERE a.problem_id = p.id) OR EXISTS (SELECT 1 FROM searches r WHERE r.problem_id = p.id))';

/** The FROM/WHERE of a filtered dataset listing and its named parameters (every filter is an indexed look-up per row). */
function datasetFilter(datasetId: number, q: ProblemQuery): { from: string; params: Record<string, unknown> } {
  const where = ['d.dataset_id = @datasetId'];
  if (q.split !== undefined) where.push('d.split = @split');
  if (q.search) where.push("(p.question LIKE @search ESCAPE '\\' OR d.ext_id LIKE @search ESCAPE '\\')");
  if (q.hasImage === true) where.push('EXISTS (SELECT 1 FROM problem_images pi WHERE pi.problem_id = p.id)');
  if (q.hasImage === false) where.push('NOT EXISTS (SELECT 1 FROM problem_images pi WHERE pi.problem_id = p.id)');
  if (q.answerType !== undefined) where.push('p.answer_type = @answerType');
  if (q.solved === 'solved') where.push(HAS_CORRECT);
  if (q.solved === 'unsolved') where.push(`${HAS_SOLUTION} AND NOT ${HAS_CORRECT}`);
  if (q.solved === 'none') where.push(`NOT ${HAS_SOLUTION}`);
  if (q.label === 'curated') where.push(CURATED);
  if (q.label === 'search') where.push(`${LABELLED} AND NOT ${CURATED}`);
  if (q.label === 'none') where.push(`NOT ${LABELLED}`);
  const params = {
    datasetId,
    split: q.split ?? null,
    search: q.search ? `%${q.search.replace(/[\\%_]/g, (c) => '\\' + c)}%` : null,
    answerType: q.answerType ?? null,
  };
  return { from: `FROM dataset_problems d JOIN problems p ON p.id = d.problem_id WHERE ${where.join(' AND ')}`, params };
}

export { problemFingerprint };

export class ProblemsRepo {
  constructor(private readonly db: DB) {}

  /** Inserts or finds the problem by fingerprint; returns its id and whether it was new. */
  upsert(p: NewProblem): { id: number; created: boolean } {
    const fp = problemFingerprint(p);
    const found = prep(this.db, 'SELECT id FROM problems WHERE fingerprint = ?').get(fp) as { id: number } | undefined;
    if (found) return { id: found.id, created: false };
    const r = prep(
        this.db,
        `INSERT INTO problems (fingerprint, question, answer, answer_type, source, tags, meta, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(fp, p.question, p.answer, p.answerType, p.source, toJson(p.tags), toJson(p.meta), nowIso());
    const id = Number(r.lastInsertRowid);
    const img = prep(this.db, 'INSERT INTO problem_images (problem_id, position, image_hash) VALUES (?, ?, ?)');
    p.imageHashes.forEach((h, i) => img.run(id, i, h));
    return { id, created: true };
  }

  get(id: number): Problem {
    const row = prep(
        this.db,
        `SELECT p.*, (SELECT ext_id FROM dataset_problems d WHERE d.problem_id = p.id ORDER BY dataset_id LIMIT 1) AS ext_id,
                (SELECT split FROM dataset_problems d WHERE d.problem_id = p.id ORDER BY dataset_id LIMIT 1) AS split,
                (SELECT meta FROM dataset_problems d WHERE d.problem_id = p.id ORDER BY dataset_id LIMIT 1) AS member_meta
         FROM problems p WHERE p.id = ?`,
      )
      .get(id) as ProblemRow | undefined;
    if (!row) throw new NotFoundError(`problem ${id} not found`);
    return this.hydrate([row])[0];
  }

  /** Per problem: the dataset it is first a member of and its id there (what a researcher knows it by). */
  refs(ids: readonly number[]): Map<number, { dataset: string; extId: string }> {
    const out = new Map<number, { dataset: string; extId: string }>();
    const stmt = prep(
      this.db,
      `SELECT d.name AS dataset, m.ext_id AS extId FROM dataset_problems m JOIN datasets d ON d.id = m.dataset_id
       WHERE m.problem_id = ? ORDER BY m.dataset_id LIMIT 1`,
    );
    for (const id of new Set(ids)) {
      const r = stmt.get(id) as { dataset: string; extId: string } | undefined;
      if (r) out.set(id, r);
    }
    return out;
  }

  /** Each problem's position in a dataset (import order). */
  positionsIn(datasetId: number, ids: readonly number[]): Map<number, number> {
    const stmt = prep(this.db, 'SELECT position FROM dataset_problems WHERE dataset_id = ? AND problem_id = ?');
    const out = new Map<number, number>();
    for (const id of new Set(ids)) {
      const r = stmt.get(datasetId, id) as { position: number } | undefined;
      if (r) out.set(id, r.position);
    }
    return out;
  }

  /** A problem by its dataset and its id there, or null. */
  idByExtId(datasetId: number, extId: string): number | null {
    const r = prep(this.db, 'SELECT problem_id AS id FROM dataset_problems WHERE dataset_id = ? AND ext_id = ?').get(datasetId, extId) as { id: number } | undefined;
    return r?.id ?? null;
  }

  count(): number {
    return (prep(this.db, 'SELECT count(*) AS n FROM problems').get() as { n: number }).n;
  }

  /** Problems of a dataset in import order, with the dataset's ext id, split and extra fields, filtered as asked. */
  listInDataset(datasetId: number, q: ProblemQuery = {}): { total: number; items: Problem[] } {
    const { from, params } = datasetFilter(datasetId, q);
    const total = (prep(this.db, `SELECT count(*) AS n ${from}`).get(params) as { n: number }).n;
    const rows = prep(this.db, `SELECT p.*, d.ext_id, d.split, d.meta AS member_meta ${from} ORDER BY d.position LIMIT @limit OFFSET @offset`)
      .all({ ...params, offset: q.offset ?? 0, limit: q.limit ?? -1 }) as ProblemRow[];
    return { total, items: this.hydrate(rows) };
  }

  /** Per problem: how many images, stored solutions and correct ones, and its label status. */
  stats(problemIds: readonly number[]): Map<number, ProblemStats> {
    const stmt = prep(
      this.db,
      `SELECT (SELECT count(*) FROM problem_images pi WHERE pi.problem_id = @id) AS images,
              (SELECT count(*) FROM solutions s WHERE s.problem_id = @id) AS solutions,
              (SELECT count(*) FROM solutions s WHERE s.problem_id = @id AND s.verdict = 'correct') AS correct,
              ${CURATED.replace(/p\.id/g, '@id')} AS curated,
              ${LABELLED.replace(/p\.id/g, '@id')} AS labelled`,
    );
    const out = new Map<number, ProblemStats>();
    for (const id of problemIds) {
      const r = stmt.get({ id }) as { images: number; solutions: number; correct: number; curated: number; labelled: number };
      out.set(id, { imageCount: r.images, solutions: r.solutions, correct: r.correct, label: r.curated ? 'curated' : r.labelled ? 'search' : 'none' });
    }
    return out;
  }

  /** Streams a dataset's problems in import order without loading them all. */
  *iterateDataset(datasetId: number, q: { split?: string; limit?: number } = {}): Generator<Problem> {
    const pageSize = 500;
    let offset = 0;
    let left = q.limit ?? Infinity;
    while (left > 0) {
      const page = this.listInDataset(datasetId, { split: q.split, offset, limit: Math.min(pageSize, left) }).items;
      if (page.length === 0) return;
      for (const p of page) yield p;
      offset += page.length;
      left -= page.length;
    }
  }

  private hydrate(rows: ProblemRow[]): Problem[] {
    const images = new ImagesRepo(this.db).forProblems(rows.map((r) => r.id));
    return rows.map((r) => ({
      id: r.id,
      extId: r.ext_id ?? String(r.id),
      question: r.question,
      answer: r.answer,
      answerType: r.answer_type,
      source: r.source,
      split: r.split ?? null,
      tags: fromJson<string[]>(r.tags, []),
      images: images.get(r.id) ?? [],
      // a problem is seen through a dataset: that membership's extra fields, not another dataset's
      meta: fromJson<Record<string, unknown>>(r.member_meta ?? r.meta, {}),
    }));
  }
}
