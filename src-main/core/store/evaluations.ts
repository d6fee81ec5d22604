import { NotFoundError } from '../errors';
import type { DB } from './db';
import { nowIso } from './db';
import { fromJson, toJson } from './json';

export interface EvaluationRecord {
  id: number;
  name: string;
  datasetId: number | null;
  policyId: number | null;
  rewardId: number | null;
  config: Record<string, unknown>;
  metrics: Record<string, unknown>;
  jobId: number | null;
  createdAt: string;
}

export class EvaluationsRepo {
  constructor(private readonly db: DB) {}

  create(e: { name: string; datasetId: number | null; policyId: number | null; rewardId: number | null; config: Record<string, unknown>; jobId?: number | null }): number {
    return Number(
      this.db
        .prepare('INSERT INTO evaluations (name, dataset_id, policy_id, reward_id, config, job_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(e.name, e.datasetId, e.policyId, e.rewardId, toJson(e.config), e.jobId ?? null, nowIso()).lastInsertRowid,
    );
  }

  addItems(evaluationId: number, items: { problemId: number; solutionId: number; scores: Record<string, number> }[]): void {
    const stmt = this.db.prepare('INSERT INTO evaluation_items (evaluation_id, problem_id, solution_id, scores) VALUES (?, ?, ?, ?)');
    this.db.transaction(() => items.forEach((i) => stmt.run(evaluationId, i.problemId, i.solutionId, toJson(i.scores))))();
  }

  items(evaluationId: number): { problemId: number; solutionId: number; scores: Record<string, number> }[] {
    return (
      this.db.prepare('SELECT problem_id, solution_id, scores FROM evaluation_items WHERE evaluation_id = ? ORDER BY problem_id, solution_id').all(evaluationId) as {
        problem_id: number;
        solution_id: number;
        scores: string;
      }[]
    ).map((r) => ({ problemId: r.problem_id, solutionId: r.solution_id, scores: fromJson(r.scores, {}) }));
  }

  /** Evaluations, newest first (without their metrics). */
  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM evaluations').get() as { n: number }).n;
  }

  /** The evaluations, newest first (a page of them: offset, limit; all without). */
  list(page: { offset?: number; limit?: number } = {}): { id: number; name: string; createdAt: string; jobId: number | null }[] {
    return this.db.prepare('SELECT id, name, created_at AS createdAt, job_id AS jobId FROM evaluations ORDER BY id DESC LIMIT ? OFFSET ?').all(page.limit ?? -1, page.offset ?? 0) as {
      id: number;
      name: string;
      createdAt: string;
      jobId: number | null;
    }[];
  }

  setMetrics(id: number, metrics: Record<string, unknown>): void {
    this.db.prepare('UPDATE evaluations SET metrics = ? WHERE id = ?').run(toJson(metrics), id);
  }

  get(id: number): EvaluationRecord {
    const r = this.db.prepare('SELECT * FROM evaluations WHERE id = ?').get(id) as
      | { id: number; name: string; dataset_id: number | null; policy_id: number | null; reward_id: number | null; config: string; metrics: string; job_id: number | null; created_at: string }
      | undefined;
    if (!r) throw new NotFoundError(`evaluation ${id} not found`);
    return {
      id: r.id,
      name: r.name,
      datasetId: r.dataset_id,
      policyId: r.policy_id,
      rewardId: r.reward_id,
      config: fromJson(r.config, {}),
      metrics: fromJson(r.metrics, {}),
      jobId: r.job_id,
      createdAt: r.created_at,
    };
  }
}
