// What the core pushes to its clients over every door (Electron's IPC, the host's WebSocket, the CLI's
// in-process door), each event checked against these schemas at the door as every call is. A job's life
// is told in typed events, emitted by the job runner (src-main/core/jobs); a client keeps its rows of jobs
// by reducing them (reduceJob). A fresh subscriber gets a snapshot of the jobs first, then the events, so
// nothing is missed in between.
import { z } from 'zod';
import { Job, JobProgress } from './domain';

/** jobId: the job; at: its updatedAt once the change is stored (a client keeps the later of two reports) */
const about = { jobId: z.number().int(), at: z.string() };
/** how a stopped job ended carries its last progress too, so a client that missed an event still ends with the stored row */
const ending = { ...about, progress: JobProgress };

/** A job was created, or put back in the queue to resume: its whole row (the only event that brings one). */
export const JobQueued = z.object({ type: z.literal('queued'), job: Job });
/** A worker took the job: it runs, its attempt counted. */
export const JobStarted = z.object({ type: z.literal('started'), ...about, attempts: z.number().int() });
/** How far it is: done out of total (null: not known). */
export const JobProgressed = z.object({ type: z.literal('progress'), ...about, done: z.number(), total: z.number().nullable() });
/** What it is doing now, in one line (null: nothing said). */
export const JobMessage = z.object({ type: z.literal('message'), ...about, message: z.string().nullable() });
/** A point of one of its series (a trainer's loss at a step); the series is stored with the job (jobs.metrics). */
export const JobMetric = z.object({ type: z.literal('metric'), jobId: z.number().int(), name: z.string(), step: z.number(), value: z.number() });
export type JobMetric = z.infer<typeof JobMetric>;
/** A cancel was asked for while it runs: it stops at its next check. */
export const JobCancelling = z.object({ type: z.literal('cancelling'), ...about });
/** Done, with its result. */
export const JobFinished = z.object({ type: z.literal('finished'), ...ending, result: z.unknown() });
/** Failed, with the one line that says why; removed: a refused request, whose row is gone once this is sent. */
export const JobFailed = z.object({ type: z.literal('failed'), ...ending, error: z.string(), removed: z.boolean().optional() });
/** Cancelled, with the reason stored as the job's error ("cancelled", "cancelled before it ran"). */
export const JobCancelled = z.object({ type: z.literal('cancelled'), ...ending, reason: z.string() });
/** Stopped and resumable from its checkpoint: paused by an outage (reason: why) or its process stopped (null). */
export const JobInterrupted = z.object({ type: z.literal('interrupted'), ...ending, reason: z.string().nullable() });

export const JobEvent = z.discriminatedUnion('type', [JobQueued, JobStarted, JobProgressed, JobMessage, JobMetric, JobCancelling, JobFinished, JobFailed, JobCancelled, JobInterrupted]);
export type JobEvent = z.infer<typeof JobEvent>;

/** One job event, as it travels. */
export const JobEventMessage = z.object({ type: z.literal('job'), event: JobEvent });
export type JobEventMessage = z.infer<typeof JobEventMessage>;

/** The jobs as they are now, newest first: what a subscriber is told first, and again after a workspace switch. */
export const JobsSnapshot = z.object({ type: z.literal('jobs'), jobs: z.array(Job) });
export type JobsSnapshot = z.infer<typeof JobsSnapshot>;

/** the host switched to another workspace (workspace.open): clients forget what they loaded and reload */
export const WorkspaceEvent = z.object({
  type: z.literal('workspace'),
  path: z.string(),
});
export type WorkspaceEvent = z.infer<typeof WorkspaceEvent>;

export const ApiEvent = z.discriminatedUnion('type', [JobEventMessage, JobsSnapshot, WorkspaceEvent]);
export type ApiEvent = z.infer<typeof ApiEvent>;

/** How many of the newest jobs a snapshot holds (the Jobs view shows as many). */
export const JOBS_SNAPSHOT = 200;

export function jobIdOf(e: JobEvent): number {
  return e.type === 'queued' ? e.job.id : e.jobId;
}

/** The later of two reports of one job: events and call results may arrive out of order. */
export function newerJob(a: Job, b: Job): Job {
  return b.updatedAt >= a.updatedAt ? b : a;
}

function ended(row: Job, e: { at: string; progress: JobProgress }, state: 'done' | 'failed' | 'cancelled', result: unknown, error: string | null): Job {
  // a cancel asked for is no longer pending once the job has ended
  const { cancelRequested: _asked, ...rest } = row;
  return { ...rest, state, progress: e.progress, result: result ?? null, error, updatedAt: e.at, finishedAt: e.at };
}

/**
 * The row a job event leaves: the row the core stores after the same change. Undefined when the event is
 * about a job `row` does not hold (only `queued` brings a whole row: the caller fetches the job). An event
 * older than the row (a late one, after a snapshot that already has its change) leaves the row as it is.
 */
export function reduceJob(row: Job | undefined, e: JobEvent): Job | undefined {
  if (e.type === 'queued') return row ? newerJob(row, e.job) : e.job;
  if (!row) return undefined;
  if (e.type === 'metric' || e.at < row.updatedAt) return row;
  switch (e.type) {
    case 'started':
      return { ...row, state: 'running', attempts: e.attempts, updatedAt: e.at };
    case 'progress':
      return { ...row, progress: { ...row.progress, done: e.done, total: e.total }, updatedAt: e.at };
    case 'message':
      return { ...row, progress: { ...row.progress, message: e.message }, updatedAt: e.at };
    case 'cancelling':
      return { ...row, cancelRequested: true, updatedAt: e.at };
    case 'finished':
      return ended(row, e, 'done', e.result, null);
    case 'failed':
      return ended(row, e, 'failed', null, e.error);
    case 'cancelled':
      return ended(row, e, 'cancelled', null, e.reason);
    case 'interrupted':
      // a pause stores why; a stopped process leaves the error as it was
      return { ...row, state: 'interrupted', progress: e.progress, error: e.reason ?? row.error, updatedAt: e.at };
  }
}
