// `steplab check`: a workspace's files checked in full, without opening it as a workbench (a damaged one
// cannot be): steplab.db's header, SQLite's quick_check (--full: integrity_check, which also compares every
// index with its table), its foreign keys, the image store against the hashes the database holds (sizes;
// --full: SHA-256 of every file), and the registered model folders against their manifests.
// Its SQL stays here by design (test/boundaries.test.ts names it): it runs on a read-only handle of its own
// to a database that may be too damaged to open as a Store, never on a workspace's store.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Output } from '../../src-shared/api';
import { imagePath } from './data/images';
import { UserError } from './errors';
import { DB_FILE, openDatabase, workspacePaths, type DB } from './store/db';
import { damagedTables, headerDamage, runCheck } from './store/integrity';
import { modelLabel } from '../../src-shared/modelLabel';

export type CheckReport = Output<'workspace.check'>;

const LIST_MAX = 100;

function sha256File(file: string): Promise<string> {
  return new Promise((done, fail) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('error', fail)
      .on('end', () => done(h.digest('hex')));
  });
}

/** Keys sorted at every level, so two manifests compare by content. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

async function checkImages(db: DB, imagesDir: string, full: boolean): Promise<NonNullable<CheckReport['images']>> {
  const rows = db.prepare('SELECT hash, mime, bytes FROM images ORDER BY hash').all() as { hash: string; mime: string; bytes: number }[];
  const missing: string[] = [];
  const mismatched: string[] = [];
  let missingCount = 0;
  let mismatchedCount = 0;
  for (const r of rows) {
    const file = imagePath(imagesDir, r);
    if (!existsSync(file)) {
      missingCount++;
      if (missing.length < LIST_MAX) missing.push(r.hash);
      continue;
    }
    const size = statSync(file).size;
    const bad = size !== r.bytes || (full && (await sha256File(file)) !== r.hash);
    if (bad) {
      mismatchedCount++;
      if (mismatched.length < LIST_MAX) mismatched.push(r.hash);
    }
  }
  return { ok: missingCount === 0 && mismatchedCount === 0, checked: rows.length, hashed: full, missing, missingCount, mismatched, mismatchedCount };
}

function checkModels(db: DB): NonNullable<CheckReport['models']> {
  const rows = db.prepare('SELECT name, version, path, manifest, endpoint FROM models ORDER BY name, version').all() as { name: string; version: number; path: string; manifest: string; endpoint: string | null }[];
  const problems: { model: string; problem: string }[] = [];
  let checked = 0;
  for (const r of rows) {
    if (r.endpoint) continue; // served elsewhere: no folder here
    checked++;
    const model = modelLabel(r);
    const file = join(r.path, 'manifest.json');
    if (!existsSync(r.path)) {
      problems.push({ model, problem: `its folder ${r.path} is missing` });
      continue;
    }
    let onDisk: Record<string, unknown>;
    try {
      onDisk = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      problems.push({ model, problem: existsSync(file) ? `${file} is not valid JSON (${(e as Error).message})` : `${file} is missing` });
      continue;
    }
    const registered = JSON.parse(r.manifest) as Record<string, unknown>;
    if (canonical(onDisk) !== canonical(registered)) problems.push({ model, problem: `${file} differs from the manifest registered with the model` });
    const files = (registered.files ?? {}) as Record<string, unknown>;
    for (const [role, rel] of Object.entries(files)) {
      if (typeof rel !== 'string') continue;
      const p = join(r.path, rel);
      if (!existsSync(p) || statSync(p).size === 0) problems.push({ model, problem: `its ${role} file ${rel} is ${existsSync(p) ? 'empty' : 'missing'}` });
    }
  }
  return { ok: problems.length === 0, checked, problems };
}

/** Checks a workspace's files; never writes. */
export async function checkWorkspaceFiles(path: string, opts: { full: boolean }): Promise<CheckReport> {
  const t0 = performance.now();
  const paths = workspacePaths(path);
  if (!existsSync(paths.dir)) throw new UserError(`${paths.dir} does not exist`);
  if (!statSync(paths.dir).isDirectory()) throw new UserError(`${paths.dir} is a file, not a workspace folder: give the folder that holds steplab.db`);
  if (!existsSync(paths.dbFile)) throw new UserError(`${paths.dir} is not a Steplab workspace (no ${DB_FILE})`);
  const check = opts.full ? 'integrity_check' : 'quick_check';
  const report: CheckReport = {
    path: paths.dir,
    ok: false,
    full: opts.full,
    ms: 0,
    database: { ok: false, check, header: null, messages: [], damagedTables: [] },
    foreignKeys: null,
    images: null,
    models: null,
  };
  report.database.header = headerDamage(paths.dbFile);
  let db: DB | null = null;
  try {
    db = openDatabase(paths.dbFile, { readonly: true });
    report.database.messages = runCheck(db, { full: opts.full, max: LIST_MAX });
  } catch (e) {
    report.database.messages = [(e as Error).message];
  }
  if (db && report.database.messages.length) report.database.damagedTables = damagedTables(db);
  report.database.ok = report.database.header === null && report.database.messages.length === 0;
  if (db) {
    try {
      const v = db.prepare('PRAGMA foreign_key_check').all() as { table: string; parent: string }[];
      const by = new Map<string, { table: string; parent: string; rows: number }>();
      for (const x of v) {
        const k = `${x.table}\0${x.parent}`;
        const e = by.get(k) ?? { table: x.table, parent: x.parent, rows: 0 };
        e.rows++;
        by.set(k, e);
      }
      report.foreignKeys = { ok: v.length === 0, violations: v.length, byTable: [...by.values()] };
    } catch (e) {
      report.foreignKeys = { ok: false, violations: 0, byTable: [], error: (e as Error).message };
    }
    try {
      report.images = await checkImages(db, paths.imagesDir, opts.full);
    } catch (e) {
      report.images = { ok: false, checked: 0, hashed: opts.full, missing: [], missingCount: 0, mismatched: [], mismatchedCount: 0, error: (e as Error).message };
    }
    try {
      report.models = checkModels(db);
    } catch (e) {
      report.models = { ok: false, checked: 0, problems: [], error: (e as Error).message };
    }
    db.close();
  }
  report.ok = report.database.ok && Boolean(report.foreignKeys?.ok) && Boolean(report.images?.ok) && Boolean(report.models?.ok);
  report.ms = Math.round(performance.now() - t0);
  return report;
}

