// Implements the src-shared API over one workspace: the store for reads, the job runner for long work.
import type { ApiHandlers } from '../../src-shared/api';
import { datasetHeatmap, listProblems, problemDetail } from './browse';
import { readCurator, saveCurator } from './curator';
import { exportAnnotations } from './data/exportAnnotations';
import { CycleConfig } from '../../src-shared/cycles';
import { checkCycleRun } from './cycles/check';
import { listRuns, reflections, runView } from './cycles/view';
import { compareSearches } from './search/compare';
import { explorerTree } from './search/explorer';
import { searchGold } from './search/goldView';
import { exportProblems } from './data/exportProblems';
import { verify } from './data/verify';
import { NotFoundError, UserError } from './errors';
import { evaluationChart, evaluationCsv, evaluationJson, evaluationRecord } from './reward/evaluationExport';
import { endpointHealth, addEndpoint } from './inference/endpoints';
import { availableProviders } from './inference/session';
import { checkReferenceTrainer, preflight } from './jobs/preflight';
import type { JobRunner } from './jobs/runner';
import { mergeWorkspaces } from './merge';
import { registerModel } from './models/registry';
import { scoreRollouts } from './reward/scoreRollouts';
import { exportTrees, importTrees } from './search/treeIO';
import { exportCycleTrainingSet } from './cycles/view';
import type { Store } from './store';
import { APP_VERSION } from './version';
import { readRecentWorkspaces, type WorkspaceControl } from './workbench';

/** Who a curation record names when the caller does not say: the name set once, else the account running the core. */
function curator(): string {
  return readCurator().name;
}

/** Searches with the dataset id of their problem (the id the UI names them by). */
function withRefs<T extends { problemId: number }>(store: Store, items: T[]): (T & { dataset: string | null; extId: string | null })[] {
  const refs = store.problems.refs(items.map((s) => s.problemId));
  return items.map((s) => ({ ...s, dataset: refs.get(s.problemId)?.dataset ?? null, extId: refs.get(s.problemId)?.extId ?? null }));
}

function sameImport(a: unknown, b: { path: string; dataset: string; skipBad: boolean; format?: string }): boolean {
  const x = a as { path?: string; dataset?: string; skipBad?: boolean; format?: string };
  return x.path === b.path && x.dataset === b.dataset && Boolean(x.skipBad) === b.skipBad && (x.format ?? null) === (b.format ?? null);
}

