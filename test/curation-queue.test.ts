// The disagreement queue on real trees (OmegaPRM with the bundled tiny policy, scored by tiny-prm): the
// filters (the answer lines left out or alone, one problem, a least gap), each row with its problem's
// question, dataset id and the steps from the question to the node; and what counts as an answer line.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../src-main/core/dispatch';
import { registerModel } from '../src-main/core/models/registry';
import { stepKind } from '../src-shared/stepKind';
import type { NodeDisagreement } from '../src-shared/domain';
import { searchWorkspace, type SearchWorkspace } from './helpers/searchWorkspace';

let ws: SearchWorkspace;
type Queue = { prm: string; scoredNodes: number; matching: number; items: NodeDisagreement[] };
const queue = (q: Record<string, unknown> = {}) => dispatch(ws.wb.handlers, 'curation.disagreements', { prm: 'tiny-prm', limit: 1000, ...q }) as Promise<Queue>;

beforeAll(async () => {
  ws = await searchWorkspace({ count: 2 });
  await registerModel(ws.wb.store, join(import.meta.dirname, '..', 'models', 'tiny-prm'));
  const job = await ws.wb.runner.wait(ws.wb.runner.submit('score', { prm: 'tiny-prm', searches: ws.omega }).id);
  expect(job.state, job.error ?? '').toBe('done');
}, 120_000);
afterAll(() => ws?.cleanup());

describe('stepKind', () => {
  it('tells the final answer line from a reasoning step, by the last line of a node', () => {
    expect(stepKind('Answer: 17')).toBe('answer');
    expect(stepKind('24 - 7 = 17\nAnswer: 17')).toBe('answer');
    expect(stepKind('The answer is 12.')).toBe('answer');
    expect(stepKind('So the final answer is $\\boxed{3}$')).toBe('answer');
    expect(stepKind('6 + 18 = 24')).toBe('reasoning');
    expect(stepKind('Answer: 17\n24 - 7 = 17')).toBe('reasoning');
    expect(stepKind('The answer depends on x, so first 2x = 4')).toBe('reasoning');
  });
});

describe('curation.disagreements', () => {
  it('gives each row its question, dataset id and the path to the node, largest gap first', async () => {
    const all = await queue();
    expect(all.items.length).toBeGreaterThan(2);
    expect(all.matching).toBe(all.scoredNodes);
    for (const r of all.items) {
      expect(r.question!.length).toBeGreaterThan(10);
      expect(r.extId).toMatch(/^demo-/);
      expect(r.path!.at(-1)).toBe(r.stepText);
      expect(r.kind).toBe(stepKind(r.stepText));
      // the steps of the nodes from the question's child down to this one
      const byId = new Map(ws.wb.store.trees.nodes(r.searchId).map((n) => [n.id, n]));
      const chain: string[] = [];
      for (let n = byId.get(r.nodeId); n && n.parentId !== null; n = byId.get(n.parentId)) chain.unshift(n.stepText);
      expect(r.path).toEqual(chain);
    }
    for (let i = 1; i < all.items.length; i++) expect(all.items[i - 1].gap).toBeGreaterThanOrEqual(all.items[i].gap);
  });

  it('filters by step kind, problem and least gap; matching counts what the filters keep', async () => {
    const all = await queue();
    const reasoning = await queue({ stepKind: 'reasoning' });
    const answers = await queue({ stepKind: 'answer' });
    expect(reasoning.items.every((r) => r.kind === 'reasoning')).toBe(true);
    expect(answers.items.every((r) => r.kind === 'answer')).toBe(true);
    expect(answers.items.length).toBeGreaterThan(0);
    expect(reasoning.matching + answers.matching).toBe(all.scoredNodes);
    expect(reasoning.items.map((r) => r.nodeId)).toEqual(all.items.filter((r) => r.kind === 'reasoning').map((r) => r.nodeId));
    const problemId = all.items[0].problemId;
    const one = await queue({ problemId });
    expect(one.items.length).toBeGreaterThan(0);
    expect(one.items.every((r) => r.problemId === problemId)).toBe(true);
    const wide = await queue({ minGap: 0.5 });
    expect(wide.items.every((r) => r.gap >= 0.5)).toBe(true);
    expect(wide.items.length).toBe(all.items.filter((r) => r.gap >= 0.5).length);
    const few = await queue({ limit: 2, stepKind: 'reasoning' });
    expect(few.items).toEqual(reasoning.items.slice(0, 2));
    expect(few.matching).toBe(reasoning.matching);
  });
});
