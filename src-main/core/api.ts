// Implements the src-shared API over one workspace: the store for reads, the job runner for long work.
import type { ApiHandlers } from '../../src-shared/api';
import type { ImportJobConfig } from '../../src-shared/jobConfigs';
import { datasetHeatmap, listProblems, problemDetail } from './browse';
import { readCurator, saveCurator } from './curator';
import { exportAnnotations } from './data/exportAnnotations';
import { CycleConfig } from '../../src-shared/cycles';
import { checkCycleRun } from './cycles/check';
import { listRuns, reflections, runView } from './cycles/view';
import { compareSearches } from './store/compare';
import { explorerTree } from './store/explorer';
import { searchGold } from './views/goldView';
import { exportProblems } from './data/exportProblems';
import { verify } from './data/verify';
import { isUserError, NotFoundError, UserError } from './errors';
import { evaluationChart, evaluationCsv, evaluationJson, evaluationRecord } from './reward/evaluationExport';
import { endpointHealth, addEndpoint } from './inference/endpoints';
import { availableProviders } from './inference/session';
import { checkEndpoints, checkReferenceTrainer, preflight, preflightJob } from './jobs/preflight';
import { sameJob, startOrResume } from './jobs/rerun';
import type { JobRunner } from './jobs/runner';
import { manageDelete, manageDependents, manageRename } from './manage';
import { mergeWorkspaces } from './merge';
import { checkWorkspaceFiles } from './workspaceCheck';
import { recoverWorkspace } from './recover';
import { registerModel } from './models/registry';
import { scoreRollouts } from './reward/scoreRollouts';
import { importBenchmark, importBenchmarkPath } from './data/benchmarks/import';
import { benchCsv, benchRowsView, benchSweepChart, isBenchEvaluation } from './reward/benchEvaluation';
import { benchContamination } from './jobs/kinds/benchPrm';
import { exportTrees } from './data/treeIO';
import { LABEL_FORMATS } from './data/labels/labelFormats';
import { splitAnnotationSet } from './data/labels/split';
import { sameLabelImport } from './jobs/kinds/importLabels';
import { ImportLabelsReport } from '../../src-shared/domain';
import { exportCycleTrainingSet } from './cycles/view';
import type { Store } from './store';
import { READS } from './store/integrity';
import { APP_VERSION } from './version';
import { readRecentWorkspaces, type WorkspaceControl } from './workbench';
import { formatZodIssue } from '../../src-shared/zodMessage';
import { modelLabel } from '../../src-shared/modelLabel';

/** Who a curation record names when the caller does not say: the name set once, else the account running the core. */
function curator(): string {
  return readCurator().name;
}

/** Searches with the dataset id of their problem (the id the UI names them by). */
function withRefs<T extends { problemId: number }>(store: Store, items: T[]): (T & { dataset: string | null; extId: string | null })[] {
  const refs = store.problems.refs(items.map((s) => s.problemId));
  return items.map((s) => ({ ...s, dataset: refs.get(s.problemId)?.dataset ?? null, extId: refs.get(s.problemId)?.extId ?? null }));
}

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

/** `workspaces` switches the host's workspace (workspace.open; see WorkbenchHolder); without it the workspace is fixed. */
export function createApiHandlers(store: Store, runner: JobRunner, workspaces?: WorkspaceControl): ApiHandlers {
  return whileChecking(store, handlersOf(store, runner, workspaces));
}

/**
 * A large workspace is read-only until its background damage check passes (store/integrity.ts): a write
 * meanwhile is told so in one line, not as a read-only folder.
 */
function whileChecking(store: Store, handlers: ApiHandlers): ApiHandlers {
  const tell = (e: unknown): unknown => {
    const code = (e as { code?: unknown })?.code;
    if (store.integrity.checking && typeof code === 'string' && code.startsWith('SQLITE_READONLY')) {
      return new UserError(`the workspace ${store.paths.dir} is being checked for damage and is read-only until the check passes (a large workspace is checked in the background when opened): try again in a few seconds`);
    }
    return e;
  };
  const out: Record<string, (input: never) => unknown> = {};
  for (const [method, fn] of Object.entries(handlers) as [string, (input: never) => unknown][]) {
    out[method] = (input) => {
      try {
        const r = fn(input);
        return r instanceof Promise ? r.catch((e: unknown) => Promise.reject(tell(e))) : r;
      } catch (e) {
        throw tell(e);
      }
    };
  }
  return out as unknown as ApiHandlers;
}

