// Runs one claimed job to its end inside the current thread: builds the context, maps the outcome to a
// final state, and calls the handler's cleanup after a failure or cancel.
import type { Job, JobProgress } from '../../../src-shared/domain';
import type { JobEvent } from '../../../src-shared/events';
import { CancelledError, OutageError, UserError, describeSystemError, printable } from '../errors';
import type { Store } from '../store';
import type { JobContext, JobHandler } from './types';
import { formatZodIssue } from '../../../src-shared/zodMessage';

export interface ExecuteHooks {
  /** the job's events as they happen: its progress (after every commit and throttled update), metrics and how it ended */
  onEvent(event: JobEvent): void;
  signal: AbortSignal;
  /** minimum ms between non-checkpoint progress writes */
  throttleMs?: number;
  /** keeps the trace of an internal error (a bug), which the job's error message leaves out; returns the log file */
  logInternalError?(error: unknown): string | null;
  /** test hook: called after each commit with its ordinal (1-based) */
  afterCommit?(n: number): void;
}

export type Outcome = { state: 'done'; result: unknown } | { state: 'failed'; error: string } | { state: 'cancelled' } | { state: 'interrupted'; error: string };

/** How a job ended: its outcome, its last snapshot, and whether its row was removed (a refusal leaves no trace). */
export interface JobEnd {
  outcome: Outcome;
  job: Job;
  removed: boolean;
}

/** The event that tells how a stopped job ended, from its stored row (undefined for a job still queued or running). */
export function endEvent(job: Job, removed = false): JobEvent | undefined {
  const about = { jobId: job.id, at: job.updatedAt, progress: job.progress };
  switch (job.state) {
    case 'done':
      return { type: 'finished', ...about, result: job.result };
    case 'failed':
      return { type: 'failed', ...about, error: job.error ?? 'failed', ...(removed ? { removed } : {}) };
    case 'cancelled':
      return { type: 'cancelled', ...about, reason: job.error ?? 'cancelled' };
    case 'interrupted':
      return { type: 'interrupted', ...about, reason: job.error };
    default:
      return undefined;
  }
}

export async function executeJob(store: Store, handler: JobHandler<unknown, unknown>, jobId: number, hooks: ExecuteHooks): Promise<JobEnd> {
  const job = store.jobs.get(jobId);
  const tellEnd = (last: Job, removed = false): void => {
    const e = endEvent(last, removed);
    if (e) hooks.onEvent(e);
  };
  const parsed = handler.configSchema.safeParse(job.config);
  if (!parsed.success) {
    const msg = formatZodIssue(parsed.error.issues[0], { label: `job ${jobId}: invalid config`, empty: '' });
    store.jobs.finish(jobId, 'failed', null, msg);
    const last = store.jobs.get(jobId);
    tellEnd(last);
    return { outcome: { state: 'failed', error: msg }, job: last, removed: false };
  }
  const config = parsed.data;
  const throttle = hooks.throttleMs ?? 100;
  let lastWrite = 0;
  let lastCancelCheck = 0;
  let commits = 0;
  // the message last told: a progress event carries the counts, a message event only a changed line
  let said = job.progress.message;
  const tellProgress = (): void => {
    const j = store.jobs.get(jobId);
    hooks.onEvent({ type: 'progress', jobId, at: j.updatedAt, done: j.progress.done, total: j.progress.total });
    if (j.progress.message !== said) {
      said = j.progress.message;
      hooks.onEvent({ type: 'message', jobId, at: j.updatedAt, message: said });
    }
  };
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
      tellProgress();
      return r;
    },
    progress(p: JobProgress): void {
      const now = Date.now();
      if (now - lastWrite < throttle && p.total !== p.done) return;
      lastWrite = now;
      store.jobs.setProgress(jobId, p);
      tellProgress();
    },
    metric(name: string, step: number, value: number): void {
      hooks.onEvent({ type: 'metric', jobId, name, step, value });
    },
    throwIfCancelled(): void {
      if (cancelled()) throw new CancelledError();
    },
  };
  let outcome: Outcome;
  let refused = false;
  try {
    const result = await handler.run(ctx);
    outcome = { state: 'done', result };
    store.jobs.finish(jobId, 'done', result, null);
  } catch (e) {
    if (e instanceof OutageError && !hooks.signal.aborted) {
      // a service is down: pause (no cleanup, committed work kept) and resume from the checkpoint later
      const error = `${e.message}; the job is paused with its work saved: resume it once the service answers (steplab jobs --workspace <dir> --resume, or Resume in the Jobs view)`;
      store.jobs.pause(jobId, error);
      const last = store.jobs.get(jobId);
      tellEnd(last);
      return { outcome: { state: 'interrupted', error }, job: last, removed: false };
    }
    const system = describeSystemError(e, store.paths.dir);
    if (e instanceof CancelledError || (hooks.signal.aborted && !(e instanceof UserError) && system === null)) {
      outcome = { state: 'cancelled' };
    } else if (e instanceof UserError) {
      outcome = { state: 'failed', error: printable(e.message) };
      refused = handler.allOrNothing === true;
    } else if (system !== null) {
      // a read-only or damaged workspace, a full disk: the person's to fix, told in one line
      outcome = { state: 'failed', error: system };
    } else {
      const err = e as Error;
      const log = hooks.logInternalError?.(e) ?? null;
      outcome = { state: 'failed', error: printable(`internal error: ${err?.message ?? String(e)}${log ? ` (trace in ${log})` : ''}`) };
    }
    try {
      handler.cleanup?.(store, job, config);
    } finally {
      store.jobs.finish(jobId, outcome.state as 'failed' | 'cancelled', null, outcome.state === 'failed' ? outcome.error : 'cancelled');
    }
  }
  const last = store.jobs.get(jobId);
  if (refused) {
    // the request was refused (bad input) and cleanup left the workspace exactly as it was: the job's row
    // goes too, after its last event has told the caller why
    tellEnd(last, true);
    store.jobs.remove(jobId);
    return { outcome, job: last, removed: true };
  }
  tellEnd(last);
  return { outcome, job: last, removed: false };
}
