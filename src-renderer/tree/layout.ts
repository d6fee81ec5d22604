// The search tree laid out for drawing: the nodes indexed by parent (with a readable line for every broken
// link an old import can leave: a missing parent, a second root, a cycle), then a layered tree of the
// part reachable from the root with collapsed subtrees left out, each node with its position,
// radius (visits) and colour (MC value, diverging red-yellow-green; grey when unknown).
import { interpolateRdYlGn } from 'd3-scale-chromatic';
import type { TreeNode } from '../../src-shared/domain';

export interface LaidNode {
  node: TreeNode;
  x: number;
  y: number;
  r: number;
  /** the MC colour as drawn (its step of the scale) */
  color: string;
  parent: LaidNode | null;
  /** the children drawn (none when collapsed) */
  children: LaidNode[];
  /** children in the whole tree, drawn or not */
  childCount: number;
  /** descendants hidden because this node is collapsed (0 when it is expanded) */
  hidden: number;
}

export interface TreeLayout {
  nodes: LaidNode[];
  byId: Map<number, LaidNode>;
  bounds: { minX: number; maxX: number; minY: number; maxY: number };
  /** one line per broken link; the nodes they cut off are not drawn */
  problems: string[];
  /** nodes in the tree, drawn, collapsed away or cut off */
  total: number;
}

/** The tree by parent, built once per tree; layouts (one per set of collapsed nodes) are made from it. */
export interface TreeIndex {
  root: TreeNode | null;
  byId: Map<number, TreeNode>;
  /** children by parent id, in id order (creation order) */
  children: Map<number, TreeNode[]>;
  /** descendants of each node reachable from the root */
  descendants: Map<number, number>;
  /** the reachable nodes, depth first from the root, children in id order */
  order: TreeNode[];
  problems: string[];
  total: number;
}

export const NODE_GAP_X = 18;
export const LEVEL_GAP_Y = 64;
export const UNKNOWN_COLOR = '#9aa3ad';
/** the MC colour scale drawn in steps of 1/MC_STEPS (canvas fills are batched by colour) */
export const MC_STEPS = 20;

/** Colour of an MC value in [0, 1]: 0 red, 0.5 yellow, 1 green. */
export function mcColor(mc: number | null): string {
  if (mc === null || !Number.isFinite(mc)) return UNKNOWN_COLOR;
  return interpolateRdYlGn(Math.min(1, Math.max(0, mc)));
}

/** The colour step an MC value is drawn in: 0..MC_STEPS, or -1 when unknown. */
export function mcStep(mc: number | null): number {
  if (mc === null || !Number.isFinite(mc)) return -1;
  return Math.round(Math.min(1, Math.max(0, mc)) * MC_STEPS);
}

/** The colour of each step, computed once (a node's colour is a lookup, not a colour-scale call). */
export const STEP_COLORS: readonly string[] = Array.from({ length: MC_STEPS + 1 }, (_, i) => mcColor(i / MC_STEPS));

/** The colour an MC value is drawn in: its step's. */
export function stepColor(mc: number | null): string {
  const step = mcStep(mc);
  return step < 0 ? UNKNOWN_COLOR : STEP_COLORS[step];
}

