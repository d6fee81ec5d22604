// Damage found before it costs data. When a workspace is opened: its header is read (SQLite's magic, a
// sane page size, a file no shorter than the header says) and, up to OPEN_CHECK_MAX_BYTES (an MM-PRM-scale
// workspace of 35 MB takes about 75 ms here), SQLite's quick_check runs over the whole file. A larger
// workspace gets the header check at once and quick_check in a background thread; until it passes, the
// workspace's own connection is read-only (PRAGMA query_only) and every export, merge and job start waits
// for it. Before every export, merge and job start the tables it reads are checked again (quick_check of
// those tables and their indexes), unless the whole file passed a moment ago. Damage is refused in one
// line that names what is damaged and what to do (steplab check, steplab recover).
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { damageAdvice, UserError } from '../errors';
import type { DB } from './db';

/** Databases up to this size (file + WAL) are quick_checked in full when opened (STEPLAB_OPEN_CHECK_MAX_BYTES overrides). */
export const OPEN_CHECK_MAX_BYTES = 64 * 1024 * 1024;
const openCheckMaxBytes = (): number => Number(process.env.STEPLAB_OPEN_CHECK_MAX_BYTES) || OPEN_CHECK_MAX_BYTES;
/** A full pass this recent makes the per-operation table check redundant. */
const RECENT_PASS_MS = 30_000;

/** A damaged workspace: refused in one line. */
export class DamagedWorkspaceError extends UserError {
  constructor(
    readonly workspace: string,
    readonly damage: string,
    doing?: string,
  ) {
    super(`the workspace ${workspace} is damaged: ${damage}${doing ? `; ${doing}` : ''}. ${damageAdvice(workspace)}`);
    this.name = 'DamagedWorkspaceError';
  }
}

const SQLITE_MAGIC = 'SQLite format 3\0';

/** What is wrong with a database file's header, or null. Reads 100 bytes and the file sizes. */
export function headerDamage(file: string): string | null {
  const size = statSync(file).size;
  if (size === 0) return 'steplab.db is empty (0 bytes)';
  if (size < 100) return `steplab.db is cut short (${size} bytes, less than SQLite's 100-byte header)`;
  const h = Buffer.alloc(100);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, h, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (h.subarray(0, 16).toString('latin1') !== SQLITE_MAGIC) {
    return h.every((b) => b === 0) ? "steplab.db's header is zeroed (its first 100 bytes are all 0)" : "steplab.db's header is not SQLite's (its first 16 bytes are not \"SQLite format 3\")";
  }
  const raw = h.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return `steplab.db's header is damaged (page size ${raw})`;
  const pages = h.readUInt32BE(28);
  const valid = h.readUInt32BE(92) === h.readUInt32BE(24);
  const wal = `${file}-wal`;
  const walBytes = existsSync(wal) ? statSync(wal).size : 0;
  // with frames in the WAL, the database's size is the WAL's to say; otherwise the header's
  if (valid && pages > 0 && walBytes === 0 && size < pages * pageSize) {
    return `steplab.db is cut short: ${size} bytes where its header says ${pages} pages of ${pageSize} bytes (${pages * pageSize} bytes); ${pages - Math.floor(size / pageSize)} pages are missing`;
  }
  if (size % pageSize !== 0 && walBytes === 0) return `steplab.db is cut short: ${size} bytes is not a whole number of ${pageSize}-byte pages`;
  return null;
}

/** Runs quick_check (or integrity_check) on the whole database or one table; returns its messages ([] when ok). */
export function runCheck(db: DB, opts: { table?: string; full?: boolean; max?: number } = {}): string[] {
  const pragma = opts.full ? 'integrity_check' : 'quick_check';
  const arg = opts.table !== undefined ? `("${opts.table.replace(/"/g, '""')}")` : opts.max ? `(${opts.max})` : '';
  try {
    const rows = db.prepare(`PRAGMA ${pragma}${arg}`).all() as Record<string, string>[];
    const msgs = rows.flatMap((r) => String(Object.values(r)[0]).split('\n'));
    return msgs.length === 1 && msgs[0] === 'ok' ? [] : readable(db, msgs.filter((m) => m !== 'ok' && !/^\*\*\* in database /.test(m)));
  } catch (e) {
    return [(e as Error).message];
  }
}

/** SQLite's "Tree 11 page 406: ..." with the b-tree named: "index sqlite_autoindex_dataset_problems_2 page 406: ...". */
function readable(db: DB, messages: string[]): string[] {
  let roots: Map<number, string>;
  try {
    roots = new Map((db.prepare("SELECT rootpage, type, name FROM sqlite_master WHERE rootpage > 0").all() as { rootpage: number; type: string; name: string }[]).map((r) => [r.rootpage, `${r.type} ${r.name}`]));
  } catch {
    return messages;
  }
  return messages.map((m) => m.replace(/^Tree (\d+) page/, (all, root: string) => (roots.has(Number(root)) ? `${roots.get(Number(root))} page` : all)));
}

/** The tables of the database (sqlite_schema readable) that fail their own check, with their first message. */
export function damagedTables(db: DB): { table: string; message: string }[] {
  let tables: string[];
  try {
    tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  } catch (e) {
    return [{ table: 'sqlite_schema', message: (e as Error).message }];
  }
  const out: { table: string; message: string }[] = [];
  for (const t of tables) {
    const m = runCheck(db, { table: t });
    if (m.length) out.push({ table: t, message: m[0] });
  }
  return out;
}

