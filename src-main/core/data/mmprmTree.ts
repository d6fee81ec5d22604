// MM-PRM's PRM training paths from one search tree, by the rules of MM-PRM's data_pipeline/traverse.py
// (ModalMinds/MM-PRM @ b914fd6), so that an export equals what that script and prm_data_format.py
// write from the same tree:
//  - only a root with 0 < MC < 1 gives paths (its main loop skips MC 0 and 1);
//  - depth-first over children in order; a path ends as a negative at its first node with MC <= 0
//    (THRESHOLD = 0.00), and a path that reaches a leaf is a positive;
//  - the steps of one node are stripped and joined by "\n\n", and ONE "<prm>" follows each node,
//    labelled with that node's MC: binary search often puts several steps into one node, and MM-PRM
//    trains one score for the prefix that ends there, not one per step;
//  - a path is dropped when its text split on single spaces has at most `minWords` parts
//    (completion_too_short, default 10), counted on the text before the final strip, as upstream;
//  - repeats of the same process text are dropped within negatives and within positives (first kept);
//  - positives are cut to the number of negatives when there are at least as many.
// Deliberate differences, each named in the README: a node whose MC was never estimated ends its path
// unlabelled (MM-PRM's trees have none); the down-sampling is seeded (see `balance`), where MM-PRM
// calls an unseeded random.sample, and keeps the chosen positives in tree order.
import { fnv1a32 } from '../search/hash';

/** MM-PRM's step tag. */
export const MMPRM_TAG = '<prm>';

export interface MmprmTreeNode {
  id: number;
  parentId: number | null;
  /** the steps this node adds to its parent's prefix */
  steps: string[];
  mc: number | null;
}

/** One root-to-node path: per node on it, its id, its steps and its MC. */
export interface MmprmPath {
  nodeIds: number[];
  nodeSteps: string[][];
  labels: number[];
  negative: boolean;
}

/** traverse.py's path text: each node's stripped steps joined by "\n\n", "<prm>" after each node. */
export function mmprmProcess(nodeSteps: readonly (readonly string[])[]): string {
  return rawPrefix(nodeSteps).trim();
}

/** completion_too_short: at most `minWords` parts when split on " " (Python's str.split(' ')). */
export function mmprmTooShort(nodeSteps: readonly (readonly string[])[], minWords: number): boolean {
  return rawPrefix(nodeSteps).split(' ').length <= minWords;
}

// the solution_prefix that traverse.py builds before stripping: "<steps of node><prm>\n\n" per node
function rawPrefix(nodeSteps: readonly (readonly string[])[]): string {
  return nodeSteps.map((steps) => steps.map((s) => s.trim()).join('\n\n') + MMPRM_TAG + '\n\n').join('');
}

/** Every negative and positive path of a tree in DFS order, before any filter; none unless 0 < MC(root) < 1. */
export function mmprmTreePaths(nodes: readonly MmprmTreeNode[]): MmprmPath[] {
  const roots = nodes.filter((n) => n.parentId === null);
  if (roots.length !== 1) throw new Error(`search tree: ${roots.length} roots`);
  const root = roots[0];
  if (!(root.mc !== null && root.mc > 0 && root.mc < 1)) return [];
  const children = new Map<number, MmprmTreeNode[]>();
  for (const n of [...nodes].sort((a, b) => a.id - b.id)) {
    if (n.parentId === null) continue;
    const list = children.get(n.parentId) ?? [];
    list.push(n);
    children.set(n.parentId, list);
  }
  const out: MmprmPath[] = [];
  const walk = (node: MmprmTreeNode, path: Omit<MmprmPath, 'negative'>): void => {
    if (node.mc === null) return;
    const here = { nodeIds: [...path.nodeIds, node.id], nodeSteps: [...path.nodeSteps, node.steps], labels: [...path.labels, node.mc] };
    const next = children.get(node.id) ?? [];
    if (node.mc <= 0) out.push({ ...here, negative: true });
    else if (next.length === 0) out.push({ ...here, negative: false });
    else for (const c of next) walk(c, here);
  };
  for (const c of children.get(root.id) ?? []) walk(c, { nodeIds: [], nodeSteps: [], labels: [] });
  return out;
}

/** A path ready to write: its node-grouped steps and one label per node. */
export interface MmprmItem {
  nodeSteps: string[][];
  labels: number[];
  negative: boolean;
}

/**
 * traverse.py's selection: drop short paths, dedupe by process text within each polarity, negatives
 * first, then positives cut to the number of negatives when there are at least as many (so a tree
 * without a negative gives nothing, as upstream). The kept positives are those whose
 * FNV-1a(seed + NUL + process) is lowest (ties by tree order), listed in tree order: the same seed
 * and tree always give the same rows.
 */
export function mmprmSelect<T extends MmprmItem>(items: readonly T[], opts: { minWords: number; seed: number }): T[] {
  const dedupe = (list: T[]): T[] => {
    const seen = new Set<string>();
    return list.filter((p) => {
      const key = mmprmProcess(p.nodeSteps);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  };
  const long = items.filter((p) => !mmprmTooShort(p.nodeSteps, opts.minWords));
  const negative = dedupe(long.filter((p) => p.negative));
  const positive = dedupe(long.filter((p) => !p.negative));
  if (positive.length < negative.length) return [...negative, ...positive];
  const keep = new Set(
    positive
      .map((p, i) => ({ i, h: fnv1a32(`${opts.seed}\u0000${mmprmProcess(p.nodeSteps)}`) }))
      .sort((a, b) => a.h - b.h || a.i - b.i)
      .slice(0, negative.length)
      .map((r) => r.i),
  );
  return [...negative, ...positive.filter((_, i) => keep.has(i))];
}
