// Switching workspaces through the API (workspace.open, workspace.recent) on the real headless host over its
// WebSocket, with real workspaces in temp folders: folders that are not workspaces are refused and the open
// workspace keeps working; create makes an empty one; every client is told; jobs of the workspace left
// behind stop as interrupted and resume when it is opened again; a call in flight finishes on the old one.
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ApiError, createApiProxy, type Api } from '../src-shared/api';
import type { ApiEvent } from '../src-shared/events';
import { dispatch } from '../src-main/core/dispatch';
import { registerModel } from '../src-main/core/models/registry';
import { openWorkbench, readRecentWorkspaces, resolveWorkspacePath, WorkbenchHolder, type Workbench } from '../src-main/core/workbench';
import { startHost, type Host } from '../src-main/server';
import { createAppStore } from '../src-renderer/store';
import { parseHash } from '../src-renderer/store/route';
import { createWebSocketTransport, type WebSocketTransport } from '../src-renderer/transport/ws';
import { tempDir } from './helpers/tmp';

const root = join(import.meta.dirname, '..');
const tmp = tempDir('steplab-wsopen-');
// the recent list goes to a temp config folder, never the developer's own
process.env.STEPLAB_CONFIG_DIR = join(tmp.dir, 'config');

const BrowserLikeWebSocket = WebSocket as unknown as typeof globalThis.WebSocket;
const transports: WebSocketTransport[] = [];
let wbA: Workbench;
let host: Host;
let api: Api;
let events: ApiEvent[];
const A = join(tmp.dir, 'a');
const B = join(tmp.dir, 'b');

