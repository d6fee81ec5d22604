// `steplab recover W --into W2`: what can be read of a damaged workspace salvaged into a new one that
// passes `steplab check`, with a report of what was lost; the damaged workspace is only read.
import { cpSync, existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli';
import { buildDamageWorkspace, leafPages, overwritePage, truncateDb, zeroHeader } from './helpers/damage';
import { tempDir } from './helpers/tmp';

let base: ReturnType<typeof tempDir>;
let pristine: string;
beforeAll(async () => {
  base = tempDir('steplab-recover-');
  pristine = await buildDamageWorkspace(base.dir);
}, 180_000);
afterAll(() => base.cleanup());

let tmp: ReturnType<typeof tempDir>;
let ws: string;
let into: string;
beforeEach(() => {
  tmp = tempDir();
  ws = join(tmp.dir, 'ws');
  into = join(tmp.dir, 'recovered');
  cpSync(pristine, ws, { recursive: true });
});
afterEach(() => tmp.cleanup());

function count(dir: string, sql: string): number {
  const db = new Database(join(dir, 'steplab.db'), { readonly: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

async function recovered(): Promise<{ lines: string[]; report: Record<string, unknown> & { tables: { table: string; rows: number; expected: number | null; lost: number | null; droppedOrphans: number }[] } }> {
  const r = await cli('recover', ws, '--into', into, '--json');
  expect(r.code, r.err.join('\n')).toBe(0);
  const report = JSON.parse(r.out[0]);
  // the recovered workspace is whole: every check passes, and it opens
  const check = await cli('check', '--workspace', into, '--full');
  expect(check.out).toEqual(['steplab.db: ok (integrity_check)', 'foreign keys: ok', expect.stringMatching(/^images: ok \(\d+ files, SHA-256 of every file\)$/), 'models: ok (1 folders)']);
  expect(check.code).toBe(0);
  return { lines: [], report };
}

describe('steplab recover', () => {
  it('a damaged page of problems: the other rows recovered, the lost ones counted, their members dropped', async () => {
    const pages = leafPages(ws, 'problems');
    const page = pages[Math.floor(pages.length / 2)];
    const before = readFileSync(join(ws, 'steplab.db'));
    overwritePage(ws, page);
    const damaged = readFileSync(join(ws, 'steplab.db'));
    const { report } = await recovered();
    // the source was only read
    expect(readFileSync(join(ws, 'steplab.db')).equals(damaged)).toBe(true);
    expect(before.equals(damaged)).toBe(false);
    const problems = report.tables.find((t) => t.table === 'problems')!;
    const members = report.tables.find((t) => t.table === 'dataset_problems')!;
    expect(problems.expected).toBe(3003);
    expect(problems.lost).toBeGreaterThan(0);
    expect(problems.rows).toBe(3003 - problems.lost!);
    expect(members.droppedOrphans).toBe(problems.lost);
    expect(count(into, 'SELECT count(*) AS n FROM problems')).toBe(problems.rows);
    expect(count(into, 'SELECT count(*) AS n FROM dataset_problems')).toBe(problems.rows);
    expect(report).toMatchObject({ headerRebuilt: false, schemaSalvaged: true, badPages: 1, images: { copied: 3, missing: 0, mismatched: 0 }, models: { copied: 1, missing: 0 } });
    // a person reads the same in lines
    const again = await cli('recover', ws, '--into', join(tmp.dir, 'again'));
    expect(again.out[0]).toMatch(new RegExp(`^recovered ${ws} into ${join(tmp.dir, 'again')} \\(schema \\d+; \\d+ pages read, 1 unreadable\\)$`));
    expect(again.out).toContain(`  problems: ${problems.rows} of 3003 rows (${problems.lost} lost)`);
    expect(again.out).toContain(`  dataset_problems: ${problems.rows} rows; ${problems.lost} dropped: they point at rows that were lost`);
    expect(again.out.at(-1)).toBe(`lost: ${problems.lost} dataset_problems (dropped), ${problems.lost} problems`);
    // the recovered workspace works: its problems export
    const ex = await cli('export', 'problems', '--workspace', into, '--dataset', 'd', '--out', join(tmp.dir, 'out.jsonl'), '--json');
    expect(JSON.parse(ex.out[0])).toMatchObject({ written: problems.rows });
  });

  it('the root page of problems overwritten: its leaves, no longer reached, are found and placed by their columns', async () => {
    const db = new Database(join(ws, 'steplab.db'), { readonly: true });
    const root = (db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'problems'").get() as { rootpage: number }).rootpage;
    db.close();
    expect(leafPages(ws, 'problems')).not.toContain(root); // an interior page
    overwritePage(ws, root);
    const { report } = await recovered();
    expect(report.tables.find((t) => t.table === 'problems')).toMatchObject({ rows: 3003, complete: false, expected: 3003, lost: 0, droppedOrphans: 0 });
    expect(count(into, 'SELECT count(*) AS n FROM dataset_problems')).toBe(3003);
    expect(report.unattributedRows).toBe(0);
  });

  it('a zeroed header: the header is rebuilt and nothing is lost', async () => {
    zeroHeader(ws);
    const { report } = await recovered();
    expect(report).toMatchObject({ headerRebuilt: true, schemaSalvaged: true, badPages: 0 });
    expect(report.tables.filter((t) => (t.lost ?? 0) > 0 || t.expected === null)).toEqual([]);
    expect(count(into, 'SELECT count(*) AS n FROM problems')).toBe(3003);
    const lines = await cli('recover', ws, '--into', join(tmp.dir, 'again'));
    expect(lines.out.at(-1)).toBe('nothing was lost');
  });

  it('a file cut short: what is left is recovered and the loss is reported as not countable', async () => {
    truncateDb(ws, 0.6);
    const { report } = await recovered();
    expect(report.badPages).toBeGreaterThan(0);
    const unknown = report.tables.filter((t) => t.expected === null);
    expect(unknown.length).toBeGreaterThan(0);
    const lines = await cli('recover', ws, '--into', join(tmp.dir, 'again'));
    expect(lines.out.at(-1)).toMatch(/^lost: .*an unknown number of /);
  });

  it('a missing image file is reported and left out', async () => {
    const db = new Database(join(ws, 'steplab.db'), { readonly: true });
    const img = db.prepare('SELECT hash FROM images ORDER BY hash LIMIT 1').get() as { hash: string };
    db.close();
    unlinkSync(join(ws, 'images', img.hash.slice(0, 2), `${img.hash}.png`));
    const r = await cli('recover', ws, '--into', into);
    expect(r.code).toBe(0);
    expect(r.out.slice(-2)).toEqual(['images: 2 copied, 1 missing; model folders: 1 copied', 'lost: 1 image files']);
    const check = await cli('check', '--workspace', into);
    expect(check.out[2]).toBe('images: 1 missing, 0 not matching their hash, of 3');
  });

  it('reads the committed frames of a WAL the damaged workspace was left with', async () => {
    // a process that died before its last checkpoint: rows only in steplab.db-wal
    const live = new Database(join(ws, 'steplab.db'));
    live.pragma('wal_autocheckpoint = 0');
    const t = new Date().toISOString();
    live.prepare("INSERT INTO datasets (name, created_at, updated_at) VALUES ('from-the-wal', ?, ?)").run(t, t);
    const copy = join(tmp.dir, 'crashed');
    cpSync(ws, copy, { recursive: true }); // steplab.db and its WAL as the crash left them
    live.close();
    ws = copy;
    expect(readFileSync(join(copy, 'steplab.db-wal')).length).toBeGreaterThan(0);
    const { report } = await recovered();
    expect(report.walFrames).toBeGreaterThan(0);
    expect(count(into, "SELECT count(*) AS n FROM datasets WHERE name = 'from-the-wal'")).toBe(1);
  });

  it('refuses a folder that is not new or empty, and a folder without a workspace', async () => {
    mkdirSync(into);
    writeFileSync(join(into, 'x'), '');
    const r = await cli('recover', ws, '--into', into);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([`error: recover: cannot write the recovered workspace to ${into}: the folder is not empty and is not a Steplab workspace. Pick a new or an empty folder.`]);
    const none = await cli('recover', join(tmp.dir, 'nothing'), '--into', join(tmp.dir, 'n2'));
    expect(none.err).toEqual([`error: ${join(tmp.dir, 'nothing')} does not exist`]);
    expect(existsSync(join(tmp.dir, 'n2'))).toBe(false);
  });
});
