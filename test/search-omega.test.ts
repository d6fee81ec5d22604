// OmegaPRM over a scripted policy: the formulas, the binary search, selection by Q + U, the budgets,
// the prefix tree, determinism, the question filter, and the config's one-line errors.
import { describe, expect, it } from 'vitest';
import { UserError } from '../src-main/core/errors';
import { fullPrefixes } from '../src-main/core/search/annotations';
import { binarySearchFirstError } from '../src-main/core/search/binarySearch';
import { DEMO_SCALE, MathShepherdConfig, OmegaConfig, parseSearchConfig } from '../src-main/core/search/config';
import { qValue, uValue, wordCount } from '../src-main/core/search/formulas';
import { runOmega } from '../src-main/core/search/omega';
import { isWrongStep, referenceSolution, scriptedPort, scriptedRollout, type ScriptedProblem } from './helpers/scriptedPolicy';
import { PrefixTree, streamKeyOf } from '../src-main/core/search/tree';
import type { RolloutResult, SearchEvent, SearchNode, SearchPorts, SearchResult } from '../src-main/core/search/types';

const omega = (raw: Record<string, unknown> = {}): OmegaConfig => parseSearchConfig('omega', raw);

/** Every node's full prefix by id, from the parent links (a parent may have a higher id: re-parenting). */
function prefixes(nodes: readonly SearchNode[]): string[][] {
  const byId = fullPrefixes(nodes);
  return nodes.map((n) => byId.get(n.id) ?? []);
}

/** The tree is a tree of distinct prefixes whose parent links go to the deepest other node on the path. */
function expectPrefixTree(nodes: readonly SearchNode[]): void {
  nodes.forEach((n, i) => expect(n.id).toBe(i));
  expect(nodes.filter((n) => n.parentId === null).map((n) => n.id)).toEqual([0]);
  for (const n of nodes) if (n.parentId !== null) expect(n.parentId).toBeLessThan(nodes.length);
  // parents may be created after their children (re-parenting), so resolve recursively
  const full = new Map<number, string[]>();
  const get = (id: number): string[] => {
    const known = full.get(id);
    if (known) return known;
    const n = nodes[id];
    const p = n.parentId === null ? [...n.steps] : [...get(n.parentId), ...n.steps];
    full.set(id, p);
    return p;
  };
  const keys = new Set<string>();
  for (const n of nodes) {
    const p = get(n.id);
    expect(p.length).toBe(n.depth);
    keys.add(streamKeyOf(p));
    if (n.parentId !== null) expect(n.steps.length).toBeGreaterThan(0);
  }
  expect(keys.size).toBe(nodes.length);
  // no node lies strictly between a node and its parent
  for (const n of nodes) {
    if (n.parentId === null) continue;
    const p = get(n.id);
    const parentDepth = nodes[n.parentId].depth;
    for (let len = parentDepth + 1; len < p.length; len++) expect(keys.has(streamKeyOf(p.slice(0, len)))).toBe(false);
  }
}

/** A port answering from a fixed table keyed by stream key; a key not in it is a test failure. */
function tablePort(table: Record<string, RolloutResult[]>, calls: string[] = []): SearchPorts {
  return {
    async rollout(prefix, n, streamKey) {
      expect(streamKey).toBe(streamKeyOf(prefix));
      const rows = table[streamKey];
      if (!rows) throw new Error(`no scripted rollouts for ${streamKey}`);
      expect(rows.length).toBe(n);
      calls.push(streamKey);
      return rows.map((r) => ({ ...r, steps: [...r.steps] }));
    },
  };
}

const ok = (...steps: string[]): RolloutResult => ({ steps, correct: true, tokens: wordCount(steps) });
const bad = (...steps: string[]): RolloutResult => ({ steps, correct: false, tokens: wordCount(steps) });

describe('formulas', () => {
  it('Q, U and the word count follow the papers', () => {
    expect(qValue(0.25, 5, { alpha: 0.5, beta: 0.9, lengthScale: 10 })).toBeCloseTo(0.5 ** 0.75 * 0.9 ** 0.5, 15);
    expect(qValue(1, 0, { alpha: 0.5, beta: 0.9, lengthScale: 2000 })).toBe(1);
    expect(uValue(0, 0, 0.125)).toBe(0);
    expect(uValue(9, 2, 0.125)).toBeCloseTo((0.125 * 3) / 3, 15);
    expect(wordCount(['7 + 3 = 10', 'Answer:  10 ', ''])).toBe(7);
    expect(wordCount([])).toBe(0);
  });
});

