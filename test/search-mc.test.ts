// Math-Shepherd's brute-force MC over a scripted policy: exact cost, shared prefixes, the same tree and
// stream keys as OmegaPRM, and the cost comparison the design asks to measure.
import { describe, expect, it } from 'vitest';
import { extractAnnotations, fullPrefixes, labelledSteps } from '../src-main/core/search/annotations';
import { parseSearchConfig } from '../src-main/core/search/config';
import { runMathShepherd } from '../src-main/core/search/mathShepherd';
import { runOmega } from '../src-main/core/search/omega';
import { isWrongStep, referenceSolution, scriptedPort, scriptedRollout, type ScriptedProblem } from './helpers/scriptedPolicy';
import { streamKeyOf } from '../src-main/core/search/tree';
import type { RolloutResult, SearchPorts } from '../src-main/core/search/types';

const mc = (raw: Record<string, unknown> = {}) => parseSearchConfig('mc', raw);
const problem = (m: number, seed: number, pCorrect = 0.5): ScriptedProblem => ({ reference: referenceSolution(m), pCorrect, seed });

/** The samples the root batch draws, straight from the script. */
function samples(p: ScriptedProblem, n: number): string[][] {
  return Array.from({ length: n }, (_, i) => scriptedRollout(p, [], streamKeyOf([]), i).steps);
}

