// The search tree laid out for drawing: a tidy tree (d3-hierarchy) of the nodes by parent id, each node
// with its position, radius (visits) and colour (MC value, diverging red-yellow-green; grey when unknown).
import { stratify, tree, type HierarchyPointNode } from 'd3-hierarchy';
import { interpolateRdYlGn } from 'd3-scale-chromatic';
import type { TreeNode } from '../../src-shared/domain';

export interface LaidNode {
  node: TreeNode;
  x: number;
  y: number;
  r: number;
  color: string;
  parent: LaidNode | null;
  children: LaidNode[];
}

export interface TreeLayout {
  nodes: LaidNode[];
  byId: Map<number, LaidNode>;
  bounds: { minX: number; maxX: number; minY: number; maxY: number };
}

export const NODE_GAP_X = 18;
export const LEVEL_GAP_Y = 64;
export const UNKNOWN_COLOR = '#9aa3ad';

/** Colour of an MC value in [0, 1]: 0 red, 0.5 yellow, 1 green. */
export function mcColor(mc: number | null): string {
  if (mc === null || !Number.isFinite(mc)) return UNKNOWN_COLOR;
  return interpolateRdYlGn(Math.min(1, Math.max(0, mc)));
}

/** Node radius from its visit count: 3 px for an unvisited node, growing with the square root, at most 12. */
export function nodeRadius(visits: number): number {
  return Math.min(12, 3 + Math.sqrt(Math.max(0, visits)));
}

/** Lays a tree out; a node whose parent id is missing from the tree is a clear error naming it. */
export function layoutTree(nodes: readonly TreeNode[]): TreeLayout {
  if (nodes.length === 0) return { nodes: [], byId: new Map(), bounds: { minX: 0, maxX: 0, minY: 0, maxY: 0 } };
  const ids = new Set(nodes.map((n) => n.id));
  const broken = nodes.filter((n) => n.parentId !== null && !ids.has(n.parentId));
  if (broken.length) throw new Error(`the tree is broken: node ${broken[0].id} names parent ${broken[0].parentId}, which is not in the tree${broken.length > 1 ? ` (and ${broken.length - 1} more)` : ''}`);
  const roots = nodes.filter((n) => n.parentId === null);
  if (roots.length !== 1) throw new Error(`the tree has ${roots.length} roots; a search tree has exactly one`);
  const root = stratify<TreeNode>()
    .id((n) => String(n.id))
    .parentId((n) => (n.parentId === null ? null : String(n.parentId)))([...nodes]);
  root.sort((a, b) => a.data.id - b.data.id);
  const laid = tree<TreeNode>().nodeSize([NODE_GAP_X, LEVEL_GAP_Y])(root);
  const out: LaidNode[] = [];
  const byId = new Map<number, LaidNode>();
  const bounds = { minX: Infinity, maxX: -Infinity, minY: Infinity, maxY: -Infinity };
  laid.each((p: HierarchyPointNode<TreeNode>) => {
    const parent = p.parent ? byId.get(p.parent.data.id)! : null;
    const n: LaidNode = { node: p.data, x: p.x, y: p.y, r: nodeRadius(p.data.visits), color: mcColor(p.data.mc), parent, children: [] };
    parent?.children.push(n);
    out.push(n);
    byId.set(p.data.id, n);
    bounds.minX = Math.min(bounds.minX, p.x);
    bounds.maxX = Math.max(bounds.maxX, p.x);
    bounds.minY = Math.min(bounds.minY, p.y);
    bounds.maxY = Math.max(bounds.maxY, p.y);
  });
  return { nodes: out, byId, bounds };
}

/** The node under a point in tree coordinates (within its radius plus slack), or null. */
export function hitTest(layout: TreeLayout, x: number, y: number, slack = 3): LaidNode | null {
  let best: LaidNode | null = null;
  let bestD = Infinity;
  for (const n of layout.nodes) {
    const d = Math.hypot(n.x - x, n.y - y);
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