function client(): { api: Api; events: ApiEvent[] } {
  const t = createWebSocketTransport(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`, { WebSocket: BrowserLikeWebSocket, connectTimeoutMs: 5_000 });
  transports.push(t);
  const seen: ApiEvent[] = [];
  t.subscribe((e) => seen.push(e));
  return { api: createApiProxy(t), events: seen };
}

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  const e = await p.then(
    () => {
      throw new Error('expected the call to be refused');
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ApiError);
  return e as ApiError;
}

/** The open workspace is still A and still answers with A's data. */
async function stillOnA(): Promise<void> {
  expect((await api['workspace.info']({})).path).toBe(A);
  expect((await api['datasets.list']({})).items.map((d) => d.name)).toEqual(['demo']);
  expect((await api['problems.list']({ dataset: 'demo', limit: 5 })).total).toBe(40);
}

beforeAll(async () => {
  const demo = readFileSync(join(root, 'models', 'demo-data', 'problems.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l && !JSON.parse(l).image)
    .slice(0, 40);
  writeFileSync(join(tmp.dir, 'demo.jsonl'), demo.join('\n') + '\n');
  wbA = openWorkbench(A, { create: true });
  const imp = await wbA.runner.wait(wbA.runner.submit('import', { path: join(tmp.dir, 'demo.jsonl'), dataset: 'demo', skipBad: false }).id);
  if (imp.state !== 'done') throw new Error(`setup import ${imp.state}: ${imp.error}`);
  await registerModel(wbA.store, join(root, 'models', 'tiny-policy'));
  host = await startHost({ workbench: wbA, rendererDir: join(tmp.dir, 'no-renderer') });
  ({ api, events } = client());
});

afterAll(async () => {
  for (const t of transports) t.close();
  await host?.close();
  await wbA?.close();
  tmp.cleanup();
});

describe('workspace.open refuses what is not a workspace, and the open one keeps working', () => {
  it('starts with an empty recent list', async () => {
    expect(await api['workspace.recent']({})).toEqual([]);
  });

  it('an empty folder: not a Steplab workspace, with what to do', async () => {
    const empty = join(tmp.dir, 'empty');
    mkdirSync(empty);
    const e = await refusal(api['workspace.open']({ path: empty }));
    expect(e.code).toBe('user_error');
    expect(e.message).toBe(`Cannot open ${empty}: it is not a Steplab workspace (no steplab.db). Create one here with "Create workspace", or pick another folder.`);
    await stillOnA();
  });

  it('a file, a folder that does not exist, and a relative path', async () => {
    const file = join(tmp.dir, 'demo.jsonl');
    expect((await refusal(api['workspace.open']({ path: file }))).message).toBe(`Cannot open ${file}: it is a file, not a folder. Pick the workspace folder (the one that holds steplab.db).`);
    const ghost = join(tmp.dir, 'ghost');
    expect((await refusal(api['workspace.open']({ path: ghost }))).message).toMatch(new RegExp(`^Cannot open ${ghost}: there is no such folder`));
    expect(existsSync(ghost)).toBe(false);
    expect((await refusal(api['workspace.open']({ path: 'work/ws' }))).message).toMatch(/^Cannot use "work\/ws": give the folder's full path .* or start it with ~\//);
    // ~ is the home folder
    expect(resolveWorkspacePath('~/steplab/ws')).toBe(join(homedir(), 'steplab', 'ws'));
    expect(resolveWorkspacePath(' ~ ')).toBe(homedir());
    await stillOnA();
  });

  it("another program's SQLite file named steplab.db is refused and left as it was", async () => {
    const other = join(tmp.dir, 'other-app');
    mkdirSync(other);
    const db = new Database(join(other, 'steplab.db'));
    db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me');");
    db.close();
    const e = await refusal(api['workspace.open']({ path: other }));
    expect(e.message).toBe(`Cannot open ${other}: its steplab.db is not a Steplab database (it may belong to another program, or be damaged). Pick another folder.`);
    const after = new Database(join(other, 'steplab.db'), { readonly: true });
    expect(after.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([{ name: 'notes' }]);
    expect(after.pragma('user_version', { simple: true })).toBe(0);
    after.close();
    expect(existsSync(join(other, 'images'))).toBe(false);
    await stillOnA();
  });

  it('a steplab.db that is not SQLite at all, and one written by a newer Steplab', async () => {
    const junk = join(tmp.dir, 'junk');
    mkdirSync(junk);
    writeFileSync(join(junk, 'steplab.db'), 'these are not the bytes of a database\n'.repeat(10));
    expect((await refusal(api['workspace.open']({ path: junk }))).message).toMatch(/its steplab\.db is not a Steplab database/);

    const newer = join(tmp.dir, 'newer');
    const wb = openWorkbench(newer, { create: true });
    const version = wb.store.schemaVersion;
    await wb.close();
    const db = new Database(join(newer, 'steplab.db'));
    db.pragma(`user_version = ${version + 5}`);
    db.close();
    expect((await refusal(api['workspace.open']({ path: newer }))).message).toBe(
      `Cannot open ${newer}: it was written by a newer Steplab (schema version ${version + 5}; this one reads up to ${version}). Open it with a newer Steplab, or pick another folder.`,
    );
    await stillOnA();
  });

  it('create is refused in a non-empty folder, on an existing workspace, and under a missing parent', async () => {
    const busy = join(tmp.dir, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'thesis.tex'), '\\documentclass{article}\n');
    expect((await refusal(api['workspace.open']({ path: busy, create: true }))).message).toBe(
      `Cannot create a workspace at ${busy}: the folder is not empty and is not a Steplab workspace. Pick a new or an empty folder.`,
    );
    expect(readFileSync(join(busy, 'thesis.tex'), 'utf8')).toBe('\\documentclass{article}\n');
    expect(existsSync(join(busy, 'steplab.db'))).toBe(false);
    expect((await refusal(api['workspace.open']({ path: A, create: true }))).message).toBe(`Cannot create a workspace at ${A}: it already is a Steplab workspace. Open it with "Open".`);
    const deep = join(tmp.dir, 'nope', 'ws');
    expect((await refusal(api['workspace.open']({ path: deep, create: true }))).message).toMatch(/its parent folder .*nope does not exist/);
    await stillOnA();
  });

  it('bad input is a bad_request naming the field', async () => {
    expect(await refusal(api['workspace.open']({ path: '' }))).toMatchObject({ code: 'bad_request', path: 'params.path' });
    expect(await refusal(api['workspace.open']({ path: A, extra: 1 } as never))).toMatchObject({ code: 'bad_request' });
    expect(await refusal(api['workspace.open']({ path: A, create: 'yes' } as never))).toMatchObject({ code: 'bad_request', path: 'params.create' });
    expect(await refusal(api['workspace.recent']({ all: true } as never))).toMatchObject({ code: 'bad_request' });
    // opening the workspace that is open changes nothing and tells nobody
    expect((await api['workspace.open']({ path: A })).path).toBe(A);
    expect(events.filter((e) => e.type === 'workspace')).toEqual([]);
    await stillOnA();
  });

  it('a workbench opened on its own (the CLI) cannot switch, and says so', async () => {
    const solo = openWorkbench(join(tmp.dir, 'solo'), { create: true });
    try {
      await expect(dispatch(solo.handlers, 'workspace.open', { path: A })).rejects.toThrow(/serves one workspace and cannot switch/);
    } finally {
      await solo.close();
    }
  });
});

describe('switching', () => {
  it('create makes an empty workspace, every client is told, and the recent list has both', async () => {
    const other = client();
    await other.api['workspace.info']({});
    const info = await api['workspace.open']({ path: B, create: true });
    expect(info).toMatchObject({ path: B, datasets: 0, problems: 0 });
    expect(existsSync(join(B, 'steplab.db'))).toBe(true);
    expect((await api['datasets.list']({})).items).toEqual([]);
    expect((await other.api['workspace.info']({})).path).toBe(B);
    await expect.poll(() => other.events.filter((e) => e.type === 'workspace')).toEqual([{ type: 'workspace', path: B }]);
    // then the new workspace's jobs as they are (none), before any of its events
    await expect.poll(() => other.events.slice(other.events.findIndex((e) => e.type === 'workspace'))).toEqual([{ type: 'workspace', path: B }, { type: 'jobs', jobs: [] }]);
    const recent = await api['workspace.recent']({});
    expect(recent.map((r) => [r.path, r.exists])).toEqual([
      [B, true],
      [A, true],
    ]);
    expect(JSON.parse(readFileSync(join(tmp.dir, 'config', 'recent.json'), 'utf8')).workspaces.map((w: { path: string }) => w.path)).toEqual([B, A]);
  });

  it('opening by path brings the old workspace back with its data', async () => {
    await api['workspace.open']({ path: A });
    await stillOnA();
    expect((await api['workspace.recent']({})).map((r) => r.path)).toEqual([A, B]);
  });

  it("a running job of the workspace left behind stops as interrupted and resumes when it is opened again", async () => {
    const job = await api['jobs.start']({
      kind: 'search',
      config: { dataset: 'demo', model: 'tiny-policy', algo: 'omega', seed: 7, config: { maxSearchCount: 200, rolloutBudget: 4000, rolloutsPerState: 32, lengthScale: 50 } },
    });
    await expect.poll(async () => (await api['jobs.get']({ id: job.id })).state, { timeout: 30_000 }).toBe('running');
    await api['workspace.open']({ path: B });
    // A is closed: read its job straight from its database
    const db = new Database(join(A, 'steplab.db'), { readonly: true });
    const row = db.prepare('SELECT state, attempts, owner_pid FROM jobs WHERE id = ?').get(job.id) as { state: string; attempts: number; owner_pid: number | null };
    db.close();
    expect(row).toEqual({ state: 'interrupted', attempts: 1, owner_pid: null });
    // B never sees A's job
    expect((await api['jobs.list']({})).map((j) => j.id)).not.toContain(job.id);

    await api['workspace.open']({ path: A });
    await expect.poll(async () => (await api['jobs.get']({ id: job.id })).attempts, { timeout: 30_000 }).toBe(2);
    expect((await api['jobs.get']({ id: job.id })).state).toBe('running');
    await api['jobs.cancel']({ id: job.id });
    await expect.poll(async () => (await api['jobs.get']({ id: job.id })).state, { timeout: 60_000 }).toBe('cancelled');
  });

  it('a workspace that was deleted stays in the recent list, marked missing, and cannot be opened', async () => {
    const gone = join(tmp.dir, 'gone');
    await api['workspace.open']({ path: gone, create: true });
    await api['workspace.open']({ path: A });
    rmSync(gone, { recursive: true, force: true });
    const recent = await api['workspace.recent']({});
    expect(recent.find((r) => r.path === gone)).toMatchObject({ exists: false });
    expect(recent.find((r) => r.path === A)).toMatchObject({ exists: true });
    expect((await refusal(api['workspace.open']({ path: gone }))).message).toMatch(/there is no such folder/);
    await stillOnA();
  });

  it('an unreadable recent list is set aside, not lost, and a new one is started', async () => {
    const file = join(tmp.dir, 'config', 'recent.json');
    writeFileSync(file, '{ this is not json');
    expect(await api['workspace.recent']({})).toEqual([]);
    await api['workspace.open']({ path: B });
    await api['workspace.open']({ path: A });
    expect(readFileSync(`${file}.bad`, 'utf8')).toBe('{ this is not json');
    expect(readRecentWorkspaces().map((r) => r.path)).toEqual([A, B]);
  });
});

describe('WorkbenchHolder', () => {
  it('lets a call in flight finish on the old workspace before closing it', async () => {
    const dir = tempDir('steplab-holder-');
    try {
      const first = openWorkbench(join(dir.dir, 'one'), { create: true });
      const imp = await first.runner.wait(first.runner.submit('import', { path: join(tmp.dir, 'demo.jsonl'), dataset: 'demo', skipBad: false }).id);
      expect(imp.state).toBe('done');
      const holder = new WorkbenchHolder(first, { ownsInitial: true });
      const out = join(dir.dir, 'export.jsonl');
      // the export awaits file writes, so the switch starts while it runs
      const exported = holder.call('export.problems', { dataset: 'demo', out, format: 'jsonl' });
      const switched = holder.open({ path: join(dir.dir, 'two'), create: true });
      expect(await exported).toMatchObject({ written: 40 });
      expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(40);
      expect((await switched).path).toBe(join(dir.dir, 'two'));
      expect(((await holder.call('datasets.list', {})) as { items: unknown[] }).items).toEqual([]);
      await holder.close();
      // both are closed now: the second by the holder, the first by the switch
      expect(() => holder.current.store.datasets.list()).toThrow(/not open/);
      expect(() => first.store.datasets.list()).toThrow(/not open/);
    } finally {
      dir.cleanup();
    }
  });
});

describe('the renderer store (workspace slice) over the real host', () => {
  it('shows a refusal as the core wrote it, keeps the workspace, and switches on success', async () => {
    const store = createAppStore(api, parseHash('#/datasets'));
    await store.getState().loadWorkspace();
    expect(store.getState().workspace?.path).toBe(A);

    expect(await store.getState().openWorkspace('   ', false)).toBeNull();
    expect(store.getState().pickerError).toBe('Type the full path of a workspace folder first.');

    const empty = join(tmp.dir, 'store-empty');
    mkdirSync(empty);
    expect(await store.getState().openWorkspace(empty, false)).toBeNull();
    expect(store.getState()).toMatchObject({
      pickerBusy: false,
      pickerError: `Cannot open ${empty}: it is not a Steplab workspace (no steplab.db). Create one here with "Create workspace", or pick another folder.`,
      workspace: { path: A },
    });
    // the recent list was reloaded after the refusal
    await expect.poll(() => store.getState().recentWorkspaces?.map((r) => r.path)).toContain(B);
    expect(await store.getState().openWorkspace('relative/dir', true)).toBeNull();
    expect(store.getState().pickerError).toMatch(/^Cannot use "relative\/dir": give the folder's full path/);

    const info = await store.getState().openWorkspace(empty, true);
    expect(info).toMatchObject({ path: empty, datasets: 0 });
    expect(store.getState()).toMatchObject({ pickerError: null, pickerBusy: false, workspace: { path: empty } });
    await store.getState().openWorkspace(A, false);
    expect(store.getState().workspace?.path).toBe(A);
    await stillOnA();
  });
});