describe('binary search for the first error', () => {
  /** MC of a prefix of `length` steps when step `error` (0-based) is the first wrong one. */
  const oracle = (error: number) => async (length: number) => (length <= error ? 0.5 : 0);
  const steps = (m: number) => Array.from({ length: m }, (_, i) => `s${i + 1}`);

  // [M, first error (0-based), probed prefix lengths in order]
  const table: [number, number, number[]][] = [
    [1, 0, [1]],
    [2, 0, [1]],
    [2, 1, [1, 2]],
    [3, 0, [2, 1]],
    [3, 1, [2, 1]],
    [3, 2, [2, 3]],
    [4, 0, [2, 1]],
    [4, 1, [2, 1]],
    [4, 2, [2, 3]],
    [4, 3, [2, 3, 4]],
    [5, 0, [3, 1]],
    [5, 2, [3, 1, 2]],
    [5, 4, [3, 4, 5]],
    [7, 3, [4, 2, 3]],
    [7, 6, [4, 6, 7]],
    [8, 0, [4, 2, 1]],
    [8, 7, [4, 6, 7, 8]],
    [16, 5, [8, 4, 6, 5]],
    [16, 15, [8, 12, 14, 15, 16]],
  ];
  it.each(table)('M = %i, first error at %i: probes %j', async (m, error, lengths) => {
    const r = await binarySearchFirstError(steps(m), oracle(error));
    expect(r.firstError).toBe(error);
    expect(r.stopped).toBe(false);
    expect(r.probes.map((p) => p.length)).toEqual(lengths);
    expect(r.probes.map((p) => p.direction)).toEqual(lengths.map((l) => (l <= error ? 'right' : 'left')));
  });

  it('finds every error position with ⌊log2(M+1)⌋..⌈log2(M+1)⌉ probes, against M for brute force', async () => {
    for (let m = 1; m <= 64; m++) {
      for (let e = 0; e < m; e++) {
        const r = await binarySearchFirstError(steps(m), oracle(e));
        expect(r.firstError).toBe(e);
        expect(r.probes.length).toBeGreaterThanOrEqual(Math.floor(Math.log2(m + 1)));
        expect(r.probes.length).toBeLessThanOrEqual(Math.ceil(Math.log2(m + 1)));
      }
    }
  });

  it('hands the estimate the prefix, stops when it declines, and reports no error when none has MC 0', async () => {
    const seen: [number, readonly string[]][] = [];
    const r = await binarySearchFirstError(steps(8), async (length, prefix) => {
      seen.push([length, prefix]);
      return length === 6 ? null : 0.25;
    });
    expect(seen).toEqual([
      [4, ['s1', 's2', 's3', 's4']],
      [6, ['s1', 's2', 's3', 's4', 's5', 's6']],
    ]);
    expect(r).toEqual({ firstError: null, probes: [{ length: 4, mc: 0.25, direction: 'right' }], stopped: true });
    const none = await binarySearchFirstError(steps(3), async () => 1);
    expect(none.firstError).toBeNull();
    expect(none.probes.map((p) => p.length)).toEqual([2, 3]);
    expect(await binarySearchFirstError([], async () => 0)).toEqual({ firstError: null, probes: [], stopped: false });
  });

  it('with non-monotone MC it reports the first MC = 0 prefix the probes met', async () => {
    // MC: len1 0, len2 0.5, len3 0.5, len4 0 ... the probes at 2 then 3 never see length 1
    const mc = [0, 0.5, 0.5, 0, 0];
    const r = await binarySearchFirstError(steps(5), async (l) => mc[l - 1]);
    expect(r.probes.map((p) => p.length)).toEqual([3, 4]);
    expect(r.firstError).toBe(3);
  });
});

