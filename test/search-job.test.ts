// Searches with the bundled tiny policy on real demo problems: job, store, annotations, tree export and
// re-import, the CLI's shapes, SIGKILL and resume, and the one-line errors for bad input.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { dispatch } from '../src-main/core/dispatch';
import { Store } from '../src-main/core/store';
import { openWorkbench } from '../src-main/core/workbench';
import { cli, runCli } from './helpers/cli';
import { tempDir } from './helpers/tmp';

const MODEL = join(import.meta.dirname, '..', 'models', 'tiny-policy');
let tmp: ReturnType<typeof tempDir>;
let ws: string;
let cfg: string;

beforeAll(async () => {
  tmp = tempDir();
  ws = join(tmp.dir, 'ws');
  expect((await cli('init', ws, '--demo')).code).toBe(0);
  cfg = join(tmp.dir, 'small.json');
  // a small budget so the test runs in seconds on CPU
  writeFileSync(cfg, JSON.stringify({ rolloutsPerState: 4, maxSearchCount: 4, rolloutBudget: 48 }));
});
afterAll(() => tmp.cleanup());

function count(file: string, sql: string): number {
  const db = new Database(join(file, 'steplab.db'), { readonly: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('steplab search (tiny policy, demo problems)', () => {
  it('omega: stores trees, events and annotations and prints the summary', async () => {
    const r = await cli('search', '--workspace', ws, '--dataset', 'demo', '--split', 'test', '--limit', '3', '--model', 'tiny-policy', '--algo', 'omega', '--config', cfg, '--seed', '1', '--all-paths', '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    const s = JSON.parse(r.out.at(-1)!);
    expect(s).toMatchObject({ problems: 3, annotation_set: expect.stringMatching(/^omega-\d+$/) });
    expect(s.search_ids).toHaveLength(3);
    expect(s.nodes).toBe(count(ws, 'SELECT count(*) AS n FROM tree_nodes'));
    expect(s.policy_tokens).toBeGreaterThan(0);
    const store = Store.open(ws);
    try {
      for (const id of s.search_ids) {
        const search = store.trees.getSearch(id);
        const nodes = store.trees.nodes(id);
        expect(search.algorithm).toBe('omegaprm');
        expect(nodes.filter((n) => n.parentId === null)).toHaveLength(1);
        for (const n of nodes) if (n.rollouts > 0) expect(n.mc).toBeCloseTo(n.correct / n.rollouts, 12);
        expect(store.trees.events(id).length).toBeGreaterThan(0);
      }
      // every root-to-node path is an annotation with --all-paths (a problem whose root has no child has none)
      const sets = store.annotations.sets();
      const withChildren = s.search_ids.filter((id: number) => store.trees.nodes(id).length > 1).length;
      expect(sets[0]).toMatchObject({ name: s.annotation_set, problems: withChildren });
      expect(withChildren).toBeGreaterThan(0);
    } finally {
      store.close();
    }
    const listed = JSON.parse((await cli('annotations', '--workspace', ws, '--json')).out[0]);
    expect(listed[0]).toMatchObject({ name: s.annotation_set, searches: expect.any(Number) });
  });

  it('the same seed gives the same trees', async () => {
    const a = await cli('search', '--workspace', ws, '--dataset', 'demo', '--split', 'test', '--limit', '2', '--model', 'tiny-policy', '--algo', 'omega', '--config', cfg, '--seed', '7', '--json');
    const ida = JSON.parse(a.out.at(-1)!).search_ids as number[];
    // the CLI would find the first run done and not search again: a second job through jobs.start
    const wb = openWorkbench(ws);
    let idb: number[];
    try {
      const job = (await dispatch(wb.handlers, 'jobs.start', { kind: 'search', config: { dataset: 'demo', split: 'test', limit: 2, model: 'tiny-policy', algo: 'omega', config: JSON.parse(readFileSync(cfg, 'utf8')), seed: 7 } })) as { id: number };
      const end = await wb.runner.wait(job.id);
      idb = (end.result as { searchIds: number[] }).searchIds;
    } finally {
      await wb.close();
    }
    expect(idb.every((id) => !ida.includes(id))).toBe(true);
    const store = Store.open(ws);
    try {
      const shape = (id: number) => store.trees.nodes(id).map((n) => [n.depth, n.stepText, n.rollouts, n.correct, n.firstError]);
      ida.forEach((id, i) => expect(shape(idb[i])).toEqual(shape(id)));
    } finally {
      store.close();
    }
  });

  it('math-shepherd MC: every step prefix of the sampled solutions gets k completions', async () => {
    const mc = join(tmp.dir, 'mc.json');
    writeFileSync(mc, JSON.stringify({ samplesPerSolution: 2, k: 4 }));
    const r = await cli('search', '--workspace', ws, '--dataset', 'demo', '--split', 'test', '--limit', '2', '--model', 'tiny-policy', '--algo', 'mc', '--config', mc, '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    const s = JSON.parse(r.out.at(-1)!);
    const store = Store.open(ws);
    try {
      for (const id of s.search_ids) {
        const nodes = store.trees.nodes(id).filter((n) => n.parentId !== null);
        expect(nodes.length).toBeGreaterThan(0);
        expect(nodes.every((n) => n.rollouts === 4)).toBe(true);
        expect(store.trees.getSearch(id).algorithm).toBe('math-shepherd');
      }
    } finally {
      store.close();
    }
  });

  it('exports trees and annotations; trees re-import equal into a fresh workspace', async () => {
    const trees = join(tmp.dir, 'trees.jsonl');
    const ex = await cli('export', 'annotations', '--workspace', ws, '--dataset', 'demo', '--format', 'tree', '--out', trees, '--json');
    expect(ex.code, ex.err.join('\n')).toBe(0);
    const { written, nodes } = JSON.parse(ex.out[0]);
    expect(written).toBeGreaterThan(0);
    for (const fmt of ['trl', 'mm-prm', 'math-shepherd', 'prm800k']) {
      const r = await cli('export', 'annotations', '--workspace', ws, '--dataset', 'demo', '--format', fmt, '--out', join(tmp.dir, `a-${fmt}.jsonl`), '--json');
      expect(r.code, `${fmt}: ${r.err.join('\n')}`).toBe(0);
    }
    const ws2 = join(tmp.dir, 'ws2');
    await cli('init', ws2, '--demo');
    const im = await cli('import-trees', trees, '--workspace', ws2, '--json');
    expect(im.code, im.err.join('\n')).toBe(0);
    expect(JSON.parse(im.out[0])).toEqual({ searches: written, nodes, skipped: 0 });
    expect(JSON.parse((await cli('import-trees', trees, '--workspace', ws2, '--json')).out[0])).toEqual({ searches: 0, nodes: 0, skipped: written });
    const back = join(tmp.dir, 'trees2.jsonl');
    await cli('export', 'annotations', '--workspace', ws2, '--dataset', 'demo', '--format', 'tree', '--out', back);
    const strip = (f: string) =>
      readFileSync(f, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .map(({ search: _s, id: _i, parent: _p, stats: _st, data: _d, ...rest }) => rest);
    expect(strip(back)).toEqual(strip(trees));
  });

  it('export annotations --format tree --set: only the searches of that set', async () => {
    const sets = JSON.parse((await cli('annotations', '--workspace', ws, '--json')).out[0]) as { name: string; searches: number }[];
    expect(sets.length).toBeGreaterThan(1);
    const all = JSON.parse((await cli('export', 'annotations', '--workspace', ws, '--dataset', 'demo', '--format', 'tree', '--out', join(tmp.dir, 't-all.jsonl'), '--json')).out[0]);
    for (const set of sets) {
      const out = join(tmp.dir, `t-${set.name}.jsonl`);
      const r = await cli('export', 'annotations', '--workspace', ws, '--dataset', 'demo', '--format', 'tree', '--set', set.name, '--out', out, '--json');
      expect(r.code, r.err.join('\n')).toBe(0);
      const ids = new Set(readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((x) => x.type === 'search').map((x) => x.search));
      const db = new Database(join(ws, 'steplab.db'), { readonly: true });
      const want = new Set((db.prepare('SELECT DISTINCT search_id AS id FROM annotations WHERE set_name = ?').all(set.name) as { id: number }[]).map((x) => x.id));
      db.close();
      expect(ids).toEqual(want);
      expect(JSON.parse(r.out[0]).written).toBe(set.searches);
      expect(JSON.parse(r.out[0]).written).toBeLessThan(all.written);
    }
    const none = await cli('export', 'annotations', '--workspace', ws, '--dataset', 'demo', '--format', 'tree', '--set', 'nosuch', '--out', join(tmp.dir, 'x.jsonl'));
    expect(none.err).toEqual([`error: annotation set "nosuch" not found (see: steplab annotations --workspace ${ws})`]);
  });

  it('the API serves searches, their trees, their event logs and the annotation sets', async () => {
    const wb = openWorkbench(ws);
    try {
      const list = (await dispatch(wb.handlers, 'searches.list', { limit: 2 })) as { total: number; items: { id: number; algorithm: string }[] };
      expect(list.total).toBe(count(ws, 'SELECT count(*) AS n FROM searches'));
      expect(list.items).toHaveLength(2);
      const tree = (await dispatch(wb.handlers, 'searches.tree', { id: list.items[0].id })) as { search: { id: number }; nodes: { parentId: number | null }[] };
      expect(tree.search.id).toBe(list.items[0].id);
      expect(tree.nodes.filter((n) => n.parentId === null)).toHaveLength(1);
      const events = (await dispatch(wb.handlers, 'searches.events', { id: list.items[0].id })) as { seq: number }[];
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
      const sets = (await dispatch(wb.handlers, 'annotations.sets', {})) as { name: string }[];
      expect(sets.length).toBeGreaterThan(0);
      await expect(dispatch(wb.handlers, 'searches.tree', { id: 'x' })).rejects.toMatchObject({ code: 'bad_request', path: 'params.id' });
      await expect(dispatch(wb.handlers, 'searches.events', { id: 999_999 })).rejects.toThrow('search 999999 not found');
    } finally {
      await wb.close();
    }
  });

  it('bad input: one line before any work starts', async () => {
    const bad = join(tmp.dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ cPuct: -1 }));
    const before = count(ws, 'SELECT count(*) AS n FROM jobs');
    const cases: [string[], RegExp][] = [
      [['--algo', 'beam'], /^error: unknown algorithm "beam" \(omega or mc\)$/],
      [['--algo', 'omega', '--config', bad], /^error: config: cPuct: /],
      [['--algo', 'mc', '--config', cfg.replace('small', 'nope')], /^error: file not found: /],
    ];
    for (const [extra, msg] of cases) {
      const r = await cli('search', '--workspace', ws, '--dataset', 'demo', '--model', 'tiny-policy', ...extra);
      expect(r.code, extra.join(' ')).toBe(1);
      expect(r.err[0]).toMatch(msg);
    }
    const k0 = join(tmp.dir, 'k0.json');
    writeFileSync(k0, JSON.stringify({ k: 0 }));
    expect((await cli('search', '--workspace', ws, '--dataset', 'demo', '--model', 'tiny-policy', '--algo', 'mc', '--config', k0)).err[0]).toMatch(/^error: config: k: /);
    // a model that is not a policy
    const prm = join(tmp.dir, 'not-a-policy');
    cpSync(MODEL, prm, { recursive: true });
    const m = JSON.parse(readFileSync(join(prm, 'manifest.json'), 'utf8'));
    writeFileSync(join(prm, 'manifest.json'), JSON.stringify({ ...m, name: 'judge-copy', role: 'judge' }));
    expect((await cli('models', 'register', prm, '--workspace', ws)).code).toBe(0);
    const r = await cli('search', '--workspace', ws, '--dataset', 'demo', '--model', 'judge-copy', '--algo', 'omega');
    expect(r.err[0]).toBe('error: model "judge-copy" is a judge model, not a policy');
    expect(count(ws, 'SELECT count(*) AS n FROM jobs')).toBe(before);
  });

  it('a search killed after one problem resumes without losing or duplicating nodes', async () => {
    const ws3 = join(tmp.dir, 'ws3');
    await cli('init', ws3, '--demo');
    const args = ['search', '--workspace', ws3, '--dataset', 'demo', '--split', 'test', '--limit', '3', '--model', 'tiny-policy', '--algo', 'omega', '--config', cfg, '--seed', '3', '--json'];
    const killed = await runCli(args, { STEPLAB_TEST_KILL_AFTER_COMMITS: '1' });
    expect(killed.signal).toBe('SIGKILL');
    expect(count(ws3, 'SELECT count(*) AS n FROM searches')).toBe(1);
    const resumed = await runCli(['jobs', '--workspace', ws3, '--resume', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(count(ws3, 'SELECT count(*) AS n FROM searches')).toBe(3);
    // the same trees as an uninterrupted run with the same seed
    const fresh = await cli(...args.map((a) => (a === ws3 ? ws : a)));
    const ids = JSON.parse(fresh.out.at(-1)!).search_ids as number[];
    const a = Store.open(ws3);
    const b = Store.open(ws);
    try {
      const searches = (a.db.prepare('SELECT id FROM searches ORDER BY id').all() as { id: number }[]).map((r) => r.id);
      const shape = (st: Store, id: number) => st.trees.nodes(id).map((n) => [n.depth, n.stepText, n.rollouts, n.correct]);
      searches.forEach((id, i) => expect(shape(a, id)).toEqual(shape(b, ids[i])));
    } finally {
      a.close();
      b.close();
    }
  });
});
