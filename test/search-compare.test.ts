// What the tree explorer asks of the API, on real searches (OmegaPRM and Math-Shepherd with the bundled
// tiny policy): a tree as columns (the compact form of searches.tree), and two searches of the same
// problem compared: costs from each search's record and tree, MC label agreement on shared step prefixes,
// and the refusals (another problem's search, the same search twice, bad input).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../src-main/core/dispatch';
import { prefixKeys, sharedLabels, sharedStreams } from '../src-main/core/store/compare';
import type { TreeNode } from '../src-shared/domain';
import { nodesFromColumns } from '../src-renderer/tree/columns';
import { createAppStore } from '../src-renderer/store';
import { parseHash } from '../src-renderer/store/route';
import { createApiProxy, type Method } from '../src-shared/api';
import { searchWorkspace, type SearchWorkspace } from './helpers/searchWorkspace';

let ws: SearchWorkspace;
beforeAll(async () => {
  ws = await searchWorkspace({ count: 2, mathShepherd: true });
}, 120_000);
afterAll(() => ws?.cleanup());

const node = (id: number, parentId: number | null, steps: string[], mc: number | null): TreeNode => ({
  id,
  searchId: 1,
  parentId,
  depth: steps.length,
  stepText: steps.join('\n'),
  visits: 0,
  rollouts: 0,
  correct: 0,
  mc,
  q: null,
  firstError: false,
  meta: { steps },
});

describe('searches.treeColumns', () => {
  it('holds the same nodes as searches.tree, one array per field, with the search node ids from meta', async () => {
    for (const id of [ws.omega[0], ws.mathShepherd[0]]) {
      const full = (await dispatch(ws.wb.handlers, 'searches.tree', { id })) as { search: { id: number }; nodes: TreeNode[]; prm: unknown[] };
      const cols = (await dispatch(ws.wb.handlers, 'searches.treeColumns', { id })) as { search: { id: number }; columns: Parameters<typeof nodesFromColumns>[1]; prm: unknown[] };
      expect(cols.search).toEqual(full.search);
      expect(cols.prm).toEqual(full.prm);
      const back = nodesFromColumns(id, cols.columns);
      expect(back.map(({ meta: _m, ...n }) => n)).toEqual(full.nodes.map(({ meta: _m, ...n }) => n));
      expect(back.map((n) => (n.meta as { searchNode: number }).searchNode)).toEqual(full.nodes.map((n) => (n.meta as { searchNode: number }).searchNode));
      expect(JSON.stringify(cols).length).toBeLessThan(JSON.stringify(full).length);
    }
  });

  it('refuses a missing search and bad input; columns of unequal length are named', async () => {
    await expect(dispatch(ws.wb.handlers, 'searches.treeColumns', { id: 999_999 })).rejects.toThrow('search 999999 not found');
    await expect(dispatch(ws.wb.handlers, 'searches.treeColumns', { id: 1.5 })).rejects.toMatchObject({ code: 'bad_request', path: 'params.id' });
    await expect(dispatch(ws.wb.handlers, 'searches.treeColumns', {})).rejects.toMatchObject({ code: 'bad_request' });
    const cols = (await dispatch(ws.wb.handlers, 'searches.treeColumns', { id: ws.omega[0] })) as { columns: Parameters<typeof nodesFromColumns>[1] };
    expect(() => nodesFromColumns(1, { ...cols.columns, mc: cols.columns.mc.slice(1) })).toThrow(`tree columns: "mc" has ${cols.columns.id.length - 1} values for ${cols.columns.id.length} nodes`);
  });
});

