// One open workspace: store, job runner and the API handlers over them. Hosts (CLI, HTTP, Electron) hold one,
// through a WorkbenchHolder when they can switch workspaces (workspace.open): the holder checks a folder
// before opening it, swaps the open workbench safely, and keeps the list of recently opened workspaces.
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { ApiHandlers, Output } from '../../src-shared/api';
import type { ApiEvent } from '../../src-shared/events';
import { checkedEvents, jobsSnapshot } from './events';
import { createApiHandlers } from './api';
import { configDir } from './configDir';
import { dispatch } from './dispatch';
import { UserError } from './errors';
import { JobRunner, type RunnerOptions } from './jobs/runner';
import { Store } from './store';
import { DB_FILE, isSqliteFile, latestSchemaVersion, probeDatabase } from './store/db';

export interface Workbench {
  store: Store;
  runner: JobRunner;
  handlers: ApiHandlers;
  close(): Promise<void>;
}

export type WorkspaceInfo = Output<'workspace.info'>;
export type RecentWorkspace = Output<'workspace.recent'>[number];

/** What the API's workspace.open and workspace.recent run on: the host's holder, or a fixed workspace. */
export interface WorkspaceControl {
  open(input: { path: string; create: boolean }): Promise<WorkspaceInfo>;
  recent(): RecentWorkspace[];
}

export function openWorkbench(dir: string, opts: { create?: boolean } & RunnerOptions = {}): Workbench {
  const store = Store.open(dir, { create: opts.create });
  const runner = new JobRunner(store, { concurrency: opts.concurrency, crashAfterCommits: opts.crashAfterCommits });
  return {
    store,
    runner,
    handlers: createApiHandlers(store, runner),
    async close() {
      await runner.close();
      store.close();
    },
  };
}

// ---- checking a folder before opening it ----

/** The tables every Steplab workspace has from its first schema version on. */
const STEPLAB_TABLES = ['problems', 'datasets', 'jobs'];

/** An absolute path for a folder typed by a person: ~ is the home folder; other relative paths are refused. */
export function resolveWorkspacePath(raw: string): string {
  const path = raw.trim();
  if (path === '~') return homedir();
  if (path.startsWith('~/') || path.startsWith('~\\')) return resolve(homedir(), path.slice(2));
  if (!isAbsolute(path)) {
    throw new UserError(`Cannot use "${raw}": give the folder's full path (for example ${join(homedir(), 'steplab-workspace')}), or start it with ~/ for your home folder`);
  }
  return resolve(path);
}

/** Throws a message a person can act on unless `dir` (absolute) holds a Steplab workspace this version can open. */
export function checkWorkspaceFolder(dir: string): void {
  const cannot = (why: string): never => {
    throw new UserError(`Cannot open ${dir}: ${why}`);
  };
  if (!existsSync(dir)) cannot('there is no such folder. Check the path, or use "Create workspace" to make a new workspace there.');
  if (!statSync(dir).isDirectory()) cannot('it is a file, not a folder. Pick the workspace folder (the one that holds steplab.db).');
  const dbFile = join(dir, DB_FILE);
  if (!existsSync(dbFile)) cannot(`it is not a Steplab workspace (no ${DB_FILE}). Create one here with "Create workspace", or pick another folder.`);
  if (!statSync(dbFile).isFile()) cannot(`its ${DB_FILE} is not a file, so it is not a Steplab workspace. Pick another folder.`);
  const notSteplab = `its ${DB_FILE} is not a Steplab database (it may belong to another program, or be damaged). Pick another folder.`;
  if (!isSqliteFile(dbFile)) cannot(notSteplab);
  let version: number;
  let tables: Set<string>;
  try {
    ({ version, tables } = probeDatabase(dbFile));
  } catch (e) {
    return cannot(`its ${DB_FILE} cannot be read (${(e as Error).message}). Pick another folder.`);
  }
  const latest = latestSchemaVersion();
  if (version > latest) cannot(`it was written by a newer Steplab (schema version ${version}; this one reads up to ${latest}). Open it with a newer Steplab, or pick another folder.`);
  if (version < 1 || !STEPLAB_TABLES.every((t) => tables.has(t))) cannot(notSteplab);
}

