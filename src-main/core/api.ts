// Implements the src-shared API over one workspace: the store for reads, the job runner for long work.
import type { ApiHandlers } from '../../src-shared/api';
import { exportAnnotations } from './data/exportAnnotations';
import { exportProblems } from './data/exportProblems';
import { verify } from './data/verify';
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
    'import.start': (cfg) => runner.submit('import', cfg),
    'export.problems': (q) => exportProblems(store, q),
    'export.annotations': (q) => exportAnnotations(store, q),
    'verify.check': (input) => verify(input),
    'models.list': () => store.models.list(),
    'searches.list': (q) => store.trees.listSearches(q),
    'searches.tree': ({ id }) => ({ search: store.trees.getSearch(id), nodes: store.trees.nodes(id) }),
    'searches.events': ({ id }) => {
      store.trees.getSearch(id);
      return store.trees.events(id);
    },
    'annotations.sets': () => store.annotations.sets(),
  };
}