describe('searches.compare', () => {
  it('puts an OmegaPRM and a Math-Shepherd search of one problem side by side', async () => {
    const [a, b] = [ws.omega[0], ws.mathShepherd[0]];
    const out = (await dispatch(ws.wb.handlers, 'searches.compare', { a, b })) as {
      problemId: number;
      searches: { id: number; algorithm: string }[];
      costs: { searchId: number; nodes: number; rollouts: number; tokens: number | null; wallMs: number | null; inferenceMs: number | null; labelledSteps: number | null; policyCalls: number | null; tokensPerLabelledStep: number | null }[];
      shared: { prefixes: number; agree: number; meanAbsDiff: number | null };
    };
    expect(out.problemId).toBe(ws.wb.store.trees.getSearch(a).problemId);
    expect(out.searches.map((s) => [s.id, s.algorithm])).toEqual([
      [a, 'omegaprm'],
      [b, 'math-shepherd'],
    ]);
    for (const [i, id] of [a, b].entries()) {
      const c = out.costs[i];
      const nodes = ws.wb.store.trees.nodes(id);
      const stats = ws.wb.store.trees.getSearch(id).stats;
      expect(c.searchId).toBe(id);
      expect(c.nodes).toBe(nodes.length);
      expect(c.rollouts).toBe(nodes.reduce((t, n) => t + n.rollouts, 0));
      expect(c.rollouts).toBe(stats.rollouts);
      expect(c.tokens).toBe(stats.tokens);
      expect(c.tokens).toBeGreaterThan(0);
      expect(c.policyCalls).toBe(stats.policyCalls);
      expect(c.labelledSteps).toBe(stats.labelledSteps);
      // the job now records each search's wall time and its time in the policy
      expect(c.wallMs).toBeGreaterThan(0);
      expect(c.inferenceMs).toBeGreaterThan(0);
      expect(c.inferenceMs!).toBeLessThanOrEqual(c.wallMs! + 1);
    }
    expect(out.shared.agree).toBeLessThanOrEqual(out.shared.prefixes);
    expect(out.shared.meanAbsDiff === null).toBe(out.shared.prefixes === 0);
  });

  it('says when the two searches drew the same random streams, and why not otherwise', async () => {
    const [a, b] = [ws.omega[0], ws.mathShepherd[0]];
    // both searches of the workspace ran with seed 3, the same policy and sampling
    const same = (await dispatch(ws.wb.handlers, 'searches.compare', { a, b })) as { streams: { shared: boolean; detail: string } };
    expect(same.streams).toEqual({ shared: true, detail: 'seed 3, the same policy and sampling for both: the same random streams from every prefix' });
    const sa = ws.wb.store.trees.getSearch(a);
    const sb = ws.wb.store.trees.getSearch(b);
    expect(sharedStreams(sa, { ...sb, seed: 4 })).toEqual({ shared: false, detail: 'seeds 3 and 4: independent random streams' });
    expect(sharedStreams(sa, { ...sb, config: { ...(sb.config as object), temperature: 0.7 } }).detail).toBe('seed 3 for both, but temperature differ: different rollouts');
    expect(sharedStreams(sa, { ...sb, modelId: 999 }).shared).toBe(false);
    expect(sharedStreams(sa, { ...sb, seed: null }).detail).toMatch(/without a recorded seed/);
  });

  it('refuses a search of another problem, the same search twice, a missing search and bad input', async () => {
    const [a, other] = ws.omega;
    const pa = ws.wb.store.trees.getSearch(a).problemId;
    const po = ws.wb.store.trees.getSearch(other).problemId;
    expect(pa).not.toBe(po);
    await expect(dispatch(ws.wb.handlers, 'searches.compare', { a, b: other })).rejects.toThrow(
      `compare: search ${a} is of problem ${pa} and search ${other} of problem ${po}; only searches of the same problem can be compared`,
    );
    await expect(dispatch(ws.wb.handlers, 'searches.compare', { a, b: a })).rejects.toThrow(`compare: search ${a} is the same search twice`);
    await expect(dispatch(ws.wb.handlers, 'searches.compare', { a, b: 999_999 })).rejects.toThrow('search 999999 not found');
    await expect(dispatch(ws.wb.handlers, 'searches.compare', { a: 'x', b: 1 })).rejects.toMatchObject({ code: 'bad_request', path: 'params.a' });
    await expect(dispatch(ws.wb.handlers, 'searches.compare', { a, b: a + 1, c: 1 })).rejects.toMatchObject({ code: 'bad_request' });
  });
});

