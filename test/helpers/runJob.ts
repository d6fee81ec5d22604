// A small, honest stand-in for the job runner: it creates the job row, gives the handler a context whose
// commit runs fn, the progress and the checkpoint in one transaction, and calls cleanup after a failure.
// `killAfterCommits: n` makes commit number n+1 throw before it runs anything, which is what a process
// killed at that instant leaves behind (n committed chunks, no cleanup); a later runJob with the same
// jobId is the next attempt, starting from the last committed checkpoint.
import type { Job, JobProgress } from '../../src-shared/domain';
import { CancelledError } from '../../src-main/core/errors';
import type { JobContext, JobHandler } from '../../src-main/core/jobs/types';
import type { Store } from '../../src-main/core/store';

export class SimulatedKill extends Error {
  constructor(readonly commits: number) {
    super(`simulated kill after ${commits} commits`);
    this.name = 'SimulatedKill';
  }
}

export interface RunJobOptions {
  /** an existing job to run again (resume); default: a new job row */
  jobId?: number;
  killAfterCommits?: number;
  signal?: AbortSignal;
  /** called after every committed transaction */
  afterCommit?(n: number, progress: JobProgress, checkpoint: unknown): void;
}

export interface JobRun<R> {
  jobId: number;
  commits: number;
  result: R;
}

export function createJob<C>(store: Store, handler: JobHandler<C, unknown>, config: unknown): Job {
  return store.jobs.create(handler.kind, handler.configSchema.parse(config));
}

/** Runs a handler once. Rejects with the handler's error (after cleanup) or with SimulatedKill (no cleanup). */
export async function runJob<C, R>(store: Store, handler: JobHandler<C, R>, config: unknown, opts: RunJobOptions = {}): Promise<JobRun<R>> {
  const job = opts.jobId !== undefined ? store.jobs.get(opts.jobId) : createJob(store, handler, config);
  const parsed = handler.configSchema.parse(job.config);
  const signal = opts.signal ?? new AbortController().signal;
  let commits = 0;
  const ctx: JobContext<C> = {
    job,
    config: parsed,
    store,
    signal,
    checkpoint: store.jobs.checkpoint(job.id),
    commit<T>(fn: () => T, progress: JobProgress, checkpoint: unknown): T {
      if (opts.killAfterCommits !== undefined && commits >= opts.killAfterCommits) throw new SimulatedKill(commits);
      const r = store.transaction(() => {
        const out = fn();
        store.jobs.setProgress(job.id, progress, checkpoint);
        return out;
      });
      commits += 1;
      opts.afterCommit?.(commits, progress, checkpoint);
      return r;
    },
    progress(p: JobProgress): void {
      store.jobs.setProgress(job.id, p);
    },
    metric(): void {},
    throwIfCancelled(): void {
      if (signal.aborted) throw new CancelledError();
    },
  };
  try {
    const result = await handler.run(ctx);
    store.jobs.finish(job.id, 'done', result, null);
    return { jobId: job.id, commits, result };
  } catch (e) {
    if (e instanceof SimulatedKill) throw e;
    try {
      handler.cleanup?.(store, job, parsed);
    } finally {
      store.jobs.finish(job.id, e instanceof CancelledError ? 'cancelled' : 'failed', null, (e as Error).message);
    }
    throw e;
  }
}