describe('Math-Shepherd MC', () => {
  it('makes exactly samples + distinct prefixes × k rollouts, one call per batch, and shares nodes', async () => {
    let shared = 0;
    for (const [m, seed, n, k] of [
      [3, 1, 4, 16],
      [5, 2, 6, 8],
      [8, 3, 8, 4],
      [12, 4, 3, 5],
    ]) {
      const p = problem(m, seed);
      const sols = samples(p, n);
      const distinct = new Set<string>();
      let total = 0;
      for (const s of sols) for (let len = 1; len <= s.length; len++, total++) distinct.add(streamKeyOf(s.slice(0, len)));
      if (distinct.size < total) shared++;
      const keys: [string, number][] = [];
      const r = await runMathShepherd(mc({ samplesPerSolution: n, k }), scriptedPort(p, { onCall: (_p, c, key) => keys.push([key, c]) }));
      expect(r.stats).toMatchObject({ rollouts: n + distinct.size * k, policyCalls: 1 + distinct.size, nodes: 1 + distinct.size, selections: 0, stop: 'done' });
      expect(keys[0]).toEqual(['[]', n]);
      expect(new Set(keys.slice(1).map(([key]) => key))).toEqual(distinct);
      expect(keys.slice(1).every(([, c]) => c === k)).toBe(true);
      // one node per distinct prefix, each one step below the node of the prefix one shorter
      const full = fullPrefixes(r.nodes);
      expect(new Set(r.nodes.slice(1).map((x) => streamKeyOf(full.get(x.id) ?? [])))).toEqual(distinct);
      for (const x of r.nodes.slice(1)) {
        expect(x.steps).toHaveLength(1);
        expect(x.rollouts).toBe(k);
        expect(x.mc).toBe(x.correct / x.rollouts);
        expect(full.get(x.parentId as number)).toEqual((full.get(x.id) ?? []).slice(0, -1));
      }
      expect(r.nodes[0]).toMatchObject({ rollouts: n, correct: sols.filter((s) => !s.some(isWrongStep)).length });
      // a complete sampled solution is marked terminal
      for (const s of sols) expect(r.nodes.find((x) => streamKeyOf(full.get(x.id) ?? []) === streamKeyOf(s))?.terminal).toBe(true);
      expect(labelledSteps(r.nodes, k)).toBe(distinct.size);
    }
    expect(shared).toBeGreaterThan(0);
  });

  it('marks the first MC = 0 prefix along each sample, which is the scripted first error', async () => {
    const p = problem(8, 7, 0.7);
    const r = await runMathShepherd(mc({ samplesPerSolution: 8, k: 16 }), scriptedPort(p));
    const full = fullPrefixes(r.nodes);
    const fe = r.nodes.filter((x) => x.firstError);
    expect(fe.length).toBeGreaterThan(0);
    for (const x of fe) {
      const prefix = full.get(x.id) ?? [];
      expect(isWrongStep(prefix[prefix.length - 1])).toBe(true);
      expect(prefix.slice(0, -1).some(isWrongStep)).toBe(false);
      expect(x.mc).toBe(0);
    }
    const wrongSamples = new Set(samples(p, 8).filter((s) => s.some(isWrongStep)).map((s) => streamKeyOf(s.slice(0, s.findIndex(isWrongStep) + 1))));
    expect(new Set(fe.map((x) => streamKeyOf(full.get(x.id) ?? [])))).toEqual(wrongSamples);
    expect(r.events.filter((e) => e.kind === 'first-error')).toHaveLength(fe.length);
    expect(r.events.filter((e) => e.kind === 'rollout')).toHaveLength(r.stats.policyCalls);
  });

  it('uses the same stream keys as OmegaPRM, so a prefix both estimate gets the same MC', async () => {
    const p = problem(6, 13, 0.6);
    const o = await runOmega(parseSearchConfig('omega', { rolloutsPerState: 8, maxSearchCount: 30 }), scriptedPort(p));
    const m = await runMathShepherd(mc({ samplesPerSolution: 8, k: 8 }), scriptedPort(p));
    const of = fullPrefixes(o.nodes);
    const mf = fullPrefixes(m.nodes);
    const byKey = new Map(m.nodes.filter((x) => x.rollouts === 8).map((x) => [streamKeyOf(mf.get(x.id) ?? []), x]));
    let common = 0;
    for (const x of o.nodes) {
      const twin = byKey.get(streamKeyOf(of.get(x.id) ?? []));
      if (x.rollouts !== 8 || !twin) continue;
      expect(twin.correct).toBe(x.correct);
      common++;
    }
    expect(common).toBeGreaterThan(1);
    // the root's 8 rollouts are the same draws in both
    expect(m.nodes[0].correct).toBe(o.nodes[0].correct);
  });

  it('same config and port, same tree; aborts between calls', async () => {
    const p = problem(7, 17);
    const a = await runMathShepherd(mc({ samplesPerSolution: 5, k: 6 }), scriptedPort(p));
    expect(await runMathShepherd(mc({ samplesPerSolution: 5, k: 6 }), scriptedPort(p))).toEqual(a);
    const ac = new AbortController();
    let calls = 0;
    const port = scriptedPort(p, { signal: ac.signal, onCall: () => (++calls === 2 ? ac.abort() : undefined) });
    await expect(runMathShepherd(mc(), port)).rejects.toMatchObject({ name: 'AbortError' });
    expect(calls).toBe(2);
  });

  it('counts tokens; samples that share every step share every node', async () => {
    const row = (steps: string[], correct: boolean): RolloutResult => ({ steps, correct, tokens: steps.length * 10 });
    const rows: Record<string, RolloutResult[]> = {
      '[]': [row(['a', 'b'], true), row(['a', 'b'], true), row(['a', 'x'], false)],
      [streamKeyOf(['a'])]: [row(['b'], true), row(['x'], false)],
      [streamKeyOf(['a', 'b'])]: [row([], true), row([], true)],
      [streamKeyOf(['a', 'x'])]: [row([], false), row([], false)],
    };
    const port: SearchPorts = { rollout: async (_p, _n, key) => rows[key] };
    const r = await runMathShepherd(mc({ samplesPerSolution: 3, k: 2 }), port);
    expect(r.stats).toMatchObject({ policyCalls: 4, rollouts: 3 + 3 * 2, tokens: 20 + 20 + 20 + 10 + 10, nodes: 4 });
    expect(r.nodes.map((x) => [x.id, x.parentId, x.steps.join(), x.mc, x.terminal, x.firstError])).toEqual([
      [0, null, '', 2 / 3, false, false],
      [1, 0, 'a', 0.5, false, false],
      [2, 1, 'b', 1, true, false],
      [3, 1, 'x', 0, true, true],
    ]);
    expect(extractAnnotations(r.nodes, { mode: 'mmprm', minWords: 0 }).map((x) => [x.steps, x.labels, x.hard])).toEqual([
      [['a', 'b'], [0.5, 1], [1, 1]],
      [['a', 'x'], [0.5, 0], [1, 0]],
    ]);
  });

  it('costs O(kM) per solution where the binary search costs O(k log M) per first error', async () => {
    const m = 16;
    const k = 8;
    const p = problem(m, 23, 0.7);
    const ms = await runMathShepherd(mc({ samplesPerSolution: 4, k }), scriptedPort(p));
    const om = await runOmega(parseSearchConfig('omega', { rolloutsPerState: k, maxSearchCount: 40, rolloutBudget: 100_000 }), scriptedPort(p));
    const perErrorMs = (ms.stats.rollouts - 4) / ms.nodes.filter((x) => x.firstError).length;
    const perErrorOmega = (om.stats.rollouts - k) / om.nodes.filter((x) => x.firstError).length;
    expect(perErrorOmega).toBeLessThanOrEqual(Math.ceil(Math.log2(m + 1)) * k);
    expect(perErrorOmega).toBeLessThan(perErrorMs);
  });
});
