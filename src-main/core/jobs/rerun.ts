// Re-running a long command resumes its job (the issue's rule): a job is found by its identity, which is
// its kind and its whole config as parsed (dataset, split, limit, shard, model(s), algorithm, settings,
// seed, and the annotation set name only when one was given: an absent name stays absent). An unfinished
// job of that identity (queued, interrupted, failed or cancelled, its partial work kept) is resumed from
// its checkpoint; a finished one is returned as it is, its result told again; `restart` starts over,
// removing the unfinished job's partial rows first (the old job stays, cancelled, naming its successor).
import type { Job } from '../../../src-shared/domain';
import type { JobRequest } from '../../../src-shared/jobConfigs';
import { UserError } from '../errors';
import type { Store } from '../store';
import { jobHandlers } from './registry';
import type { JobRunner } from './runner';

export type Reuse = 'new' | 'resumed' | 'done' | 'restarted';

/** Keys sorted at every level: two configs with the same content give the same text. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The latest job of this request's identity, or undefined. */
export function sameJob(store: Store, request: JobRequest): Job | undefined {
  const key = canonical(request.config);
  return store.jobs.ofKind(request.kind).find((j) => canonical(j.config) === key);
}

/** Removes what an unfinished job wrote, as far as nothing else refers to it; returns the rows removed. */
function discard(store: Store, job: Job): number {
  return store.transaction(() => {
    let n = 0;
    switch (job.kind) {
      case 'search':
        n += store.jobs.discardSearchOutput(job.id);
        break;
      case 'bon':
        n += store.jobs.discardEvaluations(job.id);
        n += store.jobs.discardUnreferencedSolutions(job.id);
        break;
      case 'generate':
        n += store.jobs.discardUnreferencedSolutions(job.id);
        break;
      case 'train-prm': {
        const handler = jobHandlers.get(job.kind);
        handler?.cleanup?.(store, job, job.config);
        break;
      }
      default:
        throw new UserError(`--restart: a ${job.kind} job cannot start over`);
    }
    return n;
  });
}

/** Why a kind cannot start over, or null when it can. */
function noRestart(kind: string): string | null {
  if (kind === 'score') return 'a score job keeps no rows of its own (its scores are the PRM\'s, per step, and a re-run skips what is scored): to score again, add --rescore';
  if (kind === 'cycle') return 'a cycle run resumes from its last finished stage and cannot start over: start a new run under another --name';
  if (kind === 'import') return 'an interrupted import resumes from its checkpoint; a failed one left nothing behind: run the import again';
  if (kind === 'bench-prm') return "a bench-prm job stores its evaluation only when it ends, and the step scores of its finished batches are the PRM's (any run reuses them): to run another, change --name or --seed";
  return null;
}

/** Starts a job, or resumes / returns the one of the same identity (see the top of this file). */
export function startOrResume(store: Store, runner: JobRunner, request: JobRequest, restart: boolean, check: (r: JobRequest) => JobRequest): { job: Job; reuse: Reuse; previous: number | null } {
  runner.recover();
  const match = sameJob(store, request);
  if (!match) {
    if (restart) {
      const why = noRestart(request.kind);
      if (why) throw new UserError(`--restart: ${why}`);
    }
    return { job: runner.start(check(request)), reuse: 'new', previous: null };
  }
  const what = `${match.kind} job ${match.id} with these settings`;
  if (match.state === 'running') {
    throw new UserError(`${what} is running in another process: follow it with steplab jobs, or cancel it with steplab jobs --cancel ${match.id}`);
  }
  if (match.state === 'done') {
    if (restart) throw new UserError(`--restart: ${what} is done; finished work is never redone (it may be curated or used since): change a setting such as --seed to run another`);
    return { job: match, reuse: 'done', previous: null };
  }
  if (restart) {
    const why = noRestart(match.kind);
    if (why) throw new UserError(`--restart: ${why}`);
    const checked = check(request);
    discard(store, match);
    if (match.state === 'queued' || match.state === 'interrupted') runner.cancel(match.id);
    const job = runner.start(checked);
    store.jobs.finish(match.id, 'cancelled', null, `started over as job ${job.id} (--restart); its partial rows were removed`);
    return { job, reuse: 'restarted', previous: match.id };
  }
  const handler = jobHandlers.get(match.kind);
  if ((match.state === 'failed' || match.state === 'cancelled') && handler?.cleanup) {
    // its partial work was removed when it stopped: nothing to resume
    return { job: runner.start(check(request)), reuse: 'new', previous: null };
  }
  // the job is returned as it was found (interrupted, failed, ...): the caller says what it resumes
  if (match.state === 'queued' || match.state === 'interrupted') runner.enqueue(match.id);
  else runner.resume(match.id);
  return { job: match, reuse: 'resumed', previous: null };
}
