// `steplab search --shard i/n`: a stable 1/n of the problems chosen by content (the problem fingerprint),
// so shards agree across workspaces and import orders, are disjoint and together are the unsharded list
// (--limit applies before sharding); bad input is one line before any work, nothing written.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Problem } from '../src-shared/domain';
import { SearchJobConfig } from '../src-shared/jobConfigs';
import { fingerprintOf, parseShard, selectShard, shardOfFingerprint } from '../src-main/core/search/shard';
import { Store } from '../src-main/core/store';
import { problemFingerprint } from '../src-main/core/store/problems';
import { cli } from './helpers/cli';
import { tempDir } from './helpers/tmp';

const ROOT = join(import.meta.dirname, '..');
let tmp: ReturnType<typeof tempDir>;
let lines: string[];

beforeAll(() => {
  tmp = tempDir('steplab-shard-');
  // text-only demo problems: their searches need no image
  lines = readFileSync(join(ROOT, 'models', 'demo-data', 'problems.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l && !JSON.parse(l).image)
    .slice(0, 6);
});
afterAll(() => tmp.cleanup());

function problem(i: number, extra: Partial<Problem> = {}): Problem {
  return { id: i, extId: `p${i}`, question: `What is ${i} + ${i}?`, answer: String(2 * i), answerType: 'number', source: null, split: null, tags: [], images: [], meta: {}, ...extra };
}

const fp = (p: Problem): string => fingerprintOf(p);

describe('shard membership', () => {
  it('parses i/n and refuses anything else with one line', () => {
    expect(parseShard('1/2')).toEqual({ index: 1, count: 2 });
    expect(parseShard(' 3 / 3 ')).toEqual({ index: 3, count: 3 });
    expect(parseShard('1/1')).toEqual({ index: 1, count: 1 });
    expect(() => parseShard('3/2')).toThrow('--shard 3/2: the shard must be between 1 and 2');
    expect(() => parseShard('0/2')).toThrow('--shard 0/2: the shard must be between 1 and 2');
    expect(() => parseShard('1/0')).toThrow('--shard 1/0: the number of shards must be at least 1');
    for (const bad of ['a/b', '1', '1/2/3', '-1/2', '1.5/2', '', '/2', '1/']) {
      expect(() => parseShard(bad), bad).toThrow(`--shard must be i/n with whole numbers, 1 <= i <= n, e.g. 1/4 (got "${bad}")`);
    }
  });

  it('the fingerprint is the store\'s content identity', () => {
    const p = problem(7, { images: [{ hash: 'ab'.repeat(32), mime: 'image/png', width: 1, height: 1, bytes: 1 }] });
    expect(fp(p)).toBe(problemFingerprint({ question: p.question, answer: p.answer, answerType: p.answerType, imageHashes: ['ab'.repeat(32)] }));
  });

  it('shards 1..n are disjoint and together are exactly the list, for every n', () => {
    const all = Array.from({ length: 200 }, (_, i) => problem(i + 1));
    for (const n of [1, 2, 3, 4, 7]) {
      const shards = Array.from({ length: n }, (_, i) => selectShard(all, { index: i + 1, count: n }));
      const ids = shards.flat().map((p) => p.id);
      expect(new Set(ids).size, `n=${n}`).toBe(ids.length);
      expect([...ids].sort((a, b) => a - b)).toEqual(all.map((p) => p.id));
      // each shard keeps the list's order
      for (const s of shards) expect(s.map((p) => p.id)).toEqual([...s.map((p) => p.id)].sort((a, b) => a - b));
      // roughly even: every shard of 200 problems gets some
      for (const s of shards) expect(s.length).toBeGreaterThan(200 / n / 3);
    }
    expect(selectShard(all, undefined)).toEqual(all);
  });

  it('depends on the content only: not on row ids, ext ids or order', () => {
    const all = Array.from({ length: 50 }, (_, i) => problem(i + 1));
    const renumbered = [...all].reverse().map((p, i) => ({ ...p, id: 1000 + i, extId: `other-${i}`, split: 'x' }));
    for (const index of [1, 2, 3]) {
      const a = selectShard(all, { index, count: 3 }).map(fp).sort();
      const b = selectShard(renumbered, { index, count: 3 }).map(fp).sort();
      expect(b).toEqual(a);
    }
    // the shard is the fingerprint's value mod n, fixed forever: a pinned value guards against a silent change
    const f = fp(problem(1));
    expect(shardOfFingerprint(f, 7)).toBe(Number(BigInt(`0x${f}`) % 7n) + 1);
  });

  it('two workspaces that imported the same problems in another order agree on every shard', async () => {
    const a = join(tmp.dir, 'order-a');
    const b = join(tmp.dir, 'order-b');
    const fa = join(tmp.dir, 'a.jsonl');
    const fb = join(tmp.dir, 'b.jsonl');
    writeFileSync(fa, lines.join('\n') + '\n');
    writeFileSync(fb, [...lines].reverse().join('\n') + '\n');
    for (const [ws, f] of [[a, fa], [b, fb]]) {
      expect((await cli('init', ws)).code).toBe(0);
      expect((await cli('import', f, '--workspace', ws, '--dataset', 'demo')).code).toBe(0);
    }
    const shardsOf = (ws: string): string[][] => {
      const st = Store.open(ws);
      try {
        const list = st.problems.listInDataset(st.datasets.requireId('demo')).items;
        return [1, 2].map((index) => selectShard(list, { index, count: 2 }).map((p) => p.extId).sort());
      } finally {
        st.close();
      }
    };
    const sa = shardsOf(a);
    expect(shardsOf(b)).toEqual(sa);
    expect([...sa[0], ...sa[1]].sort()).toEqual(lines.map((l) => JSON.parse(l).id).sort());
  });

  it('the job config takes a shard and checks it', () => {
    const base = { dataset: 'd', model: 'm', algo: 'omega' };
    expect(SearchJobConfig.parse({ ...base, shard: { index: 2, count: 2 } }).shard).toEqual({ index: 2, count: 2 });
    expect(SearchJobConfig.safeParse({ ...base, shard: { index: 3, count: 2 } }).success).toBe(false);
    expect(SearchJobConfig.safeParse({ ...base, shard: { index: 0, count: 2 } }).success).toBe(false);
    expect(SearchJobConfig.safeParse({ ...base, shard: { index: 1, count: 0 } }).success).toBe(false);
  });
});

describe('steplab search --shard (tiny policy)', () => {
  let ws: string;
  let cfg: string;
  beforeAll(async () => {
    ws = join(tmp.dir, 'ws');
    const file = join(tmp.dir, 'six.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');
    expect((await cli('init', ws)).code).toBe(0);
    expect((await cli('import', file, '--workspace', ws, '--dataset', 'demo')).code).toBe(0);
    const reg = await cli('models', 'register', join(ROOT, 'models', 'tiny-policy'), '--workspace', ws);
    expect(reg.code, reg.err.join('\n')).toBe(0);
    cfg = join(tmp.dir, 'mc.json');
    // the cheapest search there is: one solution, one completion per prefix
    writeFileSync(cfg, JSON.stringify({ samplesPerSolution: 1, k: 1 }));
  });

  const searched = (ws: string, ids: number[]): string[] => {
    const db = new Database(join(ws, 'steplab.db'), { readonly: true });
    try {
      return ids.map((id) => (db.prepare('SELECT p.fingerprint AS f FROM searches s JOIN problems p ON p.id = s.problem_id WHERE s.id = ?').get(id) as { f: string }).f);
    } finally {
      db.close();
    }
  };
  const run = async (...extra: string[]) => {
    const r = await cli('search', '--workspace', ws, '--dataset', 'demo', '--model', 'tiny-policy', '--algo', 'mc', '--config', cfg, '--seed', '2', '--json', ...extra);
    expect(r.code, r.err.join('\n')).toBe(0);
    return JSON.parse(r.out.at(-1)!) as { problems: number; search_ids: number[] };
  };

  it('shards of a --limit run split exactly the problems of the unsharded run (limit first, then shard)', async () => {
    const whole = await run('--limit', '4');
    const one = await run('--limit', '4', '--shard', '1/2');
    const two = await run('--limit', '4', '--shard', '2/2');
    expect(whole.problems).toBe(4);
    expect(one.problems + two.problems).toBe(4);
    const fWhole = searched(ws, whole.search_ids);
    const f1 = searched(ws, one.search_ids);
    const f2 = searched(ws, two.search_ids);
    expect(f1.filter((f) => f2.includes(f))).toEqual([]);
    expect([...f1, ...f2].sort()).toEqual([...fWhole].sort());
    // each shard's problems are those whose fingerprint falls in it
    for (const f of f1) expect(shardOfFingerprint(f, 2)).toBe(1);
    for (const f of f2) expect(shardOfFingerprint(f, 2)).toBe(2);
  });

  it('an empty shard is a finished search of no problems, not an error', async () => {
    // one problem and as many shards as it takes for one of them to be empty: shard n of n where the problem is not
    const first = searched(ws, (await run('--limit', '1')).search_ids)[0];
    const other = shardOfFingerprint(first, 2) === 1 ? '2/2' : '1/2';
    const r = await cli('search', '--workspace', ws, '--dataset', 'demo', '--model', 'tiny-policy', '--algo', 'mc', '--config', cfg, '--limit', '1', '--shard', other);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.out[0]).toMatch(new RegExp(`^searched 0 problems \\(shard ${other.replace('/', '\\/')}\\): 0 nodes`));
  });

  it('bad --shard: one line before any work, the workspace unchanged', async () => {
    const hash = (): string => createHash('sha256').update(readFileSync(join(ws, 'steplab.db'))).digest('hex');
    const before = hash();
    const cases: [string, string][] = [
      ['3/2', 'error: --shard 3/2: the shard must be between 1 and 2'],
      ['0/2', 'error: --shard 0/2: the shard must be between 1 and 2'],
      ['a/b', 'error: --shard must be i/n with whole numbers, 1 <= i <= n, e.g. 1/4 (got "a/b")'],
      ['1/0', 'error: --shard 1/0: the number of shards must be at least 1'],
    ];
    for (const [shard, line] of cases) {
      const r = await cli('search', '--workspace', ws, '--dataset', 'demo', '--model', 'tiny-policy', '--algo', 'mc', '--config', cfg, '--shard', shard);
      // the CLI's convention: a user error exits 1 with one line on stderr (2 is an internal error)
      expect(r.code, shard).toBe(1);
      expect(r.err, shard).toEqual([line]);
      expect(r.out).toEqual([]);
    }
    expect(hash()).toBe(before);
  });
});
