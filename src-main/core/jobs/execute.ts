// Runs one claimed job to its end inside the current thread: builds the context, maps the outcome to a
// final state, and calls the handler's cleanup after a failure or cancel.
import type { Job, JobProgress } from '../../../src-shared/domain';
import { CancelledError, OutageError, UserError } from '../errors';
import type { Store } from '../store';
import type { JobContext, JobHandler } from './types';

export interface ExecuteHooks {
  /** called after every committed progress/checkpoint and throttled progress update */
  onUpdate(job: Job): void;
  signal: AbortSignal;
  /** minimum ms between non-checkpoint progress writes */
  throttleMs?: number;
  /** receives the stack of an internal error (a bug), which the job's error message leaves out */
  logInternalError?(stack: string): void;
  /** test hook: called after each commit with its ordinal (1-based) */
  afterCommit?(n: number): void;
}

export type Outcome = { state: 'done'; result: unknown } | { state: 'failed'; error: string } | { state: 'cancelled' } | { state: 'interrupted'; error: string };

export async function executeJob(store: Store, handler: JobHandler<unknown, unknown>, jobId: number, hooks: ExecuteHooks): Promise<Outcome> {
  const job = store.jobs.get(jobId);
  const parsed = handler.configSchema.safeParse(job.config);
  if (!parsed.success) {
    const msg = `job ${jobId}: invalid config: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`;
    store.jobs.finish(jobId, 'failed', null, msg);
    hooks.onUpdate(store.jobs.get(jobId));
    return { state: 'failed', error: msg };
  }
  const config = parsed.data;
  const throttle = hooks.throttleMs ?? 100;
  let lastWrite = 0;
  let lastCancelCheck = 0;
  let commits = 0;
  const cancelled = (): boolean => {
    if (hooks.signal.aborted) return true;
    const now = Date.now();
    // another process (CLI, second host) may have asked to cancel through the database
    if (now - lastCancelCheck > 250) {
      lastCancelCheck = now;
      return store.jobs.cancelRequested(jobId);
    }
    return false;
  };
  const ctx: JobContext<unknown> = {
    job,
    config,
    store,
    signal: hooks.signal,
    checkpoint: store.jobs.checkpoint(jobId),
    commit<T>(fn: () => T, progress: JobProgress, checkpoint: unknown): T {
      const r = store.transaction(() => {
        const out = fn();
        store.jobs.setProgress(jobId, progress, checkpoint);
        return out;
      });
      commits++;
      hooks.afterCommit?.(commits);
      lastWrite = Date.now();
      hooks.onUpdate(store.jobs.get(jobId));
      return r;
    },
    progress(p: JobProgress): void {
      const now = Date.now();
      if (now - lastWrite < throttle && p.total !== p.done) return;
      lastWrite = now;
      store.jobs.setProgress(jobId, p);
      hooks.onUpdate(store.jobs.get(jobId));
    },
    throwIfCancelled(): void {
      if (cancelled()) throw new CancelledError();
    },
  };
  let outcome: Outcome;
  try {
    const result = await handler.run(ctx);
    outcome = { state: 'done', result };
    store.jobs.finish(jobId, 'done', result, null);
  } catch (e) {
    if (e instanceof OutageError && !hooks.signal.aborted) {
      // a service is down: pause (no cleanup, committed work kept) and resume from the checkpoint later
      const error = `${e.message}; the job is paused with its work saved: resume it once the service answers (steplab jobs --workspace <dir> --resume, or Resume in the Jobs view)`;
      store.jobs.pause(jobId, error);
      hooks.onUpdate(store.jobs.get(jobId));
      return { state: 'interrupted', error };
    }
    if (e instanceof CancelledError || (hooks.signal.aborted && !(e instanceof UserError))) {
      outcome = { state: 'cancelled' };
    } else if (e instanceof UserError) {
      outcome = { state: 'failed', error: e.message };
    } else {
      const err = e as Error;
      outcome = { state: 'failed', error: `internal error: ${err?.message ?? String(e)}` };
      if (err?.stack) hooks.logInternalError?.(err.stack);
    }
    try {
      handler.cleanup?.(store, job, config);
    } finally {
      store.jobs.finish(jobId, outcome.state as 'failed' | 'cancelled', null, outcome.state === 'failed' ? outcome.error : 'cancelled');
    }
  }
  hooks.onUpdate(store.jobs.get(jobId));
  return outcome;
}
