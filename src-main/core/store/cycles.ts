// MathSE cycle runs: a run, its cycles (idx 0 = the stage-0 policy, evaluated only), each cycle's
// stages with status, counts and artifacts, and each cycle's training set row by row.
import { CYCLE_STAGES, type CycleStage, type StageStatus } from '../../../src-shared/cycles';
import { NotFoundError, UserError } from '../errors';
import type { DB } from './db';
import { nowIso } from './db';
import { fromJson, toJson } from './json';

export { CYCLE_STAGES, type CycleStage };

export interface StageRecord {
  stage: CycleStage;
  status: StageStatus;
  counts: Record<string, number>;
  artifacts: Record<string, unknown>;
  startedAt: string | null;
  endedAt: string | null;
}

export interface CycleRecord {
  id: number;
  runId: number | null;
  idx: number;
  name: string;
  parentModelId: number | null;
  modelId: number | null;
  status: 'pending' | 'running' | 'done' | 'failed';
  config: Record<string, unknown>;
  metrics: Record<string, unknown>;
  jobId: number | null;
  createdAt: string;
  stages: StageRecord[];
}

export interface CycleRunRecord {
  id: number;
  name: string;
  config: Record<string, unknown>;
  datasetId: number;
  baseModelId: number;
  jobId: number | null;
  createdAt: string;
}

export interface CycleExample {
  solutionId: number;
  source: 'correct' | 'corrected' | 'distilled';
  reflection: string | null;
}

interface RunRow {
  id: number;
  name: string;
  config: string;
  dataset_id: number;
  base_model_id: number;
  job_id: number | null;
  created_at: string;
}

function hydrateRun(r: RunRow): CycleRunRecord {
  return { id: r.id, name: r.name, config: fromJson(r.config, {}), datasetId: r.dataset_id, baseModelId: r.base_model_id, jobId: r.job_id, createdAt: r.created_at };
}

export class CyclesRepo {
  constructor(private readonly db: DB) {}

