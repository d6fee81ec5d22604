// The problems area: datasets, problems, the dataset heatmap, and the answer verifier.
import { datasetHeatmap, listProblems, problemDetail } from '../browse';
import { verify } from '../data/verify';
import { NotFoundError } from '../errors';
import type { AreaHandlers, HandlerContext } from './context';
import { withRefs } from './context';

export function problemsHandlers({ store }: HandlerContext) {
  return {
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
    'verify.check': (input) => verify(input),
  } satisfies AreaHandlers;
}
