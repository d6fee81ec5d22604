// The tree explorer's layout: positions by parent, radius by visits, MC colours, hit testing, paths,
// and a clear error for a tree whose parent ids are broken (an old import).
import { describe, expect, it } from 'vitest';
import type { TreeNode } from '../src-shared/domain';
import { hitTest, layoutTree, LEVEL_GAP_Y, mcColor, moveSelection, nodeRadius, pathTo, UNKNOWN_COLOR } from '../src-renderer/tree/layout';

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

  it('names the node whose parent is missing, instead of drawing half a tree', () => {
    expect(() => layoutTree([node(1, null, 0), node(5, 99, 1)])).toThrow('the tree is broken: node 5 names parent 99, which is not in the tree');
    expect(() => layoutTree([node(1, null, 0), node(2, null, 0)])).toThrow('the tree has 2 roots; a search tree has exactly one');
  });

  it('lays out 10,000 nodes', () => {
    const big: TreeNode[] = [node(1, null, 0)];
    for (let i = 2; i <= 10_000; i++) big.push(node(i, Math.floor(i / 3) || 1, 0));
    const t = layoutTree(big);
    expect(t.nodes).toHaveLength(10_000);
    expect(new Set(t.nodes.map((n) => `${n.x},${n.y}`)).size).toBe(10_000);
  });
});