describe('prefix tree', () => {
  it('hangs a node under the deepest existing prefix and re-parents when a shorter one arrives later', () => {
    const t = new PrefixTree();
    const init = { rollouts: 0, correct: 0, mc: 0, terminal: false };
    const long = t.add(['a', 'b', 'c', 'd'], init);
    t.add(['a', 'x'], init);
    expect(long).toMatchObject({ id: 1, parentId: 0, steps: ['a', 'b', 'c', 'd'], depth: 4 });
    const mid = t.add(['a', 'b'], init);
    expect(mid).toMatchObject({ id: 3, parentId: 0, steps: ['a', 'b'], depth: 2 });
    expect(t.nodes[1]).toMatchObject({ parentId: 3, steps: ['c', 'd'], depth: 4 });
    expect(t.nodes[2]).toMatchObject({ parentId: 0, steps: ['a', 'x'] });
    const a = t.add(['a'], init);
    expect(t.nodes.map((n) => n.parentId)).toEqual([null, 3, 4, 4, 0]);
    expect(t.nodes[3].steps).toEqual(['b']);
    expect(t.nodes[2].steps).toEqual(['x']);
    t.add(['a', 'b', 'c', 'd', 'e'], init);
    expect(t.nodes[5]).toMatchObject({ parentId: 1, steps: ['e'] });
    t.add(['a', 'b', 'c'], init);
    expect(t.nodes[1]).toMatchObject({ parentId: 6, steps: ['d'] });
    expect(t.nodes[5].parentId).toBe(1);
    expect(a.id).toBe(4);
    expect(() => t.add(['a'], init)).toThrow(/exists/);
    expect(t.prefixOf(6)).toEqual(['a', 'b', 'c']);
    expectPrefixTree(t.nodes);
  });

  it('stream keys are unambiguous', () => {
    expect(streamKeyOf([])).not.toBe(streamKeyOf(['']));
    expect(streamKeyOf(['a\nb'])).not.toBe(streamKeyOf(['a', 'b']));
  });
});

