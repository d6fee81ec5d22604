// The persistent job queue of one workspace. Jobs are rows in `jobs`; each runs in a worker thread with
// its own SQLite connection. A job whose owning process died is "interrupted" and resumes from its
// checkpoint when a runner next starts it.
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Job } from '../../../src-shared/domain';
import type { JobEvent } from '../../../src-shared/events';
import { JOB_CONFIGS, type JobKind, type JobRequest } from '../../../src-shared/jobConfigs';
import { UserError } from '../errors';
import type { Store } from '../store';
import { jobHandlers } from './registry';
import { signalGroup } from '../training/protocol';
import type { WorkerInput, WorkerMessage } from './worker';
import { endEvent } from './execute';
import { formatZodIssue } from '../../../src-shared/zodMessage';

const WORKER_ENTRY = new URL('./worker-entry.mjs', import.meta.url);

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface RunnerOptions {
  /** how many jobs run at once (default 1: the machine has 2 cores and jobs are CPU-bound) */
  concurrency?: number;
  /**
   * test hook, given by the edge (the CLI reads STEPLAB_TEST_KILL_AFTER_COMMITS): the whole process exits
   * as a kill would after a job's worker has made this many commits
   */
  crashAfterCommits?: number;
}

export class JobRunner {
  private readonly events = new EventEmitter();
  private readonly running = new Map<number, Worker>();
  private readonly waiters = new Map<number, ((job: Job) => void)[]>();
  private readonly queue: number[] = [];
  /** the trainer process groups each running job has started */
  private readonly children = new Map<number, Set<number>>();
  /** jobs another process runs that this one waits on: polled in the database */
  private readonly watched = new Map<number, NodeJS.Timeout>();
  /** the last snapshot of jobs whose row was removed as they ended (a refused import), for late waiters */
  private readonly removed = new Map<number, Job>();
  /** jobs resumed while their previous worker was still exiting */
  private readonly requeued = new Set<number>();
  private readonly concurrency: number;
  private readonly crashAfterCommits: number | undefined;
  private closed = false;

  constructor(
    private readonly store: Store,
    opts: RunnerOptions = {},
  ) {
    this.concurrency = opts.concurrency ?? 1;
    this.crashAfterCommits = opts.crashAfterCommits;
  }

  /** Marks jobs of dead processes as interrupted; returns their ids. */
  recover(): number[] {
    return this.store.jobs.markOrphansInterrupted((pid) => pid !== process.pid && pidAlive(pid));
  }

  /** Queues every queued or interrupted job of the workspace (what a host does when it starts). */
  resumeAll(): number[] {
    this.recover();
    const ids = this.store.jobs.pending().map((j) => j.id);
    for (const id of ids) this.enqueue(id);
    return ids;
  }

  /** Parses a config written by a caller inside the core (or a test) and starts the job. Doors use start(). */
  submit(kind: string, config: unknown): Job {
    if (!Object.prototype.hasOwnProperty.call(JOB_CONFIGS, kind)) throw new UserError(`unknown job kind "${kind}"`);
    const parsed = JOB_CONFIGS[kind as JobKind].safeParse(config);
    if (!parsed.success) throw new UserError(formatZodIssue(parsed.error.issues[0], { label: `${kind}: invalid config`, empty: '' }));
    return this.start({ kind, config: parsed.data } as JobRequest);
  }

  /** Stores a job whose request a door has parsed already, and queues it. */
  start(request: JobRequest): Job {
    if (!jobHandlers.has(request.kind)) throw new UserError(`unknown job kind "${request.kind}"`);
    const job = this.store.jobs.create(request.kind, request.config);
    // a refused job's id is free again once its row is gone: the new job's waiters wait for the new job
    this.removed.delete(job.id);
    this.emit({ type: 'queued', job });
    this.enqueue(job.id);
    return job;
  }

  /** Runs an existing queued or interrupted job (resume). */
  enqueue(id: number): void {
    // resumed while its last worker is still exiting (a cancel, then Resume at once): queued once that worker is gone
    if (this.running.has(id)) {
      this.requeued.add(id);
      return;
    }
    if (this.queue.includes(id)) return;
    this.queue.push(id);
    this.pump();
  }

  /**
   * Resumes a stopped job from its checkpoint. An interrupted job always can; a failed or cancelled one
   * only when its kind keeps its partial work (a kind with a cleanup removed it: start a new job instead).
   */
  resume(id: number): Job {
    const job = this.store.jobs.get(id);
    if (job.state === 'queued' || job.state === 'running') throw new UserError(`job ${id} is already ${job.state}`);
    if (job.state === 'done') throw new UserError(`job ${id} is done; start a new ${job.kind} job to run it again`);
    const handler = jobHandlers.get(job.kind);
    if (!handler) throw new UserError(`job ${id} is of an unknown kind "${job.kind}"`);
    if (job.state !== 'interrupted' && handler.cleanup) {
      throw new UserError(`job ${id} (${job.kind}) cannot resume after it ${job.state === 'failed' ? 'failed' : 'was cancelled'}: its partial work was removed; start a new ${job.kind} job`);
    }
    if (!this.store.jobs.requeue(id)) throw new UserError(`job ${id} changed state meanwhile; refresh and try again`);
    const queued = this.store.jobs.get(id);
    this.emit({ type: 'queued', job: queued });
    this.enqueue(id);
    return queued;
  }

