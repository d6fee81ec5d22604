// Labelled step sequences from search trees: MM-PRM's traverse.py rules on a hand-built tree,
// 'all-paths', the filters, balancing, and the labelled-prefix count.
import { describe, expect, it } from 'vitest';
import { DEFAULT_MIN_WORDS, extractAnnotations, fullPrefixes, labelledSteps, type StepAnnotation } from '../src-main/core/search/annotations';
import { parseSearchConfig } from '../src-main/core/search/config';
import { runOmega } from '../src-main/core/search/omega';
import { referenceSolution, scriptedPort } from './helpers/scriptedPolicy';
import type { SearchNode } from '../src-main/core/search/types';

function node(id: number, parentId: number | null, steps: string[], mc: number | null, extra: Partial<SearchNode> = {}): SearchNode {
  return { id, parentId, steps, depth: 0, visits: 0, rollouts: mc === null ? 0 : 4, correct: mc === null ? 0 : Math.round((mc ?? 0) * 4), mc, q: null, firstError: false, terminal: false, ...extra };
}

const S1 = '1 + 1 = 2';
// root MC 1/2. Node 2 holds two steps. Node 8 repeats node 1's step (a duplicate path below it); node 7 is one word.
const TREE: SearchNode[] = [
  node(0, null, [], 0.5),
  node(1, 0, [S1], 0.75),
  node(2, 1, ['2 + 1 = 3', '3 + 1 = 4'], 0.5),
  node(3, 2, ['Answer: 4'], 1, { terminal: true, rollouts: 0, correct: 0 }),
  node(4, 2, ['3 + 2 = 6'], 0, { firstError: true }),
  node(5, 4, ['Answer: 6'], 0, { terminal: true, rollouts: 0 }),
  node(6, 1, ['2 + 2 = 5'], 0, { firstError: true }),
  node(7, 0, ['x'], 0, { rollouts: 2 }),
  node(8, 0, [S1], 0.75),
  node(9, 8, ['2 + 2 = 5'], 0),
  node(10, 1, ['2 * 1 = 2'], 0.25),
  node(11, 0, ['never estimated here'], null),
  node(12, 1, ['2 - 1 = 1', 'Answer: 1'], 1, { terminal: true, rollouts: 0, correct: 0 }),
  node(13, 1, ['2 / 1 = 2'], 0.5),
  node(14, 11, ['below an unlabelled node'], 1),
];

const P1: StepAnnotation = { steps: [S1, '2 + 1 = 3', '3 + 1 = 4', 'Answer: 4'], labels: [0.75, 0.5, 0.5, 1], hard: [1, 1, 1, 1], firstError: null, nodeIds: [1, 2, 2, 3] };
const N1: StepAnnotation = { steps: [S1, '2 + 1 = 3', '3 + 1 = 4', '3 + 2 = 6'], labels: [0.75, 0.5, 0.5, 0], hard: [1, 1, 1, 0], firstError: 3, nodeIds: [1, 2, 2, 4] };
const N2: StepAnnotation = { steps: [S1, '2 + 2 = 5'], labels: [0.75, 0], hard: [1, 0], firstError: 1, nodeIds: [1, 6] };
const P2: StepAnnotation = { steps: [S1, '2 * 1 = 2'], labels: [0.75, 0.25], hard: [1, 1], firstError: null, nodeIds: [1, 10] };
const P3: StepAnnotation = { steps: [S1, '2 - 1 = 1', 'Answer: 1'], labels: [0.75, 1, 1], hard: [1, 1, 1], firstError: null, nodeIds: [1, 12, 12] };
const P4: StepAnnotation = { steps: [S1, '2 / 1 = 2'], labels: [0.75, 0.5], hard: [1, 1], firstError: null, nodeIds: [1, 13] };

describe('MM-PRM rules (traverse.py)', () => {
  it('positives are leaf paths, negatives end at their first MC = 0 node; duplicates and short paths are dropped', () => {
    // node 7 (1 word) is too short, node 9 repeats N2's steps, node 11 has no MC so neither it nor 14 is labelled,
    // and node 5 lies below a negative's end
    expect(extractAnnotations(TREE, { mode: 'mmprm' })).toEqual([P1, N1, N2, P2, P3, P4]);
    expect(DEFAULT_MIN_WORDS).toBe(2);
  });

  it('minWords is configurable: MM-PRM drops paths of 10 words or fewer', () => {
    const mmprm = extractAnnotations(TREE, { mode: 'mmprm', minWords: 10 });
    expect(mmprm).toEqual([P1, N1, P3]);
    const all = extractAnnotations(TREE, { mode: 'mmprm', minWords: 0 });
    expect(all.map((a) => a.steps)).toContainEqual(['x']);
  });

  it('only when the root MC is strictly between 0 and 1', () => {
    for (const mc of [0, 1, null]) {
      const t = TREE.map((n) => (n.id === 0 ? { ...n, mc } : n));
      expect(extractAnnotations(t, { mode: 'mmprm' })).toEqual([]);
      expect(extractAnnotations(t, { mode: 'all-paths' }).length).toBeGreaterThan(0);
    }
    expect(extractAnnotations([], { mode: 'mmprm' })).toEqual([]);
  });

  it('balance down-samples positives to the number of negatives, deterministically and whatever the tree order', () => {
    const out = extractAnnotations(TREE, { mode: 'mmprm', balance: true });
    const neg = out.filter((a) => a.firstError !== null);
    const pos = out.filter((a) => a.firstError === null);
    expect(neg).toEqual([N1, N2]);
    expect(pos).toHaveLength(2);
    for (const p of pos) expect([P1, P2, P3, P4]).toContainEqual(p);
    // kept in DFS order
    const order = [P1, N1, N2, P2, P3, P4].map((a) => JSON.stringify(a.steps));
    const idx = out.map((a) => order.indexOf(JSON.stringify(a.steps)));
    expect([...idx].sort((a, b) => a - b)).toEqual(idx);
    expect(extractAnnotations(TREE, { mode: 'mmprm', balance: true })).toEqual(out);
    // the same tree with siblings in the opposite id order keeps the same positives
    const renumber = new Map(TREE.map((n) => [n.id, n.id === 0 ? 0 : TREE.length - n.id]));
    const flipped = TREE.map((n) => ({ ...n, id: renumber.get(n.id) as number, parentId: n.parentId === null ? null : (renumber.get(n.parentId) as number) }));
    const again = extractAnnotations(flipped, { mode: 'mmprm', balance: true }).filter((a) => a.firstError === null);
    expect(new Set(again.map((a) => JSON.stringify(a.steps)))).toEqual(new Set(pos.map((a) => JSON.stringify(a.steps))));
    // fewer positives than negatives: all kept
    const fewPos = TREE.filter((n) => ![3, 10, 12, 13].includes(n.id));
    expect(extractAnnotations(fewPos, { mode: 'mmprm', balance: true })).toEqual(extractAnnotations(fewPos, { mode: 'mmprm' }));
  });
});

