// Annotations are labelled step sequences. Original labels and texts are written once; curation appends
// edit records (one batch per user action, bulk actions included), and the effective label and text of a
// step are the originals with the records in force applied in order. Undo marks a batch's records undone
// and redo clears the mark: no record and no original is ever deleted. The types are in annotationTypes.ts,
// the effective labels and texts computed in effectiveAnnotation.ts.
import { NotFoundError, UserError } from '../errors';
import type { DB } from './db';
import { nowIso, prep } from './db';
import { toJson } from './json';
import { editProblem, hardLabel, type Annotation, type EditInput, type NewAnnotation } from './annotationTypes';
import { effectiveAnnotation, type AnnRow, type EditRow, type StepRow } from './effectiveAnnotation';

export { hardLabel } from './annotationTypes';
export type { Annotation, AnnotationStep, CurationAction, CurationEdit, EditInput, NewAnnotation } from './annotationTypes';

export class AnnotationsRepo {
  constructor(private readonly db: DB) {}

  insertMany(items: NewAnnotation[]): number[] {
    const ann = this.db.prepare(
      'INSERT INTO annotations (problem_id, search_id, solution_id, set_name, provenance, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const step = this.db.prepare('INSERT INTO annotation_steps (annotation_id, idx, text, soft_label, hard_label) VALUES (?, ?, ?, ?, ?)');
    return this.db.transaction(() =>
      items.map((a) => {
        const id = Number(
          ann.run(a.problemId, a.searchId ?? null, a.solutionId ?? null, a.setName ?? 'default', toJson(a.provenance ?? {}), nowIso()).lastInsertRowid,
        );
        a.steps.forEach((s, i) => {
          if (!(s.softLabel >= 0 && s.softLabel <= 1)) throw new UserError(`annotation step ${i}: label ${s.softLabel} is not in [0, 1]`);
          step.run(id, i, s.text, s.softLabel, hardLabel(s.softLabel));
        });
        return id;
      }),
    )();
  }

  /** Appends one curation edit (a batch of its own) and returns its id. */
  edit(annotationId: number, e: EditInput & { author?: string | null }): number {
    const steps = this.stepCount(annotationId);
    const problem = editProblem(annotationId, steps, e);
    if (problem) throw new UserError(problem);
    return this.db.transaction(() => this.append(annotationId, e, this.nextBatch(), e.author ?? null))();
  }

  /**
   * Appends many edits as one batch in one transaction: all apply or, at the first bad one (named by its
   * position), none does. Returns the batch and the annotations it touched, in first-touched order.
   */
  editMany(edits: readonly (EditInput & { annotationId: number })[], opts: { author?: string | null; comment?: string | null } = {}): { batch: number; annotationIds: number[] } {
    if (edits.length === 0) throw new UserError('bulk edit: no edits given');
    const counts = new Map<number, number>();
    edits.forEach((e, i) => {
      try {
        if (!counts.has(e.annotationId)) counts.set(e.annotationId, this.stepCount(e.annotationId));
      } catch (err) {
        if (err instanceof NotFoundError) throw new NotFoundError(`bulk edit ${i + 1} of ${edits.length}: ${err.message}`);
        throw err;
      }
      const problem = editProblem(e.annotationId, counts.get(e.annotationId)!, e);
      if (problem) throw new UserError(`bulk edit ${i + 1} of ${edits.length}: ${problem}`);
    });
    return this.db.transaction(() => {
      const batch = this.nextBatch();
      for (const e of edits) this.append(e.annotationId, { ...e, comment: e.comment ?? opts.comment ?? null }, batch, opts.author ?? null);
      return { batch, annotationIds: [...counts.keys()] };
    })();
  }

  /** Marks a batch undone (`undo`) or in force again (`redo`); the records stay. Returns the annotations it touches. */
  setUndone(batch: number, undone: boolean): number[] {
    const rows = this.db.prepare('SELECT annotation_id AS id, undone_at FROM curation_edits WHERE batch = ? ORDER BY id').all(batch) as { id: number; undone_at: string | null }[];
    if (rows.length === 0) throw new NotFoundError(`curation batch ${batch} not found`);
    const isUndone = rows[0].undone_at !== null;
    if (undone && isUndone) throw new UserError(`curation batch ${batch} is already undone`);
    if (!undone && !isUndone) throw new UserError(`curation batch ${batch} is in force; only an undone batch can be redone`);
    this.db.prepare('UPDATE curation_edits SET undone_at = ? WHERE batch = ?').run(undone ? nowIso() : null, batch);
    return [...new Set(rows.map((r) => r.id))];
  }

  private stepCount(annotationId: number): number {
    const r = this.db
      .prepare('SELECT (SELECT count(*) FROM annotation_steps s WHERE s.annotation_id = a.id) AS n FROM annotations a WHERE a.id = ?')
      .get(annotationId) as { n: number } | undefined;
    if (!r) throw new NotFoundError(`annotation ${annotationId} not found`);
    return r.n;
  }

  private nextBatch(): number {
    return (this.db.prepare('SELECT coalesce(max(batch), 0) + 1 AS b FROM curation_edits').get() as { b: number }).b;
  }

  private append(annotationId: number, e: EditInput, batch: number, author: string | null): number {
    return Number(
      this.db
        .prepare('INSERT INTO curation_edits (annotation_id, step_idx, action, value, comment, text, author, batch, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(
          annotationId,
          e.stepIdx ?? null,
          e.action,
          e.action === 'relabel' ? (e.value ?? null) : null,
          e.comment?.trim() ? e.comment : null,
          e.action === 'text' ? (e.text ?? null) : null,
          author,
          batch,
          nowIso(),
        ).lastInsertRowid,
    );
  }

  get(id: number): Annotation {
    const r = this.db.prepare('SELECT * FROM annotations WHERE id = ?').get(id) as AnnRow | undefined;
    if (!r) throw new NotFoundError(`annotation ${id} not found`);
    return this.hydrate(r);
  }

  /**
   * Annotation sets with their counts, newest first: read from the counts the schema keeps (migration 012),
   * not counted over the annotations and their steps on every call.
   */
  sets(): { name: string; annotations: number; problems: number; steps: number; searches: number; createdAt: string }[] {
    return prep(
      this.db,
      `SELECT c.set_name AS name, c.annotations, (SELECT count(*) FROM annotation_set_problems p WHERE p.set_name = c.set_name) AS problems,
              c.steps, (SELECT count(*) FROM annotation_set_searches r WHERE r.set_name = c.set_name) AS searches, c.created_at AS createdAt
       FROM annotation_set_counts c ORDER BY c.first_id DESC`,
    ).all() as { name: string; annotations: number; problems: number; steps: number; searches: number; createdAt: string }[];
  }

  /** One problem's annotation sets: paths, the searches they came from, and how many carry a curation edit in force. */
  setsForProblem(problemId: number): { name: string; annotations: number; curated: number; searchIds: number[] }[] {
    const rows = this.db
      .prepare(
        `SELECT a.set_name AS name, count(*) AS annotations,
                sum(EXISTS (SELECT 1 FROM curation_edits e WHERE e.annotation_id = a.id AND e.undone_at IS NULL)) AS curated,
                group_concat(DISTINCT a.search_id) AS searches
         FROM annotations a WHERE a.problem_id = ? GROUP BY a.set_name ORDER BY min(a.id)`,
      )
      .all(problemId) as { name: string; annotations: number; curated: number; searches: string | null }[];
    return rows.map((r) => ({
      name: r.name,
      annotations: r.annotations,
      curated: r.curated,
      searchIds: r.searches ? r.searches.split(',').map(Number).sort((a, b) => a - b) : [],
    }));
  }

  /**
   * The search-labelled paths of a dataset's problems (the first `limit` problems that have any), for the
   * heatmap's MC colouring: each path's labels with curation applied (the latest relabel in force), the
   * tree node of each step, rejected paths left out. Dataset order, then annotation id.
   */
  searchPaths(datasetId: number, q: { split?: string; limit?: number } = {}): { annotationId: number; problemId: number; extId: string; position: number; searchId: number; labels: number[]; nodes: (number | null)[] }[] {
    const rows = this.db
      .prepare(
        `WITH chosen AS (
           SELECT d.problem_id, d.ext_id, d.position FROM dataset_problems d
           WHERE d.dataset_id = @datasetId AND (@split IS NULL OR d.split = @split)
             AND EXISTS (SELECT 1 FROM annotations a WHERE a.problem_id = d.problem_id AND a.search_id IS NOT NULL)
           ORDER BY d.position LIMIT @limit)
         SELECT a.id, c.problem_id, c.ext_id, c.position, a.search_id, json_extract(a.provenance, '$.nodes') AS nodes,
                (SELECT json_group_array(v) FROM (
                   SELECT coalesce((SELECT e.value FROM curation_edits e WHERE e.annotation_id = a.id AND e.step_idx = st.idx AND e.action = 'relabel' AND e.undone_at IS NULL ORDER BY e.id DESC LIMIT 1), st.soft_label) AS v
                   FROM annotation_steps st WHERE st.annotation_id = a.id ORDER BY st.idx)) AS labels
         FROM chosen c JOIN annotations a ON a.problem_id = c.problem_id AND a.search_id IS NOT NULL
         WHERE coalesce((SELECT e.action FROM curation_edits e WHERE e.annotation_id = a.id AND e.step_idx IS NULL AND e.action IN ('accept', 'reject') AND e.undone_at IS NULL ORDER BY e.id DESC LIMIT 1), 'accept') <> 'reject'
         ORDER BY c.position, a.id`,
      )
      .all({ datasetId, split: q.split ?? null, limit: q.limit ?? -1 }) as { id: number; problem_id: number; ext_id: string; position: number; search_id: number; nodes: string | null; labels: string }[];
    return rows.map((r) => {
      const nodes = r.nodes ? (JSON.parse(r.nodes) as (number | null)[]) : [];
      const labels = JSON.parse(r.labels) as number[];
      return { annotationId: r.id, problemId: r.problem_id, extId: r.ext_id, position: r.position, searchId: r.search_id, labels, nodes: labels.map((_, i) => nodes[i] ?? null) };
    });
  }

  /** Annotations of the problems of a dataset, in dataset order. */
  forDataset(datasetId: number, q: { split?: string; limit?: number; setName?: string } = {}): Annotation[] {
    const rows = this.db
      .prepare(
        `SELECT a.* FROM annotations a JOIN dataset_problems d ON d.problem_id = a.problem_id AND d.dataset_id = @datasetId
         WHERE (@split IS NULL OR d.split = @split) AND (@setName IS NULL OR a.set_name = @setName)
         ORDER BY d.position, a.id LIMIT @limit`,
      )
      .all({ datasetId, split: q.split ?? null, setName: q.setName ?? null, limit: q.limit ?? -1 }) as AnnRow[];
    return rows.map((r) => this.hydrate(r));
  }

  /**
   * forDataset a page at a time (keyset on the dataset order), so an export of a few hundred thousand
   * paths never holds them all.
   */
  *forDatasetPages(datasetId: number, q: { split?: string; setName?: string } = {}, pageSize = 2000): Generator<Annotation[]> {
    const page = this.db.prepare(
      `SELECT a.*, d.position AS _pos FROM annotations a JOIN dataset_problems d ON d.problem_id = a.problem_id AND d.dataset_id = @datasetId
       WHERE (@split IS NULL OR d.split = @split) AND (@setName IS NULL OR a.set_name = @setName)
         AND (d.position > @pos OR (d.position = @pos AND a.id > @id))
       ORDER BY d.position, a.id LIMIT @limit`,
    );
    let pos = -1;
    let id = 0;
    for (;;) {
      const rows = page.all({ datasetId, split: q.split ?? null, setName: q.setName ?? null, pos, id, limit: pageSize }) as (AnnRow & { _pos: number })[];
      if (rows.length === 0) return;
      pos = rows[rows.length - 1]._pos;
      id = rows[rows.length - 1].id;
      yield rows.map((r) => this.hydrate(r));
    }
  }

  /** forSet a page at a time (keyset on problem, then id). */
  *forSetPages(setName: string, pageSize = 2000): Generator<Annotation[]> {
    const page = this.db.prepare('SELECT * FROM annotations WHERE set_name = @setName AND (problem_id > @p OR (problem_id = @p AND id > @id)) ORDER BY problem_id, id LIMIT @limit');
    let p = -1;
    let id = 0;
    for (;;) {
      const rows = page.all({ setName, p, id, limit: pageSize }) as AnnRow[];
      if (rows.length === 0) return;
      p = rows[rows.length - 1].problem_id;
      id = rows[rows.length - 1].id;
      yield rows.map((r) => this.hydrate(r));
    }
  }

  /** Annotations a search produced, in id order. */
  forSearch(searchId: number): Annotation[] {
    return (this.db.prepare('SELECT * FROM annotations WHERE search_id = ? ORDER BY id').all(searchId) as AnnRow[]).map((r) => this.hydrate(r));
  }

  /** The distinct policies (provenance.model) an annotation set's annotations name; null where one names none. */
  modelsOfSet(setName: string): (string | null)[] {
    return (this.db.prepare("SELECT DISTINCT json_extract(provenance, '$.model') AS m FROM annotations WHERE set_name = ?").all(setName) as { m: string | null }[]).map((r) => r.m);
  }

  /** The problems an annotation set labels (ids, ascending). */
  problemIdsOfSet(setName: string): number[] {
    return (this.db.prepare('SELECT DISTINCT problem_id FROM annotations WHERE set_name = ? ORDER BY problem_id').all(setName) as { problem_id: number }[]).map((r) => r.problem_id);
  }

  /** Annotations of one set, whatever dataset their problems are in, grouped by problem. */
  forSet(setName: string, q: { limit?: number } = {}): Annotation[] {
    const rows = this.db
      .prepare('SELECT * FROM annotations WHERE set_name = ? ORDER BY problem_id, id LIMIT ?')
      .all(setName, q.limit ?? -1) as AnnRow[];
    return rows.map((r) => this.hydrate(r));
  }

  private hydrate(r: AnnRow): Annotation {
    const steps = this.db
      .prepare('SELECT idx, text, soft_label, hard_label FROM annotation_steps WHERE annotation_id = ? ORDER BY idx')
      .all(r.id) as StepRow[];
    const edits = this.db
      .prepare('SELECT id, batch, step_idx, action, value, text, comment, author, created_at, undone_at FROM curation_edits WHERE annotation_id = ? ORDER BY id')
      .all(r.id) as EditRow[];
    return effectiveAnnotation(r, steps, edits);
  }
}