/** Node radius from its visit count: 3 px for an unvisited node, growing with the square root, at most 12. */
export function nodeRadius(visits: number): number {
  return Math.min(12, 3 + Math.sqrt(Math.max(0, visits)));
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n.toLocaleString()} ${n === 1 ? one : many}`;

/** Indexes the nodes by parent and names every broken link; never throws on a broken tree. */
export function indexTree(nodes: readonly TreeNode[]): TreeIndex {
  const byId = new Map<number, TreeNode>();
  for (const n of nodes) byId.set(n.id, n);
  const children = new Map<number, TreeNode[]>();
  const roots: TreeNode[] = [];
  const orphans: TreeNode[] = [];
  for (const n of nodes) {
    if (n.parentId === null) roots.push(n);
    else if (!byId.has(n.parentId)) orphans.push(n);
    else {
      const list = children.get(n.parentId);
      if (list) list.push(n);
      else children.set(n.parentId, [n]);
    }
  }
  // the API sends nodes in id order, so lists are usually sorted already
  for (const list of children.values()) {
    for (let i = 1; i < list.length; i++) {
      if (list[i - 1].id > list[i].id) {
        list.sort((a, b) => a.id - b.id);
        break;
      }
    }
  }
  roots.sort((a, b) => a.id - b.id);
  const root = roots[0] ?? null;

  // depth first from the root (an explicit stack: trees can be deep); descendants counted on the way back
  const order: TreeNode[] = [];
  const descendants = new Map<number, number>();
  const reached = new Set<number>();
  if (root) {
    const stack: { n: TreeNode; i: number }[] = [{ n: root, i: 0 }];
    reached.add(root.id);
    order.push(root);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const kids = children.get(top.n.id);
      if (kids && top.i < kids.length) {
        const c = kids[top.i++];
        reached.add(c.id);
        order.push(c);
        stack.push({ n: c, i: 0 });
      } else {
        stack.pop();
        let d = 0;
        for (const c of kids ?? []) d += 1 + descendants.get(c.id)!;
        descendants.set(top.n.id, d);
      }
    }
  }

  const problems: string[] = [];
  const cutOff = (n: TreeNode): number => {
    let count = 0;
    const stack = [n];
    const seen = new Set<number>();
    while (stack.length) {
      const c = stack.pop()!;
      if (seen.has(c.id)) continue;
      seen.add(c.id);
      count++;
      stack.push(...(children.get(c.id) ?? []));
    }
    return count - 1;
  };
  for (const o of orphans) {
    const below = cutOff(o);
    problems.push(`node ${o.id} names parent ${o.parentId}, which is not in the tree: it${below ? ` and its ${plural(below, 'descendant')}` : ''} cannot be drawn`);
  }
  if (roots.length === 0 && nodes.length > 0) problems.push(`the tree has no root (no node without a parent): nothing can be drawn`);
  for (const extra of roots.slice(1)) {
    const below = cutOff(extra);
    problems.push(`node ${extra.id} is a second root (a search tree has one, node ${root!.id}): it${below ? ` and its ${plural(below, 'descendant')}` : ''} are not drawn`);
  }
  // whatever is still unreached hangs off a cycle: name the cycle once
  const inCycle = new Set<number>();
  for (const n of nodes) {
    if (reached.has(n.id) || inCycle.has(n.id) || n.parentId === null || !byId.has(n.parentId)) continue;
    const path: number[] = [];
    const at = new Map<number, number>();
    let cur: TreeNode | undefined = n;
    while (cur && cur.parentId !== null && !at.has(cur.id) && !inCycle.has(cur.id) && !reached.has(cur.id)) {
      at.set(cur.id, path.length);
      path.push(cur.id);
      cur = byId.get(cur.parentId);
    }
    if (!cur || !at.has(cur.id)) continue; // leads to an orphan, a second root or a cycle already named
    const cycle = path.slice(at.get(cur.id));
    for (const id of cycle) inCycle.add(id);
    problems.push(`nodes ${[...cycle, cycle[0]].join(' → ')} form a parent cycle: they and the nodes under them cannot be drawn`);
  }
  return { root, byId, children, descendants, order, problems, total: nodes.length };
}

/**
 * Lays out the part of the tree reachable from its root, without the descendants of collapsed nodes.
 * A tree with broken links is drawn as far as it is connected; `problems` names each break.
 *
 * The layout is layered: one row per level, the leaves in depth-first order one slot apart, each parent
 * centred over its first and last child. Unlike a Reingold-Tilford tidy tree (d3's tree()), subtrees never
 * interleave, so it is a little wider; it is two linear passes over the nodes with no intermediate
 * hierarchy, which is what keeps the first frame of a 10,000-node tree fast.
 */
export function layoutTree(nodes: readonly TreeNode[] | TreeIndex, opts: { collapsed?: ReadonlySet<number> } = {}): TreeLayout {
  const index = Array.isArray(nodes) ? indexTree(nodes as readonly TreeNode[]) : (nodes as TreeIndex);
  const collapsed = opts.collapsed ?? new Set<number>();
  const bounds = { minX: 0, maxX: 0, minY: 0, maxY: 0 };
  const out: LaidNode[] = [];
  const byId = new Map<number, LaidNode>();
  const { order, descendants, children } = index;
  let slot = 0;
  let maxY = 0;
  // depth first (the index's order), skipping what collapsed nodes hide; leaves take the next slot
  for (let i = 0; i < order.length; ) {
    const d = order[i];
    const parent = d.parentId === null ? null : byId.get(d.parentId)!;
    const childCount = children.get(d.id)?.length ?? 0;
    const shut = childCount > 0 && collapsed.has(d.id);
    const y = parent ? parent.y + LEVEL_GAP_Y : 0;
    const n: LaidNode = {
      node: d,
      x: childCount === 0 || shut ? slot++ * NODE_GAP_X : 0,
      y,
      r: nodeRadius(d.visits),
      color: stepColor(d.mc),
      parent,
      children: [],
      childCount,
      hidden: shut ? descendants.get(d.id)! : 0,
    };
    parent?.children.push(n);
    out.push(n);
    byId.set(d.id, n);
    if (y > maxY) maxY = y;
    i += shut ? descendants.get(d.id)! + 1 : 1;
  }
  // parents after their children: centred over the first and the last
  for (let i = out.length - 1; i >= 0; i--) {
    const n = out[i];
    const c = n.children;
    if (c.length) n.x = (c[0].x + c[c.length - 1].x) / 2;
  }
  if (out.length) {
    const shift = out[0].x;
    for (const n of out) n.x -= shift;
    Object.assign(bounds, { minX: -shift, maxX: (slot - 1) * NODE_GAP_X - shift, minY: 0, maxY });
  }
  return { nodes: out, byId, bounds, problems: index.problems, total: index.total };
}

/** The collapsed set with the node toggled (a leaf is never collapsed). */
export function toggleCollapsed(index: TreeIndex, collapsed: ReadonlySet<number>, id: number): Set<number> {
  const next = new Set(collapsed);
  if (next.has(id)) next.delete(id);
  else if (index.children.get(id)?.length) next.add(id);
  return next;
}

/** The collapsed set with every ancestor of the node expanded, so that the node is drawn. */
export function revealNode(index: TreeIndex, collapsed: ReadonlySet<number>, id: number): ReadonlySet<number> {
  let next: Set<number> | null = null;
  for (let n = index.byId.get(id); n && n.parentId !== null; n = index.byId.get(n.parentId)) {
    if (collapsed.has(n.parentId)) (next ??= new Set(collapsed)).delete(n.parentId);
  }
  return next ?? collapsed;
}

/** Collapses every node at the given depth below the root that has children (a quick overview). */
export function collapseBelow(index: TreeIndex, depth: number): Set<number> {
  const out = new Set<number>();
  const level = new Map<number, number>();
  for (const n of index.order) {
    const l = n.parentId === null ? 0 : level.get(n.parentId)! + 1;
    level.set(n.id, l);
    if (l === depth && index.children.get(n.id)?.length) out.add(n.id);
  }
  return out;
}

/** The node under a point in tree coordinates (within its radius plus slack), or null. */
export function hitTest(layout: TreeLayout, x: number, y: number, slack = 3): LaidNode | null {
  let best: LaidNode | null = null;
  let bestD = Infinity;
  for (const n of layout.nodes) {
    const dx = n.x - x;
    const dy = n.y - y;
    if (Math.abs(dx) > 12 + slack || Math.abs(dy) > 12 + slack) continue;
    const d = Math.hypot(dx, dy);
    if (d <= n.r + slack && d < bestD) [best, bestD] = [n, d];
  }
  return best;
}

/** The nodes from the root to this one. */
export function pathTo(n: LaidNode): LaidNode[] {
  const out: LaidNode[] = [];
  for (let c: LaidNode | null = n; c; c = c.parent) out.unshift(c);
  return out;
}

/** Keyboard moves in the tree: up to the parent, down to the first child, left/right among siblings, Home to the root. */
export function moveSelection(layout: TreeLayout, from: number | null, key: string): number | null {
  const root = layout.nodes[0];
  if (!root) return null;
  const cur = from === null ? undefined : layout.byId.get(from);
  if (!cur || key === 'Home') return root.node.id;
  const siblings = cur.parent ? cur.parent.children : [cur];
  const i = siblings.indexOf(cur);
  switch (key) {
    case 'ArrowUp':
      return (cur.parent ?? cur).node.id;
    case 'ArrowDown':
      return (cur.children[0] ?? cur).node.id;
    case 'ArrowLeft':
      return siblings[Math.max(0, i - 1)].node.id;
    case 'ArrowRight':
      return siblings[Math.min(siblings.length - 1, i + 1)].node.id;
    default:
      return cur.node.id;
  }
}
