// `steplab annotations split`: an annotation set cut by problem into <set>-train and <set>-val (what
// train-prm --val-annotations reads), by a seeded order of the problems' fingerprints, no problem on both
// sides, every annotation moved with its curation; refused, with nothing changed, where it cannot split.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseVal } from '../src-main/core/data/labels/split';
import { cli } from './helpers/cli';
import { tempDir } from './helpers/tmp';

const FIX = join(import.meta.dirname, 'fixtures', 'labels');

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('steplab-split-');
});
afterAll(() => tmp.cleanup());

async function workspace(name: string): Promise<string> {
  const ws = join(tmp.dir, name);
  expect((await cli('init', ws)).code).toBe(0);
  // 6 PRM800K rows: 6 problems, 37 annotations (one curated below)
  const r = await cli('import-labels', join(FIX, 'public', 'prm800k.jsonl'), '--workspace', ws, '--dataset', 'd', '--set', 'human', '--json');
  expect(r.code, r.err.join('\n')).toBe(0);
  return ws;
}

function bySet(ws: string): Record<string, { problems: number[]; annotations: number; edits: number }> {
  const db = new Database(join(ws, 'steplab.db'), { readonly: true });
  const rows = db.prepare('SELECT a.set_name AS s, a.problem_id AS p, (SELECT count(*) FROM curation_edits e WHERE e.annotation_id = a.id) AS e FROM annotations a ORDER BY a.id').all() as { s: string; p: number; e: number }[];
  db.close();
  const out: Record<string, { problems: number[]; annotations: number; edits: number }> = {};
  for (const r of rows) {
    const x = (out[r.s] ??= { problems: [], annotations: 0, edits: 0 });
    if (!x.problems.includes(r.p)) x.problems.push(r.p);
    x.annotations += 1;
    x.edits += r.e;
  }
  for (const x of Object.values(out)) x.problems.sort((a, b) => a - b);
  return out;
}

describe('annotations split', () => {
  it('chooses round(val × problems) for -val, at least one on each side, by content and seed', () => {
    const ps = Array.from({ length: 10 }, (_, i) => ({ problemId: i + 1, fingerprint: `fp${i}` }));
    expect(chooseVal(ps, 0.1, 0).size).toBe(1);
    expect(chooseVal(ps, 0.34, 0).size).toBe(3);
    expect(chooseVal(ps, 0.99, 0).size).toBe(9);
    expect(chooseVal(ps.slice(0, 2), 0.01, 0).size).toBe(1);
    // the order of the input does not matter; the seed does
    expect([...chooseVal([...ps].reverse(), 0.3, 7)].sort()).toEqual([...chooseVal(ps, 0.3, 7)].sort());
    const seeds = new Set(Array.from({ length: 8 }, (_, s) => [...chooseVal(ps, 0.3, s)].sort().join(',')));
    expect(seeds.size).toBeGreaterThan(1);
  });

  it('moves every annotation of a problem to one side, curation included; the same seed splits the same way', async () => {
    const ws = await workspace('a');
    const db = new Database(join(ws, 'steplab.db'));
    const first = db.prepare("SELECT id FROM annotations WHERE set_name = 'human' ORDER BY id LIMIT 1").get() as { id: number };
    db.close();
    // a curation edit through the API, so it must travel with its annotation
    const { openWorkbench } = await import('../src-main/core/workbench');
    const wb = openWorkbench(ws);
    wb.store.annotations.edit(first.id, { stepIdx: 0, action: 'relabel', value: 0, author: 't' });
    await wb.close();
    const before = bySet(ws).human;
    const r = await cli('annotations', 'split', '--workspace', ws, '--set', 'human', '--val', '0.34', '--seed', '3', '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    const out = JSON.parse(r.out[0]);
    const after = bySet(ws);
    expect(Object.keys(after).sort()).toEqual(['human-train', 'human-val']);
    expect(out).toEqual({
      train: { name: 'human-train', problems: after['human-train'].problems.length, annotations: after['human-train'].annotations },
      val: { name: 'human-val', problems: 2, annotations: after['human-val'].annotations },
    });
    expect(after['human-train'].problems.filter((p) => after['human-val'].problems.includes(p))).toEqual([]);
    expect([...after['human-train'].problems, ...after['human-val'].problems].sort((a, b) => a - b)).toEqual(before.problems);
    expect(after['human-train'].annotations + after['human-val'].annotations).toBe(before.annotations);
    expect(after['human-train'].edits + after['human-val'].edits).toBe(1);
    // another workspace with the same file and seed: the same problems held out (problems are matched by content)
    const ws2 = await workspace('b');
    expect((await cli('annotations', 'split', '--workspace', ws2, '--set', 'human', '--val', '0.34', '--seed', '3')).out[0]).toBe(
      `split "human" by problem: 4 problems (${out.train.annotations} annotations) in "human-train", 2 problems (${out.val.annotations} annotations) in "human-val"`,
    );
    expect(bySet(ws2)['human-val'].problems).toEqual(after['human-val'].problems);
  });

  it('refuses, changing nothing: an unknown set, a taken name, a set of one problem, a share outside (0, 1)', async () => {
    const ws = await workspace('c');
    const before = bySet(ws);
    const err = async (...args: string[]): Promise<string[]> => (await cli('annotations', 'split', '--workspace', ws, ...args)).err;
    expect(await err('--set', 'nope', '--val', '0.2')).toEqual(['error: annotation set "nope" not found']);
    expect(await err('--set', 'human', '--val', '1.5')).toEqual(["error: option '--val <share>' argument '1.5' is invalid. must be a number between 0 and 1", '(run with --help for usage)']);
    expect(bySet(ws)).toEqual(before);
    const db = new Database(join(ws, 'steplab.db'));
    db.prepare("UPDATE annotations SET set_name = 'human-val' WHERE id = (SELECT min(id) FROM annotations)").run();
    db.close();
    const taken = bySet(ws);
    expect(await err('--set', 'human', '--val', '0.2')).toEqual(['error: annotation set "human-val" exists already; rename or remove it before splitting "human"']);
    expect(await err('--set', 'human-val', '--val', '0.2')).toEqual(['error: annotation set "human-val" holds 1 problem; a split by problem needs at least 2']);
    expect(bySet(ws)).toEqual(taken);
  });
});