  cancel(id: number): Job {
    const job = this.store.jobs.requestCancel(id);
    const qi = this.queue.indexOf(id);
    if (qi >= 0) this.queue.splice(qi, 1);
    this.running.get(id)?.postMessage({ type: 'cancel' });
    // a queued job is cancelled at once; a running one stops at its next check
    if (job.state === 'cancelled') this.emitEnd(job);
    else if (job.cancelRequested) this.emit({ type: 'cancelling', jobId: id, at: job.updatedAt });
    if (job.state === 'cancelled') this.resolveWaiters(job);
    return job;
  }

  /**
   * Resolves when the job reaches done, failed or cancelled, or stops interrupted (a paused job, or one
   * whose process died). A job another process runs (two `jobs --resume` at once) is watched in the
   * database until it ends, so a wait always settles.
   */
  wait(id: number): Promise<Job> {
    const gone = this.removed.get(id);
    if (gone) return Promise.resolve(gone);
    const job = this.store.jobs.get(id);
    if (job.state === 'done' || job.state === 'failed' || job.state === 'cancelled') return Promise.resolve(job);
    const promise = new Promise<Job>((resolve) => {
      const list = this.waiters.get(id) ?? [];
      list.push(resolve);
      this.waiters.set(id, list);
    });
    if (!this.running.has(id) && !this.queue.includes(id)) this.watch(id);
    return promise;
  }

  /** The typed events of every job this runner starts, runs, cancels or resumes (src-shared/events.ts). */
  onEvent(listener: (event: JobEvent) => void): () => void {
    this.events.on('job', listener);
    return () => this.events.off('job', listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    for (const t of this.watched.values()) clearInterval(t);
    this.watched.clear();
    for (const set of this.children.values()) for (const pid of set) signalGroup(pid);
    await Promise.all([...this.running.values()].map((w) => w.terminate()));
  }

  private emit(event: JobEvent): void {
    this.events.emit('job', event);
  }

  /** Tells how a stopped job ended, from its stored row. */
  private emitEnd(job: Job): void {
    const e = endEvent(job);
    if (e) this.emit(e);
  }

  private resolveWaiters(job: Job): void {
    const list = this.waiters.get(job.id);
    this.waiters.delete(job.id);
    for (const r of list ?? []) r(job);
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.concurrency && this.queue.length > 0) {
      const id = this.queue.shift()!;
      if (!this.store.jobs.claim(id, process.pid)) {
        // another process took it (or it ended): whoever waits here follows it in the database
        if (this.waiters.has(id)) this.watch(id);
        continue;
      }
      this.launch(id);
    }
  }

  /** Polls a job this runner does not run until it ends or stops interrupted; then resolves its waiters. */
  private watch(id: number): void {
    if (this.watched.has(id) || this.closed) return;
    const tick = (): void => {
      if (this.running.has(id) || this.queue.includes(id)) return; // ours again: launch() resolves the waiters
      let job: Job;
      try {
        this.recover();
        job = this.store.jobs.get(id);
      } catch {
        // the row is gone (a refused job another process removed): nothing more will happen to it
        clearInterval(this.watched.get(id));
        this.watched.delete(id);
        const list = this.waiters.get(id);
        this.waiters.delete(id);
        if (list?.length) {
          const err = this.removed.get(id);
          if (err) for (const r of list) r(err);
        }
        return;
      }
      if (job.state === 'running' || job.state === 'queued') return;
      clearInterval(this.watched.get(id));
      this.watched.delete(id);
      this.resolveWaiters(job);
    };
    this.watched.set(id, setInterval(tick, 200));
  }

  private launch(id: number): void {
    const workerInput: WorkerInput = { workspace: this.store.paths.dir, jobId: id, crashAfterCommits: this.crashAfterCommits };
    const worker = new Worker(WORKER_ENTRY, { workerData: workerInput });
    this.running.set(id, worker);
    const started = this.store.jobs.get(id);
    this.emit({ type: 'started', jobId: id, at: started.updatedAt, attempts: started.attempts });
    let finished = false;
    let removed: Job | null = null;
    const children = new Set<number>();
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'child') {
        if (m.running) children.add(m.pid);
        else children.delete(m.pid);
        return;
      }
      if (m.type === 'event') return this.emit(m.event);
      if (m.type === 'finished') {
        finished = true;
        if (m.removed) removed = m.job;
      }
    });
    this.children.set(id, children);
    const end = (err?: Error): void => {
      if (!this.running.has(id)) return;
      this.running.delete(id);
      // a trainer the job started dies with it (the worker was stopped, or died, before it could stop it)
      for (const pid of children) signalGroup(pid);
      this.children.delete(id);
      if (removed) {
        // a refusal: the worker removed the job's row after its last event (see executeJob)
        this.removed.set(id, removed);
        this.resolveWaiters(removed);
        this.pump();
        return;
      }
      let job = this.store.jobs.get(id);
      if (!finished && job.state === 'running' && this.closed) {
        // the host is shutting down: leave the job resumable from its last checkpoint
        this.store.jobs.interrupt(id);
        job = this.store.jobs.get(id);
        this.emitEnd(job);
      } else if (!finished && job.state === 'running') {
        // the worker died without finishing: record it, so the job is not left claimed
        this.store.jobs.finish(id, 'failed', null, `internal error: job worker stopped${err ? `: ${err.message}` : ''}`);
        job = this.store.jobs.get(id);
        this.emitEnd(job);
      }
      this.resolveWaiters(job);
      if (this.requeued.delete(id) && !this.closed) this.queue.push(id);
      this.pump();
    };
    worker.on('error', (err) => end(err));
    worker.on('exit', () => end());
  }
}
