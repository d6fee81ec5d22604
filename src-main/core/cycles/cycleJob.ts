// The `cycle` job: MathSE's self-evolving loop (DESIGN.md "MathSE cycle") as one resumable job.
// Cycle 0 evaluates the stage-0 policy; each later cycle runs infer → verify → collect → reflect →
// regenerate → build → finetune → register → evaluate. Every stage writes its rows and the job's
// checkpoint (cycle, stage, cursor) in one transaction, so a run killed at any instant resumes at the
// same stage and cursor without redoing finished work or duplicating rows. The policy and ORM are reached
// through CyclePorts, so the orchestration is testable with scripted models. This file keeps the runner:
// where the run is (checkpoint, progress) and what a stage may use; each stage is in stages/<name>.ts.
import { join } from 'node:path';
import { CYCLE_STAGES, CycleConfig, type CycleMetrics, type CycleStage } from '../../../src-shared/cycles';
import type { Problem } from '../../../src-shared/domain';
import { CancelledError, UserError } from '../errors';
import type { JobContext, JobHandler } from '../jobs/types';
import type { Store } from '../store';
import type { CycleRecord } from '../store/cycles';
import { checkCycleRun, runNameFor } from './check';
import { type CyclePorts, enginePorts, type OrmHandle, type PolicyHandle } from './ports';
import { infer } from './stages/infer';
import { verify, collect } from './stages/verify';
import { reflect } from './stages/reflect';
import { regenerate } from './stages/regenerate';
import { build } from './stages/build';
import { finetune, register } from './stages/finetune';
import { evaluate } from './stages/evaluate';
import { label } from './stages/common';
export { reflectionText } from './stages/common';

export interface CycleCheckpoint {
  runId: number;
  cycle: number;
  stage: CycleStage;
  /** items of the stage done (problems, paths), or 0 */
  cursor: number;
}

export interface CycleRunResult {
  runId: number;
  name: string;
  cycles: ({ cycle: number; policy: string } & CycleMetrics)[];
  base_test_accuracy: number | null;
  base_pass_at_k: number | null;
}


type Ctx = JobContext<CycleConfig>;

/** Where a run is (checkpoint, progress) and what its stages may use. */
export class CycleRunner {
  readonly store: Store;
  readonly cfg: CycleConfig;
  cp: CycleCheckpoint;
  runName = '';
  datasetId = 0;
  baseModelId = 0;

  constructor(
    readonly ctx: Ctx,
    readonly ports: CyclePorts,
    cp: CycleCheckpoint,
  ) {
    this.store = ctx.store;
    this.cfg = ctx.config;
    this.cp = cp;
    const run = this.store.cycles.run(cp.runId);
    this.runName = run.name;
    this.datasetId = run.datasetId;
    this.baseModelId = run.baseModelId;
  }

  get totalStages(): number {
    return 1 + this.cfg.cycles * CYCLE_STAGES.length;
  }

  stagesDone(): number {
    return this.cp.cycle === 0 ? 0 : 1 + (this.cp.cycle - 1) * CYCLE_STAGES.length + CYCLE_STAGES.indexOf(this.cp.stage);
  }

  progress(message: string): { done: number; total: number; message: string } {
    return { done: this.stagesDone(), total: this.totalStages, message: `cycle ${this.cp.cycle}/${this.cfg.cycles} · ${this.cp.stage}${message ? ` · ${message}` : ''}` };
  }

  cycle(): CycleRecord {
    const c = this.store.cycles.byRunIdx(this.cp.runId, this.cp.cycle);
    if (!c) throw new Error(`cycle ${this.cp.cycle} of run ${this.cp.runId} is missing`);
    return c;
  }

  workDir(idx: number): string {
    return join(this.store.paths.dir, 'cycles', this.runName, `c${idx}`);
  }

