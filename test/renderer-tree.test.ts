// The tree explorer's layout: positions by parent, radius by visits, MC colours, hit testing, paths,
// collapsed subtrees, search within the tree, and a clear line for each broken parent link (an old
// import: a missing parent, a second root, a cycle) with the connected part still laid out.
import { describe, expect, it } from 'vitest';
import type { TreeNode } from '../src-shared/domain';
import { collapseBelow, hitTest, indexTree, layoutTree, LEVEL_GAP_Y, MC_STEPS, mcColor, mcStep, moveSelection, nodeRadius, pathTo, revealNode, stepColor, toggleCollapsed, UNKNOWN_COLOR } from '../src-renderer/tree/layout';
import { findMatches, parseBound, stepMatch, EMPTY_QUERY } from '../src-renderer/tree/treeSearch';

const node = (id: number, parentId: number | null, depth: number, over: Partial<TreeNode> = {}): TreeNode => ({
  id,
  searchId: 1,
  parentId,
  depth,
  stepText: `s${id}`,
  visits: 0,
  rollouts: 0,
  correct: 0,
  mc: null,
  q: null,
  firstError: false,
  meta: null,
  ...over,
});

describe('tree layout', () => {
  const nodes = [node(1, null, 0, { visits: 16, mc: 0.5 }), node(2, 1, 1, { mc: 1 }), node(3, 1, 1, { mc: 0, firstError: true }), node(4, 3, 2)];

  it('puts children one level below their parent, siblings apart, the parent centred', () => {
    const t = layoutTree(nodes);
    const [r, a, b, c] = [1, 2, 3, 4].map((id) => t.byId.get(id)!);
    expect([a.y, b.y, c.y]).toEqual([LEVEL_GAP_Y, LEVEL_GAP_Y, 2 * LEVEL_GAP_Y]);
    expect(a.x).toBeLessThan(b.x);
    expect(r.x).toBeCloseTo((a.x + b.x) / 2, 9);
    expect(c.parent).toBe(b);
    expect(pathTo(c).map((n) => n.node.id)).toEqual([1, 3, 4]);
  });

  it('sizes by visits and colours by MC on a red-yellow-green scale', () => {
    expect(nodeRadius(0)).toBe(3);
    expect(nodeRadius(16)).toBe(7);
    expect(nodeRadius(10_000)).toBe(12);
    expect(mcColor(0)).toBe('rgb(165, 0, 38)');
    expect(mcColor(1)).toBe('rgb(0, 104, 55)');
    expect(mcColor(null)).toBe(UNKNOWN_COLOR);
    expect(layoutTree(nodes).byId.get(1)!.color).toBe(mcColor(0.5));
  });

  it('finds the node under a point', () => {
    const t = layoutTree(nodes);
    const b = t.byId.get(3)!;
    expect(hitTest(t, b.x + 1, b.y - 1)?.node.id).toBe(3);
    expect(hitTest(t, b.x + 500, b.y)).toBeNull();
  });

  it('walks the tree with the arrow keys', () => {
    const t = layoutTree(nodes);
    expect(moveSelection(t, null, 'ArrowDown')).toBe(1);
    expect(moveSelection(t, 1, 'ArrowDown')).toBe(2);
    expect(moveSelection(t, 2, 'ArrowRight')).toBe(3);
    expect(moveSelection(t, 3, 'ArrowRight')).toBe(3);
    expect(moveSelection(t, 3, 'ArrowDown')).toBe(4);
    expect(moveSelection(t, 4, 'ArrowDown')).toBe(4);
    expect(moveSelection(t, 4, 'ArrowUp')).toBe(3);
    expect(moveSelection(t, 3, 'ArrowLeft')).toBe(2);
    expect(moveSelection(t, 4, 'Home')).toBe(1);
  });

  it('names the node whose parent is missing and draws the part connected to the root', () => {
    const t = layoutTree([node(1, null, 0), node(2, 1, 1), node(5, 99, 1), node(6, 5, 2), node(7, 6, 3)]);
    expect(t.problems).toEqual(['node 5 names parent 99, which is not in the tree: it and its 2 descendants cannot be drawn']);
    expect(t.nodes.map((n) => n.node.id)).toEqual([1, 2]);
    expect(t.total).toBe(5);
    const roots = layoutTree([node(1, null, 0), node(2, null, 0), node(3, 2, 1)]);
    expect(roots.problems).toEqual(['node 2 is a second root (a search tree has one, node 1): it and its 1 descendant are not drawn']);
    expect(roots.nodes.map((n) => n.node.id)).toEqual([1]);
  });

  it('names a parent cycle, and draws nothing of it', () => {
    // 7 -> 8 -> 9 -> 7, and 10 hangs off the cycle
    const t = layoutTree([node(1, null, 0), node(2, 1, 1), node(7, 9, 1), node(8, 7, 2), node(9, 8, 3), node(10, 8, 3)]);
    expect(t.problems).toHaveLength(1);
    expect(t.problems[0]).toMatch(/^nodes (7 → 9 → 8 → 7|8 → 7 → 9 → 8|9 → 8 → 7 → 9) form a parent cycle: they and the nodes under them cannot be drawn$/);
    expect(t.nodes.map((n) => n.node.id)).toEqual([1, 2]);
    const all = layoutTree([node(3, 4, 1), node(4, 3, 1)]);
    expect(all.nodes).toEqual([]);
    expect(all.problems[0]).toBe('the tree has no root (no node without a parent): nothing can be drawn');
  });

  it('collapses a subtree: its descendants leave the layout, the node counts them, the layout closes up', () => {
    const wide = [node(1, null, 0), node(2, 1, 1), node(3, 1, 1), node(4, 2, 2), node(5, 2, 2), node(6, 5, 3), node(7, 3, 2)];
    const index = indexTree(wide);
    expect(index.descendants.get(2)).toBe(3);
    expect(index.order.map((n) => n.id)).toEqual([1, 2, 4, 5, 6, 3, 7]);
    const full = layoutTree(index);
    const collapsed = toggleCollapsed(index, new Set(), 2);
    const t = layoutTree(index, { collapsed });
    expect(t.nodes.map((n) => n.node.id)).toEqual([1, 2, 3, 7]);
    expect(t.byId.get(2)!.hidden).toBe(3);
    expect(t.byId.get(2)!.children).toEqual([]);
    expect(t.byId.get(2)!.childCount).toBe(2);
    expect(t.bounds.maxX - t.bounds.minX).toBeLessThan(full.bounds.maxX - full.bounds.minX);
    // a leaf is never collapsed; toggling again expands
    expect(toggleCollapsed(index, collapsed, 7).has(7)).toBe(false);
    expect(toggleCollapsed(index, collapsed, 2).size).toBe(0);
    // revealing a node hidden under collapsed ancestors expands them
    const deep = new Set([2, 5]);
    expect([...revealNode(index, deep, 6)]).toEqual([]);
    expect(revealNode(index, deep, 7)).toBe(deep);
    expect([...collapseBelow(index, 1)].sort()).toEqual([2, 3]);
    // keyboard moves see only what is drawn
    expect(moveSelection(t, 2, 'ArrowDown')).toBe(2);
  });

  it('draws each MC in one of 21 colour steps', () => {
    expect(mcStep(null)).toBe(-1);
    expect(mcStep(0)).toBe(0);
    expect(mcStep(0.52)).toBe(10);
    expect(mcStep(1)).toBe(MC_STEPS);
    expect(mcStep(7)).toBe(MC_STEPS);
    // a node's colour is its step's: the table's dot and the canvas agree
    expect(stepColor(0.52)).toBe(mcColor(0.5));
    expect(stepColor(null)).toBe(UNKNOWN_COLOR);
    expect(layoutTree([node(1, null, 0, { mc: 0.98 })]).nodes[0].color).toBe(mcColor(1));
  });

  it('lays out 10,000 nodes', () => {
    const big: TreeNode[] = [node(1, null, 0)];
    for (let i = 2; i <= 10_000; i++) big.push(node(i, Math.floor(i / 3) || 1, 0));
    const t = layoutTree(big);
    expect(t.nodes).toHaveLength(10_000);
    expect(new Set(t.nodes.map((n) => `${n.x},${n.y}`)).size).toBe(10_000);
  });
});