describe('selection by Q + U (hand-computed)', () => {
  // k = 4, L = 10 words. Root: one correct and three wrong rollouts (5, 4 and 3 words), MC = 1/4.
  const table: Record<string, RolloutResult[]> = {
    [streamKeyOf([])]: [ok('A', 'B'), bad('A', 'C', 'D d d'), bad('E e', 'F f'), bad('A', 'C', 'G')],
    // probed by the binary search of ['A', 'C', 'G']: one correct, two identical wrong, one more wrong
    [streamKeyOf(['A', 'C'])]: [ok('Z'), bad('Y y y y y'), bad('Y y y y y'), bad('X x x x x x')],
    [streamKeyOf(['E e'])]: [bad('F f'), bad('F f'), bad('F f'), bad('F f')],
  };
  const cfg = (cPuct: number) => omega({ rolloutsPerState: 4, lengthScale: 10, cPuct, maxSearchCount: 2 });
  const Q = (mc: number, words: number) => 0.5 ** (1 - mc) * 0.9 ** (words / 10);
  const selects = (r: SearchResult) => r.events.filter((e): e is Extract<SearchEvent, { kind: 'select' }> => e.kind === 'select');

  it('first pick: U is 0 with no visits, so the shortest wrong root rollout wins on Q', async () => {
    const r = await runOmega(cfg(0.125), tablePort(table));
    const [first] = selects(r);
    expect(first).toMatchObject({ node: 0, rolloutIndex: 3, u: 0, poolSize: 3 });
    expect(first.q).toBeCloseTo(Q(0.25, 3), 14);
    expect(first.score).toBeCloseTo(Q(0.25, 3), 14);
  });

  it('second pick: U lifts the unvisited new state above the root although the root has the best Q', async () => {
    const calls: string[] = [];
    const r = await runOmega(cfg(0.125), tablePort(table, calls));
    const second = selects(r)[1];
    // pool: root r1 (5 words), root r2 (4 words), state ['A','C'] (MC 1/4) rollouts 1 (5 words) and 3 (6 words); its duplicate wrong rollout 2 is pooled once
    const uRoot = (0.125 * Math.sqrt(1)) / (1 + 1);
    const uState = (0.125 * Math.sqrt(1)) / (1 + 0);
    const scores = { r1: Q(0.25, 5) + uRoot, r2: Q(0.25, 4) + uRoot, s1: Q(0.25, 5) + uState, s3: Q(0.25, 6) + uState };
    expect(Math.max(...Object.values(scores))).toBe(scores.s1);
    expect(Q(0.25, 4)).toBeGreaterThan(Q(0.25, 5));
    const state = r.nodes.find((n) => n.depth === 2 && n.steps.join() === 'A,C');
    expect(second).toMatchObject({ node: state?.id, rolloutIndex: 1, poolSize: 4 });
    expect(second.q).toBeCloseTo(Q(0.25, 5), 14);
    expect(second.u).toBeCloseTo(uState, 14);
    expect(second.score).toBeCloseTo(scores.s1, 14);
    expect(r.stats).toMatchObject({ selections: 2, stop: 'search-limit', policyCalls: 2, rollouts: 8 });
    expect(calls).toEqual([streamKeyOf([]), streamKeyOf(['A', 'C'])]);
    // the tree: kept correct rollouts, the state, the terminal wrong rollouts found as first errors
    const shape = r.nodes.map((n) => [n.id, n.parentId, n.steps.join('|'), n.mc, n.rollouts, n.terminal, n.firstError, n.visits]);
    expect(shape).toEqual([
      [0, null, '', 0.25, 4, false, false, 1],
      [1, 0, 'A|B', 1, 0, true, false, 0],
      [2, 0, 'A|C', 0.25, 4, false, false, 1],
      [3, 2, 'Z', 1, 0, true, false, 0],
      [4, 2, 'G', 0, 0, true, true, 0],
      [5, 2, 'Y y y y y', 0, 0, true, true, 0],
    ]);
    expect(r.nodes[0].q).toBeCloseTo(Q(0.25, 4), 14);
    expect(r.nodes[2].q).toBeCloseTo(Q(0.25, 6), 14);
  });

  it('with c_puct = 0 the root rollout with the best Q wins the second pick', async () => {
    const r = await runOmega(cfg(0), tablePort(table));
    const second = selects(r)[1];
    expect(second).toMatchObject({ node: 0, rolloutIndex: 2, u: 0 });
    expect(second.score).toBeCloseTo(Q(0.25, 4), 14);
    // its binary search probes ['E e'] (MC 0): the first step is the first error
    const fe = r.nodes.find((n) => n.firstError && n.steps.join() === 'E e');
    expect(fe).toMatchObject({ parentId: 0, depth: 1, rollouts: 4, mc: 0, terminal: false });
  });

  it('breaks an exact tie by pool order, not by text', async () => {
    const pick = async (rows: RolloutResult[]) => {
      const t = { [streamKeyOf([])]: rows, [streamKeyOf(['P'])]: [ok('Q'), ok('Q'), ok('Q')], [streamKeyOf(['R'])]: [ok('S'), ok('S'), ok('S')] };
      const r = await runOmega(omega({ rolloutsPerState: 3, maxSearchCount: 1 }), tablePort(t));
      return selects(r)[0];
    };
    expect(await pick([ok('T'), bad('P', 'Q'), bad('R', 'S')])).toMatchObject({ rolloutIndex: 1 });
    expect(await pick([ok('T'), bad('R', 'S'), bad('P', 'Q')])).toMatchObject({ rolloutIndex: 1 });
  });
});