describe('MC label agreement on shared step prefixes', () => {
  // a: root, [s1] (MC .5), [s1 s2] (MC 0), [t1] (MC 1); b holds [s1, s2] in one node and [s1] as its own
  const a = [node(1, null, [], 0.5), node(2, 1, ['s1'], 0.5), node(3, 2, ['s2'], 0), node(4, 1, ['t1'], 1)];
  const b = [node(10, null, [], 0.25), node(11, 10, ['s1', 's2'], 0.25), node(12, 10, ['u1'], 0), node(13, 11, ['s3'], 0)];

  it('keys each node by its whole prefix, whatever node boundaries the trees drew', () => {
    const ka = prefixKeys(a);
    const kb = prefixKeys(b);
    expect(ka.get(3)).toBe(JSON.stringify(['s1', 's2']));
    expect(kb.get(11)).toBe(ka.get(3));
    expect(kb.get(13)).toBe(JSON.stringify(['s1', 's2', 's3']));
  });

  it('counts the shared prefixes (not the question) and how many labels agree', () => {
    // shared: [s1 s2]: a says bad (0), b says good (0.25)
    expect(sharedLabels(a, b)).toEqual({ prefixes: 1, agree: 0, meanAbsDiff: 0.25 });
    expect(sharedLabels(a, a)).toEqual({ prefixes: 3, agree: 3, meanAbsDiff: 0 });
  });

  it('leaves out nodes under a missing parent or in a cycle', () => {
    const broken = [node(1, null, [], 0.5), node(2, 1, ['s1'], 0.5), node(5, 99, ['x'], 0), node(6, 7, ['y'], 0), node(7, 6, ['z'], 0)];
    const keys = prefixKeys(broken);
    expect([...keys.keys()].sort()).toEqual([1, 2]);
  });
});

describe('the searches slice (renderer store) over the API', () => {
  const store = () => createAppStore(createApiProxy({ call: (m: Method, p: unknown) => dispatch(ws.wb.handlers, m, p), subscribe: () => () => {} }), parseHash('#/searches'));

  it('opens a tree from its columns, loads its events, offers the same problem’s searches and compares', async () => {
    const s = store();
    const [a, b] = [ws.omega[0], ws.mathShepherd[0]];
    await s.getState().openSearch(a);
    const tree = s.getState().tree!;
    expect(tree.nodes).toHaveLength(ws.wb.store.trees.nodeCount(a));
    await s.getState().loadEvents(a);
    expect(s.getState().treeEvents).toMatchObject({ searchId: a });
    expect(s.getState().treeEvents!.items.length).toBe(ws.wb.store.trees.events(a).length);
    await s.getState().loadCompareCandidates(tree.search.problemId);
    expect(s.getState().compareCandidates!.items.map((x) => x.id).sort()).toEqual([a, b].sort());
    await s.getState().compareWith(b);
    const c = s.getState().comparison!;
    expect(c.result.costs.map((x) => x.searchId)).toEqual([a, b]);
    expect(c.trees[1].nodes).toHaveLength(ws.wb.store.trees.nodeCount(b));
    // reopening the same search keeps the comparison; another search drops it (and its events)
    await s.getState().openSearch(a);
    expect(s.getState().comparison).not.toBeNull();
    await s.getState().openSearch(ws.omega[1]);
    expect(s.getState().comparison).toBeNull();
    expect(s.getState().treeEvents).toBeNull();
    s.getState().closeCompare();
  });

  it('shows a refused comparison as a readable error and keeps the open tree', async () => {
    const s = store();
    await s.getState().openSearch(ws.omega[0]);
    await s.getState().compareWith(ws.omega[1]);
    expect(s.getState().compareError).toMatch(/only searches of the same problem can be compared/);
    expect(s.getState().comparison).toBeNull();
    expect(s.getState().tree!.search.id).toBe(ws.omega[0]);
  });
});
