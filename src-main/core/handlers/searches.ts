// The searches area: search trees with their PRM scores and kept rollouts, events, comparison, the
// explorer's columns and the gold view.
import { modelLabel } from '../../../src-shared/modelLabel';
import { compareSearches } from '../store/compare';
import { explorerTree } from '../store/explorer';
import { searchGold } from '../views/goldView';
import type { AreaHandlers, HandlerContext } from './context';
import { withRefs } from './context';

export function searchesHandlers({ store }: HandlerContext) {
  return {
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
  } satisfies AreaHandlers;
}
