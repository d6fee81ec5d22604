// The core's end of the event stream every door carries (the CLI's in-process door, the host's WebSocket,
// Electron's IPC): a subscriber is told the jobs as they are now, then every job event, each checked against
// the contract (src-shared/events.ts) before it leaves the core, as every call's answer is.
import { ApiEvent, JOBS_SNAPSHOT } from '../../src-shared/events';
import { formatZodIssue } from '../../src-shared/zodMessage';
import type { JobRunner } from './jobs/runner';
import type { Store } from './store';

/**
 * Passes on the events that match the contract. One that does not is refused: not passed on, and `refused`
 * is told why in one line (a bug in the core: the door reports it as an internal error).
 */
export function checkedEvents(listener: (event: ApiEvent) => void, refused: (why: string) => void): (raw: unknown) => void {
  return (raw) => {
    const r = ApiEvent.safeParse(raw);
    if (r.success) listener(r.data);
    else refused(`an event that does not match the contract was refused: ${formatZodIssue(r.error.issues[0], { empty: '' })}`);
  };
}

/** The newest jobs of a workspace as they are now: what a subscriber is told first. */
export function jobsSnapshot(store: Store): ApiEvent {
  return { type: 'jobs', jobs: store.jobs.list(JOBS_SNAPSHOT) };
}

/**
 * Tells `pass` a snapshot of the workspace's jobs, then every event of its runner. Both happen in this
 * thread, so no event falls between the snapshot and the first one told. Returns the unsubscribe.
 */
export function streamJobs(wb: { store: Store; runner: JobRunner }, pass: (raw: unknown) => void): () => void {
  pass(jobsSnapshot(wb.store));
  return wb.runner.onEvent((event) => pass({ type: 'job', event }));
}