  /** Commits fn with the cursor moved to `cursor` within the current stage. */
  commitCursor<T>(fn: () => T, cursor: number, message: string): T {
    this.cp = { ...this.cp, cursor };
    return this.ctx.commit(fn, this.progress(message), this.cp);
  }

  /** Marks the stage done (with fn's writes) and moves the checkpoint to the next stage or cycle. */
  finishStage(counts: Record<string, number>, artifacts: Record<string, unknown>, fn?: () => void, status: 'done' | 'skipped' = 'done'): void {
    const c = this.cycle();
    const stage = this.cp.stage;
    const next = this.nextPosition();
    this.ctx.commit(
      () => {
        fn?.();
        this.store.cycles.setStage(c.id, stage, { status, counts, artifacts });
        if (next.cycle !== c.idx) {
          // the cycle is complete: open the next one in the same transaction
          if (next.cycle <= this.cfg.cycles && !this.store.cycles.byRunIdx(this.cp.runId, next.cycle)) {
            this.store.cycles.create({ name: this.runName, runId: this.cp.runId, idx: next.cycle, parentModelId: c.modelId, config: {}, jobId: this.ctx.job.id });
          }
        }
      },
      { ...this.progress(''), done: this.stagesDone() + 1 },
      next,
    );
    this.cp = next;
  }

  nextPosition(): CycleCheckpoint {
    const { cycle, stage } = this.cp;
    if (cycle === 0 || stage === 'evaluate') return { runId: this.cp.runId, cycle: cycle + 1, stage: 'infer', cursor: 0 };
    return { runId: this.cp.runId, cycle, stage: CYCLE_STAGES[CYCLE_STAGES.indexOf(stage) + 1], cursor: 0 };
  }

  async run(): Promise<CycleRunResult> {
    while (this.cp.cycle <= this.cfg.cycles) {
      this.ctx.throwIfCancelled();
      const c = this.cycle();
      if (c.idx === 0 && this.cp.stage !== 'evaluate') this.cp = { ...this.cp, stage: 'evaluate', cursor: 0 };
      const stage = this.cp.stage;
      if (c.status !== 'running') this.store.cycles.setStatus(c.id, 'running');
      this.store.cycles.setStage(c.id, stage, { status: 'running' });
      this.ctx.progress(this.progress(''));
      try {
        await this.stage(c);
      } catch (e) {
        if (!(e instanceof CancelledError)) {
          const message = (e as Error).message;
          this.store.cycles.setStage(c.id, stage, { status: 'failed', artifacts: { ...(c.stages.find((s) => s.stage === stage)?.artifacts ?? {}), error: message } });
          this.store.cycles.setStatus(c.id, 'failed');
          throw e instanceof UserError ? new UserError(`cycle ${c.idx}, stage ${stage}: ${message}`) : e;
        }
        this.store.cycles.setStage(c.id, stage, { status: 'pending' });
        throw e;
      }
    }
    return this.result();
  }

  async stage(c: CycleRecord): Promise<void> {
    // cycle 0 only measures the stage-0 policy
    if (c.idx === 0) return evaluate(this, c, this.baseModelId);
    switch (this.cp.stage) {
      case 'infer':
        return infer(this, c);
      case 'verify':
        return verify(this, c);
      case 'collect':
        return collect(this, c);
      case 'reflect':
        return reflect(this, c);
      case 'regenerate':
        return regenerate(this, c);
      case 'build':
        return build(this, c);
      case 'finetune':
        return finetune(this, c);
      case 'register':
        return register(this, c);
      case 'evaluate':
        return evaluate(this, c, c.modelId ?? this.fail(`cycle ${c.idx} has no registered model to evaluate`));
    }
  }

  fail(message: string): never {
    throw new UserError(message);
  }

  policyOf(c: CycleRecord): number {
    return c.parentModelId ?? this.baseModelId;
  }

  // ---- problems ---------------------------------------------------------------------------

