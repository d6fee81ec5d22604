import type { Job, JobProgress, JobState } from '../../../src-shared/domain';
import { NotFoundError } from '../errors';
import type { DB } from './db';
import { nowIso, prep } from './db';
import { fromJson, toJson } from './json';

interface JobRow {
  id: number;
  kind: string;
  config: string;
  state: JobState;
  progress: string;
  checkpoint: string | null;
  result: string | null;
  error: string | null;
  attempts: number;
  owner_pid: number | null;
  cancel_requested: number;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export const TERMINAL_STATES: readonly JobState[] = ['done', 'failed', 'cancelled'];

export class JobsRepo {
  constructor(private readonly db: DB) {}

  create(kind: string, config: unknown): Job {
    const t = nowIso();
    const id = Number(
      prep(this.db, "INSERT INTO jobs (kind, config, state, created_at, updated_at) VALUES (?, ?, 'queued', ?, ?)")
        .run(kind, toJson(config), t, t).lastInsertRowid,
    );
    return this.get(id);
  }

  get(id: number): Job {
    const row = this.row(id);
    return hydrate(row);
  }

  row(id: number): JobRow {
    const row = prep(this.db, 'SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    if (!row) throw new NotFoundError(`job ${id} not found`);
    return row;
  }

  /** Every job of a kind, newest first. */
  ofKind(kind: string): Job[] {
    return (prep(this.db, 'SELECT * FROM jobs WHERE kind = ? ORDER BY id DESC').all(kind) as JobRow[]).map(hydrate);
  }

  list(limit = 100): Job[] {
    return (prep(this.db, 'SELECT * FROM jobs ORDER BY id DESC LIMIT ?').all(limit) as JobRow[]).map(hydrate);
  }

  checkpoint<T>(id: number): T | null {
    return fromJson<T | null>(this.row(id).checkpoint, null);
  }

  /** Atomically takes a queued or interrupted job for this process; false if another owner has it. */
  claim(id: number, pid: number): boolean {
    const r = prep(
        this.db,
        "UPDATE jobs SET state = 'running', owner_pid = ?, attempts = attempts + 1, updated_at = ? WHERE id = ? AND state IN ('queued', 'interrupted')",
      )
      .run(pid, nowIso(), id);
    return r.changes === 1;
  }

  setProgress(id: number, p: JobProgress, checkpoint?: unknown): void {
    if (checkpoint === undefined) {
      prep(this.db, 'UPDATE jobs SET progress = ?, updated_at = ? WHERE id = ?').run(toJson(p), nowIso(), id);
    } else {
      prep(this.db, 'UPDATE jobs SET progress = ?, checkpoint = ?, updated_at = ? WHERE id = ?')
        .run(toJson(p), toJson(checkpoint), nowIso(), id);
    }
  }

  finish(id: number, state: 'done' | 'failed' | 'cancelled', result: unknown, error: string | null): void {
    const t = nowIso();
    prep(this.db, 'UPDATE jobs SET state = ?, result = ?, error = ?, owner_pid = NULL, updated_at = ?, finished_at = ? WHERE id = ?')
      .run(state, result === undefined ? null : toJson(result), error, t, t, id);
  }

  /**
   * Deletes failed and cancelled jobs that finished before `before` (ISO time; all when absent). A job
   * whose rows are still in the workspace (solutions, searches, evaluations, cycles it made) is kept.
   */
  prune(before?: string): { removed: number[]; kept: { id: number; reason: string }[] } {
    const rows = prep(this.db, "SELECT id, kind FROM jobs WHERE state IN ('failed', 'cancelled') AND (? IS NULL OR coalesce(finished_at, updated_at) < ?) ORDER BY id")
      .all(before ?? null, before ?? null) as { id: number; kind: string }[];
    const made: [string, string][] = [
      ['solutions', 'solutions'],
      ['searches', 'search trees'],
      ['evaluations', 'an evaluation'],
      ['cycle_runs', 'a cycle run'],
      ['cycles', 'cycles'],
    ];
    const removed: number[] = [];
    const kept: { id: number; reason: string }[] = [];
    this.db.transaction(() => {
      for (const r of rows) {
        const holds = made.filter(([table]) => prep(this.db, `SELECT 1 FROM ${table} WHERE job_id = ? LIMIT 1`).get(r.id) !== undefined).map(([, what]) => what);
        if (holds.length) {
          kept.push({ id: r.id, reason: `its ${holds.join(', ')} are in the workspace` });
          continue;
        }
        this.remove(r.id);
        removed.push(r.id);
      }
    })();
    return { removed, kept };
  }

  /** Deletes a job's row (a refused request's; its staging rows and metrics go with it). */
  remove(id: number): void {
    prep(this.db, 'DELETE FROM jobs WHERE id = ?').run(id);
  }

  requestCancel(id: number): Job {
    const row = this.row(id);
    if (row.state === 'queued' || row.state === 'interrupted') {
      this.finish(id, 'cancelled', null, 'cancelled before it ran');
    } else if (row.state === 'running') {
      prep(this.db, 'UPDATE jobs SET cancel_requested = 1, updated_at = ? WHERE id = ?').run(nowIso(), id);
    }
    return this.get(id);
  }

  cancelRequested(id: number): boolean {
    return this.row(id).cancel_requested === 1;
  }

  /** Jobs marked running whose owning process is gone are interrupted: they resume from their checkpoint. */
  markOrphansInterrupted(isAlive: (pid: number) => boolean): number[] {
    const rows = prep(this.db, "SELECT id, owner_pid FROM jobs WHERE state = 'running'").all() as { id: number; owner_pid: number | null }[];
    const orphans = rows.filter((r) => r.owner_pid === null || !isAlive(r.owner_pid)).map((r) => r.id);
    const stmt = prep(this.db, "UPDATE jobs SET state = 'interrupted', owner_pid = NULL, updated_at = ? WHERE id = ? AND state = 'running'");
    for (const id of orphans) stmt.run(nowIso(), id);
    return orphans;
  }

  /**
   * Puts a stopped job (interrupted, failed or cancelled) back in the queue with its checkpoint, so it
   * continues where it stopped; false if it was not in one of those states (another caller took it).
   */
  requeue(id: number): boolean {
    const r = prep(
        this.db,
        "UPDATE jobs SET state = 'queued', error = NULL, result = NULL, finished_at = NULL, cancel_requested = 0, owner_pid = NULL, updated_at = ? WHERE id = ? AND state IN ('interrupted', 'failed', 'cancelled')",
      )
      .run(nowIso(), id);
    return r.changes === 1;
  }

  /** A running job stopped by an outage: interrupted (resumable from its checkpoint), with the reason kept. */
  pause(id: number, reason: string): void {
    prep(this.db, "UPDATE jobs SET state = 'interrupted', error = ?, owner_pid = NULL, updated_at = ? WHERE id = ? AND state = 'running'").run(reason, nowIso(), id);
  }

  interrupt(id: number): void {
    prep(this.db, "UPDATE jobs SET state = 'interrupted', owner_pid = NULL, updated_at = ? WHERE id = ? AND state = 'running'").run(nowIso(), id);
  }

  /** Appends points of a job's metric series (e.g. a training loss curve); a repeated step replaces its value. */
  addMetrics(id: number, name: string, points: readonly (readonly [step: number, value: number])[]): void {
    const stmt = prep(this.db, 'INSERT OR REPLACE INTO job_metrics (job_id, name, step, value) VALUES (?, ?, ?, ?)');
    this.db.transaction(() => points.forEach(([step, v]) => stmt.run(id, name, step, v)))();
  }

  /** A job's metric series, by name, each ordered by step. */
  metrics(id: number): Record<string, [number, number][]> {
    const rows = prep(this.db, 'SELECT name, step, value FROM job_metrics WHERE job_id = ? ORDER BY name, step').all(id) as { name: string; step: number; value: number }[];
    const out: Record<string, [number, number][]> = {};
    for (const r of rows) (out[r.name] ??= []).push([r.step, r.value]);
    return out;
  }

  // ---- what an unfinished job wrote, removed before it starts over (jobs/rerun.ts) ----

  /** A search job's searches and their annotations; returns the rows removed. */
  discardSearchOutput(jobId: number): number {
    let n = prep(this.db, 'DELETE FROM annotations WHERE search_id IN (SELECT id FROM searches WHERE job_id = ?)').run(jobId).changes;
    n += prep(this.db, 'DELETE FROM searches WHERE job_id = ?').run(jobId).changes;
    return n;
  }

  /** A bon job's evaluations; returns the rows removed. */
  discardEvaluations(jobId: number): number {
    return prep(this.db, 'DELETE FROM evaluations WHERE job_id = ?').run(jobId).changes;
  }

  /** The job's solutions that nothing refers to (no evaluation item, annotation, cycle example or child); returns the rows removed. */
  discardUnreferencedSolutions(jobId: number): number {
    return prep(
      this.db,
      `DELETE FROM solutions WHERE id IN (SELECT id FROM solutions s WHERE s.job_id = @id
      AND NOT EXISTS (SELECT 1 FROM evaluation_items e WHERE e.solution_id = s.id)
      AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.solution_id = s.id)
      AND NOT EXISTS (SELECT 1 FROM cycle_examples c WHERE c.solution_id = s.id)
      AND NOT EXISTS (SELECT 1 FROM solutions p WHERE p.parent_solution_id = s.id))`,
    ).run({ id: jobId }).changes;
  }

  pending(): Job[] {
    return (prep(this.db, "SELECT * FROM jobs WHERE state IN ('queued', 'interrupted') ORDER BY id").all() as JobRow[]).map(hydrate);
  }
}

function hydrate(r: JobRow): Job {
  return {
    id: r.id,
    kind: r.kind,
    config: fromJson<unknown>(r.config, {}),
    state: r.state,
    progress: fromJson<JobProgress>(r.progress, { done: 0, total: null, message: null }),
    result: fromJson<unknown>(r.result, null),
    error: r.error,
    attempts: r.attempts,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at,
    ...(r.cancel_requested === 1 && !TERMINAL_STATES.includes(r.state) ? { cancelRequested: true } : {}),
  };
}
