// A search tree against gold step labels: the pure count (found, late, early, false alarm, missed) on a
// scripted tree, then searches.gold on a tree of a real demo problem judged by the demo checker, and the
// problem references the tree explorer names searches by (searches.list, problems.find, problems.work).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../src-main/core/dispatch';
import { treeGold, type GoldNode } from '../src-main/core/search/gold';
import { batchRef } from '../src-main/core/store/trees';
import { openWorkbench, type Workbench } from '../src-main/core/workbench';
import { tempDir } from './helpers/tmp';

const n = (id: number, parentId: number | null, steps: string[], mc: number | null, firstError = false): GoldNode => ({ id, parentId, steps, mc, firstError });

describe('treeGold', () => {
  // gold: a step is right iff its text is "ok"
  const label = (steps: readonly string[]) => steps.map((s) => (s === 'ok' ? 1 : 0) as 0 | 1);

  it('classes each first error as found, late or early, and each labelled prefix as agreeing, a false alarm or missed', () => {
    const tree = [
      n(1, null, [], 0.5),
      n(2, 1, ['ok'], 0.6),
      n(3, 2, ['bad'], 0, true), // found: the first wrong step, flagged
      n(4, 2, ['ok'], 0, true), // early: gold says right so far (and a false alarm)
      n(5, 2, ['bad'], 0.4), // missed: gold wrong, MC > 0; the gold first error of its path
      n(6, 5, ['ok'], 0, true), // late: the gold first error is its parent
      n(7, 1, ['ok', 'bad'], 0.2), // a two-step node whose second step is wrong: gold first error, missed
      n(8, 1, ['ok'], null), // unlabelled: not counted
    ];
    const g = treeGold(tree, label)!;
    expect(g.summary).toEqual({ firstErrors: 3, found: 1, late: 1, early: 1, labelled: 6, falseAlarm: 1, missed: 2, goldFirstErrors: 3 });
    expect([...g.goldFirstError].sort()).toEqual([3, 5, 7]);
    expect(g.last.get(7)).toBe(0);
    expect(g.last.get(6)).toBe(1);
    expect(g.prefixOk.get(6)).toBe(false);
    expect(g.prefixOk.get(4)).toBe(true);
    expect(g.last.has(1)).toBe(false);
  });

  it('knows nothing when the labeller has no gold, and nothing without a root', () => {
    expect(treeGold([n(1, null, [], 1)], () => null)).toBeNull();
    expect(treeGold([n(2, 1, ['ok'], 1)], label)).toBeNull();
  });
});

