// The workspaces a merge reads: checked before any work (exists, is a Steplab workspace, schema not newer
// than this Steplab's, not the target itself) and opened read-only. A source of an older schema is copied
// (VACUUM INTO, a consistent snapshot read through SQLite) to a temporary file and the copy migrated, so the
// source itself is never written.
import { existsSync, mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../errors';
import { DamagedWorkspaceError, describeDamage, headerDamage, runCheck } from '../store/integrity';
import { copyDatabaseInto, DB_FILE, isSqliteFile, latestSchemaVersion, loadMigrations, migrate, openDatabase, probeDatabase, type DB } from '../store/db';

/** tables every Steplab workspace has from its first schema version on */
const STEPLAB_TABLES = ['problems', 'datasets', 'jobs', 'searches', 'tree_nodes'];

export interface CheckedWorkspace {
  /** the path as given, for messages */
  given: string;
  /** absolute path */
  dir: string;
  /** the path with every symbolic link resolved */
  real: string;
  schemaVersion: number;
}

/** The real path of `dir`, also when it does not exist yet (its nearest existing parent resolved). */
export function realWorkspacePath(dir: string): string {
  let p = resolve(dir);
  const rest: string[] = [];
  while (!existsSync(p)) {
    const up = dirname(p);
    if (up === p) break;
    rest.unshift(basename(p));
    p = up;
  }
  return join(existsSync(p) ? realpathSync(p) : p, ...rest);
}

/** Throws a one-line UserError unless `given` is a Steplab workspace this Steplab can read. Reads only. */
export function checkWorkspace(given: string, role: 'source' | 'target'): CheckedWorkspace {
  const dir = resolve(given);
  const not = (why: string): never => {
    throw new UserError(`${role} ${given} is not a Steplab workspace (${why})`);
  };
  if (!existsSync(dir)) throw new UserError(`${role} ${given} does not exist`);
  if (!statSync(dir).isDirectory()) not('it is a file, not a folder');
  const dbFile = join(dir, DB_FILE);
  if (!existsSync(dbFile)) not(`no ${DB_FILE}`);
  if (!statSync(dbFile).isFile() || !isSqliteFile(dbFile)) not(`its ${DB_FILE} is not a SQLite database`);
  let version: number;
  let tables: Set<string>;
  try {
    ({ version, tables } = probeDatabase(dbFile));
  } catch (e) {
    return not(`its ${DB_FILE} cannot be read: ${(e as Error).message}`);
  }
  const latest = latestSchemaVersion();
  if (version > latest) {
    throw new UserError(`${role} ${given} uses schema version ${version}, but this Steplab knows versions up to ${latest}: merge with a newer Steplab`);
  }
  if (version < 1 || !STEPLAB_TABLES.every((t) => tables.has(t))) not(`its ${DB_FILE} has no Steplab schema`);
  return { given, dir, real: realWorkspacePath(dir), schemaVersion: version };
}

export interface OpenSource {
  ws: CheckedWorkspace;
  db: DB;
  /** the source was older and is read from a migrated temporary copy */
  migratedCopy: boolean;
  close(): void;
}

/** Refuses a damaged source (header, then quick_check of the whole file) before anything is merged. */
export function checkSourceIntegrity(ws: CheckedWorkspace): void {
  const file = join(ws.dir, DB_FILE);
  const header = headerDamage(file);
  if (header) throw new DamagedWorkspaceError(ws.dir, header, 'nothing was merged');
  const probe = openDatabase(file, { readonly: true });
  try {
    const messages = runCheck(probe, { max: 20 });
    if (messages.length) throw new DamagedWorkspaceError(ws.dir, describeDamage(probe, messages), 'nothing was merged');
  } finally {
    probe.close();
  }
}

/** Opens a checked source read-only (an older schema: a migrated temporary copy). */
export function openSource(ws: CheckedWorkspace): OpenSource {
  const file = join(ws.dir, DB_FILE);
  if (ws.schemaVersion === latestSchemaVersion()) {
    const db = openDatabase(file, { readonly: true });
    return { ws, db, migratedCopy: false, close: () => db.close() };
  }
  const tmp = mkdtempSync(join(tmpdir(), 'steplab-merge-'));
  const copy = join(tmp, DB_FILE);
  try {
    const ro = openDatabase(file, { readonly: true });
    try {
      copyDatabaseInto(ro, copy);
    } finally {
      ro.close();
    }
    const db = openDatabase(copy);
    migrate(db, loadMigrations(), ws.given);
    return {
      ws,
      db,
      migratedCopy: true,
      close: () => {
        db.close();
        rmSync(tmp, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
