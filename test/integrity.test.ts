// Damage detected before it costs data: a damaged page, a file cut short, a zeroed header are refused in
// one line when the workspace is opened and before every export, merge and job start; `steplab check`
// reports them, a missing image file and a model folder that no longer matches its manifest.
import { cpSync, existsSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { dispatch } from '../src-main/core/dispatch';
import { openWorkbench, type Workbench } from '../src-main/core/workbench';
import { cli, runCli } from './helpers/cli';
import { buildDamageWorkspace, leafPages, overwritePage, truncateDb, zeroHeader } from './helpers/damage';
import { tempDir } from './helpers/tmp';


// one workspace built once (3,000 problems, 3 with images, a registered model), copied for each test
let base: ReturnType<typeof tempDir>;
let pristine: string;
beforeAll(async () => {
  base = tempDir('steplab-integrity-');
  pristine = await buildDamageWorkspace(base.dir);
}, 180_000);
afterAll(() => base.cleanup());

let tmp: ReturnType<typeof tempDir>;
let ws: string;
beforeEach(() => {
  tmp = tempDir();
  ws = join(tmp.dir, 'ws');
  cpSync(pristine, ws, { recursive: true });
});
afterEach(() => tmp.cleanup());

const advice = (w: string): string => `See what is damaged with: steplab check --workspace ${w} --full; salvage what can be read with: steplab recover ${w} --into <new folder>`;

describe('a damaged workspace is refused in one line', () => {
  it('a page of a table overwritten: refused when opened, nothing exported', async () => {
    const pages = leafPages(ws, 'problems');
    overwritePage(ws, pages[Math.floor(pages.length / 2)]);
    const out = join(tmp.dir, 'out.jsonl');
    for (const args of [['datasets', '--workspace', ws], ['export', 'problems', '--workspace', ws, '--dataset', 'd', '--out', out]]) {
      const r = await cli(...args);
      expect(r.code).toBe(1);
      expect(r.err).toEqual([`error: the workspace ${ws} is damaged: table problems (database disk image is malformed). ${advice(ws)}`]);
      expect(r.out).toEqual([]);
    }
    expect(existsSync(out)).toBe(false);
  });

  it('an index page overwritten (the rows read through it would go missing): refused', async () => {
    const pages = leafPages(ws, 'sqlite_autoindex_dataset_problems_2');
    overwritePage(ws, pages[Math.floor(pages.length / 2)]);
    const r = await cli('datasets', '--workspace', ws);
    expect(r.code).toBe(1);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toBe(`error: the workspace ${ws} is damaged: table dataset_problems (index sqlite_autoindex_dataset_problems_2 page ${pages[Math.floor(pages.length / 2)]}: btreeInitPage() returns error code 11). ${advice(ws)}`);
  });

  it('a file cut short and a zeroed header: one line each, no stack trace', async () => {
    truncateDb(ws, 0.5);
    const r = await runCli(['datasets', '--workspace', ws]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^error: the workspace ${ws} is damaged: steplab\\.db is cut short: \\d+ bytes where its header says \\d+ pages of 4096 bytes \\(\\d+ bytes\\); \\d+ pages are missing\\. See what is damaged with: .*\\n$`));
    cpSync(pristine, ws, { recursive: true });
    zeroHeader(ws);
    const z = await runCli(['export', 'problems', '--workspace', ws, '--dataset', 'd', '--out', join(tmp.dir, 'o.jsonl')]);
    expect(z.code).toBe(1);
    expect(z.stderr).toBe(`error: the workspace ${ws} is damaged: steplab.db's header is zeroed (its first 100 bytes are all 0). ${advice(ws)}\n`);
  });

  it('a large workspace is checked in the background: reads answer, writes wait, damage refuses the export and the job', async () => {
    const pages = leafPages(ws, 'problems');
    overwritePage(ws, pages[Math.floor(pages.length / 2)]);
    const env = { STEPLAB_OPEN_CHECK_MAX_BYTES: '1' }; // every workspace counts as large
    const list = await runCli(['datasets', '--workspace', ws], env);
    expect(list.code).toBe(0);
    const out = join(tmp.dir, 'out.jsonl');
    const ex = await runCli(['export', 'problems', '--workspace', ws, '--dataset', 'd', '--out', out], env);
    expect(ex.code).toBe(1);
    expect(ex.stderr).toBe(`error: the workspace ${ws} is damaged: table problems (database disk image is malformed); nothing was exported. ${advice(ws)}\n`);
    expect(existsSync(out)).toBe(false);
    const before = readFileSync(join(ws, 'steplab.db'));
    const job = await runCli(['score', '--workspace', ws, '--dataset', 'd', '--prm', 'tiny-prm'], env);
    expect(job.code).toBe(1);
    expect(job.stderr).toBe(`error: the workspace ${ws} is damaged: table problems (database disk image is malformed); no job was started. ${advice(ws)}\n`);
    expect(readFileSync(join(ws, 'steplab.db')).equals(before)).toBe(true);
  });

  it('a command waits for the background check of a large workspace, then writes', async () => {
    const env = { STEPLAB_OPEN_CHECK_MAX_BYTES: '1' }; // every workspace counts as large
    const db = new Database(join(ws, 'steplab.db'));
    const t = new Date().toISOString();
    const queued = Number(db.prepare("INSERT INTO jobs (kind, config, state, created_at, updated_at) VALUES ('search', '{}', 'queued', ?, ?)").run(t, t).lastInsertRowid);
    db.close();
    const r = await runCli(['jobs', '--cancel', String(queued), '--workspace', ws], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const after = new Database(join(ws, 'steplab.db'), { readonly: true });
    try {
      expect(after.prepare('SELECT state FROM jobs WHERE id = ?').get(queued)).toEqual({ state: 'cancelled' });
    } finally {
      after.close();
    }
  });

  it('a large workspace is read-only until its background check passes, then writable', async () => {
    const before = process.env.STEPLAB_OPEN_CHECK_MAX_BYTES;
    process.env.STEPLAB_OPEN_CHECK_MAX_BYTES = '1';
    const db = new Database(join(ws, 'steplab.db'));
    const t = new Date().toISOString();
    const queued = Number(db.prepare("INSERT INTO jobs (kind, config, state, created_at, updated_at) VALUES ('search', '{}', 'queued', ?, ?)").run(t, t).lastInsertRowid);
    db.close();
    let wb: Workbench | undefined;
    try {
      wb = openWorkbench(ws);
      expect(wb.store.integrity.checking).toBe(true);
      // a write meanwhile is told why, in one line
      const call = (m: string, p: unknown): Promise<unknown> => dispatch(wb!.handlers, m, p);
      expect(() => wb!.store.datasets.getOrCreate('x')).toThrow('attempt to write a readonly database');
      await expect(call('jobs.cancel', { id: queued })).rejects.toThrow(
        `the workspace ${ws} is being checked for damage and is read-only until the check passes (a large workspace is checked in the background when opened): try again in a few seconds`,
      );
      // an export waits for the check, then runs
      const r = (await call('export.problems', { dataset: 'd', out: join(tmp.dir, 'o.jsonl'), limit: 2 })) as { written: number };
      expect(r.written).toBe(2);
      expect(wb.store.integrity.checking).toBe(false);
      expect(wb.store.datasets.getOrCreate('x')).toBeGreaterThan(0);
      expect(((await call('jobs.cancel', { id: queued })) as { state: string }).state).toBe('cancelled');
    } finally {
      if (before === undefined) delete process.env.STEPLAB_OPEN_CHECK_MAX_BYTES;
      else process.env.STEPLAB_OPEN_CHECK_MAX_BYTES = before;
      await wb?.close();
    }
  });

  it('merge refuses a damaged source before anything is merged', async () => {
    const good = join(tmp.dir, 'good');
    cpSync(pristine, good, { recursive: true });
    const pages = leafPages(ws, 'problems');
    overwritePage(ws, pages[1]);
    const into = join(tmp.dir, 'merged');
    const r = await cli('merge', good, ws, '--into', into);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([`error: the workspace ${ws} is damaged: table problems (database disk image is malformed); nothing was merged. ${advice(ws)}`]);
    expect(existsSync(into)).toBe(false);
  });
});

describe('steplab check', () => {
  it('an intact workspace: every check ok, exit 0', async () => {
    const r = await cli('check', '--workspace', ws, '--full');
    expect(r.code).toBe(0);
    expect(r.out).toEqual(['steplab.db: ok (integrity_check)', 'foreign keys: ok', 'images: ok (3 files, SHA-256 of every file)', 'models: ok (1 folders)']);
    const j = JSON.parse((await cli('check', '--workspace', ws, '--json')).out[0]);
    expect(j).toMatchObject({ ok: true, full: false, database: { ok: true, check: 'quick_check', header: null, messages: [] }, images: { checked: 3, hashed: false } });
  });

  it('a damaged page, a missing image, an image that does not match its hash, a changed manifest', async () => {
    const db = new Database(join(ws, 'steplab.db'), { readonly: true });
    const imgs = db.prepare('SELECT hash, mime FROM images ORDER BY hash').all() as { hash: string; mime: string }[];
    const model = db.prepare('SELECT path FROM models').get() as { path: string };
    db.close();
    const file = (h: { hash: string }): string => join(ws, 'images', h.hash.slice(0, 2), `${h.hash}.png`);
    unlinkSync(file(imgs[0]));
    const bytes = readFileSync(file(imgs[1]));
    bytes[bytes.length - 1] ^= 0xff; // same size, other content: only --full sees it
    writeFileSync(file(imgs[1]), bytes);
    const manifest = JSON.parse(readFileSync(join(model.path, 'manifest.json'), 'utf8'));
    writeFileSync(join(model.path, 'manifest.json'), JSON.stringify({ ...manifest, contextLength: 1 }));
    const quick = await cli('check', '--workspace', ws);
    expect(quick.code).toBe(1);
    expect(quick.out).toEqual([
      'steplab.db: ok (quick_check)',
      'foreign keys: ok',
      `images: 1 missing, 0 not matching their hash, of 3`,
      `  missing ${imgs[0].hash}`,
      'model tiny-prm@1: ' + `${join(model.path, 'manifest.json')} differs from the manifest registered with the model`,
    ]);
    expect(quick.err).toEqual([`error: the workspace ${ws} is damaged (1 image files, 1 model folder problems)`]);
    const full = JSON.parse((await cli('check', '--workspace', ws, '--full', '--json')).out[0]);
    expect(full.images).toMatchObject({ ok: false, missing: [imgs[0].hash], mismatched: [imgs[1].hash], missingCount: 1, mismatchedCount: 1 });
    const pages = leafPages(ws, 'dataset_problems');
    overwritePage(ws, pages[0]);
    const dmg = await cli('check', '--workspace', ws);
    expect(dmg.out.slice(0, 2)).toEqual(['steplab.db: DAMAGED (quick_check)', '  table dataset_problems: database disk image is malformed']);
    expect(dmg.err).toEqual([`error: the workspace ${ws} is damaged (steplab.db, its foreign keys, 1 image files, 1 model folder problems); salvage what can be read with: steplab recover ${ws} --into <new folder>`]);
  });

  it('a zeroed header and a file cut short are reported, not thrown', async () => {
    zeroHeader(ws);
    const z = JSON.parse((await cli('check', '--workspace', ws, '--json')).out[0]);
    expect(z).toMatchObject({ ok: false, database: { ok: false, header: "steplab.db's header is zeroed (its first 100 bytes are all 0)", messages: ['file is not a database'] }, foreignKeys: null, images: null, models: null });
    rmSync(ws, { recursive: true });
    cpSync(pristine, ws, { recursive: true });
    truncateDb(ws, 0.3);
    const t = await cli('check', '--workspace', ws);
    expect(t.code).toBe(1);
    expect(t.out[0]).toBe('steplab.db: DAMAGED (quick_check)');
    expect(t.out[1]).toMatch(/^ {2}steplab\.db is cut short: \d+ bytes where its header says \d+ pages/);
  });
});
