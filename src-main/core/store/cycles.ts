import { NotFoundError } from '../errors';
import type { DB } from './db';
import { nowIso } from './db';
import { fromJson, toJson } from './json';

export const CYCLE_STAGES = ['infer', 'verify', 'collect', 'reflect', 'regenerate', 'build', 'finetune', 'register', 'evaluate'] as const;
export type CycleStage = (typeof CYCLE_STAGES)[number];

export interface StageRecord {
  stage: CycleStage;
  status: string;
  counts: Record<string, number>;
  artifacts: Record<string, unknown>;
  startedAt: string | null;
  endedAt: string | null;
}

export interface CycleRecord {
  id: number;
  idx: number;
  name: string;
  parentModelId: number | null;
  modelId: number | null;
  status: string;
  config: Record<string, unknown>;
  metrics: Record<string, unknown>;
  jobId: number | null;
  createdAt: string;
  stages: StageRecord[];
}

export class CyclesRepo {
  constructor(private readonly db: DB) {}

  /** Creates the next cycle of a run with every stage pending. */
  create(c: { name: string; parentModelId: number | null; config: Record<string, unknown>; jobId?: number | null }): number {
    return this.db.transaction(() => {
      const idx = (this.db.prepare('SELECT coalesce(max(idx), -1) + 1 AS i FROM cycles WHERE name = ?').get(c.name) as { i: number }).i;
      const id = Number(
        this.db
          .prepare('INSERT INTO cycles (idx, name, parent_model_id, config, job_id, created_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(idx, c.name, c.parentModelId, toJson(c.config), c.jobId ?? null, nowIso()).lastInsertRowid,
      );
      const st = this.db.prepare('INSERT INTO cycle_stages (cycle_id, stage) VALUES (?, ?)');
      for (const s of CYCLE_STAGES) st.run(id, s);
      return id;
    })();
  }

  setStage(cycleId: number, stage: CycleStage, u: { status: string; counts?: Record<string, number>; artifacts?: Record<string, unknown> }): void {
    const t = nowIso();
    this.db
      .prepare(
        `UPDATE cycle_stages SET status = @status, counts = coalesce(@counts, counts), artifacts = coalesce(@artifacts, artifacts),
           started_at = CASE WHEN @status = 'running' AND started_at IS NULL THEN @t ELSE started_at END,
           ended_at = CASE WHEN @status IN ('done', 'failed', 'skipped') THEN @t ELSE ended_at END
         WHERE cycle_id = @cycleId AND stage = @stage`,
      )
      .run({ status: u.status, counts: u.counts ? toJson(u.counts) : null, artifacts: u.artifacts ? toJson(u.artifacts) : null, t, cycleId, stage });
  }

  finish(cycleId: number, status: string, modelId: number | null, metrics: Record<string, unknown>): void {
    this.db.prepare('UPDATE cycles SET status = ?, model_id = ?, metrics = ? WHERE id = ?').run(status, modelId, toJson(metrics), cycleId);
  }

  get(id: number): CycleRecord {
    const r = this.db.prepare('SELECT * FROM cycles WHERE id = ?').get(id) as
      | { id: number; idx: number; name: string; parent_model_id: number | null; model_id: number | null; status: string; config: string; metrics: string; job_id: number | null; created_at: string }
      | undefined;
    if (!r) throw new NotFoundError(`cycle ${id} not found`);
    const order = new Map(CYCLE_STAGES.map((s, i) => [s, i]));
    const stages = (
      this.db.prepare('SELECT * FROM cycle_stages WHERE cycle_id = ?').all(id) as {
        stage: CycleStage;
        status: string;
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
      idx: r.idx,
      name: r.name,
      parentModelId: r.parent_model_id,
      modelId: r.model_id,
      status: r.status,
      config: fromJson(r.config, {}),
      metrics: fromJson(r.metrics, {}),
      jobId: r.job_id,
      createdAt: r.created_at,
      stages,
    };
  }
}
