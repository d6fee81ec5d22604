// Annotations are labelled step sequences. Original labels are written once; curation appends edits,
// and the effective label of a step is the original with the latest edits applied.
import { NotFoundError, UserError } from '../errors';
import type { DB } from './db';
import { nowIso } from './db';
import { fromJson, toJson } from './json';

export interface NewAnnotation {
  problemId: number;
  searchId?: number | null;
  solutionId?: number | null;
  setName?: string;
  provenance?: Record<string, unknown>;
  steps: { text: string; softLabel: number }[];
}

export type CurationAction = 'accept' | 'reject' | 'relabel' | 'comment';

export interface AnnotationStep {
  idx: number;
  text: string;
  /** the label the search produced, never changed */
  originalSoft: number;
  originalHard: number;
  /** the label after curation */
  softLabel: number;
  hardLabel: number;
  edited: boolean;
  comments: string[];
}

export interface Annotation {
  id: number;
  problemId: number;
  searchId: number | null;
  solutionId: number | null;
  setName: string;
  provenance: Record<string, unknown>;
  /** rejected by curation: excluded from exports */
  rejected: boolean;
  accepted: boolean;
  createdAt: string;
  steps: AnnotationStep[];
}

/** Hard label as in MM-PRM / OmegaPRM: a step is good when any rollout from it reached the answer. */
export const hardLabel = (mc: number): number => (mc > 0 ? 1 : 0);

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

  edit(annotationId: number, e: { stepIdx?: number | null; action: CurationAction; value?: number | null; comment?: string | null }): number {
    this.get(annotationId);
    if (e.action === 'relabel') {
      if (e.stepIdx === null || e.stepIdx === undefined) throw new UserError('relabel needs a step index');
      if (e.value === null || e.value === undefined || !(e.value >= 0 && e.value <= 1)) throw new UserError('relabel needs a value in [0, 1]');
    }
    return Number(
      this.db
        .prepare('INSERT INTO curation_edits (annotation_id, step_idx, action, value, comment, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(annotationId, e.stepIdx ?? null, e.action, e.value ?? null, e.comment ?? null, nowIso()).lastInsertRowid,
    );
  }

  get(id: number): Annotation {
    const r = this.db.prepare('SELECT * FROM annotations WHERE id = ?').get(id) as AnnRow | undefined;
    if (!r) throw new NotFoundError(`annotation ${id} not found`);
    return this.hydrate(r);
  }

  /** Annotation sets with their counts, newest first. */
  sets(): { name: string; annotations: number; problems: number; steps: number; searches: number; createdAt: string }[] {
    return this.db
      .prepare(
        `SELECT a.set_name AS name, count(*) AS annotations, count(DISTINCT a.problem_id) AS problems,
                (SELECT count(*) FROM annotation_steps s JOIN annotations b ON b.id = s.annotation_id WHERE b.set_name = a.set_name) AS steps,
                count(DISTINCT a.search_id) AS searches, min(a.created_at) AS createdAt
         FROM annotations a GROUP BY a.set_name ORDER BY min(a.id) DESC`,
      )
      .all() as { name: string; annotations: number; problems: number; steps: number; searches: number; createdAt: string }[];
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

  /** Annotations a search produced, in id order. */
  forSearch(searchId: number): Annotation[] {
    return (this.db.prepare('SELECT * FROM annotations WHERE search_id = ? ORDER BY id').all(searchId) as AnnRow[]).map((r) => this.hydrate(r));
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
      .all(r.id) as { idx: number; text: string; soft_label: number; hard_label: number }[];
    const edits = this.db
      .prepare('SELECT step_idx, action, value, comment FROM curation_edits WHERE annotation_id = ? ORDER BY id')
      .all(r.id) as { step_idx: number | null; action: CurationAction; value: number | null; comment: string | null }[];
    let rejected = false;
    let accepted = false;
    const out: AnnotationStep[] = steps.map((s) => ({
      idx: s.idx,
      text: s.text,
      originalSoft: s.soft_label,
      originalHard: s.hard_label,
      softLabel: s.soft_label,
      hardLabel: s.hard_label,
      edited: false,
      comments: [],
    }));
    for (const e of edits) {
      const step = e.step_idx === null ? undefined : out[e.step_idx];
      if (e.action === 'comment' && e.comment) (step ? step.comments : []).push(e.comment);
      if (e.action === 'relabel' && step && e.value !== null) {
        step.softLabel = e.value;
        step.hardLabel = hardLabel(e.value);
        step.edited = true;
      }
      if (e.step_idx === null && e.action === 'reject') [rejected, accepted] = [true, false];
      if (e.step_idx === null && e.action === 'accept') [rejected, accepted] = [false, true];
    }
    return {
      id: r.id,
      problemId: r.problem_id,
      searchId: r.search_id,
      solutionId: r.solution_id,
      setName: r.set_name,
      provenance: fromJson(r.provenance, {}),
      rejected,
      accepted,
      createdAt: r.created_at,
      steps: out,
    };
  }
}

interface AnnRow {
  id: number;
  problem_id: number;
  search_id: number | null;
  solution_id: number | null;
  set_name: string;
  provenance: string;
  created_at: string;
}
