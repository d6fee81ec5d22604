// The import's second phase: the staged problems (importProblems.ts) moved into the real tables in one
// transaction (images, problems, memberships, the dataset's version), the staging rows deleted, and the
// checkpoint marked `published` with the job's result; image files only the staging rows held are removed.
import type { ImportReport } from '../../../src-shared/domain';
import type { ImportJobConfig as ImportConfig } from '../../../src-shared/jobConfigs';
import { UserError } from '../errors';
import type { JobContext } from '../jobs/types';
import { appendLines, MAX_BAD_LINES, type BadLine, type Checkpoint, type StagedProblem } from './importState';
import { commitPublished } from './publishPhase';
import type { Source } from './readers/source';

/** Staged rows published per page read. */
const PUBLISH_PAGE = 1000;

export interface PublishInput {
  ctx: JobContext<ImportConfig>;
  /** the checkpoint after the last staged chunk */
  cp: Checkpoint;
  source: Source;
  /** the input file's name, which every message starts with */
  fileName: string;
  report: { final: string; partial: string };
}

/** Moves the staged problems into the real tables in one transaction. */
export function publishStaged({ ctx, cp, source, fileName, report: reportFile }: PublishInput): { result: ImportReport; cp: Checkpoint } {
  const { store } = ctx;
  const jobId = ctx.job.id;
  const { skipBad, dataset } = ctx.config;
  const unit = source.unit;
  const final: Checkpoint = { ...cp, phase: 'published', result: null };
  const done = source.done(cp.pos);
  ctx.progress({ done, total: source.total, message: `publishing ${cp.staged} problems` });
  const published = { done, total: source.total, message: 'published' };

  return commitPublished(ctx, final, published, () => {
    const existed = store.datasets.findId(dataset) !== undefined;
    const datasetId = store.datasets.getOrCreate(dataset);
    let added = 0;
    let present = 0;
    let newImages = 0;
    const bad: BadLine[] = [];
    let last = -1;
    for (;;) {
      const rows = store.staging.stagedProblemPage(jobId, last, PUBLISH_PAGE);
      if (rows.length === 0) break;
      for (const r of rows) {
        last = r.line;
        const p = JSON.parse(r.payload) as StagedProblem;
        try {
          // a savepoint per problem: with skipBad a clash undoes only this problem
          const out = store.transaction(() => {
            let n = 0;
            for (const h of p.imageHashes) {
              const img = store.staging.stagedImage(jobId, h) ?? store.images.get(h);
              if (!img) throw new Error(`import job ${jobId}: staged image ${h} is missing`);
              if (store.images.insert(img)) n += 1;
            }
            const { id } = store.problems.upsert({
              question: p.question,
              answer: p.answer,
              answerType: p.answerType,
              source: p.source,
              tags: p.tags,
              imageHashes: p.imageHashes,
              meta: p.meta,
            });
            return { state: store.datasets.addMember(datasetId, id, p.extId, p.split, p.meta), images: n };
          });
          if (out.state === 'added') added += 1;
          else present += 1;
          newImages += out.images;
        } catch (e) {
          if (!(e instanceof UserError)) throw e;
          const message = `${fileName} ${unit} ${r.line}: ${e.message}`;
          if (!skipBad) throw new UserError(message);
          bad.push({ line: r.line, message });
        }
      }
    }
    if (added > 0 && existed) store.datasets.bumpVersion(datasetId);

    const skipped = cp.skipped + bad.length;
    if (bad.length) final.reportBytes = appendLines(reportFile.partial, bad.map((b) => JSON.stringify(b) + '\n'));
    final.skipped = skipped;
    final.badLines = [...cp.badLines, ...bad].slice(0, MAX_BAD_LINES);
    return {
      imported: added,
      images: newImages,
      skipped,
      unchanged: present,
      badLines: final.badLines,
      reportPath: skipped > 0 ? reportFile.final : null,
    } satisfies ImportReport;
  });
}
