// What the tree explorer reads of a search against gold: the labels the demo domain's checker gives every
// node's steps (other problems have none), as columns in node id order, and the tree's summary.
import { labelSolution } from '../demo/check';
import type { Store } from '../store';
import type { TreeNode } from '../../../src-shared/domain';
import { treeGold, type GoldLabeller, type GoldSummary } from '../search/gold';

export interface SearchGold {
  searchId: number;
  /** where the gold labels come from; null when the problem has none */
  source: string | null;
  /** element i describes node ids[i]: the gold label of its last step (null: none) and whether its prefix is right */
  ids: number[];
  last: (0 | 1 | null)[];
  prefixOk: (boolean | null)[];
  /** nodes that hold their path's gold first error */
  goldFirstErrors: number[];
  summary: GoldSummary | null;
}

/** The demo checker for a problem whose meta carries its canonical form, else null. */
export function demoLabeller(meta: Record<string, unknown>): GoldLabeller | null {
  const canonical = meta.canonical;
  if (typeof canonical !== 'string') return null;
  const ic = meta.image_count;
  const check = { canonical, image_count: typeof ic === 'number' ? ic : null };
  try {
    labelSolution(check, []);
  } catch {
    return null; // a canonical form the checker cannot read
  }
  return (steps) => labelSolution(check, steps).labels;
}

function stepsOf(n: TreeNode): string[] {
  const meta = n.meta as { steps?: unknown } | null;
  if (meta && Array.isArray(meta.steps) && meta.steps.every((s) => typeof s === 'string')) return meta.steps as string[];
  return n.parentId === null ? [] : n.stepText.split('\n');
}

export function searchGold(store: Store, searchId: number): SearchGold {
  const search = store.trees.getSearch(searchId);
  const label = demoLabeller(store.problems.get(search.problemId).meta);
  const empty: SearchGold = { searchId, source: null, ids: [], last: [], prefixOk: [], goldFirstErrors: [], summary: null };
  if (!label) return empty;
  const nodes = store.trees.nodes(searchId);
  const gold = treeGold(
    nodes.map((n) => ({ id: n.id, parentId: n.parentId, mc: n.mc, firstError: n.firstError, steps: stepsOf(n) })),
    label,
  );
  if (!gold) return empty;
  return {
    searchId,
    source: "the demo domain's step checker",
    ids: nodes.map((n) => n.id),
    last: nodes.map((n) => gold.last.get(n.id) ?? null),
    prefixOk: nodes.map((n) => gold.prefixOk.get(n.id) ?? null),
    goldFirstErrors: [...gold.goldFirstError].sort((a, b) => a - b),
    summary: gold.summary,
  };
}