describe('searches.gold and the problem references', () => {
  let wb: Workbench;
  let tmp: ReturnType<typeof tempDir>;
  let problemId: number;
  let searchId: number;
  const ids: number[] = [];

  beforeAll(async () => {
    tmp = tempDir('steplab-gold-');
    // demo-train-0000: 7 - 1 = 6, 6 * 3 = 18, 6 + 18 = 24, 24 - 7 = 17, Answer: 17
    const line = readFileSync(join(import.meta.dirname, '..', 'models', 'demo-data', 'problems.jsonl'), 'utf8').split('\n')[0];
    expect(JSON.parse(line).id).toBe('demo-train-0000');
    writeFileSync(join(tmp.dir, 'p.jsonl'), line + '\n');
    wb = openWorkbench(join(tmp.dir, 'ws'), { create: true });
    const imp = await wb.runner.wait(wb.runner.submit('import', { path: join(tmp.dir, 'p.jsonl'), dataset: 'demo', skipBad: false }).id);
    expect(imp.state).toBe('done');
    problemId = (await dispatch(wb.handlers, 'problems.find', { dataset: 'demo', extId: 'demo-train-0000' }) as { id: number }).id;
    searchId = wb.store.trees.createSearch({ problemId, modelId: null, algorithm: 'omegaprm', config: {}, seed: 0 });
    const node = (parent: number | null, steps: string[], mc: number | null, firstError = false) => ({ parent, depth: 0, stepText: steps.join('\n'), mc, firstError, meta: { steps } });
    ids.push(
      ...wb.store.trees.insertNodes(searchId, [
        node(null, [], 0.5),
        node(batchRef(0), ['7 - 1 = 6'], 0.7),
        node(batchRef(1), ['6 * 3 = 18'], 0.5),
        node(batchRef(2), ['6 + 18 = 25'], 0.1), // wrong arithmetic, MC > 0: missed; the gold first error
        node(batchRef(3), ['25 - 7 = 18'], 0, true), // flagged one step late
        node(batchRef(1), ['6 * 3 = 18', '6 + 18 = 24'], 0, true), // right so far: flagged early, a false alarm
        node(batchRef(0), ['7 - 2 = 5'], 0, true), // found
      ]),
    );
  }, 60_000);
  afterAll(async () => {
    await wb?.close();
    tmp?.cleanup();
  });

  it('labels every node by the demo checker and counts the tree against gold', async () => {
    const g = (await dispatch(wb.handlers, 'searches.gold', { id: searchId })) as {
      source: string | null;
      ids: number[];
      last: (0 | 1 | null)[];
      prefixOk: (boolean | null)[];
      goldFirstErrors: number[];
      summary: Record<string, number>;
    };
    expect(g.source).toMatch(/demo/);
    expect(g.ids).toEqual(ids);
    expect(g.last).toEqual([null, 1, 1, 0, 0, 1, 0]);
    expect(g.prefixOk).toEqual([true, true, true, false, false, true, false]);
    expect(g.goldFirstErrors).toEqual([ids[3], ids[6]]);
    expect(g.summary).toEqual({ firstErrors: 3, found: 1, late: 1, early: 1, labelled: 6, falseAlarm: 1, missed: 1, goldFirstErrors: 2 });
  });

  it('has no gold for a problem outside the demo domain, and refuses a missing search', async () => {
    // a problem's fields are kept per dataset membership (migration 008): clear both copies
    wb.store.db.prepare("UPDATE problems SET meta = '{}' WHERE id = ?").run(problemId);
    wb.store.db.prepare("UPDATE dataset_problems SET meta = '{}' WHERE problem_id = ?").run(problemId);
    const g = (await dispatch(wb.handlers, 'searches.gold', { id: searchId })) as { source: string | null; ids: number[]; summary: unknown };
    expect(g).toMatchObject({ source: null, ids: [], summary: null });
    await expect(dispatch(wb.handlers, 'searches.gold', { id: 99_999 })).rejects.toThrow('search 99999 not found');
  });

  it('names searches by dataset and dataset id, finds a problem by them and lists its work', async () => {
    const list = (await dispatch(wb.handlers, 'searches.list', {})) as { items: { id: number; dataset: string; extId: string }[] };
    expect(list.items).toEqual([expect.objectContaining({ id: searchId, dataset: 'demo', extId: 'demo-train-0000' })]);
    const cols = (await dispatch(wb.handlers, 'searches.treeColumns', { id: searchId })) as { search: { extId: string } };
    expect(cols.search.extId).toBe('demo-train-0000');
    await expect(dispatch(wb.handlers, 'problems.find', { dataset: 'demo', extId: 'nope' })).rejects.toThrow('dataset "demo" has no problem "nope"');
    await expect(dispatch(wb.handlers, 'problems.find', { dataset: 'other', extId: 'demo-train-0000' })).rejects.toThrow(/other/);
    wb.store.annotations.insertMany([{ problemId, searchId, solutionId: null, setName: 'omega-x', provenance: {}, steps: [{ text: '7 - 1 = 6', softLabel: 0.7 }] }]);
    const work = (await dispatch(wb.handlers, 'problems.work', { id: problemId })) as { searches: { id: number; extId: string }[]; annotationSets: unknown[] };
    expect(work.searches.map((s) => [s.id, s.extId])).toEqual([[searchId, 'demo-train-0000']]);
    expect(work.annotationSets).toEqual([{ name: 'omega-x', annotations: 1, curated: 0, searchIds: [searchId] }]);
  });
});