  splitProblems(split: string): Problem[] {
    return [...this.store.problems.iterateDataset(this.datasetId, { split })];
  }

  /** The cycle's slice of the train split: the first `infer.problems`, or with rotate a window that moves each cycle. */
  trainPool(idx: number): Problem[] {
    const all = this.splitProblems(this.cfg.trainSplit);
    const n = this.cfg.infer.problems;
    if (n === null || n >= all.length) return all;
    if (!this.cfg.infer.rotate) return all.slice(0, n);
    const start = ((idx - 1) * n) % all.length;
    return Array.from({ length: n }, (_, i) => all[(start + i) % all.length]);
  }

  evalPool(): Problem[] {
    const all = this.splitProblems(this.cfg.evalSplit);
    return this.cfg.evaluate.problems === null ? all : all.slice(0, this.cfg.evaluate.problems);
  }

  async withPolicy<T>(modelId: number, fn: (p: PolicyHandle) => Promise<T>): Promise<T> {
    const p = await this.ports.openPolicy(modelId);
    try {
      return await fn(p);
    } finally {
      await p.release();
    }
  }

  async withOrm<T>(fn: (o: OrmHandle) => Promise<T>): Promise<T> {
    const ref = this.cfg.orm ?? this.fail('no ORM configured');
    const o = await this.ports.openOrm(this.store.models.byName(ref).id, this.cfg.reflect.maxNewTokens);
    try {
      return await fn(o);
    } finally {
      await o.release();
    }
  }

  result(): CycleRunResult {
    const cycles = this.store.cycles.forRun(this.cp.runId);
    const base = cycles.find((c) => c.idx === 0);
    const baseMetrics = (base?.metrics ?? {}) as Partial<CycleMetrics>;
    return {
      runId: this.cp.runId,
      name: this.runName,
      cycles: cycles
        .filter((c) => c.idx > 0 && c.status === 'done')
        .map((c) => ({ cycle: c.idx, policy: c.modelId ? label(this.store, c.modelId) : '', ...(c.metrics as CycleMetrics) })),
      base_test_accuracy: baseMetrics.test_accuracy ?? null,
      base_pass_at_k: baseMetrics.pass_at_k ?? null,
    };
  }
}

/** Runs (or resumes) a cycle run with the given ports. */
export async function runCycles(ctx: Ctx, ports: CyclePorts): Promise<CycleRunResult> {
  let cp = ctx.checkpoint as CycleCheckpoint | null;
  if (!cp) {
    const { datasetId, policyId } = checkCycleRun(ctx.store, ctx.config);
    const name = ctx.config.name ?? runNameFor(ctx.store, ctx.config);
    cp = { runId: 0, cycle: 0, stage: 'evaluate', cursor: 0 };
    const first = cp;
    ctx.commit(
      () => {
        first.runId = ctx.store.cycles.createRun({ name, config: ctx.config as unknown as Record<string, unknown>, datasetId, baseModelId: policyId, jobId: ctx.job.id });
        const c0 = ctx.store.cycles.create({ name, runId: first.runId, idx: 0, parentModelId: null, config: {}, jobId: ctx.job.id });
        for (const s of CYCLE_STAGES) if (s !== 'evaluate') ctx.store.cycles.setStage(c0, s, { status: 'skipped' });
        ctx.store.cycles.setModel(c0, policyId);
      },
      { done: 0, total: 1 + ctx.config.cycles * CYCLE_STAGES.length, message: 'cycle 0 · evaluate the stage-0 policy' },
      first,
    );
  }
  return new CycleRunner(ctx, ports, cp).run();
}

export const cycleJob: JobHandler<CycleConfig, CycleRunResult> = {
  kind: 'cycle',
  configSchema: CycleConfig,
  run(ctx) {
    return runCycles(ctx, enginePorts(ctx.store));
  },
  // no cleanup: a failed or cancelled run keeps every finished stage and resumes where it stopped
};