/** One line naming what is damaged: the tables when they can be told, else SQLite's first messages. */
export function describeDamage(db: DB, messages: string[]): string {
  const tables = damagedTables(db);
  if (tables.length) {
    const list = tables.slice(0, 4).map((t) => `table ${t.table} (${t.message})`).join(', ');
    return `${list}${tables.length > 4 ? ` and ${tables.length - 4} more tables` : ''}`;
  }
  return `${messages.slice(0, 2).join('; ')}${messages.length > 2 ? ` (and ${messages.length - 2} more problems)` : ''}`;
}

const PROBLEM_TABLES = ['datasets', 'dataset_problems', 'problems', 'problem_images', 'images'];
const LABEL_TABLES = ['models', 'solutions', 'steps', 'searches', 'tree_nodes', 'annotations', 'annotation_steps', 'curation_edits'];

/** The tables each export and each job kind reads, checked before it runs ('all': every table). */
export const READS: Record<string, readonly string[] | 'all'> = {
  'export.problems': PROBLEM_TABLES,
  'export.annotations': [...PROBLEM_TABLES, ...LABEL_TABLES, 'node_scores'],
  'export.trees': [...PROBLEM_TABLES, 'models', 'searches', 'tree_nodes', 'search_events', 'node_scores'],
  'cycles.exportTrainingSet': [...PROBLEM_TABLES, 'models', 'solutions', 'steps', 'cycle_runs', 'cycles', 'cycle_stages', 'cycle_examples'],
  'evaluations.export': [...PROBLEM_TABLES, 'models', 'solutions', 'steps', 'step_scores', 'evaluations', 'evaluation_items'],
  import: [...PROBLEM_TABLES, 'jobs', 'staging_problems', 'staging_images'],
  job: 'all',
};

type State = { kind: 'ok'; at: number } | { kind: 'pending'; done: Promise<void> } | { kind: 'damaged'; damage: string } | { kind: 'unchecked' };

const BACKGROUND_CHECK = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let messages;
try {
  const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
  try { messages = db.prepare('PRAGMA quick_check(20)').all().map((r) => String(Object.values(r)[0])); }
  finally { db.close(); }
} catch (e) { messages = [String(e && e.message || e)]; }
parentPort.postMessage(messages.length === 1 && messages[0] === 'ok' ? [] : messages);
`;

/** The integrity state of one open workspace and the checks that keep it. */
export class WorkspaceIntegrity {
  private state: State = { kind: 'unchecked' };
  private worker: Worker | null = null;

  constructor(
    private readonly db: DB,
    private readonly dir: string,
    private readonly file: string,
  ) {}

  /** Whether the open-time quick_check fits in the open (the file and its WAL up to OPEN_CHECK_MAX_BYTES). */
  fitsOpenCheck(): boolean {
    const wal = `${this.file}-wal`;
    return statSync(this.file).size + (existsSync(wal) ? statSync(wal).size : 0) <= openCheckMaxBytes();
  }

  /** quick_check in a background thread; the connection is read-only (query_only) until it passes. */
  startBackground(): void {
    this.db.pragma('query_only = ON');
    let settle!: () => void;
    const done = new Promise<void>((r) => (settle = r));
    this.state = { kind: 'pending', done };
    const worker = new Worker(BACKGROUND_CHECK, { eval: true, workerData: { file: this.file, driver: createRequire(import.meta.url).resolve('better-sqlite3') } });
    this.worker = worker;
    worker.unref();
    worker.once('message', (messages: string[]) => {
      this.worker = null;
      if (messages.length === 0) {
        this.state = { kind: 'ok', at: Date.now() };
        if (this.db.open) this.db.pragma('query_only = OFF');
      } else {
        this.state = { kind: 'damaged', damage: this.db.open ? describeDamage(this.db, messages) : messages[0] };
      }
      settle();
    });
    worker.once('error', (e) => {
      this.worker = null;
      this.state = { kind: 'damaged', damage: `the check could not run (${e.message})` };
      settle();
    });
  }

  /** Resolves once a background check has ended (at once when none runs). */
  settled(): Promise<void> {
    return this.state.kind === 'pending' ? this.state.done : Promise.resolve();
  }

  /** Whether the workspace is read-only until its background check passes. */
  get checking(): boolean {
    return this.state.kind === 'pending';
  }

  /** quick_check of the whole database now; throws DamagedWorkspaceError. */
  checkAllNow(): void {
    const messages = runCheck(this.db, { max: 20 });
    if (messages.length) {
      const damage = describeDamage(this.db, messages);
      this.state = { kind: 'damaged', damage };
      throw new DamagedWorkspaceError(this.dir, damage);
    }
    this.state = { kind: 'ok', at: Date.now() };
  }

  /**
   * Before an export, a merge or a job start: waits for a background check, then checks the tables the
   * operation reads (skipped when the whole file passed in the last few seconds). `doing` ends the refusal.
   */
  async require(tables: readonly string[] | 'all', doing: string): Promise<void> {
    if (this.state.kind === 'pending') await this.state.done;
    if (this.state.kind === 'damaged') throw new DamagedWorkspaceError(this.dir, this.state.damage, doing);
    if (this.state.kind === 'ok' && Date.now() - this.state.at < RECENT_PASS_MS) return;
    if (tables === 'all') {
      const messages = runCheck(this.db, { max: 20 });
      if (messages.length) throw new DamagedWorkspaceError(this.dir, describeDamage(this.db, messages), doing);
      this.state = { kind: 'ok', at: Date.now() };
      return;
    }
    const present = new Set((this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    for (const t of tables) {
      if (!present.has(t)) continue;
      const m = runCheck(this.db, { table: t });
      if (m.length) throw new DamagedWorkspaceError(this.dir, `table ${t} (${m[0]})`, doing);
    }
  }

  close(): void {
    void this.worker?.terminate();
    this.worker = null;
  }
}

