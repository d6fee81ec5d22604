// Opens a workspace folder: steplab.db (SQLite, WAL, foreign keys) plus the images/ store.
// Migrations are the numbered .sql files beside this module, applied in order inside one transaction each.
import Database from 'better-sqlite3';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stepKind } from '../../../src-shared/stepKind';
import { UserError } from '../errors';
import { DamagedWorkspaceError, WorkspaceIntegrity, headerDamage } from './integrity';

export type DB = Database.Database;

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
export const DB_FILE = 'steplab.db';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_.+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f, sql: readFileSync(join(dir, f), 'utf8') }));
}

export function latestSchemaVersion(migrations = loadMigrations()): number {
  return migrations.reduce((m, x) => Math.max(m, x.version), 0);
}

/**
 * The SQL functions Steplab's schema and queries use, registered on a connection: steplab_step_kind(text),
 * the kind of a tree node's last step ('answer' | 'reasoning', src-shared/stepKind.ts), which the
 * disagreement queue stores with each node score.
 */
export function registerFunctions(db: DB): void {
  db.function('steplab_step_kind', { deterministic: true }, (text: unknown) => stepKind(String(text ?? '')));
}

/** Applies pending migrations; refuses a database written by a newer schema. Returns the version now in force. */
export function migrate(db: DB, migrations = loadMigrations(), label = 'workspace'): number {
  registerFunctions(db);
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = latestSchemaVersion(migrations);
  if (current > latest) {
    throw new UserError(
      `${label} uses schema version ${current}, but this Steplab knows versions up to ${latest}: open it with a newer Steplab`,
    );
  }
  if (current === 0) {
    // schema version 0 with tables in it: a SQLite file of another program, which migrating would alter
    const tables = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n;
    if (tables > 0) throw new UserError(`${label}: its ${DB_FILE} is not a Steplab database (it has ${tables} tables and no Steplab schema version); it was left as it was`);
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return Math.max(current, latest);
}

export interface OpenOptions {
  readonly?: boolean;
  /** how long a write waits for another connection's transaction (default 10 s; job workers wait longer) */
  busyTimeoutMs?: number;
}

export function openDatabase(file: string, opts: OpenOptions = {}): DB {
  const db = new Database(file, { readonly: opts.readonly ?? false });
  if (!opts.readonly) db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = NORMAL');
  db.pragma(`busy_timeout = ${Math.round(opts.busyTimeoutMs ?? 10_000)}`);
  registerFunctions(db);
  return db;
}

export interface WorkspacePaths {
  dir: string;
  dbFile: string;
  imagesDir: string;
  modelsDir: string;
}

export function workspacePaths(dir: string): WorkspacePaths {
  const abs = resolve(dir);
  return { dir: abs, dbFile: join(abs, DB_FILE), imagesDir: join(abs, 'images'), modelsDir: join(abs, 'models') };
}

/**
 * Opens (and with create, makes) a workspace; checks it for damage (see integrity.ts; `check: false` for a
 * job worker's second connection to a workspace its host has checked); applies migrations.
 */
export function openWorkspaceDb(
  dir: string,
  opts: { create?: boolean; busyTimeoutMs?: number; check?: boolean } = {},
): { db: DB; paths: WorkspacePaths; schemaVersion: number; integrity: WorkspaceIntegrity } {
  const paths = workspacePaths(dir);
  if (existsSync(paths.dir) && !statSync(paths.dir).isDirectory()) {
    throw new UserError(`${paths.dir} is a file, not a workspace folder: give the folder that holds steplab.db${opts.create ? ', or a new folder to create one in' : ''}`);
  }
  if (!existsSync(paths.dbFile)) {
    if (!opts.create) {
      throw new UserError(`${paths.dir} is not a Steplab workspace (no ${DB_FILE}); create one with: steplab init ${dir}`);
    }
    mkdirSync(paths.dir, { recursive: true });
  }
  const existed = existsSync(paths.dbFile);
  const check = existed && opts.check !== false;
  if (check) {
    const header = headerDamage(paths.dbFile);
    if (header) throw new DamagedWorkspaceError(paths.dir, header);
  }
  const db = openDatabase(paths.dbFile, { busyTimeoutMs: opts.busyTimeoutMs });
  try {
    const integrity = new WorkspaceIntegrity(db, paths.dir, paths.dbFile);
    // a migration writes: a workspace about to be migrated is checked in full first, whatever its size
    const pending = (db.pragma('user_version', { simple: true }) as number) < latestSchemaVersion();
    if (check && (pending || integrity.fitsOpenCheck())) integrity.checkAllNow();
    const schemaVersion = migrate(db, loadMigrations(), paths.dir);
    if (check && !pending && !integrity.fitsOpenCheck()) integrity.startBackground();
    mkdirSync(paths.imagesDir, { recursive: true });
    return { db, paths, schemaVersion, integrity };
  } catch (e) {
    db.close();
    throw e;
  }
}

export const nowIso = (): string => new Date().toISOString();

const statementCache = new WeakMap<DB, Map<string, Database.Statement>>();

/** A prepared statement, prepared once per connection: preparing costs more than running a small insert. */
export function prep(db: DB, sql: string): Database.Statement {
  let m = statementCache.get(db);
  if (!m) {
    m = new Map();
    statementCache.set(db, m);
  }
  let s = m.get(sql);
  if (!s) {
    s = db.prepare(sql);
    m.set(sql, s);
  }
  return s;
}

/** Writes a consistent copy of the database to `file` (VACUUM INTO: a snapshot read through SQLite, also of a read-only handle). */
export function copyDatabaseInto(db: DB, file: string): void {
  db.exec(`VACUUM INTO '${file.replace(/'/g, "''")}'`);
}

const SQLITE_HEADER = 'SQLite format 3\0';

/** Whether a file starts with SQLite's header (a cheap check before opening it). */
export function isSqliteFile(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(SQLITE_HEADER.length);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('latin1') === SQLITE_HEADER;
  } finally {
    closeSync(fd);
  }
}

/** A database's schema version and table names, read without writing anything (throws what SQLite says). */
export function probeDatabase(file: string): { version: number; tables: Set<string> } {
  const db = openDatabase(file, { readonly: true });
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    return { version, tables };
  } finally {
    db.close();
  }
}
