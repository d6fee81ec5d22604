// The end both imports share (data/importPublish.ts and jobs/kinds/importLabelsPublish.ts): the staged
// rows written in one commit, the staging rows deleted, the checkpoint marked `published` with the job's
// result, and afterwards the image files only the staging rows held removed.
import type { JobProgress } from '../../../src-shared/domain';
import type { JobContext } from '../jobs/types';
import { deleteUnreferencedImageFiles } from './images';

/**
 * Runs `publish` (which writes the staged rows and fills `final`, the checkpoint handed to commit) in the
 * job's commit, then deletes the staging rows and records the result in the checkpoint.
 */
export function commitPublished<R, CP extends { result: R | null }>(
  ctx: JobContext<unknown>,
  final: CP,
  published: JobProgress,
  publish: () => R,
): { result: R; cp: CP } {
  const { store } = ctx;
  const jobId = ctx.job.id;
  let orphans: { hash: string; mime: string }[] = [];
  const result = ctx.commit(
    () => {
      const report = publish();
      orphans = store.staging.finishPublish(jobId);
      // The checkpoint must carry the result. `final` is the object handed to commit below and is filled
      // in here; writing it explicitly too keeps that true whether the runner records the checkpoint
      // before or after fn runs.
      final.result = report;
      store.jobs.setProgress(jobId, published, final);
      return report;
    },
    published,
    final,
  );
  if (orphans.length) deleteUnreferencedImageFiles(store, jobId, orphans);
  return { result, cp: final };
}
