// `steplab recover W --into W2`: what can be read of a damaged workspace, salvaged into a new one, with a
// report of what was lost. The source is only read. steplab.db is salvaged page by page (store/salvage.ts);
// W2's schema is Steplab's own at the source's version (then migrated to this version's), its rows are
// the salvaged ones; a row that points at a row that was lost (a dataset member whose problem was lost)
// is dropped and counted; images are copied when their file matches its hash, model folders copied.
// Its SQL stays here by design (test/boundaries.test.ts names it): it runs on the salvaged scratch database
// and the new workspace's database while they are built, never on an open workspace's Store.
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Output } from '../../src-shared/api';
import { imagePath } from './data/images';
import { UserError } from './errors';
import { DB_FILE, latestSchemaVersion, loadMigrations, migrate, workspacePaths, type DB } from './store/db';
import { rebuildDerived } from './store/derived';
import { runCheck } from './store/integrity';
import { salvageDatabase, type Salvage, type Value } from './store/salvage';
import { checkNewWorkspaceFolder } from './workbench';

export type RecoverReport = Output<'workspace.recover'>;

interface Column {
  name: string;
  type: string;
  pk: number;
}

function columns(db: DB, table: string): Column[] {
  return db.prepare(`PRAGMA table_info("${table.replace(/"/g, '""')}")`).all() as Column[];
}

function isWithoutRowid(db: DB, table: string): boolean {
  const sql = (db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) as { sql: string } | undefined)?.sql ?? '';
  return /WITHOUT\s+ROWID\s*;?\s*$/i.test(sql.trim());
}

