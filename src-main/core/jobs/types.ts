// What a job kind implements. A handler is plain async code over the store; the runner gives it a
// context whose `commit` writes the work, the progress and the checkpoint in one transaction, so a job
// killed at any instant resumes from a checkpoint that matches exactly what was stored.
import type { z } from 'zod';
import type { Job, JobProgress } from '../../../src-shared/domain';
import type { Store } from '../store';

export interface JobContext<C> {
  readonly job: Job;
  readonly config: C;
  readonly store: Store;
  readonly signal: AbortSignal;
  /** the checkpoint committed by an earlier attempt, or null on a first run */
  readonly checkpoint: unknown;
  /** runs fn in a transaction that also records progress and the new checkpoint */
  commit<T>(fn: () => T, progress: JobProgress, checkpoint: unknown): T;
  /** a progress update with no checkpoint (throttled by the runner) */
  progress(p: JobProgress): void;
  /** a point of one of the job's series (a trainer's loss), told to clients as it comes (the store keeps the series) */
  metric(name: string, step: number, value: number): void;
  /** throws CancelledError when cancel was requested */
  throwIfCancelled(): void;
}

export interface JobHandler<C = unknown, R = unknown> {
  kind: string;
  configSchema: z.ZodType<C>;
  run(ctx: JobContext<C>): Promise<R>;
  /** called after a failure or cancel so the handler can remove partial state (staging rows, files) */
  cleanup?(store: Store, job: Job, config: C): void;
  /**
   * the job's work is all or nothing and cleanup restores the workspace exactly (import): a failure with a
   * user error (bad input) is a refusal, which leaves no job row once its last event has been sent
   */
  allOrNothing?: boolean;
}