/** `workspaces` switches the host's workspace (workspace.open; see WorkbenchHolder); without it the workspace is fixed. */
export function createApiHandlers(store: Store, runner: JobRunner, workspaces?: WorkspaceControl): ApiHandlers {
  return {
    'workspace.info': () => ({
      path: store.paths.dir,
      schemaVersion: store.schemaVersion,
      appVersion: APP_VERSION,
      problems: store.problems.count(),
      datasets: store.datasets.list().length,
      images: store.images.count(),
    }),
    'workspace.open': (input) => {
      if (!workspaces) throw new UserError('this Steplab process serves one workspace and cannot switch: start Steplab on the other workspace');
      return workspaces.open(input);
    },
    'workspace.recent': () => (workspaces ? workspaces.recent() : readRecentWorkspaces()),
    'curator.get': () => readCurator(),
    'curator.set': ({ name }) => saveCurator(name),
    'datasets.list': () => store.datasets.list(),
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
    'jobs.start': (request) => {
      preflight(store, request);
      return runner.start(request);
    },
    'jobs.wait': ({ id }) => runner.wait(id),
    'jobs.resumeAll': () => ({ ids: runner.resumeAll() }),
    'jobs.resume': ({ id }) => runner.resume(id),
    'cycles.list': () => listRuns(store),
    'cycles.get': ({ id }) => runView(store, store.cycles.run(id)),
    'cycles.start': ({ config }) => {
      const r = CycleConfig.safeParse(config);
      if (!r.success) {
        const i = r.error.issues[0];
        throw new UserError(`config: ${i.path.length ? `${i.path.map(String).join('.')}: ` : ''}${i.message}`);
      }
      checkCycleRun(store, r.data);
      checkReferenceTrainer(r.data.finetune.trainer);
      return runner.start({ kind: 'cycle', config: r.data });
    },
    'cycles.reflections': (q) => reflections(store, q),
    'import.start': (config) => {
      runner.recover();
      // an import of the same file into the same dataset that was killed half-way resumes from its checkpoint
      const interrupted = store.jobs.pending().find((j) => j.kind === 'import' && sameImport(j.config, config));
      if (interrupted) {
        runner.enqueue(interrupted.id);
        return { ...interrupted, resumed: true };
      }
      return { ...runner.start({ kind: 'import', config }), resumed: false };
    },
    'import.trees': ({ path }) => importTrees(store, path),
    'export.trees': (q) => exportTrees(store, q),
    'export.problems': (q) => exportProblems(store, q),
    'export.annotations': (q) => exportAnnotations(store, q),
    'verify.check': (input) => verify(input),
    'models.list': () => store.models.list(),
    'models.get': ({ name, role }) => (role ? store.models.withRole(name, role) : store.models.byName(name)),
    'models.providers': () => availableProviders(),
    'models.health': ({ id }) => {
      const m = store.models.get(id);
      if (!m.endpoint) throw new UserError(`model ${m.name}@${m.version} is not served over an endpoint`);
      return endpointHealth(m);
    },
    'models.register': ({ folder, name }) => registerModel(store, folder, { name }),
    'models.addEndpoint': (o) => addEndpoint(store, o),
    'workspace.merge': ({ sources, into }) => mergeWorkspaces(sources, into),
    'score.rollouts': (o) => scoreRollouts(store, o),
    'evaluations.export': async ({ id, format }) => {
      const ev = store.evaluations.get(id);
      if (format === 'svg') return { text: (await evaluationChart(ev)).svg };
      return { text: format === 'csv' ? evaluationCsv(store, ev) : JSON.stringify(evaluationJson(store, ev), null, 2) + '\n' };
    },
    'cycles.exportTrainingSet': ({ run, cycle, format, out }) => exportCycleTrainingSet(store, store.cycles.run(run).id, cycle, format, out),
    'searches.list': (q) => {
      const page = store.trees.listSearches(q);
      return { total: page.total, items: withRefs(store, page.items) };
    },
    'searches.tree': ({ id }) => {
      const search = store.trees.getSearch(id);
      const prm = store.scores.nodeScorers(id).map(({ modelId }) => {
        const m = store.models.get(modelId);
        return { model: `${m.name}@${m.version}`, modelId, scores: Object.fromEntries([...store.scores.nodeScores(modelId, id)].map(([n, s]) => [String(n), s])) };
      });
      return { search: withRefs(store, [search])[0], nodes: store.trees.nodes(id), prm };
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
    'curation.disagreements': ({ prm, limit, stepKind, problemId, minGap }) => {
      const m = store.models.withRole(prm, 'prm');
      const { total, matching, items } = store.scores.disagreements(m.id, limit, { stepKind, problemId, minGap });
      return { prm: `${m.name}@${m.version}`, scoredNodes: total, matching, items };
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
      return { prm: `${m.name}@${m.version}`, aggregate, scoredSolutions: total, items };
    },
    'solutions.forProblem': ({ problemId, ids }) => {
      store.problems.get(problemId);
      const want = ids ? new Set(ids) : null;
      const label = new Map<number, string>();
      const name = (modelId: number): string => {
        if (!label.has(modelId)) {
          const m = store.models.get(modelId);
          label.set(modelId, `${m.name}@${m.version}`);
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
    'evaluations.list': () => store.evaluations.list(),
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
    'evaluations.chart': ({ id, split, theme }) => evaluationChart(store.evaluations.get(id), split, theme),
    'jobs.metrics': ({ id }) => {
      store.jobs.get(id);
      return store.jobs.metrics(id);
    },
  };
}
