// Worker-thread side of a job: its own SQLite connection, its own handler, messages to the runner.
import { parentPort, workerData } from 'node:worker_threads';
import type { Job } from '../../../src-shared/domain';
import type { JobEvent } from '../../../src-shared/events';
import { Store } from '../store';
import { executeJob } from './execute';
import { onTrainerProcess } from '../training/protocol';
import { handlerFor } from './registry';
import { debugEnabled, writeErrorLog } from '../log';

export interface WorkerInput {
  workspace: string;
  jobId: number;
  /** test hook: exit the whole process (as a kill would) after this many commits */
  crashAfterCommits?: number;
}
/**
 * event: one of the job's events (progress, message, metric, how it ended), passed on by the runner;
 * finished: the job's last row, for the runner's waiters; removed: its row was deleted as it ended (a
 * refused request); child: a trainer process group started or ended (the runner stops those still
 * running with the job)
 */
export type WorkerMessage = { type: 'event'; event: JobEvent } | { type: 'finished'; job: Job; removed: boolean } | { type: 'child'; pid: number; running: boolean };

const input = workerData as WorkerInput;
const port = parentPort!;
const abort = new AbortController();
port.on('message', (m: { type: string }) => {
  if (m.type === 'cancel') abort.abort();
});

onTrainerProcess((pid, running) => port.postMessage({ type: 'child', pid, running } satisfies WorkerMessage));
// a job waits out another process's long transaction (a big import publishing) instead of failing on it
// the host checked the workspace for damage before it started the job
const store = Store.open(input.workspace, { busyTimeoutMs: 300_000, check: false });
try {
  const job = store.jobs.get(input.jobId);
  const end = await executeJob(store, handlerFor(job.kind), input.jobId, {
    signal: abort.signal,
    onEvent: (event) => port.postMessage({ type: 'event', event } satisfies WorkerMessage),
    // a bug's trace goes to a log file; the job's error names it (--debug / STEPLAB_DEBUG=1 prints it too)
    logInternalError: (e) => {
      if (debugEnabled()) process.stderr.write(`steplab job ${input.jobId}: ${(e as Error)?.stack ?? String(e)}\n`);
      return writeErrorLog(e, `job ${input.jobId} (${job.kind}) in ${input.workspace}`);
    },
    afterCommit: input.crashAfterCommits
      ? (n) => {
          if (n >= input.crashAfterCommits!) process.kill(process.pid, 'SIGKILL');
        }
      : undefined,
  });
  port.postMessage({ type: 'finished', job: end.job, removed: end.removed } satisfies WorkerMessage);
} finally {
  store.close();
  // the message listener keeps the port, and so the thread, alive
  port.close();
}