function handlersOf(store: Store, runner: JobRunner, workspaces?: WorkspaceControl): ApiHandlers {
  return {
    'workspace.info': () => ({
      path: store.paths.dir,
      schemaVersion: store.schemaVersion,
      appVersion: APP_VERSION,
      problems: store.problems.count(),
      datasets: store.datasets.count(),
      images: store.images.count(),
    }),
    'workspace.open': (input) => {
      if (!workspaces) throw new UserError('this Steplab process serves one workspace and cannot switch: start Steplab on the other workspace');
      return workspaces.open(input);
    },
    'workspace.recent': () => (workspaces ? workspaces.recent() : readRecentWorkspaces()),
    'curator.get': () => readCurator(),
    'curator.set': ({ name }) => saveCurator(name),
    'datasets.list': ({ offset, limit }) => ({ total: store.datasets.count(), items: store.datasets.list({ offset, limit }) }),
    'datasets.get': ({ name }) => store.datasets.get(name),
    'problems.list': (q) => listProblems(store, q),
    'problems.get': ({ id }) => store.problems.get(id),
    'problems.find': ({ dataset, extId }) => {
      const id = store.problems.idByExtId(store.datasets.requireId(dataset), extId);
      if (id === null) throw new NotFoundError(`dataset "${dataset}" has no problem "${extId}"`);
      return { id };
    },
    'problems.work': ({ id }) => {
      store.problems.get(id);
      return { searches: withRefs(store, store.trees.listSearches({ problemId: id }).items), annotationSets: store.annotations.setsForProblem(id) };
    },
    'problems.detail': ({ id }) => problemDetail(store, id),
    'heatmap.dataset': (q) => datasetHeatmap(store, q),
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
    'cycles.list': () => listRuns(store),
    'cycles.get': ({ id }) => runView(store, store.cycles.run(id)),
    'cycles.start': async ({ config }) => {
      const r = CycleConfig.safeParse(config);
      if (!r.success) throw new UserError(formatZodIssue(r.error.issues[0], { label: 'config' }));
      await store.integrity.require(READS.job, 'no job was started');
      checkCycleRun(store, r.data);
      checkReferenceTrainer(r.data.finetune.trainer);
      await checkEndpoints(store, { kind: 'cycle', config: r.data });
      return runner.start({ kind: 'cycle', config: r.data });
    },
    'cycles.reflections': (q) => reflections(store, q),
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
    'verify.check': (input) => verify(input),
    'models.list': () => store.models.list(),
    'models.get': ({ name, role }) => (role ? store.models.withRole(name, role) : store.models.byName(name)),
    'models.providers': () => availableProviders(),
    'models.health': ({ id }) => {
      const m = store.models.get(id);
      if (!m.endpoint) throw new UserError(`model ${modelLabel(m)} is not served over an endpoint`);
      return endpointHealth(m);
    },
    'models.register': ({ folder, name }) => registerModel(store, folder, { name }),
    'models.addEndpoint': (o) => addEndpoint(store, o),
    'workspace.merge': ({ sources, into }) => mergeWorkspaces(sources, into),
    'workspace.check': ({ path, full }) => checkWorkspaceFiles(path, { full }),
    'workspace.recover': ({ path, into }) => recoverWorkspace(path, into),
    'score.rollouts': (o) => scoreRollouts(store, o),
    'evaluations.export': async ({ id, format }) => {
      await store.integrity.require(READS['evaluations.export'], 'nothing was exported');
      const ev = store.evaluations.get(id);
      const bench = isBenchEvaluation(ev);
      if (format === 'svg') return { text: (bench ? await benchSweepChart(ev) : await evaluationChart(ev)).svg };
      return { text: format === 'csv' ? (bench ? benchCsv(ev) : evaluationCsv(store, ev)) : JSON.stringify(evaluationJson(store, ev), null, 2) + '\n' };
    },
    'cycles.exportTrainingSet': async ({ run, cycle, format, out }) => {
      await store.integrity.require(READS['cycles.exportTrainingSet'], 'nothing was exported');
      return exportCycleTrainingSet(store, store.cycles.run(run).id, cycle, format, out);
    },
    'searches.list': (q) => {
      const page = store.trees.listSearches(q);
      return { total: page.total, items: withRefs(store, page.items) };
    },
    'searches.tree': ({ id }) => {
      const search = store.trees.getSearch(id);
      const prm = store.scores.nodeScorers(id).map(({ modelId }) => {
        const m = store.models.get(modelId);
        return { model: modelLabel(m), modelId, scores: Object.fromEntries([...store.scores.nodeScores(modelId, id)].map(([n, s]) => [String(n), s])) };
      });
      const kept = store.labels.searchRollouts(id);
      return { search: withRefs(store, [search])[0], nodes: store.trees.nodes(id), prm, ...(kept.size ? { rollouts: Object.fromEntries([...kept].map(([n, r]) => [String(n), r])) } : {}) };
    },
    'searches.nodeRollouts': ({ nodeId }) => {
      store.trees.node(nodeId);
      return { nodeId, ...(store.labels.rollouts(nodeId) ?? { correct: [], incorrect: [] }) };
    },
    'searches.events': ({ id }) => {
      store.trees.getSearch(id);
      return store.trees.events(id);
    },
    'searches.compare': ({ a, b }) => compareSearches(store, a, b),
    'searches.treeColumns': ({ id }) => {
      const t = explorerTree(store, id);
      return { ...t, search: withRefs(store, [t.search])[0] };
    },
    'searches.gold': ({ id }) => searchGold(store, id),
    'annotations.sets': () => store.annotations.sets(),
    'annotations.split': (q) => splitAnnotationSet(store, q),
    'curation.disagreements': ({ prm, limit, stepKind, problemId, minGap }) => {
      const m = store.models.withRole(prm, 'prm');
      const { total, matching, items } = store.scores.disagreements(m.id, limit, { stepKind, problemId, minGap });
      return { prm: modelLabel(m), scoredNodes: total, matching, items };
    },
    'annotations.forSearch': ({ searchId }) => {
      store.trees.getSearch(searchId);
      return store.annotations.forSearch(searchId);
    },
    'annotations.edit': ({ annotationId, author, ...e }) => {
      store.annotations.edit(annotationId, { ...e, author: author ?? curator() });
      return store.annotations.get(annotationId);
    },
    'annotations.editMany': ({ edits, comment, author }) => {
      const { batch, annotationIds } = store.annotations.editMany(edits, { comment, author: author ?? curator() });
      return { batch, annotations: annotationIds.map((id) => store.annotations.get(id)) };
    },
    'annotations.undo': ({ batch }) => ({ batch, annotations: store.annotations.setUndone(batch, true).map((id) => store.annotations.get(id)) }),
    'annotations.redo': ({ batch }) => ({ batch, annotations: store.annotations.setUndone(batch, false).map((id) => store.annotations.get(id)) }),
    'curation.solutionConflicts': ({ prm, limit, aggregate, threshold, lowShare }) => {
      const m = store.models.withRole(prm, 'prm');
      const { total, items } = store.scores.solutionConflicts(m.id, { aggregate, threshold, lowShare, limit });
      return { prm: modelLabel(m), aggregate, scoredSolutions: total, items };
    },
    'solutions.forProblem': ({ problemId, ids }) => {
      store.problems.get(problemId);
      const want = ids ? new Set(ids) : null;
      const label = new Map<number, string>();
      const name = (modelId: number): string => {
        if (!label.has(modelId)) {
          const m = store.models.get(modelId);
          label.set(modelId, modelLabel(m));
        }
        return label.get(modelId)!;
      };
      const solutions = store.solutions.forProblem(problemId).filter((s) => !want || want.has(s.id));
      const mc = store.scores.stepMc(problemId, solutions.map((s) => ({ id: s.id, steps: s.steps.map((st) => st.text) })));
      return solutions
        .map((s) => ({
          id: s.id,
          modelId: s.modelId,
          origin: s.origin,
          verdict: s.verdict,
          finalAnswer: s.finalAnswer,
          steps: s.steps,
          scores: Object.fromEntries([...store.scores.stepScoresOf(s.id)].map(([m, sc]) => [name(m), sc])),
          mc: mc.get(s.id),
        }));
    },
    'evaluations.list': ({ offset, limit }) => ({ total: store.evaluations.count(), items: store.evaluations.list({ offset, limit }) }),
    'evaluations.problems': ({ id }) => {
      store.evaluations.get(id);
      const byProblem = new Map<number, { problemId: number; candidates: number; correct: number; solutionIds: number[] }>();
      for (const it of store.evaluations.items(id)) {
        const p = byProblem.get(it.problemId) ?? { problemId: it.problemId, candidates: 0, correct: 0, solutionIds: [] };
        p.candidates++;
        p.correct += it.scores.correct === 1 ? 1 : 0;
        p.solutionIds.push(it.solutionId);
        byProblem.set(it.problemId, p);
      }
      const refs = store.problems.refs([...byProblem.keys()]);
      return [...byProblem.values()].map((p) => ({ ...p, extId: refs.get(p.problemId)?.extId ?? null }));
    },
    'evaluations.get': ({ id }) => evaluationRecord(store, store.evaluations.get(id)),
    'evaluations.chart': ({ id, split, theme }) => {
      const ev = store.evaluations.get(id);
      return isBenchEvaluation(ev) ? benchSweepChart(ev) : evaluationChart(ev, split, theme);
    },
    'evaluations.benchRows': ({ id, ...q }) => benchRowsView(store, id, q),
    'manage.dependents': ({ kind, ref }) => manageDependents(store, kind, ref),
    'manage.rename': ({ kind, ref, newName }) => manageRename(store, kind, ref, newName),
    'manage.delete': async ({ kind, ref }) => {
      await store.integrity.require(READS.job, 'nothing was deleted');
      return manageDelete(store, kind, ref);
    },
    'jobs.metrics': ({ id }) => {
      store.jobs.get(id);
      return store.jobs.metrics(id);
    },
  };
}