  createRun(r: { name: string; config: Record<string, unknown>; datasetId: number; baseModelId: number; jobId: number | null }): number {
    if (this.db.prepare('SELECT 1 FROM cycle_runs WHERE name = ?').get(r.name)) throw new UserError(`a cycle run named "${r.name}" exists already; choose another name`);
    return Number(
      this.db
        .prepare('INSERT INTO cycle_runs (name, config, dataset_id, base_model_id, job_id, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(r.name, toJson(r.config), r.datasetId, r.baseModelId, r.jobId, nowIso()).lastInsertRowid,
    );
  }

  run(id: number): CycleRunRecord {
    const r = this.db.prepare('SELECT * FROM cycle_runs WHERE id = ?').get(id) as RunRow | undefined;
    if (!r) throw new NotFoundError(`cycle run ${id} not found`);
    return hydrateRun(r);
  }

  runByJob(jobId: number): CycleRunRecord | null {
    const r = this.db.prepare('SELECT * FROM cycle_runs WHERE job_id = ?').get(jobId) as RunRow | undefined;
    return r ? hydrateRun(r) : null;
  }

  runByName(name: string): CycleRunRecord | null {
    const r = this.db.prepare('SELECT * FROM cycle_runs WHERE name = ?').get(name) as RunRow | undefined;
    return r ? hydrateRun(r) : null;
  }

  runs(): CycleRunRecord[] {
    return (this.db.prepare('SELECT * FROM cycle_runs ORDER BY id DESC').all() as RunRow[]).map(hydrateRun);
  }

  /** Creates the next cycle of a run (or of a free-standing name) with every stage pending. */
  create(c: { name: string; runId?: number | null; idx?: number; parentModelId: number | null; config: Record<string, unknown>; jobId?: number | null }): number {
    return this.db.transaction(() => {
      const idx =
        c.idx ??
        (
          (c.runId
            ? this.db.prepare('SELECT coalesce(max(idx), -1) + 1 AS i FROM cycles WHERE run_id = ?').get(c.runId)
            : this.db.prepare('SELECT coalesce(max(idx), -1) + 1 AS i FROM cycles WHERE name = ?').get(c.name)) as { i: number }
        ).i;
      const id = Number(
        this.db
          .prepare('INSERT INTO cycles (idx, name, run_id, parent_model_id, config, job_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(idx, c.name, c.runId ?? null, c.parentModelId, toJson(c.config), c.jobId ?? null, nowIso()).lastInsertRowid,
      );
      const st = this.db.prepare('INSERT INTO cycle_stages (cycle_id, stage) VALUES (?, ?)');
      for (const s of CYCLE_STAGES) st.run(id, s);
      return id;
    })();
  }

  /** The cycle of a run at idx, or null. */
  byRunIdx(runId: number, idx: number): CycleRecord | null {
    const r = this.db.prepare('SELECT id FROM cycles WHERE run_id = ? AND idx = ?').get(runId, idx) as { id: number } | undefined;
    return r ? this.get(r.id) : null;
  }

  forRun(runId: number): CycleRecord[] {
    return (this.db.prepare('SELECT id FROM cycles WHERE run_id = ? ORDER BY idx').all(runId) as { id: number }[]).map((r) => this.get(r.id));
  }

  setStage(cycleId: number, stage: CycleStage, u: { status: StageStatus; counts?: Record<string, number>; artifacts?: Record<string, unknown> }): void {
    const t = nowIso();
    this.db
      .prepare(
        `UPDATE cycle_stages SET status = @status, counts = coalesce(@counts, counts), artifacts = coalesce(@artifacts, artifacts),
           started_at = CASE WHEN @status = 'running' AND started_at IS NULL THEN @t ELSE started_at END,
           ended_at = CASE WHEN @status IN ('done', 'failed', 'skipped') THEN @t WHEN @status = 'running' THEN NULL ELSE ended_at END
         WHERE cycle_id = @cycleId AND stage = @stage`,
      )
      .run({ status: u.status, counts: u.counts ? toJson(u.counts) : null, artifacts: u.artifacts ? toJson(u.artifacts) : null, t, cycleId, stage });
  }

  setStatus(cycleId: number, status: CycleRecord['status']): void {
    this.db.prepare('UPDATE cycles SET status = ? WHERE id = ?').run(status, cycleId);
  }

  setModel(cycleId: number, modelId: number | null): void {
    this.db.prepare('UPDATE cycles SET model_id = ? WHERE id = ?').run(modelId, cycleId);
  }

  setMetrics(cycleId: number, metrics: Record<string, unknown>): void {
    this.db.prepare('UPDATE cycles SET metrics = ? WHERE id = ?').run(toJson(metrics), cycleId);
  }

  finish(cycleId: number, status: CycleRecord['status'], modelId: number | null, metrics: Record<string, unknown>): void {
    this.db.prepare('UPDATE cycles SET status = ?, model_id = ?, metrics = ? WHERE id = ?').run(status, modelId, toJson(metrics), cycleId);
  }

  addExamples(cycleId: number, rows: readonly CycleExample[]): void {
    const st = this.db.prepare('INSERT OR IGNORE INTO cycle_examples (cycle_id, solution_id, source, reflection) VALUES (?, ?, ?, ?)');
    for (const r of rows) st.run(cycleId, r.solutionId, r.source, r.reflection);
  }

  examples(cycleId: number): CycleExample[] {
    return (
      this.db.prepare('SELECT solution_id, source, reflection FROM cycle_examples WHERE cycle_id = ? ORDER BY solution_id').all(cycleId) as {
        solution_id: number;
        source: CycleExample['source'];
        reflection: string | null;
      }[]
    ).map((r) => ({ solutionId: r.solution_id, source: r.source, reflection: r.reflection }));
  }

  clearExamples(cycleId: number): void {
    this.db.prepare('DELETE FROM cycle_examples WHERE cycle_id = ?').run(cycleId);
  }

  get(id: number): CycleRecord {
    const r = this.db.prepare('SELECT * FROM cycles WHERE id = ?').get(id) as
      | { id: number; run_id: number | null; idx: number; name: string; parent_model_id: number | null; model_id: number | null; status: string; config: string; metrics: string; job_id: number | null; created_at: string }
      | undefined;
    if (!r) throw new NotFoundError(`cycle ${id} not found`);
    const order = new Map(CYCLE_STAGES.map((s, i) => [s, i]));
    const stages = (
      this.db.prepare('SELECT * FROM cycle_stages WHERE cycle_id = ?').all(id) as {
        stage: CycleStage;
        status: StageStatus;
        counts: string;
        artifacts: string;
        started_at: string | null;
        ended_at: string | null;
      }[]
    )
      .map((s) => ({ stage: s.stage, status: s.status, counts: fromJson(s.counts, {}), artifacts: fromJson(s.artifacts, {}), startedAt: s.started_at, endedAt: s.ended_at }))
      .sort((a, b) => (order.get(a.stage) ?? 0) - (order.get(b.stage) ?? 0));
    return {
      id: r.id,
      runId: r.run_id,
      idx: r.idx,
      name: r.name,
      parentModelId: r.parent_model_id,
      modelId: r.model_id,
      status: r.status as CycleRecord['status'],
      config: fromJson(r.config, {}),
      metrics: fromJson(r.metrics, {}),
      jobId: r.job_id,
      createdAt: r.created_at,
      stages,
    };
  }
}