/** Throws unless a new workspace may be made at `dir` (absolute): a new folder in an existing one, or an empty folder. */
export function checkNewWorkspaceFolder(dir: string): void {
  const cannot = (why: string): never => {
    throw new UserError(`Cannot create a workspace at ${dir}: ${why}`);
  };
  if (!existsSync(dir)) {
    if (!existsSync(dirname(dir)) || !statSync(dirname(dir)).isDirectory()) cannot(`its parent folder ${dirname(dir)} does not exist. Check the path.`);
    return;
  }
  if (!statSync(dir).isDirectory()) cannot('it is a file. Pick a new or an empty folder.');
  if (existsSync(join(dir, DB_FILE))) cannot('it already is a Steplab workspace. Open it with "Open".');
  if (readdirSync(dir).length > 0) cannot('the folder is not empty and is not a Steplab workspace. Pick a new or an empty folder.');
}

// ---- the recent list: a small JSON file in the user's config folder ----

const RECENT_FILE = 'recent.json';
const RECENT_MAX = 12;

export { configDir };

interface RecentEntry {
  path: string;
  openedAt: string;
}

function readRecentEntries(file: string): RecentEntry[] | 'unreadable' {
  if (!existsSync(file)) return [];
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as { workspaces?: unknown };
    if (!Array.isArray(raw.workspaces)) return 'unreadable';
    return raw.workspaces.filter(
      (w): w is RecentEntry => typeof w === 'object' && w !== null && typeof w.path === 'string' && isAbsolute(w.path) && typeof w.openedAt === 'string',
    );
  } catch {
    return 'unreadable';
  }
}

/** The recent list, newest first; a workspace that was moved or deleted is kept, marked as missing. */
export function readRecentWorkspaces(dir = configDir()): RecentWorkspace[] {
  const entries = readRecentEntries(join(dir, RECENT_FILE));
  return (entries === 'unreadable' ? [] : entries).map((e) => ({ ...e, exists: existsSync(join(e.path, DB_FILE)) }));
}

/** Puts a workspace at the top of the recent list. An unreadable list is kept beside the new one as recent.json.bad. */
export function rememberWorkspace(path: string, dir = configDir()): void {
  const file = join(dir, RECENT_FILE);
  mkdirSync(dir, { recursive: true });
  const entries = readRecentEntries(file);
  if (entries === 'unreadable') renameSync(file, `${file}.bad`);
  const kept = (entries === 'unreadable' ? [] : entries).filter((e) => e.path !== path);
  const next = [{ path, openedAt: new Date().toISOString() }, ...kept].slice(0, RECENT_MAX);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ version: 1, workspaces: next }, null, 2) + '\n');
  renameSync(tmp, file);
}

// ---- the holder: one open workbench at a time, swapped safely ----

export interface HolderOptions {
  concurrency?: number;
  /** close the first workbench when the holder closes (default false: its opener closes it) */
  ownsInitial?: boolean;
  /** told when the recent list cannot be written (the switch itself goes on) */
  onError?: (error: unknown) => void;
}

/** Methods that never touch the open workspace's store: they are not counted as calls in flight on it. */
const HOLDER_METHODS = new Set(['workspace.open', 'workspace.recent', 'workspace.merge', 'workspace.check', 'workspace.recover']);

/**
 * Holds the workbench a host serves and switches it. A switch opens the new workspace first (a folder
 * that is not a workspace leaves the current one untouched), sends new calls to it and resumes its jobs,
 * lets the calls in flight on the old one finish, then closes the old one: its running jobs stop as
 * "interrupted" and resume from their checkpoints when that workspace is next opened.
 */
export class WorkbenchHolder implements WorkspaceControl {
  private wb: Workbench;
  private handlers: ApiHandlers;
  private readonly owned = new Set<Workbench>();
  private readonly inFlight = new Map<Workbench, { calls: number; idle: (() => void)[] }>();
  /** subscribers, each behind its contract check */
  private readonly listeners = new Set<(raw: unknown) => void>();
  private unsubscribeRunner: () => void;
  private switching: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;

  constructor(
    initial: Workbench,
    private readonly opts: HolderOptions = {},
  ) {
    this.wb = initial;
    if (opts.ownsInitial) this.owned.add(initial);
    this.handlers = createApiHandlers(initial.store, initial.runner, this);
    this.unsubscribeRunner = this.forwardJobs(initial);
  }