describe("'all-paths'", () => {
  it('one path to every labelled node, with the same filters; hard = MC > 0', () => {
    const out = extractAnnotations(TREE, { mode: 'all-paths' });
    expect(out.map((a) => a.nodeIds[a.nodeIds.length - 1])).toEqual([1, 2, 3, 4, 5, 6, 10, 12, 13]);
    const five = out[4];
    expect(five).toEqual({
      steps: [S1, '2 + 1 = 3', '3 + 1 = 4', '3 + 2 = 6', 'Answer: 6'],
      labels: [0.75, 0.5, 0.5, 0, 0],
      hard: [1, 1, 1, 0, 0],
      firstError: 3,
      nodeIds: [1, 2, 2, 4, 5],
    });
    expect(out[1]).toEqual({ steps: [S1, '2 + 1 = 3', '3 + 1 = 4'], labels: [0.75, 0.5, 0.5], hard: [1, 1, 1], firstError: null, nodeIds: [1, 2, 2] });
    for (const a of out) a.labels.forEach((l, i) => expect(a.hard[i]).toBe(l > 0 ? 1 : 0));
  });

  it('a tree without exactly one root is a bug', () => {
    expect(() => extractAnnotations([node(0, null, [], 0.5), node(1, null, ['a b c'], 0.5)], { mode: 'all-paths' })).toThrow(/2 roots/);
  });
});

describe('labelledSteps', () => {
  it('counts distinct non-root prefixes estimated from at least k rollouts', () => {
    // estimated with 4: nodes 1, 2, 4, 6, 8 (= 1), 9 (= 6), 10, 13, 14; node 7 has 2, terminals 0, 11 none
    expect(labelledSteps(TREE, 4)).toBe(7);
    expect(labelledSteps(TREE, 2)).toBe(8);
    expect(labelledSteps(TREE, 5)).toBe(0);
    const full = fullPrefixes(TREE);
    expect(full.get(9)).toEqual([S1, '2 + 2 = 5']);
    expect(full.get(5)).toEqual([S1, '2 + 1 = 3', '3 + 1 = 4', '3 + 2 = 6', 'Answer: 6']);
  });
});

describe('annotations of a real OmegaPRM tree', () => {
  it('labels are the MCs of the nodes the steps belong to; negatives end at their first MC = 0 node, positives at leaves', async () => {
    const r = await runOmega(parseSearchConfig('omega', { rolloutsPerState: 8, maxSearchCount: 30 }), scriptedPort({ reference: referenceSolution(10), pCorrect: 0.6, seed: 5 }));
    const byId = new Map(r.nodes.map((n) => [n.id, n]));
    const hasChildren = new Set(r.nodes.map((n) => n.parentId));
    const out = extractAnnotations(r.nodes, { mode: 'mmprm' });
    expect(out.length).toBeGreaterThan(5);
    expect(out.some((a) => a.firstError !== null)).toBe(true);
    expect(out.some((a) => a.firstError === null)).toBe(true);
    for (const a of out) {
      a.nodeIds.forEach((id, i) => expect(a.labels[i]).toBe(byId.get(id)?.mc));
      const last = byId.get(a.nodeIds[a.nodeIds.length - 1]) as SearchNode;
      if (a.firstError !== null) {
        expect(last.mc).toBe(0);
        expect(a.firstError).toBe(a.nodeIds.indexOf(last.id));
        expect(a.hard.slice(0, a.firstError).every((h) => h === 1)).toBe(true);
      } else {
        expect(hasChildren.has(last.id)).toBe(false);
      }
    }
    const balanced = extractAnnotations(r.nodes, { mode: 'mmprm', balance: true });
    const negatives = balanced.filter((a) => a.firstError !== null).length;
    expect(balanced.filter((a) => a.firstError === null).length).toBe(Math.min(negatives, out.filter((a) => a.firstError === null).length));
  });
});
