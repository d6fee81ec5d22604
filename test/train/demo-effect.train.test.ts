// The direction of the demo effects that the full reproduction measures, on small splits (issue "A demo that
// demonstrates", Tests). (1) OmegaPRM's claim that its binary search gives a PRM more labelled steps for the
// same policy tokens than Math-Shepherd's brute-force MC: both searches run through the CLI with the bundled
// tiny-policy on the same 24 train problems (OmegaPRM with the recipe's models/recipes/prm-search.json, MC with
// 4 samples and k = 16 as in models/tiny-prm/METRICS.md), and the training sets their annotations make (MM-PRM's
// cut) are compared per policy token; the full run gave 4.4x (23,800 against 5,469 steps from 4.43M tokens
// each). (2) The bundled PRM (search labels, reading the calculator's check) ranks a correct candidate above an
// incorrect one of the same problem at least 5 points above chance, on 60 test problems with 8 candidates each
// (`steplab bon`; the full run: 74.8% of 14,460 pairs). The cycle that trains and registers is cycle.train.test.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src-main/core/store';
import { cli } from '../helpers/cli';
import { tempDir } from '../helpers/tmp';

const ROOT = join(import.meta.dirname, '..', '..');
let tmp: ReturnType<typeof tempDir>;
let ws: string;

beforeAll(async () => {
  tmp = tempDir();
  ws = join(tmp.dir, 'ws');
  expect((await cli('init', ws, '--demo')).code).toBe(0);
});
afterAll(() => tmp?.cleanup());

async function search(algo: 'omega' | 'mc', config: string, set: string): Promise<{ tokens: number; steps: number }> {
  const r = await cli('search', '--workspace', ws, '--dataset', 'demo', '--model', 'tiny-policy', '--algo', algo, '--split', 'train', '--limit', '24', '--config', config, '--seed', '1', '--annotation-set', set, '--json');
  expect(r.code, r.err.join('\n')).toBe(0);
  const res = JSON.parse(r.out.at(-1)!) as { policy_tokens: number };
  const store = Store.open(ws);
  try {
    return { tokens: res.policy_tokens, steps: store.annotations.sets().find((s) => s.name === set)?.steps ?? 0 };
  } finally {
    store.close();
  }
}

describe('OmegaPRM against Math-Shepherd MC on 24 train problems', () => {
  it('gives at least twice the training-set steps per policy token', async () => {
    const mcConfig = join(tmp.dir, 'mc.json');
    writeFileSync(mcConfig, JSON.stringify({ samplesPerSolution: 4, k: 16 }));
    const omega = await search('omega', join(ROOT, 'models', 'recipes', 'prm-search.json'), 'omega');
    const mc = await search('mc', mcConfig, 'mc');
    expect(omega.steps).toBeGreaterThan(0);
    expect(mc.steps).toBeGreaterThan(0);
    const ratio = omega.steps / omega.tokens / (mc.steps / mc.tokens);
    expect(ratio, `OmegaPRM ${omega.steps} steps / ${omega.tokens} tokens, MC ${mc.steps} / ${mc.tokens}`).toBeGreaterThanOrEqual(2);
  });
});

describe('the bundled PRM on 60 test problems, 8 candidates each', () => {
  it("ranks a correct candidate's minimum step score above an incorrect one's at least 5 points above chance", async () => {
    const r = await cli('bon', '--workspace', ws, '--dataset', 'demo', '--split', 'test', '--policy', 'tiny-policy', '--prm', 'tiny-prm', '--n', '8', '--limit', '60', '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    const evaluation = (JSON.parse(r.out.at(-1)!) as { evaluation: number }).evaluation;
    const e = await cli('evaluations', '--workspace', ws, '--id', String(evaluation), '--json');
    expect(e.code, e.err.join('\n')).toBe(0);
    const pairwise = (JSON.parse(e.out.at(-1)!) as { metrics: { splits: { test: { pairwise: { accuracy: number; pairs: number; interval: [number, number] } } } } }).metrics.splits.test.pairwise;
    expect(pairwise.pairs).toBeGreaterThan(100);
    expect(pairwise.accuracy, JSON.stringify(pairwise)).toBeGreaterThanOrEqual(0.55);
    expect(pairwise.interval[0], JSON.stringify(pairwise)).toBeGreaterThan(0.5);
  });
});