describe('search within the tree', () => {
  const nodes = [node(1, null, 0, { stepText: '', mc: 0.5 }), node(2, 1, 1, { stepText: 'x = 3 + 4', mc: 1 }), node(3, 1, 1, { stepText: 'X = 12', mc: 0 }), node(4, 3, 2, { stepText: 'so 12', mc: null })];
  const order = indexTree(nodes).order;
  const prm = { '2': 0.9, '3': 0.2, '4': 0.35 };

  it('matches step text case-insensitively, in depth-first order', () => {
    expect(findMatches(order, { ...EMPTY_QUERY, text: 'x =' })).toEqual([2, 3]);
    expect(findMatches(order, { ...EMPTY_QUERY, text: '12' })).toEqual([3, 4]);
    expect(findMatches(order, { ...EMPTY_QUERY, text: 'nowhere' })).toEqual([]);
    // an empty query matches nothing rather than everything
    expect(findMatches(order, EMPTY_QUERY)).toEqual([]);
  });

  it('matches MC and PRM ranges (bounds included; a node without a value is outside any range)', () => {
    expect(findMatches(order, { ...EMPTY_QUERY, mcMin: 0.5 })).toEqual([1, 2]);
    expect(findMatches(order, { ...EMPTY_QUERY, mcMax: 0 })).toEqual([3]);
    expect(findMatches(order, { ...EMPTY_QUERY, prmMin: 0.3, prmMax: 0.9 }, prm)).toEqual([2, 4]);
    expect(findMatches(order, { ...EMPTY_QUERY, text: '12', prmMax: 0.3 }, prm)).toEqual([3]);
  });

  it('reads bounds typed by the user, naming the field of a bad one', () => {
    expect(parseBound(' ', 'MC min')).toEqual({ value: null, error: null });
    expect(parseBound('0.25', 'MC min')).toEqual({ value: 0.25, error: null });
    expect(parseBound('1.5', 'MC max').error).toBe('MC max: "1.5" is not a number from 0 to 1');
    expect(parseBound('abc', 'PRM min').error).toBe('PRM min: "abc" is not a number from 0 to 1');
  });

  it('steps through matches, wrapping around', () => {
    expect(stepMatch([2, 3, 4], null, 1)).toBe(2);
    expect(stepMatch([2, 3, 4], null, -1)).toBe(4);
    expect(stepMatch([2, 3, 4], 4, 1)).toBe(2);
    expect(stepMatch([2, 3, 4], 2, -1)).toBe(4);
    expect(stepMatch([2, 3, 4], 9, 1)).toBe(2);
    expect(stepMatch([], 2, 1)).toBeNull();
  });
});
