import type { Verdict } from '../../../src-shared/domain';
import { NotFoundError } from '../errors';
import type { DB } from './db';
import { nowIso, prep } from './db';
import { fromJson, toJson } from './json';

export interface NewSolution {
  problemId: number;
  modelId: number | null;
  /** generate | import | regenerate | search, or who wrote an imported benchmark row (its generator / policy_model) */
  origin?: 'generate' | 'import' | 'regenerate' | 'search' | (string & {});
  finalAnswer: string | null;
  verdict: Verdict | null;
  settings?: Record<string, unknown>;
  provider?: string | null;
  jobId?: number | null;
  /** MathSE cycles: the cycle, the solution's part in it (sample, regen, eval-greedy, eval-sample) and, for a regeneration, the wrong original */
  cycleId?: number | null;
  cycleRole?: string | null;
  parentSolutionId?: number | null;
  orm?: unknown;
  steps: { text: string; goldLabel?: number | null }[];
}

export interface Solution extends Omit<NewSolution, 'steps' | 'settings' | 'origin' | 'provider' | 'jobId' | 'cycleId' | 'cycleRole' | 'parentSolutionId' | 'orm'> {
  id: number;
  cycleId: number | null;
  cycleRole: string | null;
  parentSolutionId: number | null;
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
  cycle_id: number | null;
  cycle_role: string | null;
  parent_solution_id: number | null;
  created_at: string;
}

export class SolutionsRepo {
  constructor(private readonly db: DB) {}

  /** Inserts many solutions with their steps in one transaction. */
  insertMany(items: NewSolution[]): number[] {
    const sol = this.db.prepare(
      `INSERT INTO solutions (problem_id, model_id, origin, final_answer, verdict, settings, provider, job_id, cycle_id, cycle_role, parent_solution_id, orm, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const step = this.db.prepare('INSERT INTO steps (solution_id, idx, text, gold_label) VALUES (?, ?, ?, ?)');
    return this.db.transaction(() =>
      items.map((s) => {
        const id = Number(
          sol.run(
            s.problemId,
            s.modelId,
            s.origin ?? 'generate',
            s.finalAnswer,
            s.verdict,
            toJson(s.settings ?? {}),
            s.provider ?? null,
            s.jobId ?? null,
            s.cycleId ?? null,
            s.cycleRole ?? null,
            s.parentSolutionId ?? null,
            s.orm === undefined ? null : toJson(s.orm),
            nowIso(),
          ).lastInsertRowid,
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

  /**
   * The rows a step-level benchmark import stored for a dataset (settings.benchmark.dataset names it),
   * in the order they were stored.
   */
  benchmarkRows(dataset: string): Solution[] {
    return (
      prep(this.db, "SELECT * FROM solutions WHERE json_extract(settings, '$.benchmark.dataset') = ? ORDER BY id").all(dataset) as SolutionRow[]
    ).map((r) => this.hydrate(r));
  }

  /** A solution's step texts in order (empty for an unknown id). */
  stepTexts(solutionId: number): string[] {
    return (prep(this.db, 'SELECT text FROM steps WHERE solution_id = ? ORDER BY idx').all(solutionId) as { text: string }[]).map((r) => r.text);
  }

  /** A cycle's solutions of one part (sample, regen, eval-greedy, eval-sample), in insertion order. */
  forCycle(cycleId: number, role: string): Solution[] {
    return (this.db.prepare('SELECT * FROM solutions WHERE cycle_id = ? AND cycle_role = ? ORDER BY id').all(cycleId, role) as SolutionRow[]).map((r) => this.hydrate(r));
  }

  /** Regenerations of a wrong solution. */
  /** The ids of a cycle's samples the ORM judged, in id order. */
  judgedSampleIds(cycleId: number): number[] {
    return (prep(this.db, "SELECT id FROM solutions WHERE cycle_id = ? AND cycle_role = 'sample' AND orm IS NOT NULL ORDER BY id").all(cycleId) as { id: number }[]).map((r) => r.id);
  }

  children(parentId: number): Solution[] {
    return (this.db.prepare('SELECT * FROM solutions WHERE parent_solution_id = ? ORDER BY id').all(parentId) as SolutionRow[]).map((r) => this.hydrate(r));
  }

  countForCycle(cycleId: number, role: string): number {
    return (this.db.prepare('SELECT count(*) AS n FROM solutions WHERE cycle_id = ? AND cycle_role = ?').get(cycleId, role) as { n: number }).n;
  }

  /** Records verdicts and gold step labels (null labels leave a step's label unknown). */
  setVerification(items: readonly { id: number; verdict: Verdict; finalAnswer: string | null; goldLabels: readonly (number | null)[] | null }[]): void {
    const sol = this.db.prepare('UPDATE solutions SET verdict = ?, final_answer = ? WHERE id = ?');
    const st = this.db.prepare('UPDATE steps SET gold_label = ? WHERE solution_id = ? AND idx = ?');
    this.db.transaction(() => {
      for (const it of items) {
        sol.run(it.verdict, it.finalAnswer, it.id);
        it.goldLabels?.forEach((g, i) => st.run(g, it.id, i));
      }
    })();
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
      cycleId: r.cycle_id,
      cycleRole: r.cycle_role,
      parentSolutionId: r.parent_solution_id,
      orm: fromJson<unknown>(r.orm, null),
      createdAt: r.created_at,
      steps,
    };
  }
}
