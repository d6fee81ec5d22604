// Implements the src-shared API over one workspace: the store for reads, the job runner for long work.
import { LaunchableKind, type ApiHandlers } from '../../src-shared/api';
import { exportAnnotations } from './data/exportAnnotations';
import { exportProblems } from './data/exportProblems';
import { verify } from './data/verify';
import { UserError } from './errors';
import { evaluationChart, evaluationRecord } from './reward/evaluationExport';
import type { JobRunner } from './jobs/runner';
import type { Store } from './store';
import { APP_VERSION } from './version';

export function createApiHandlers(store: Store, runner: JobRunner): ApiHandlers {
  return {
    'workspace.info': () => ({
      path: store.paths.dir,
      schemaVersion: store.schemaVersion,
      appVersion: APP_VERSION,
      problems: store.problems.count(),
      datasets: store.datasets.list().length,
      images: store.images.count(),
    }),
    'datasets.list': () => store.datasets.list(),
    'datasets.get': ({ name }) => store.datasets.get(name),
    'problems.list': ({ dataset, ...q }) => store.problems.listInDataset(store.datasets.requireId(dataset), q),
    'problems.get': ({ id }) => store.problems.get(id),
    'jobs.list': ({ limit }) => store.jobs.list(limit),
    'jobs.get': ({ id }) => store.jobs.get(id),
    'jobs.cancel': ({ id }) => runner.cancel(id),
    'jobs.start': ({ kind, config }) => runner.submit(kind, config),
    'jobs.resume': ({ id }) => runner.resume(id),
    'jobs.schemas': () => runner.configSchemas(LaunchableKind.options),
    'import.start': (cfg) => runner.submit('import', cfg),
    'export.problems': (q) => exportProblems(store, q),
    'export.annotations': (q) => exportAnnotations(store, q),
    'verify.check': (input) => verify(input),
    'models.list': () => store.models.list(),
    'searches.list': (q) => store.trees.listSearches(q),
    'searches.tree': ({ id }) => {
      const search = store.trees.getSearch(id);
      const prm = store.scores.nodeScorers(id).map(({ modelId }) => {
        const m = store.models.get(modelId);
        return { model: `${m.name}@${m.version}`, modelId, scores: Object.fromEntries([...store.scores.nodeScores(modelId, id)].map(([n, s]) => [String(n), s])) };
      });
      return { search, nodes: store.trees.nodes(id), prm };
    },
    'searches.events': ({ id }) => {
      store.trees.getSearch(id);
      return store.trees.events(id);
    },
    'annotations.sets': () => store.annotations.sets(),
    'curation.disagreements': ({ prm, limit }) => {
      const m = store.models.withRole(prm, 'prm');
      const { total, items } = store.scores.disagreements(m.id, limit);
      return { prm: `${m.name}@${m.version}`, scoredNodes: total, items };
    },
    'annotations.forSearch': ({ searchId }) => {
      store.trees.getSearch(searchId);
      return store.annotations.forSearch(searchId);
    },
    'annotations.edit': ({ annotationId, ...e }) => {
      const a = store.annotations.get(annotationId);
      if (e.stepIdx !== null && (e.stepIdx >= a.steps.length)) throw new UserError(`annotation ${annotationId} has ${a.steps.length} steps; there is no step ${e.stepIdx}`);
      store.annotations.edit(annotationId, e);
      return store.annotations.get(annotationId);
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
      return store.solutions
        .forProblem(problemId)
        .filter((s) => !want || want.has(s.id))
        .map((s) => ({
          id: s.id,
          modelId: s.modelId,
          origin: s.origin,
          verdict: s.verdict,
          finalAnswer: s.finalAnswer,
          steps: s.steps,
          scores: Object.fromEntries([...store.scores.stepScoresOf(s.id)].map(([m, sc]) => [name(m), sc])),
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
      return [...byProblem.values()];
    },
    'evaluations.get': ({ id }) => evaluationRecord(store, store.evaluations.get(id)),
    'evaluations.chart': ({ id, split }) => evaluationChart(store.evaluations.get(id), split),
    'jobs.metrics': ({ id }) => {
      store.jobs.get(id);
      return store.jobs.metrics(id);
    },
  };
}
