// The jobs area: start (after the pre-flight), check, wait, cancel, resume and prune jobs, and read them.
import { isUserError } from '../errors';
import { checkEndpoints, preflight, preflightJob } from '../jobs/preflight';
import { sameJob, startOrResume } from '../jobs/rerun';
import { READS } from '../store/integrity';
import type { AreaHandlers, HandlerContext } from './context';

export function jobsHandlers({ store, runner }: HandlerContext) {
  return {
    'jobs.list': ({ limit }) => store.jobs.list(limit),
    'jobs.get': ({ id }) => store.jobs.get(id),
    'jobs.cancel': ({ id }) => runner.cancel(id),
    'jobs.start': async (request) => {
      await store.integrity.require(READS[request.kind === 'import' ? 'import' : 'job'], 'no job was started');
      return runner.start(await preflightJob(store, request));
    },
    'jobs.check': async (request) => {
      try {
        await preflightJob(store, request);
        return { refused: null };
      } catch (e) {
        if (isUserError(e)) return { refused: e.message };
        throw e;
      }
    },
    'jobs.startOrResume': async ({ request, restart }) => {
      await store.integrity.require(READS[request.kind === 'import' ? 'import' : 'job'], 'no job was started');
      const req = request.kind === 'import' ? preflight(store, request) : request;
      // an endpoint whose servers do not answer refuses a job that would run on it (a done one is only read back)
      if (sameJob(store, req)?.state !== 'done') await checkEndpoints(store, req);
      return startOrResume(store, runner, req, restart, (r) => preflight(store, r));
    },
    'jobs.wait': ({ id }) => runner.wait(id),
    'jobs.resumeAll': async () => {
      if (store.jobs.pending().length) await store.integrity.require(READS.job, 'no job was resumed');
      return { ids: runner.resumeAll() };
    },
    'jobs.resume': async ({ id }) => {
      await store.integrity.require(READS.job, 'the job was not resumed');
      return runner.resume(id);
    },
    'jobs.prune': ({ olderThanMs }) => store.jobs.prune(olderThanMs === undefined ? undefined : new Date(Date.now() - olderThanMs).toISOString()),
    'jobs.metrics': ({ id }) => {
      store.jobs.get(id);
      return store.jobs.metrics(id);
    },
  } satisfies AreaHandlers;
}