  /** Opens (or with create, makes) a workspace and holds it. */
  static open(dir: string, opts: Omit<HolderOptions, 'ownsInitial'> & { create?: boolean } = {}): WorkbenchHolder {
    return new WorkbenchHolder(openWorkbench(dir, { create: opts.create, concurrency: opts.concurrency }), { ...opts, ownsInitial: true });
  }

  get current(): Workbench {
    return this.wb;
  }

  /** Runs one API call on the workbench open now; the call finishes there even if a switch starts meanwhile. */
  async call(method: string, params: unknown): Promise<unknown> {
    if (this.closing) throw new UserError(`${method}: Steplab is shutting down`);
    const wb = this.wb;
    const handlers = this.handlers;
    if (HOLDER_METHODS.has(method)) return dispatch(handlers, method, params);
    const count = this.inFlight.get(wb) ?? { calls: 0, idle: [] };
    this.inFlight.set(wb, count);
    count.calls++;
    try {
      return await dispatch(handlers, method, params);
    } finally {
      if (--count.calls === 0) {
        this.inFlight.delete(wb);
        for (const resolveIdle of count.idle) resolveIdle();
      }
    }
  }

  /**
   * The events a client is told: the open workspace's jobs as they are now, then its job events; after a
   * switch, the new workspace's path and its jobs as they are then. Each is checked against the contract; one
   * that does not match is refused and reported through onError.
   */
  subscribe(listener: (event: ApiEvent) => void): () => void {
    const pass = checkedEvents(listener, (why) => this.opts.onError?.(new Error(why)));
    pass(jobsSnapshot(this.wb.store));
    this.listeners.add(pass);
    return () => this.listeners.delete(pass);
  }

  open(input: { path: string; create: boolean }): Promise<WorkspaceInfo> {
    const run = this.switching.then(() => this.switchTo(input.path, input.create));
    this.switching = run.catch(() => {});
    return run;
  }

  recent(): RecentWorkspace[] {
    return readRecentWorkspaces();
  }

  /** Closes the workbench open now if the holder opened it (or owns the first one). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.switching;
      this.unsubscribeRunner();
      await this.idle(this.wb);
      if (this.owned.has(this.wb)) await this.wb.close();
    })();
    return this.closing;
  }

  private async switchTo(raw: string, create: boolean): Promise<WorkspaceInfo> {
    if (this.closing) throw new UserError('Steplab is shutting down');
    const dir = resolveWorkspacePath(raw);
    if (create) checkNewWorkspaceFolder(dir);
    else {
      checkWorkspaceFolder(dir);
      if (realpathSync(dir) === realpathSync(this.wb.store.paths.dir)) return this.info();
    }
    let next: Workbench;
    try {
      next = openWorkbench(dir, { create, concurrency: this.opts.concurrency });
    } catch (e) {
      if (e instanceof UserError) throw new UserError(`Cannot ${create ? 'create a workspace at' : 'open'} ${dir}: ${e.message}`);
      throw e;
    }
    const prev = this.wb;
    this.unsubscribeRunner();
    this.wb = next;
    this.owned.add(next);
    this.handlers = createApiHandlers(next.store, next.runner, this);
    this.unsubscribeRunner = this.forwardJobs(next);
    next.runner.resumeAll();
    this.remember(prev.store.paths.dir);
    this.remember(next.store.paths.dir);
    await this.idle(prev);
    this.owned.delete(prev);
    try {
      await prev.close();
    } catch (e) {
      // the switch has happened: a failure to close the old workspace is reported, not thrown at the caller
      this.opts.onError?.(e);
    }
    for (const l of this.listeners) {
      l({ type: 'workspace', path: next.store.paths.dir });
      l(jobsSnapshot(next.store));
    }
    return this.info();
  }

  private info(): Promise<WorkspaceInfo> {
    return Promise.resolve(this.handlers['workspace.info']({}));
  }

  private forwardJobs(wb: Workbench): () => void {
    return wb.runner.onEvent((event) => {
      for (const l of this.listeners) l({ type: 'job', event });
    });
  }

  private idle(wb: Workbench): Promise<void> {
    const count = this.inFlight.get(wb);
    if (!count) return Promise.resolve();
    return new Promise((r) => count.idle.push(r));
  }

  private remember(path: string): void {
    try {
      rememberWorkspace(path);
    } catch (e) {
      this.opts.onError?.(e);
    }
  }
}
