import type { Verdict } from '../../../src-shared/domain';
import { NotFoundError } from '../errors';
import type { DB } from './db';
import { nowIso, prep } from './db';
import { fromJson, toJson } from './json';

export interface NewSolution {
  problemId: number;
  modelId: number | null;
  origin?: 'generate' | 'import' | 'regenerate' | 'search';
  finalAnswer: string | null;
  verdict: Verdict | null;
  settings?: Record<string, unknown>;
  provider?: string | null;
  jobId?: number | null;
  steps: { text: string; goldLabel?: number | null }[];
}

export interface Solution extends Omit<NewSolution, 'steps' | 'settings' | 'origin' | 'provider' | 'jobId'> {
  id: number;
  origin: string;
  settings: Record<string, unknown>;
  provider: string | null;
  jobId: number | null;
  orm: unknown;
  createdAt: string;
  steps: { idx: number; text: string; goldLabel: number | null }[];
}

interface SolutionRow {
  id: number;
  problem_id: number;
  model_id: number | null;
  origin: string;
  final_answer: string | null;
  verdict: Verdict | null;
  settings: string;
  provider: string | null;
  orm: string | null;
  job_id: number | null;
  created_at: string;
}

export class SolutionsRepo {
  constructor(private readonly db: DB) {}

  /** Inserts many solutions with their steps in one transaction. */
  insertMany(items: NewSolution[]): number[] {
    const sol = this.db.prepare(
      `INSERT INTO solutions (problem_id, model_id, origin, final_answer, verdict, settings, provider, job_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const step = this.db.prepare('INSERT INTO steps (solution_id, idx, text, gold_label) VALUES (?, ?, ?, ?)');
    return this.db.transaction(() =>
      items.map((s) => {
        const id = Number(
          sol.run(s.problemId, s.modelId, s.origin ?? 'generate', s.finalAnswer, s.verdict, toJson(s.settings ?? {}), s.provider ?? null, s.jobId ?? null, nowIso())
            .lastInsertRowid,
        );
        s.steps.forEach((st, i) => step.run(id, i, st.text, st.goldLabel ?? null));
        return id;
      }),
    )();
  }

  get(id: number): Solution {
    const r = this.db.prepare('SELECT * FROM solutions WHERE id = ?').get(id) as SolutionRow | undefined;
    if (!r) throw new NotFoundError(`solution ${id} not found`);
    return this.hydrate(r);
  }

  forProblem(problemId: number): Solution[] {
    return (this.db.prepare('SELECT * FROM solutions WHERE problem_id = ? ORDER BY id').all(problemId) as SolutionRow[]).map((r) => this.hydrate(r));
  }

  /** A solution's step texts in order (empty for an unknown id). */
  stepTexts(solutionId: number): string[] {
    return (prep(this.db, 'SELECT text FROM steps WHERE solution_id = ? ORDER BY idx').all(solutionId) as { text: string }[]).map((r) => r.text);
  }

  setOrm(solutionId: number, orm: unknown): void {
    this.db.prepare('UPDATE solutions SET orm = ? WHERE id = ?').run(toJson(orm), solutionId);
  }

  private hydrate(r: SolutionRow): Solution {
    const steps = this.db
      .prepare('SELECT idx, text, gold_label AS goldLabel FROM steps WHERE solution_id = ? ORDER BY idx')
      .all(r.id) as Solution['steps'];
    return {
      id: r.id,
      problemId: r.problem_id,
      modelId: r.model_id,
      origin: r.origin,
      finalAnswer: r.final_answer,
      verdict: r.verdict,
      settings: fromJson(r.settings, {}),
      provider: r.provider,
      jobId: r.job_id,
      orm: fromJson<unknown>(r.orm, null),
      createdAt: r.created_at,
      steps,
    };
  }
}
