// The files area: imports (problems, trees, labels, benchmarks) and exports (trees, problems, annotations).
import type { ImportJobConfig } from '../../../src-shared/jobConfigs';
import { ImportLabelsReport } from '../../../src-shared/domain';
import { importBenchmark, importBenchmarkPath } from '../data/benchmarks/import';
import { exportAnnotations } from '../data/exportAnnotations';
import { exportProblems } from '../data/exportProblems';
import { LABEL_FORMATS } from '../data/labels/labelFormats';
import { exportTrees } from '../data/treeIO';
import { UserError } from '../errors';
import { benchContamination } from '../jobs/kinds/benchPrm';
import { sameLabelImport } from '../jobs/kinds/importLabels';
import { preflight } from '../jobs/preflight';
import { READS } from '../store/integrity';
import type { AreaHandlers, HandlerContext } from './context';

/** The same import: same file, dataset, format, bad-line rule, field mapping (in any order) and image root. */
function sameImport(a: unknown, b: ImportJobConfig): boolean {
  const x = a as Partial<ImportJobConfig>;
  // the same mapping in any order: a resumed import must read the rest of the file as it read the start
  const fields = (f: Record<string, string> | undefined): string => JSON.stringify(Object.entries(f ?? {}).sort());
  return (
    x.path === b.path &&
    x.dataset === b.dataset &&
    Boolean(x.skipBad) === b.skipBad &&
    (x.format ?? null) === (b.format ?? null) &&
    fields(x.fields) === fields(b.fields) &&
    (x.imageRoot ?? null) === (b.imageRoot ?? null) &&
    Boolean(x.allowOutside) === b.allowOutside &&
    JSON.stringify(x.limits ?? {}) === JSON.stringify(b.limits ?? {})
  );
}

export function filesHandlers({ store, runner }: HandlerContext) {
  return {
    'import.start': async (input) => {
      await store.integrity.require(READS.import, 'nothing was imported');
      runner.recover();
      // the file is checked (and its format read from its content) before any job row is made
      const request = preflight(store, { kind: 'import', config: input });
      const config = request.config as typeof input;
      // an import of the same file into the same dataset that was killed half-way resumes from its checkpoint
      const interrupted = store.jobs.pending().find((j) => j.kind === 'import' && sameImport(j.config, config));
      if (interrupted) {
        runner.enqueue(interrupted.id);
        return { ...interrupted, resumed: true };
      }
      return { ...runner.start(request), resumed: false };
    },
    'import.trees': async ({ path }) => {
      // import-trees is import-labels of a steplab-tree file whose problems are in the workspace already
      const request = { kind: 'import-labels' as const, config: { path, format: 'steplab-tree', skipBad: false, allowOutside: false } };
      preflight(store, request);
      const end = await runner.wait(runner.start(request).id);
      if (end.state !== 'done') throw new UserError(end.error ?? `import-trees ${end.state}`);
      const r = ImportLabelsReport.parse(end.result);
      return { searches: r.searches, nodes: r.nodes, skipped: r.unchanged };
    },
    'import.labels': async (config) => {
      await store.integrity.require(READS.import, 'nothing was imported');
      preflight(store, { kind: 'import-labels', config });
      runner.recover();
      // an import of the same files with the same settings that was killed half-way resumes from its checkpoint
      const interrupted = store.jobs.pending().find((j) => j.kind === 'import-labels' && sameLabelImport(j.config, config));
      if (interrupted) {
        runner.enqueue(interrupted.id);
        return { ...interrupted, resumed: true };
      }
      return { ...runner.start({ kind: 'import-labels', config }), resumed: false };
    },
    'import.labelFormats': () => [...LABEL_FORMATS.values()].map((f) => ({ name: f.name, description: f.description })),
    'benchmarks.import': async (o) => {
      await store.integrity.require(READS.import, 'nothing was imported');
      return importBenchmark(store, o);
    },
    'benchmarks.importPath': async (o) => {
      await store.integrity.require(READS.import, 'nothing was imported');
      return { files: await importBenchmarkPath(store, o) };
    },
    'benchmarks.contamination': (o) => {
      const r = benchContamination(store, o);
      if (!r) throw new UserError('benchmarks.contamination needs a PRM');
      return r;
    },
    'export.trees': async (q) => {
      await store.integrity.require(READS['export.trees'], 'nothing was exported');
      return exportTrees(store, q);
    },
    'export.problems': async (q) => {
      await store.integrity.require(READS['export.problems'], 'nothing was exported');
      return exportProblems(store, q);
    },
    'export.annotations': async (q) => {
      await store.integrity.require(READS['export.annotations'], 'nothing was exported');
      return exportAnnotations(store, q);
    },
  } satisfies AreaHandlers;
}