/** The schema version whose tables are exactly those salvaged (the header's version was lost with it). */
function inferVersion(s: Salvage): number {
  const have = new Set(s.schema.filter((e) => e.type === 'table').map((e) => e.name));
  if (have.size === 0) return latestSchemaVersion();
  const scratch = new Database(':memory:');
  try {
    let found = latestSchemaVersion();
    for (const m of loadMigrations()) {
      migrate(scratch, loadMigrations().filter((x) => x.version <= m.version));
      const tables = new Set((scratch.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
      if ([...tables].every((t) => have.has(t)) && [...have].every((t) => tables.has(t) || t.startsWith('sqlite_'))) found = m.version;
    }
    return found;
  } finally {
    scratch.close();
  }
}

/** Whether a decoded record fits a table's columns (count and storage classes). */
function fits(cols: Column[], ipk: number, fields: Value[]): boolean {
  if (fields.length > cols.length || fields.length === 0) return false;
  return fields.every((v, i) => {
    if (v === null) return true;
    const t = cols[i].type.toUpperCase();
    if (i === ipk) return false; // the rowid alias is stored as NULL
    if (t.includes('INT')) return typeof v === 'number' || typeof v === 'bigint';
    if (t.includes('TEXT') || t.includes('CHAR')) return typeof v === 'string';
    if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return typeof v === 'number';
    return true;
  });
}

function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Salvages `from` into a new workspace `into`; never writes to `from`. */
export function recoverWorkspace(from: string, into: string): RecoverReport {
  const src = workspacePaths(from);
  if (!existsSync(src.dir)) throw new UserError(`${src.dir} does not exist`);
  if (!existsSync(src.dbFile)) throw new UserError(`${src.dir} is not a Steplab workspace (no ${DB_FILE}): there is nothing to recover`);
  const dst = workspacePaths(into);
  if (dst.dir === src.dir) throw new UserError('recover: --into must be a new folder, not the damaged workspace itself');
  try {
    checkNewWorkspaceFolder(dst.dir);
  } catch (e) {
    throw new UserError(`recover: ${(e as Error).message.replace(/^Cannot create a workspace at /, 'cannot write the recovered workspace to ')}`);
  }
  const t0 = performance.now();
  const s = salvageDatabase(src.dbFile);
  const latest = latestSchemaVersion();
  const headerVersion = s.userVersion !== null && s.userVersion >= 1 && s.userVersion <= latest ? s.userVersion : null;
  if (s.userVersion !== null && s.userVersion > latest) throw new UserError(`${src.dir} uses schema version ${s.userVersion}; recover it with a newer Steplab`);
  const version = headerVersion ?? inferVersion(s);

  mkdirSync(dst.dir, { recursive: true });
  const db = new Database(dst.dbFile);
  db.pragma('journal_mode = WAL');
  migrate(db, loadMigrations().filter((m) => m.version <= version), dst.dir);
  db.pragma('foreign_keys = OFF');
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  const report: RecoverReport = {
    from: src.dir,
    into: dst.dir,
    schemaVersion: version,
    headerRebuilt: s.headerRebuilt,
    schemaSalvaged: s.schema.length > 0,
    pages: s.pages,
    badPages: s.badPages.length,
    walFrames: s.walFrames,
    tables: [],
    unattributedRows: 0,
    unattributedIndexPages: s.orphanIndexPages,
    unattributedFile: null,
    images: { copied: 0, missing: 0, mismatched: 0 },
    models: { copied: 0, missing: 0 },
    ms: 0,
  };

  // orphan leaves go to the one rowid table whose columns all their rows fit
  const layout = new Map(tables.map((t) => {
    const cols = columns(db, t);
    const pks = cols.filter((c) => c.pk > 0);
    const rowid = !isWithoutRowid(db, t);
    const ipk = rowid && pks.length === 1 && pks[0].type.toUpperCase() === 'INTEGER' ? cols.indexOf(pks[0]) : -1;
    return [t, { cols, rowid, ipk }] as const;
  }));
  const extra = new Map<string, { rowid: number | bigint; fields: Value[] }[]>();
  const unattributed: { page: number; rowid: number | bigint; fields: Value[] }[] = [];
  for (const leaf of s.orphanLeaves) {
    const candidates = tables.filter((t) => {
      const l = layout.get(t)!;
      return l.rowid && leaf.rows.every((r) => fits(l.cols, l.ipk, r.fields));
    });
    if (candidates.length === 1) {
      const list = extra.get(candidates[0]) ?? [];
      list.push(...leaf.rows);
      extra.set(candidates[0], list);
    } else for (const r of leaf.rows) unattributed.push({ page: leaf.page, ...r });
  }

  const insertRows = db.transaction((t: string, rows: { rowid: number | bigint | null; fields: Value[] }[]) => {
    const l = layout.get(t)!;
    let inserted = 0;
    let duplicates = 0;
    const stmts = new Map<number, Database.Statement>();
    for (const r of rows) {
      const n = Math.min(r.fields.length, l.cols.length);
      let names: string[];
      let values: Value[];
      if (l.rowid) {
        // a rowid table's record holds its columns in order; the INTEGER PRIMARY KEY is the rowid
        names = l.cols.slice(0, n).map((c) => c.name);
        values = r.fields.slice(0, n).map((v, i) => (i === l.ipk ? r.rowid : v));
        if (l.ipk < 0) {
          names = ['rowid', ...names];
          values = [r.rowid, ...values];
        }
      } else {
        // WITHOUT ROWID: the primary key columns first (in key order), then the others in table order
        const pk = l.cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
        const order = [...pk, ...l.cols.filter((c) => c.pk === 0)];
        names = order.slice(0, n).map((c) => c.name);
        values = r.fields.slice(0, n);
      }
      let stmt = stmts.get(names.length * 1000 + (l.rowid && l.ipk < 0 ? 1 : 0));
      if (!stmt) {
        stmt = db.prepare(`INSERT OR IGNORE INTO "${t}" (${names.map((x) => `"${x}"`).join(', ')}) VALUES (${names.map(() => '?').join(', ')})`);
        stmts.set(names.length * 1000 + (l.rowid && l.ipk < 0 ? 1 : 0), stmt);
      }
      try {
        if (stmt.run(...values).changes === 1) inserted++;
        else duplicates++;
      } catch {
        duplicates++; // a value that breaks a constraint (a damaged cell that still decoded)
      }
    }
    return { inserted, duplicates };
  });

  const counts = new Map<string, { recovered: number; duplicates: number; expected: number | null; complete: boolean }>();
  for (const t of tables) {
    const tree = s.tables.get(t);
    const rows = [...(tree?.rows ?? []), ...(extra.get(t) ?? [])];
    const { inserted, duplicates } = insertRows(t, rows);
    // how many rows there were: the table's own tree when it was read whole, else its best-read index
    const entry = s.schema.filter((e) => e.type === 'index' && e.table === t).map((e) => s.indexEntries.get(e.name)).filter((x): x is { entries: number; complete: boolean } => Boolean(x?.complete));
    const complete = Boolean(tree?.complete) && !extra.has(t);
    const expected = complete ? (tree?.rows.length ?? 0) : entry.length ? Math.max(...entry.map((x) => x.entries)) : null;
    counts.set(t, { recovered: inserted, duplicates, expected, complete });
  }

  // rows that point at rows that were lost go too (repeated: a dropped row may be another's parent)
  const dropped = new Map<string, number>();
  for (let round = 0; round < 10; round++) {
    const v = db.prepare('PRAGMA foreign_key_check').all() as { table: string; rowid: number | null; parent: string; fkid: number }[];
    if (v.length === 0) break;
    const groups = new Set(v.map((x) => `${x.table}\0${x.fkid}`));
    for (const g of groups) {
      const [table, fkid] = g.split('\0');
      const fk = (db.prepare(`PRAGMA foreign_key_list("${table}")`).all() as { id: number; table: string; from: string; to: string | null }[]).filter((f) => f.id === Number(fkid));
      if (!fk.length) continue;
      const parent = fk[0].table;
      const parentKey = fk.map((f) => f.to ?? 'rowid');
      const cond = fk.map((f, i) => `p."${parentKey[i]}" = c."${f.from}"`).join(' AND ');
      const notNull = fk.map((f) => `c."${f.from}" IS NOT NULL`).join(' AND ');
      const n = db.prepare(`DELETE FROM "${table}" AS c WHERE ${notNull} AND NOT EXISTS (SELECT 1 FROM "${parent}" AS p WHERE ${cond})`).run().changes;
      if (n) dropped.set(table, (dropped.get(table) ?? 0) + n);
    }
  }
  // jobs that were running in the damaged workspace resume as interrupted; their staging is gone with it
  if (tables.includes('jobs')) db.prepare("UPDATE jobs SET state = 'interrupted', owner_pid = NULL WHERE state = 'running'").run();

  for (const t of tables) {
    const c = counts.get(t)!;
    const orphans = dropped.get(t) ?? 0;
    const kept = c.recovered - orphans;
    if (c.complete && kept === 0 && orphans === 0 && c.duplicates === 0) continue;
    report.tables.push({
      table: t,
      rows: kept,
      complete: c.complete,
      expected: c.expected,
      lost: c.expected === null ? null : Math.max(0, c.expected - c.recovered),
      droppedOrphans: orphans,
      duplicates: c.duplicates,
    });
  }
  db.pragma('foreign_keys = ON');
  migrate(db, loadMigrations(), dst.dir);
  // the counts and columns the schema derives were copied as salvaged (or made by the triggers as rows came in, in table order): made again from the rows kept
  rebuildDerived(db);
  const problems = runCheck(db, { full: true, max: 20 });
  if (problems.length) throw new Error(`the recovered database fails integrity_check: ${problems[0]}`);

  if (unattributed.length) {
    const file = join(dst.dir, 'recovered-unattributed.jsonl');
    const enc = (v: Value): unknown => (Buffer.isBuffer(v) ? { base64: v.toString('base64') } : typeof v === 'bigint' ? v.toString() : v);
    writeFileSync(file, unattributed.map((u) => JSON.stringify({ page: u.page, rowid: enc(u.rowid), fields: u.fields.map(enc) })).join('\n') + '\n');
    report.unattributedRows = unattributed.length;
    report.unattributedFile = file;
  }

  // images: copied when the file is there and matches its hash
  mkdirSync(dst.imagesDir, { recursive: true });
  if (tables.includes('images')) {
    for (const img of db.prepare('SELECT hash, mime FROM images').all() as { hash: string; mime: string }[]) {
      const from = imagePath(src.imagesDir, img);
      if (!existsSync(from)) {
        report.images.missing++;
        continue;
      }
      if (sha256File(from) !== img.hash) {
        report.images.mismatched++;
        continue;
      }
      const to = imagePath(dst.imagesDir, img);
      mkdirSync(resolve(to, '..'), { recursive: true });
      copyFileSync(from, to);
      report.images.copied++;
    }
  }
  // model folders inside the workspace move with it
  if (tables.includes('models')) {
    const update = db.prepare('UPDATE models SET path = ? WHERE id = ?');
    for (const m of db.prepare('SELECT id, path, endpoint FROM models').all() as { id: number; path: string; endpoint: string | null }[]) {
      if (m.endpoint) continue;
      // a folder in the workspace's models/ (found there by its name also when the workspace was moved)
      const inside = m.path.startsWith(src.modelsDir + '/') ? m.path : join(src.modelsDir, basename(m.path));
      const from = existsSync(inside) ? inside : m.path;
      if (!existsSync(from)) {
        report.models.missing++;
        continue;
      }
      if (from !== inside) continue; // a folder outside the workspace stays where it is
      const to = join(dst.modelsDir, basename(from));
      cpSync(from, to, { recursive: true });
      update.run(to, m.id);
      report.models.copied++;
    }
  }
  db.close();
  report.ms = Math.round(performance.now() - t0);
  return report;
}

/** The report as lines for a person. */
export function recoverReportLines(r: RecoverReport): string[] {
  const out = [`recovered ${r.from} into ${r.into} (schema ${r.schemaVersion}; ${r.pages} pages read, ${r.badPages} unreadable${r.headerRebuilt ? ', the header rebuilt' : ''}${r.walFrames ? `, ${r.walFrames} pages from the WAL` : ''})`];
  if (!r.schemaSalvaged) out.push("  the list of tables (sqlite_schema) could not be read: rows were placed by matching their columns to Steplab's schema");
  const lost: string[] = [];
  for (const t of r.tables) {
    const parts = [`${t.rows} rows`];
    if (t.expected !== null && t.lost !== null && t.lost > 0) parts[0] = `${t.expected - t.lost} of ${t.expected} rows (${t.lost} lost)`;
    if (t.expected === null) parts.push('some of its pages could not be read and how many rows they held cannot be told');
    if (t.droppedOrphans) parts.push(`${t.droppedOrphans} dropped: they point at rows that were lost`);
    if (t.duplicates) parts.push(`${t.duplicates} unreadable or repeated`);
    if ((t.lost ?? 0) > 0 || t.droppedOrphans || t.expected === null || t.duplicates) out.push(`  ${t.table}: ${parts.join('; ')}`);
    if ((t.lost ?? 0) > 0) lost.push(`${t.lost} ${t.table}`);
    if (t.expected === null) lost.push(`an unknown number of ${t.table}`);
    if (t.droppedOrphans) lost.push(`${t.droppedOrphans} ${t.table} (dropped)`);
  }
  if (r.unattributedRows) out.push(`  ${r.unattributedRows} rows could not be placed in a table: kept in ${r.unattributedFile}`);
  if (r.unattributedIndexPages) out.push(`  ${r.unattributedIndexPages} index pages no tree reached were left out (indexes are rebuilt)`);
  out.push(`images: ${r.images.copied} copied${r.images.missing ? `, ${r.images.missing} missing` : ''}${r.images.mismatched ? `, ${r.images.mismatched} not matching their hash (left out)` : ''}; model folders: ${r.models.copied} copied${r.models.missing ? `, ${r.models.missing} missing` : ''}`);
  out.push(lost.length || r.images.missing || r.images.mismatched || r.unattributedRows ? `lost: ${[...lost, ...(r.images.missing + r.images.mismatched ? [`${r.images.missing + r.images.mismatched} image files`] : []), ...(r.unattributedRows ? [`${r.unattributedRows} unplaced rows`] : [])].join(', ')}` : 'nothing was lost');
  return out;
}
