// A search tree against the gold step labels, where a problem has them (the demo domain's checker): the
// gold label of every node's last step, whether its whole prefix is right, which node holds the gold
// first error of its path, and per tree how the search's first errors and MC labels compare with gold.

/** The gold labels of a step sequence (1 right, 0 wrong, one per step), or null where they are unknown. */
export type GoldLabeller = (steps: readonly string[]) => readonly (0 | 1)[] | null;

export interface GoldNode {
  /** the steps the node adds to its parent's prefix (the root has none) */
  steps: readonly string[];
  id: number;
  parentId: number | null;
  mc: number | null;
  /** the search marked this node as a first error */
  firstError: boolean;
}

/**
 * How a tree's labels compare with gold. First errors (the search's): found = the node holds the gold
 * first error of its path; late = the gold first error is at an earlier node of the path; early = every
 * step through the node is right by gold (the gold first error, if any, comes later). Labelled prefixes
 * (nodes with an MC, the question alone excluded): falseAlarm = MC = 0 where gold says every step so far
 * is right; missed = MC > 0 where gold says a step so far is wrong.
 */
export interface GoldSummary {
  firstErrors: number;
  found: number;
  late: number;
  early: number;
  labelled: number;
  falseAlarm: number;
  missed: number;
  /** gold first-error nodes in the tree (the nodes that hold their path's first wrong step) */
  goldFirstErrors: number;
}

export interface TreeGold {
  /** per node id: gold label of its last step (a node without steps, the root, has none) */
  last: Map<number, 0 | 1>;
  /** per node id: every step from the question through this node is right */
  prefixOk: Map<number, boolean>;
  /** nodes whose prefix is wrong while their parent's is right: each holds its path's gold first error */
  goldFirstError: Set<number>;
  summary: GoldSummary;
}

/** Gold for every node reachable from the root; null when the labeller knows none (no gold for the problem). */
export function treeGold(nodes: readonly GoldNode[], label: GoldLabeller): TreeGold | null {
  const root = nodes.find((n) => n.parentId === null);
  if (!root) return null;
  if (label([]) === null) return null;
  const children = new Map<number, GoldNode[]>();
  for (const n of nodes) {
    if (n.parentId === null) continue;
    const list = children.get(n.parentId);
    if (list) list.push(n);
    else children.set(n.parentId, [n]);
  }
  const last = new Map<number, 0 | 1>();
  const prefixOk = new Map<number, boolean>([[root.id, true]]);
  const goldFirstError = new Set<number>();
  const summary: GoldSummary = { firstErrors: 0, found: 0, late: 0, early: 0, labelled: 0, falseAlarm: 0, missed: 0, goldFirstErrors: 0 };
  const seen = new Set<number>([root.id]);
  // iterative DFS: trees can be deep enough to overflow the stack with recursion
  const stack: { node: GoldNode; prefix: string[] }[] = (children.get(root.id) ?? []).map((node) => ({ node, prefix: [] }));
  while (stack.length) {
    const { node, prefix } = stack.pop()!;
    if (seen.has(node.id)) continue;
    seen.add(node.id);
    const steps = [...prefix, ...node.steps];
    const labels = node.steps.length ? label(steps) : null;
    const parentOk = prefixOk.get(node.parentId!) ?? true;
    let ok = parentOk;
    if (labels) {
      last.set(node.id, labels[steps.length - 1] ?? 0);
      ok = labels.slice(0, steps.length).every((l) => l === 1);
    }
    prefixOk.set(node.id, ok);
    if (parentOk && !ok) {
      goldFirstError.add(node.id);
      summary.goldFirstErrors++;
    }
    if (node.firstError) {
      summary.firstErrors++;
      if (parentOk && !ok) summary.found++;
      else if (ok) summary.early++;
      else summary.late++;
    }
    if (node.mc !== null) {
      summary.labelled++;
      if (node.mc <= 0 && ok) summary.falseAlarm++;
      if (node.mc > 0 && !ok) summary.missed++;
    }
    for (const c of children.get(node.id) ?? []) stack.push({ node: c, prefix: steps });
  }
  return { last, prefixOk, goldFirstError, summary };
}
