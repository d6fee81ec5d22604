// Worker-thread side of a job: its own SQLite connection, its own handler, messages to the runner.
import { parentPort, workerData } from 'node:worker_threads';
import type { Job } from '../../../src-shared/domain';
import { Store } from '../store';
import { executeJob } from './execute';
import { handlerFor } from './registry';

export interface WorkerInput {
  workspace: string;
  jobId: number;
  /** test hook: exit the whole process (as a kill would) after this many commits */
  crashAfterCommits?: number;
}
export type WorkerMessage = { type: 'update'; job: Job } | { type: 'finished'; job: Job };

const input = workerData as WorkerInput;
const port = parentPort!;
const abort = new AbortController();
port.on('message', (m: { type: string }) => {
  if (m.type === 'cancel') abort.abort();
});

const store = Store.open(input.workspace);
try {
  const job = store.jobs.get(input.jobId);
  await executeJob(store, handlerFor(job.kind), input.jobId, {
    signal: abort.signal,
    onUpdate: (j) => port.postMessage({ type: 'update', job: j } satisfies WorkerMessage),
    // the thread's entry point is the one place a bug's stack may go to stderr
    logInternalError: (stack) => process.stderr.write(`steplab job ${input.jobId}: ${stack}\n`),
    afterCommit: input.crashAfterCommits
      ? (n) => {
          if (n >= input.crashAfterCommits!) process.kill(process.pid, 'SIGKILL');
        }
      : undefined,
  });
  port.postMessage({ type: 'finished', job: store.jobs.get(input.jobId) } satisfies WorkerMessage);
} finally {
  store.close();
  // the message listener keeps the port, and so the thread, alive
  port.close();
}