describe('OmegaPRM on a scripted policy', () => {
  const problem = (m: number, seed = 1, pCorrect = 0.6): ScriptedProblem => ({ reference: referenceSolution(m), pCorrect, seed });

  it('MC = correct / rollouts, the tree is a prefix tree, every first error is the scripted one', async () => {
    for (const [m, seed] of [
      [3, 1],
      [5, 2],
      [8, 3],
      [16, 4],
    ]) {
      const p = problem(m, seed);
      const keys: string[] = [];
      const r = await runOmega(omega({ maxSearchCount: 40, rolloutBudget: 4000 }), scriptedPort(p, { onCall: (_p, _n, key) => keys.push(key) }));
      expectPrefixTree(r.nodes);
      const full = prefixes(r.nodes);
      for (const n of r.nodes) {
        if (n.rollouts > 0) expect(n.mc).toBe(n.correct / n.rollouts);
        else expect(n.terminal || n.id === 0).toBe(true);
        if (n.terminal) expect(n.rollouts).toBe(0);
      }
      // each prefix is rolled out once; node rollouts add up to the stats
      expect(new Set(keys).size).toBe(keys.length);
      expect(r.nodes.reduce((s, n) => s + n.rollouts, 0)).toBe(r.stats.rollouts);
      const fe = r.nodes.filter((n) => n.firstError);
      expect(fe.length).toBeGreaterThan(0);
      for (const n of fe) {
        const prefix = full[n.id];
        expect(n.steps).toHaveLength(1);
        expect(isWrongStep(prefix[prefix.length - 1])).toBe(true);
        expect(prefix.slice(0, -1)).toEqual(p.reference.slice(0, prefix.length - 1));
        expect(n.mc).toBe(0);
        expect(r.nodes[n.parentId as number].mc).toBeGreaterThan(0);
      }
      expect(r.events.filter((e) => e.kind === 'first-error')).toHaveLength(fe.length);
      // kept correct rollouts are the reference, with MC 1
      for (const n of r.nodes.filter((x) => x.terminal && x.mc === 1)) expect(full[n.id]).toEqual(p.reference);
    }
  });

  it("each selection's probes are exactly the binary search's on that rollout, ⌈log2(M+1)⌉ at most", async () => {
    const p = problem(16, 9);
    const r = await runOmega(omega({ maxSearchCount: 30, rolloutBudget: 10_000 }), scriptedPort(p));
    const full = prefixes(r.nodes);
    let i = 0;
    let checked = 0;
    while (i < r.events.length) {
      const e = r.events[i++];
      if (e.kind !== 'select') continue;
      const base = full[e.node];
      const rollout = scriptedRollout(p, base, streamKeyOf(base), e.rolloutIndex);
      const expected = await binarySearchFirstError(rollout.steps, async (_len, part) => ([...base, ...part].some(isWrongStep) ? 0 : 0.5));
      const probes: number[] = [];
      while (i < r.events.length && r.events[i].kind !== 'select') {
        const x = r.events[i++];
        if (x.kind === 'probe') {
          expect(x.from).toBe(e.node);
          probes.push(x.depth - base.length);
        }
      }
      expect(probes).toEqual(expected.probes.map((q) => q.length));
      expect(probes.length).toBeLessThanOrEqual(Math.ceil(Math.log2(rollout.steps.length + 1)));
      expect(expected.firstError).toBe((rollout.firstError as number) - base.length);
      checked++;
    }
    expect(checked).toBe(30);
  });

  it('stops at exactly maxSearchCount selections', async () => {
    for (const max of [1, 2, 5, 13]) {
      const r = await runOmega(omega({ maxSearchCount: max, rolloutBudget: 100_000 }), scriptedPort(problem(16, 5)));
      expect(r.stats.selections).toBe(max);
      expect(r.events.filter((e) => e.kind === 'select')).toHaveLength(max);
      expect(r.stats.stop).toBe('search-limit');
      expect(r.nodes.reduce((s, n) => s + n.visits, 0)).toBe(max);
    }
  });

  it('never crosses the rollout budget: no batch that would cross it is made', async () => {
    const k = 8;
    let midSearch = 0;
    for (let budget = k; budget <= 240; budget += 5) {
      const r = await runOmega(omega({ rolloutsPerState: k, maxSearchCount: 1000, rolloutBudget: budget }), scriptedPort(problem(12, 6)));
      expect(r.stats.rollouts).toBeLessThanOrEqual(budget);
      expect(r.stats.rollouts % k).toBe(0);
      if (r.stats.stop === 'rollout-budget') {
        expect(budget - r.stats.rollouts).toBeLessThan(k);
        // a binary search cut short by the budget ends without a first error
        const last = r.events.findLastIndex((e) => e.kind === 'select');
        if (!r.events.slice(last).some((e) => e.kind === 'first-error')) midSearch++;
      } else {
        expect(r.stats.stop).toBe('pool-empty');
      }
    }
    expect(midSearch).toBeGreaterThan(0);
  });

  it('the same config and port give the same tree, whatever order or interleaving the port sees', async () => {
    const cfg = omega({ rolloutsPerState: 8, maxSearchCount: 25, rolloutBudget: 600 });
    const a = await runOmega(cfg, scriptedPort(problem(10, 11)));
    const b = await runOmega(cfg, scriptedPort(problem(10, 11)));
    expect(b).toEqual(a);
    // a port answering from a table built beforehand, in reverse order of the keys the search will ask for
    const asked: [readonly string[], number, string][] = [];
    await runOmega(cfg, scriptedPort(problem(10, 11), { onCall: (p, n, key) => asked.push([p, n, key]) }));
    const table: Record<string, RolloutResult[]> = {};
    for (const [p, n, key] of [...asked].reverse()) table[key] = Array.from({ length: n }, (_, i) => scriptedRollout(problem(10, 11), p, key, i)).map(({ steps, correct, tokens }) => ({ steps, correct, tokens }));
    expect(await runOmega(cfg, tablePort(table))).toEqual(a);
    // two searches sharing one slow port, answers arriving in scrambled order
    const other = await runOmega(cfg, scriptedPort(problem(7, 12)));
    const slow = (p: ScriptedProblem): SearchPorts => {
      const inner = scriptedPort(p);
      return {
        async rollout(prefix, n, key) {
          await new Promise((res) => setTimeout(res, (key.length * 7) % 5));
          return inner.rollout(prefix, n, key);
        },
      };
    };
    const [x, y] = await Promise.all([runOmega(cfg, slow(problem(10, 11))), runOmega(cfg, slow(problem(7, 12)))]);
    expect(x).toEqual(a);
    expect(y).toEqual(other);
  });

  it('counts policy calls, rollouts and tokens', async () => {
    let calls = 0;
    let rollouts = 0;
    let tokens = 0;
    const inner = scriptedPort(problem(9, 21));
    const port: SearchPorts = {
      async rollout(prefix, n, key) {
        const out = await inner.rollout(prefix, n, key);
        calls++;
        rollouts += out.length;
        tokens += out.reduce((t, r) => t + r.tokens, 0);
        return out;
      },
    };
    const seen: SearchEvent[] = [];
    const r = await runOmega(omega({ rolloutsPerState: 8, maxSearchCount: 15 }), port, { onEvent: (e) => seen.push(e) });
    expect(r.stats).toMatchObject({ policyCalls: calls, rollouts, tokens, nodes: r.nodes.length });
    expect(calls).toBeGreaterThan(1);
    const batches = r.events.filter((e) => e.kind === 'rollout');
    expect(batches).toHaveLength(calls);
    expect(batches.reduce((t, e) => t + (e.kind === 'rollout' ? e.tokens : 0), 0)).toBe(tokens);
    expect(seen).toEqual(r.events);
  });

  it('stops "done" when the root is always or never solved, and "pool-empty" when the pool runs dry', async () => {
    for (const pCorrect of [0, 1]) {
      const r = await runOmega(omega(), scriptedPort(problem(4, 1, pCorrect)));
      expect(r.stats).toMatchObject({ stop: 'done', policyCalls: 1, rollouts: 16, selections: 0 });
      expect(r.nodes[0].mc).toBe(pCorrect);
    }
    const r = await runOmega(omega({ maxSearchCount: 10_000, rolloutBudget: 100_000 }), scriptedPort(problem(3, 2)));
    expect(r.stats.stop).toBe('pool-empty');
  });

  it('question filter: the first batch is the filter, and always- or never-solved questions are skipped', async () => {
    const cfg = omega({ questionFilter: { enabled: true, rollouts: 32 } });
    for (const pCorrect of [0, 1]) {
      const r = await runOmega(cfg, scriptedPort(problem(4, 1, pCorrect)));
      expect(r.stats).toMatchObject({ stop: 'filtered', policyCalls: 1, rollouts: 32, selections: 0 });
    }
    const keys: [string, number][] = [];
    const r = await runOmega(cfg, scriptedPort(problem(4, 1, 0.5), { onCall: (_p, n, key) => keys.push([key, n]) }));
    expect(r.stats.stop).not.toBe('filtered');
    expect(keys[0]).toEqual(['[]', 32]);
    expect(r.nodes[0].rollouts).toBe(32);
    expect(keys.slice(1).every(([, n]) => n === 16)).toBe(true);
  });

  it('keepCorrectRollouts decides whether correct rollouts become complete-solution nodes', async () => {
    const on = await runOmega(omega({ maxSearchCount: 5 }), scriptedPort(problem(5, 8)));
    const off = await runOmega(omega({ maxSearchCount: 5, keepCorrectRollouts: false }), scriptedPort(problem(5, 8)));
    expect(on.nodes.some((n) => n.terminal && n.mc === 1)).toBe(true);
    expect(off.nodes.some((n) => n.terminal && n.mc === 1)).toBe(false);
    expect(off.stats.rollouts).toBe(on.stats.rollouts);
  });

  it('aborts between policy calls with an AbortError', async () => {
    const ac = new AbortController();
    let calls = 0;
    const port = scriptedPort(problem(12, 3), {
      signal: ac.signal,
      onCall: () => {
        if (++calls === 3) ac.abort();
      },
    });
    await expect(runOmega(omega(), port)).rejects.toMatchObject({ name: 'AbortError' });
    expect(calls).toBe(3);
  });

  it('a port that answers the wrong number of rollouts is a bug, not a result', async () => {
    const port: SearchPorts = { rollout: async () => [ok('x')] };
    await expect(runOmega(omega(), port)).rejects.toThrow(/returned 1 rollouts for a batch of 16/);
  });
});

