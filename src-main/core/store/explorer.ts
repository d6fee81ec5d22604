// What the tree explorer reads of a search: its record, its nodes as columns, and every PRM's node scores.
import type { Store } from '.';
import type { SearchRecord, TreeColumns } from './trees';
import { modelLabel } from '../../../src-shared/modelLabel';

export interface NodePrmScores {
  model: string;
  modelId: number;
  /** node id (as a string key) -> P(good) of the node's last step */
  scores: Record<string, number>;
}

/** Every PRM's scores of a search's nodes. */
export function treePrmScores(store: Store, searchId: number): NodePrmScores[] {
  return store.scores.nodeScorers(searchId).map(({ modelId }) => {
    const m = store.models.get(modelId);
    return { model: modelLabel(m), modelId, scores: Object.fromEntries([...store.scores.nodeScores(modelId, searchId)].map(([n, s]) => [String(n), s])) };
  });
}

/** The search, its tree as columns and the PRM scores; a missing search is a not-found error. */
export function explorerTree(
  store: Store,
  searchId: number,
): { search: SearchRecord; columns: TreeColumns; prm: NodePrmScores[]; extras?: NonNullable<ReturnType<Store['labels']['nodeExtras']>> } {
  const search = store.trees.getSearch(searchId);
  // an imported tree's kept rollouts and judge values, in the columns' node order
  const extras = store.labels.nodeExtras(searchId);
  return { search, columns: store.trees.columns(searchId), prm: treePrmScores(store, searchId), ...(extras ? { extras } : {}) };
}