/** The report as lines for a person: one per check, then what is wrong. */
export function checkReportLines(r: CheckReport): string[] {
  const out: string[] = [];
  const db = r.database;
  if (db.ok) out.push(`steplab.db: ok (${db.check})`);
  else {
    out.push(`steplab.db: DAMAGED (${db.check})`);
    if (db.header) out.push(`  ${db.header}`);
    for (const t of db.damagedTables) out.push(`  table ${t.table}: ${t.message}`);
    if (!db.damagedTables.length) for (const m of db.messages.slice(0, 10)) out.push(`  ${m}`);
    if (db.messages.length > 10 && !db.damagedTables.length) out.push(`  ... ${db.messages.length - 10} more`);
  }
  const fk = r.foreignKeys;
  if (!fk) out.push('foreign keys: not checked (steplab.db cannot be read)');
  else if (fk.error) out.push(`foreign keys: cannot be checked (${fk.error})`);
  else if (fk.ok) out.push('foreign keys: ok');
  else {
    out.push(`foreign keys: ${fk.violations} rows point at rows that are not there`);
    for (const t of fk.byTable) out.push(`  ${t.table} -> ${t.parent}: ${t.rows} rows`);
  }
  const im = r.images;
  if (!im) out.push('images: not checked (steplab.db cannot be read)');
  else if (im.error) out.push(`images: cannot be checked (${im.error})`);
  else if (im.ok) out.push(`images: ok (${im.checked} files, ${im.hashed ? 'SHA-256 of every file' : 'sizes; --full hashes them'})`);
  else {
    out.push(`images: ${im.missingCount} missing, ${im.mismatchedCount} not matching their hash, of ${im.checked}`);
    for (const h of im.missing.slice(0, 10)) out.push(`  missing ${h}`);
    for (const h of im.mismatched.slice(0, 10)) out.push(`  does not match ${h}`);
  }
  const md = r.models;
  if (!md) out.push('models: not checked (steplab.db cannot be read)');
  else if (md.error) out.push(`models: cannot be checked (${md.error})`);
  else if (md.ok) out.push(`models: ok (${md.checked} folders)`);
  else for (const p of md.problems) out.push(`model ${p.model}: ${p.problem}`);
  return out;
}
