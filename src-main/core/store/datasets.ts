import type { Dataset } from '../../../src-shared/domain';
import { NotFoundError, UserError } from '../errors';
import type { DB } from './db';
import { nowIso, prep } from './db';
import { toJson } from './json';

interface DatasetRow {
  id: number;
  name: string;
  version: number;
  description: string | null;
  created_at: string;
  updated_at: string;
}

export class DatasetsRepo {
  constructor(private readonly db: DB) {}

  getOrCreate(name: string, description: string | null = null): number {
    const found = prep(this.db, 'SELECT id FROM datasets WHERE name = ?').get(name) as { id: number } | undefined;
    if (found) return found.id;
    const t = nowIso();
    return Number(
      prep(this.db, 'INSERT INTO datasets (name, description, created_at, updated_at) VALUES (?, ?, ?, ?)').run(name, description, t, t)
        .lastInsertRowid,
    );
  }

  /** A dataset's name by id, or undefined when there is none. */
  nameOf(id: number): string | undefined {
    return (prep(this.db, 'SELECT name FROM datasets WHERE id = ?').get(id) as { name: string } | undefined)?.name;
  }

  findId(name: string): number | undefined {
    return (prep(this.db, 'SELECT id FROM datasets WHERE name = ?').get(name) as { id: number } | undefined)?.id;
  }

  requireId(name: string): number {
    const id = this.findId(name);
    if (id === undefined) {
      const names = this.list().map((d) => d.name);
      throw new NotFoundError(`dataset "${name}" not found${names.length ? ` (have: ${names.join(', ')})` : ' (the workspace has no datasets yet)'}`);
    }
    return id;
  }

  /**
   * Adds a problem to a dataset with the extra fields of its row in this dataset (`meta`; without one, the
   * fields the problem was created with). Returns 'added', or 'present' when the same problem is already
   * there under the same id (its fields left as they were).
   */
  addMember(datasetId: number, problemId: number, extId: string, split: string | null, meta?: Record<string, unknown>): 'added' | 'present' {
    // a UNION of two indexed look-ups: with `problem_id = ? OR ext_id = ?` SQLite scans the whole dataset
    const same = prep(
        this.db,
        `SELECT problem_id, ext_id FROM dataset_problems WHERE dataset_id = @datasetId AND problem_id = @problemId
         UNION SELECT problem_id, ext_id FROM dataset_problems WHERE dataset_id = @datasetId AND ext_id = @extId`,
      )
      .all({ datasetId, problemId, extId }) as { problem_id: number; ext_id: string }[];
    if (same.some((r) => r.problem_id === problemId && r.ext_id === extId)) return 'present';
    const clash = same.find((r) => r.ext_id === extId);
    if (clash) throw new UserError(`id "${extId}" is already in this dataset with a different question, answer or image`);
    const dup = same.find((r) => r.problem_id === problemId);
    if (dup) throw new UserError(`the same problem is already in this dataset under id "${dup.ext_id}"`);
    const pos = (prep(this.db, 'SELECT coalesce(max(position), -1) + 1 AS p FROM dataset_problems WHERE dataset_id = ?').get(datasetId) as { p: number }).p;
    const r = prep(
        this.db,
        `INSERT INTO dataset_problems (dataset_id, problem_id, ext_id, split, position, meta)
         SELECT ?, ?, ?, ?, ?, coalesce(?, p.meta) FROM problems p WHERE p.id = ?`,
      )
      .run(datasetId, problemId, extId, split, pos, meta === undefined ? null : toJson(meta), problemId);
    if (r.changes === 0) throw new NotFoundError(`problem ${problemId} not found`);
    return 'added';
  }

  /** The id a problem has in a dataset, or undefined when it is not a member. */
  memberExtId(datasetId: number, problemId: number): string | undefined {
    return (prep(this.db, 'SELECT ext_id FROM dataset_problems WHERE dataset_id = ? AND problem_id = ?').get(datasetId, problemId) as { ext_id: string } | undefined)?.ext_id;
  }

  bumpVersion(datasetId: number): void {
    prep(this.db, 'UPDATE datasets SET version = version + 1, updated_at = ? WHERE id = ?').run(nowIso(), datasetId);
  }

  /** The datasets by name (a page of them: offset, limit; all without). */
  list(page: { offset?: number; limit?: number } = {}): Dataset[] {
    const rows = prep(this.db, 'SELECT * FROM datasets ORDER BY name LIMIT ? OFFSET ?').all(page.limit ?? -1, page.offset ?? 0) as DatasetRow[];
    return rows.map((r) => this.hydrate(r));
  }

  count(): number {
    return (prep(this.db, 'SELECT count(*) AS n FROM datasets').get() as { n: number }).n;
  }

  get(name: string): Dataset {
    const row = prep(this.db, 'SELECT * FROM datasets WHERE name = ?').get(name) as DatasetRow | undefined;
    if (!row) this.requireId(name);
    return this.hydrate(row as DatasetRow);
  }

  private hydrate(r: DatasetRow): Dataset {
    const splits = prep(this.db, "SELECT coalesce(split, '') AS split, count(*) AS n FROM dataset_problems WHERE dataset_id = ? GROUP BY split")
      .all(r.id) as { split: string; n: number }[];
    const imageCount = (
      prep(
          this.db,
          'SELECT count(DISTINCT pi.image_hash) AS n FROM dataset_problems d JOIN problem_images pi ON pi.problem_id = d.problem_id WHERE d.dataset_id = ?',
        )
        .get(r.id) as { n: number }
    ).n;
    return {
      id: r.id,
      name: r.name,
      version: r.version,
      description: r.description,
      problemCount: splits.reduce((s, x) => s + x.n, 0),
      imageCount,
      splits: Object.fromEntries(splits.map((s) => [s.split || '(none)', s.n])),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }
}