describe('config', () => {
  const msg = (algo: string, raw: unknown): string => {
    try {
      parseSearchConfig(algo, raw);
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      return (e as Error).message;
    }
    throw new Error('no error');
  };

  it('defaults are the paper values', () => {
    expect(omega()).toEqual({
      cPuct: 0.125,
      alpha: 0.5,
      beta: 0.9,
      lengthScale: 2000,
      rolloutsPerState: 16,
      maxSearchCount: 200,
      rolloutBudget: 1000,
      questionFilter: { enabled: false, rollouts: 32 },
      keepCorrectRollouts: true,
    });
    expect(parseSearchConfig('mc', undefined)).toEqual({ samplesPerSolution: 4, k: 16 });
    expect(parseSearchConfig('omega', { questionFilter: { enabled: true } }).questionFilter).toEqual({ enabled: true, rollouts: 32 });
    expect(OmegaConfig.parse(DEMO_SCALE.omega)).toMatchObject({ maxSearchCount: 20, rolloutBudget: 200, rolloutsPerState: 8 });
    expect(MathShepherdConfig.parse(DEMO_SCALE.mc)).toEqual({ samplesPerSolution: 4, k: 8 });
  });

  it.each([
    ['omega', { cPuct: -1 }, 'config: cPuct: must be >= 0'],
    ['omega', { alpha: 0 }, 'config: alpha: must be > 0'],
    ['omega', { beta: 1.5 }, 'config: beta: must be <= 1'],
    ['omega', { lengthScale: 0 }, 'config: lengthScale: must be > 0'],
    ['omega', { rolloutsPerState: 2.5 }, 'config: rolloutsPerState: must be an integer'],
    ['omega', { rolloutsPerState: 2000 }, 'config: rolloutsPerState: must be <= 1024'],
    ['omega', { maxSearchCount: 0 }, 'config: maxSearchCount: must be >= 1'],
    ['omega', { rolloutBudget: '100' }, 'config: rolloutBudget: must be a finite number'],
    ['omega', { rolloutBudget: 10 }, "config: rolloutBudget: must be >= rolloutsPerState (16), the root's first batch"],
    ['omega', { questionFilter: { enabled: true }, rolloutBudget: 20 }, "config: rolloutBudget: must be >= questionFilter.rollouts (32), the root's first batch"],
    ['omega', { questionFilter: { enabled: 'yes' } }, 'config: questionFilter.enabled: must be true or false'],
    ['omega', { questionFilter: { rollouts: 0 } }, 'config: questionFilter.rollouts: must be >= 1'],
    ['omega', { cpuct: 1 }, 'config: unknown field "cpuct"'],
    ['omega', null, 'config: must be an object'],
    ['mc', { k: 0 }, 'config: k: must be >= 1'],
    ['mc', { samplesPerSolution: 1.5 }, 'config: samplesPerSolution: must be an integer'],
    ['mc', { k: 4, rolloutsPerState: 4 }, 'config: unknown field "rolloutsPerState"'],
    ['beam', {}, 'unknown algorithm "beam" (omega or mc)'],
  ])('%s %j → %s', (algo, raw, expected) => {
    expect(msg(algo, raw)).toBe(expected);
  });
});
