// The import-labels job's second phase: every staged unit written in one transaction
// (data/labels/publish.ts), the staging rows deleted, and the result recorded in the checkpoint; image
// files only the staging rows held are removed.
import type { ImportLabelsReport } from '../../../../src-shared/domain';
import { ImportLabelsJobConfig } from '../../../../src-shared/jobConfigs';
import { UserError } from '../../errors';
import { commitPublished } from '../../data/publishPhase';
import { memberOfImported, publishUnit, type PublishContext, type StagedUnit } from '../../data/labels/publish';
import type { JobContext } from '../types';
import { appendLines, MAX_BAD, type Bad, type Checkpoint, type ImportedMarker, type ReportLine } from './importLabelsState';

/** Staged units published per page read. */
const PUBLISH_PAGE = 100;

export interface PublishLabelsInput {
  ctx: JobContext<ImportLabelsJobConfig>;
  /** the checkpoint after the last staged chunk */
  cp: Checkpoint;
  report: { final: string; partial: string };
}

/** Writes every staged unit in one transaction. */
export function publishLabels({ ctx, cp, report: reportFile }: PublishLabelsInput): { result: ImportLabelsReport; cp: Checkpoint } {
  const { store } = ctx;
  const jobId = ctx.job.id;
  const { dataset, split, skipBad } = ctx.config;
  const final: Checkpoint = { ...cp, phase: 'published', result: null };
  const published = { done: cp.seq, total: cp.seq, message: 'published' };
  ctx.progress({ done: 0, total: cp.seq, message: `publishing ${cp.seq} units` });
  return commitPublished(ctx, final, published, () => {
    const existed = dataset !== undefined && store.datasets.findId(dataset) !== undefined;
    const datasetId = dataset === undefined ? null : store.datasets.getOrCreate(dataset);
    const pctx: PublishContext = { store, jobId, format: cp.format, datasetId, split: split ?? null, setName: cp.setName };
    const t = { problems: 0, searches: 0, nodes: 0, annotations: 0, labelledSteps: 0, solutions: 0, unchanged: 0 };
    const bad: Bad[] = [];
    const lines: ReportLine[] = [];
    let last = 0;
    for (;;) {
      const page = store.labels.stagedPage(jobId, last, PUBLISH_PAGE);
      if (page.length === 0) break;
      for (const row of page) {
        last = row.seq;
        const unit = JSON.parse(row.payload) as StagedUnit | ImportedMarker;
        const before = 'imported' in unit ? unit.imported : store.labels.importedProblem(row.hash);
        try {
          if (before !== undefined) {
            t.unchanged += 1;
            if (store.transaction(() => memberOfImported(pctx, before, unit.problem))) t.problems += 1;
            continue;
          }
          const c = store.transaction(() => publishUnit(pctx, unit as StagedUnit, row.hash));
          t.problems += c.problemAdded ? 1 : 0;
          t.searches += c.searches;
          t.nodes += c.nodes;
          t.annotations += c.annotations;
          t.labelledSteps += c.labelledSteps;
          t.solutions += c.solutions;
          for (const w of c.warnings) lines.push({ where: unit.where, level: 'warning', message: `${unit.where}: ${w}` });
        } catch (e) {
          if (!(e instanceof UserError)) throw e;
          const message = `${unit.where}: ${e.message}`;
          if (!skipBad) throw new UserError(message);
          bad.push({ where: unit.where, message });
          lines.push({ where: unit.where, level: 'error', message });
        }
      }
    }
    if (existed && t.problems > 0) store.datasets.bumpVersion(datasetId!);
    final.reportBytes = appendLines(reportFile.partial, lines, cp.reportBytes);
    final.skipped = cp.skipped + bad.length;
    final.warnings = cp.warnings + lines.filter((l) => l.level === 'warning').length;
    final.badLines = [...cp.badLines, ...bad].slice(0, MAX_BAD);
    const report: ImportLabelsReport = {
      format: cp.format,
      detected: cp.detected,
      annotationSet: cp.setName,
      files: cp.files,
      problems: t.problems,
      searches: t.searches,
      nodes: t.nodes,
      annotations: t.annotations,
      labelledSteps: t.labelledSteps,
      solutions: t.solutions,
      skipped: final.skipped,
      unchanged: cp.unchanged + t.unchanged,
      warnings: final.warnings,
      badLines: final.badLines,
      reportPath: final.skipped + final.warnings > 0 ? reportFile.final : null,
    };
    return report;
  });
}
