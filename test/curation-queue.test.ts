// The disagreement queue on real trees (OmegaPRM with the bundled tiny policy, scored by tiny-prm): the
// filters (the answer lines left out or alone, one problem, a least gap), each row with its problem's
// question, dataset id and the steps from the question to the node; and what counts as an answer line.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../src-main/core/dispatch';
import { registerModel } from '../src-main/core/models/registry';
import { openWorkbench } from '../src-main/core/workbench';
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

/**
 * The queue as it was computed before the gap, kind and problem were stored (migration 011): every scored
 * node joined to its tree node and search, the gap |score - MC| computed, the kind classified in
 * JavaScript, sorted by gap, then node id.
 */
function readTimeQueue(modelId: number, f: { stepKind?: 'answer' | 'reasoning'; problemId?: number; minGap?: number }, limit = 1000) {
  const rows = ws.wb.store.db
    .prepare(
      `SELECT n.id AS nodeId, r.problem_id AS problemId, n.step_text AS stepText, abs(s.score - n.mc) AS gap
       FROM node_scores s JOIN tree_nodes n ON n.id = s.node_id JOIN searches r ON r.id = n.search_id
       WHERE s.model_id = ? AND n.mc IS NOT NULL ORDER BY gap DESC, n.id`,
    )
    .all(modelId) as { nodeId: number; problemId: number; stepText: string; gap: number }[];
  const total = rows.length;
  const kept = rows
    .map((r) => ({ ...r, kind: stepKind(r.stepText) }))
    .filter((r) => (f.stepKind === undefined || r.kind === f.stepKind) && (f.problemId === undefined || r.problemId === f.problemId) && r.gap >= (f.minGap ?? 0));
  return { total, matching: kept.length, items: kept.slice(0, limit).map((r) => ({ nodeId: r.nodeId, problemId: r.problemId, gap: r.gap, kind: r.kind })) };
}

async function expectStoredGapAgrees(): Promise<void> {
  const modelId = ws.wb.store.models.withRole('tiny-prm', 'prm').id;
  const problems = [...new Set((await queue()).items.map((r) => r.problemId))];
  const filters = [{}, { stepKind: 'answer' as const }, { stepKind: 'reasoning' as const }, { minGap: 0.3 }, { stepKind: 'reasoning' as const, minGap: 0.1 }];
  for (const p of problems) filters.push({ problemId: p } as never, { problemId: p, stepKind: 'reasoning' } as never);
  for (const f of filters) {
    const want = readTimeQueue(modelId, f);
    const got = await queue(f);
    expect({ f, total: got.scoredNodes, matching: got.matching }).toEqual({ f, total: want.total, matching: want.matching });
    expect(got.items.map((r) => ({ nodeId: r.nodeId, problemId: r.problemId, gap: r.gap, kind: r.kind }))).toEqual(want.items);
  }
}

describe('the stored gap, step kind and problem (migration 011)', () => {
  it('give the queue the read-time computation would give, under every filter', async () => {
    await expectStoredGapAgrees();
  });

  it('follow a relabel, a search updating a scored node MC, and an import of trees scored afterwards', async () => {
    const store = ws.wb.store;
    const ann = store.annotations.forSearch(ws.omega[0])[0];
    await dispatch(ws.wb.handlers, 'annotations.edit', { annotationId: ann.id, stepIdx: 0, action: 'relabel', value: ann.steps[0].softLabel > 0.5 ? 0 : 1 });
    await expectStoredGapAgrees();
    // a search resumed on a scored tree updates its nodes' MC: the gap follows (the trigger)
    const modelId = store.models.withRole('tiny-prm', 'prm').id;
    const node = store.db.prepare('SELECT n.id, n.visits, n.rollouts, n.correct, n.q, n.mc FROM node_scores s JOIN tree_nodes n ON n.id = s.node_id WHERE s.model_id = ? AND n.mc IS NOT NULL ORDER BY s.gap LIMIT 1').get(modelId) as {
      id: number; visits: number; rollouts: number; correct: number; q: number | null; mc: number;
    };
    store.trees.updateNodeStats(node.id, { visits: node.visits, rollouts: node.rollouts, correct: node.correct, q: node.q, mc: node.mc > 0.5 ? 0 : 1 });
    expect((await queue()).items[0].nodeId).toBe(node.id);
    await expectStoredGapAgrees();
    // trees imported from a file, then scored: their rows join the queue with their own gap and kind
    const imp = await ws.wb.runner.wait(
      ws.wb.runner.submit('import-labels', { path: join(import.meta.dirname, 'fixtures', 'labels', 'openr', 'math-aps-tree.jsonl'), dataset: 'openr' }).id,
    );
    expect(imp.state, imp.error ?? '').toBe('done');
    const imported = store.trees.listSearches({ limit: 1000 }).items.map((s) => s.id).filter((id) => !ws.omega.includes(id));
    expect(imported.length).toBe(1);
    // (the tiny PRM's context is too short for these long paths: scored through the store's write path the score job uses)
    const nodes = store.trees.nodes(imported[0]).filter((n) => n.mc !== null && n.parentId !== null);
    expect(nodes.length).toBeGreaterThan(3);
    store.scores.setNodeScores(modelId, nodes.map((n, i) => [n.id, (i * 0.37) % 1] as const));
    const importedProblem = store.trees.getSearch(imported[0]).problemId;
    expect((await queue({ problemId: importedProblem })).matching).toBeGreaterThan(0);
    await expectStoredGapAgrees();
  }, 120_000);

  it('are filled in when a workspace of schema version 10 is migrated (the imported tree scored with the rest)', async () => {
    const store = ws.wb.store;
    const dir = join(ws.wb.store.paths.dir, '..', 'v10');
    mkdirSync(dir, { recursive: true });
    store.db.exec(`VACUUM INTO '${join(dir, 'steplab.db').replaceAll("'", "''")}'`);
    const want = await queue({ stepKind: 'reasoning' });
    // the copy taken back to version 10: the queue's columns, indexes and trigger gone
    const raw = new Database(join(dir, 'steplab.db'));
    // (and the later migrations' objects, made again as the copy is migrated)
    raw.exec(`DROP TRIGGER annotation_set_counts_insert; DROP TRIGGER annotation_set_counts_step; DROP TRIGGER annotation_set_counts_delete_steps;
      DROP TRIGGER annotation_set_counts_delete; DROP TRIGGER annotation_set_counts_move; DROP INDEX annotations_by_set_time;
      DROP TABLE annotation_set_counts; DROP TABLE annotation_set_problems; DROP TABLE annotation_set_searches;`);
    raw.exec(`DROP TRIGGER node_scores_gap_follows_mc; DROP INDEX node_scores_by_gap; DROP INDEX node_scores_by_kind_gap; DROP INDEX node_scores_by_problem_gap;
      ALTER TABLE node_scores DROP COLUMN gap; ALTER TABLE node_scores DROP COLUMN step_kind; ALTER TABLE node_scores DROP COLUMN problem_id;`);
    raw.pragma('user_version = 10');
    raw.close();
    const wb = openWorkbench(dir);
    try {
      expect(wb.store.db.pragma('user_version', { simple: true })).toBeGreaterThanOrEqual(11);
      const got = await dispatch(wb.handlers, 'curation.disagreements', { prm: 'tiny-prm', limit: 1000, stepKind: 'reasoning' });
      expect(got).toEqual(want);
    } finally {
      await wb.close();
    }
  });
});
