// The Electron shell's logic in plain Node (Electron's binary cannot be downloaded here): the window's
// webPreferences, the CSP (and that the built renderer loads under it), which frames may call the core,
// navigation and new windows, the app scheme, and IPC calls validated exactly as the host validates them,
// against a real workspace. The preload runs in a vm context with a fake `electron` module, the one fake
// here, standing in for the Electron runtime that cannot exist on this machine.
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { createContext, runInContext } from 'node:vm';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../src-shared/api';
import type { ApiEvent } from '../src-shared/events';
import { dispatch } from '../src-main/core/dispatch';
import { openWorkbench, WorkbenchHolder, type Workbench } from '../src-main/core/workbench';
import {
  allowNavigation,
  allowPermission,
  APP_CSP,
  APP_URL,
  handleApiCall,
  imageUrl,
  IPC_CALL,
  IPC_EVENT,
  IPC_SUBSCRIBE,
  isTrustedSender,
  serveAppRequest,
  UNTRUSTED_SENDER_REPLY,
  windowOpenAction,
  windowOptions,
} from '../src-main/electron/shell';
import { contentSecurityPolicy, startHost, type Host } from '../src-main/server';
import { bridgeConnection, type SteplabBridge } from '../src-renderer/transport';
import { ensureRendererBuilt, rendererDir } from './e2e/setup';
import { tempDir } from './helpers/tmp';

const root = join(import.meta.dirname, '..');
const tmp = tempDir('steplab-electron-');
let wb: Workbench;
let holder: WorkbenchHolder;
let host: Host;
let imageHash: string;

beforeAll(async () => {
  ensureRendererBuilt();
  const png = await sharp({ create: { width: 12, height: 8, channels: 3, background: '#2f6fde' } }).png().toBuffer();
  writeFileSync(join(tmp.dir, 'fig.png'), png);
  const rows = [
    { id: 'p1', question: 'What is 1 + 1?', answer: '2' },
    { id: 'p2', question: 'What is shaded?', answer: '1/4', image: 'fig.png' },
  ];
  writeFileSync(join(tmp.dir, 'tiny.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  wb = openWorkbench(join(tmp.dir, 'ws'), { create: true });
  const job = await wb.runner.wait(wb.runner.submit('import', { path: join(tmp.dir, 'tiny.jsonl'), dataset: 'tiny', skipBad: false }).id);
  if (job.state !== 'done') throw new Error(`setup import ${job.state}: ${job.error}`);
  const listed = await dispatch(wb.handlers, 'problems.list', { dataset: 'tiny' }) as { items: { images: { hash: string }[] }[] };
  imageHash = listed.items[1].images[0].hash;
  holder = new WorkbenchHolder(wb);
  host = await startHost({ workbench: wb, rendererDir: join(tmp.dir, 'no-renderer') });
});

afterAll(async () => {
  await host?.close();
  await holder?.close();
  await wb?.close();
  tmp.cleanup();
});

/** A CSP as directive -> sources. */
function directives(csp: string): Map<string, string[]> {
  return new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...sources]) => [name, sources]));
}

function postApi(method: string, body: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = httpRequest(
      { host: '127.0.0.1', port: host.port, method: 'POST', path: `/api/${method}`, headers: { Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

describe('window', () => {
  it('is isolated and sandboxed, with no Node, no webview and the preload as its only bridge', () => {
    const opts = windowOptions('/app/src-main/electron/preload.cjs');
    expect(opts.webPreferences).toMatchObject({
      preload: '/app/src-main/electron/preload.cjs',
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
    });
    expect(allowPermission('media')).toBe(false);
    expect(allowPermission('notifications')).toBe(false);
  });
});

describe('content security policy', () => {
  it('runs only the app own scripts: no inline script, no eval; images from itself, data: and blob:; Monaco workers', () => {
    const d = directives(APP_CSP);
    expect(d.get('default-src')).toEqual(["'self'"]);
    expect(d.get('script-src')).toEqual(["'self'"]);
    expect(APP_CSP).not.toMatch(/unsafe-eval|wasm-unsafe-eval/);
    expect(d.get('img-src')).toEqual(["'self'", 'data:', 'blob:']);
    expect(d.get('worker-src')).toEqual(["'self'", 'blob:']);
    expect(d.get('connect-src')).toEqual(["'self'"]);
    expect(d.get('object-src')).toEqual(["'none'"]);
    expect(d.get('frame-ancestors')).toEqual(["'none'"]);
    expect(imageUrl(imageHash)).toBe(`steplab://app/images/${imageHash}`);
  });

  it('is the host policy, less the host WebSocket: one definition for both', () => {
    const app = directives(APP_CSP);
    const browser = directives(contentSecurityPolicy(4321));
    expect([...browser.keys()]).toEqual([...app.keys()]);
    for (const [name, sources] of app) {
      if (name === 'connect-src') expect(browser.get(name)).toEqual([...sources, 'ws://127.0.0.1:4321', 'ws://localhost:4321']);
      else expect(browser.get(name)).toEqual(sources);
    }
  });

  it('the built renderer loads under it: no inline script or handler, every asset from the app itself', () => {
    const html = readFileSync(join(rendererDir, 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(body.trim(), 'inline script').toBe('');
      expect(attrs).toMatch(/\bsrc="\.\/assets\/[^"]+\.js"/);
    }
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
    expect(html).not.toMatch(/<style\b/i);
    // every asset the page names is served on the app scheme, under the policy
    const assets = [...html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      const r = serveAppRequest(new URL(asset, APP_URL).href, { rendererDir, store: wb.store });
      expect(r.status, asset).toBe(200);
      expect(r.headers['Content-Security-Policy']).toBe(APP_CSP);
      expect(r.headers['Content-Type']).toMatch(/^(text\/javascript|text\/css)/);
    }
  });
});

describe('senders, navigation and new windows', () => {
  it('only the main frame of the app origin may call the core', () => {
    expect(isTrustedSender({ url: APP_URL, parent: null })).toBe(true);
    expect(isTrustedSender({ url: 'steplab://app/#/problems/demo', parent: null })).toBe(true);
    expect(isTrustedSender('steplab://app')).toBe(true);
    // a subframe of the app, other origins, file: pages, look-alike hosts
    expect(isTrustedSender({ url: APP_URL, parent: { url: APP_URL } })).toBe(false);
    expect(isTrustedSender({ url: 'https://example.com/', parent: null })).toBe(false);
    expect(isTrustedSender({ url: 'http://127.0.0.1:5173/', parent: null })).toBe(false);
    expect(isTrustedSender({ url: 'file:///home/user/evil.html', parent: null })).toBe(false);
    expect(isTrustedSender({ url: 'steplab://app.example.com/', parent: null })).toBe(false);
    expect(isTrustedSender({ url: 'steplab://images/', parent: null })).toBe(false);
    expect(isTrustedSender({ url: 'steplab://user@app/', parent: null })).toBe(false);
    expect(isTrustedSender({ url: 'not a url', parent: null })).toBe(false);
    expect(isTrustedSender(null)).toBe(false);
    expect(isTrustedSender(undefined)).toBe(false);
  });

  it('the window stays on the app; links open in the system browser, never in a new window', () => {
    expect(allowNavigation('steplab://app/#/jobs')).toBe(true);
    expect(allowNavigation('steplab://app/index.html')).toBe(true);
    expect(allowNavigation('https://example.com/')).toBe(false);
    expect(allowNavigation('file:///etc/passwd')).toBe(false);
    expect(allowNavigation('javascript:alert(1)')).toBe(false);
    expect(windowOpenAction('https://arxiv.org/abs/2406.06592')).toEqual({ action: 'deny', openExternal: 'https://arxiv.org/abs/2406.06592' });
    expect(windowOpenAction('file:///etc/passwd')).toEqual({ action: 'deny', openExternal: null });
    expect(windowOpenAction('steplab://app/')).toEqual({ action: 'deny', openExternal: null });
    expect(windowOpenAction('javascript:alert(1)')).toEqual({ action: 'deny', openExternal: null });
  });
});

describe('app scheme', () => {
  it('serves the renderer, its routes, and workspace images by hash, never a file outside', async () => {
    const index = serveAppRequest(APP_URL, { rendererDir, store: wb.store });
    expect(index).toMatchObject({ status: 200, file: join(rendererDir, 'index.html') });
    expect(index.headers).toMatchObject({ 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': APP_CSP, 'X-Content-Type-Options': 'nosniff' });
    expect(serveAppRequest('steplab://app/datasets', { rendererDir, store: wb.store }).file).toBe(join(rendererDir, 'index.html'));
    const escape = serveAppRequest('steplab://app/..%2F..%2Fpackage.json', { rendererDir, store: wb.store });
    expect(escape.status).toBe(404);
    expect(escape.file).toBeUndefined();
    expect(serveAppRequest('steplab://app/missing.js', { rendererDir, store: wb.store }).status).toBe(404);
    expect(serveAppRequest('steplab://other/', { rendererDir, store: wb.store }).status).toBe(404);
    expect(serveAppRequest(APP_URL, { rendererDir, store: wb.store, method: 'POST' }).status).toBe(405);

    const img = serveAppRequest(imageUrl(imageHash), { rendererDir, store: wb.store });
    expect(img).toMatchObject({ status: 200, headers: { 'Content-Type': 'image/png' } });
    expect((await sharp(readFileSync(img.file!)).metadata()).width).toBe(12);
    const dotted = serveAppRequest('steplab://app/images/../../steplab.db', { rendererDir, store: wb.store });
    expect([dotted.status, dotted.file]).toEqual([404, undefined]);
    const encoded = serveAppRequest('steplab://app/images/..%2F..%2Fsteplab.db', { rendererDir, store: wb.store });
    expect([encoded.status, encoded.file]).toEqual([400, undefined]);
    expect(JSON.parse(serveAppRequest('steplab://app/images/xyz', { rendererDir, store: wb.store }).body!)).toEqual({
      code: 'bad_request',
      message: 'an image is named by its SHA-256: 64 hex characters',
    });
    expect(serveAppRequest(imageUrl('0'.repeat(64)), { rendererDir, store: wb.store }).status).toBe(404);
  });

  it('without a built renderer, says how to build it', () => {
    const r = serveAppRequest(APP_URL, { rendererDir: join(tmp.dir, 'no-renderer'), store: wb.store });
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body!).message).toMatch(/npm run build/);
  });
});

describe('IPC calls', () => {
  it('a good call returns the workspace data', async () => {
    expect(await handleApiCall(holder, { method: 'datasets.list', input: {} })).toMatchObject({ result: { total: 1, items: [{ name: 'tiny', problemCount: 2 }] } });
    const list = await handleApiCall(holder, { method: 'problems.list', input: { dataset: 'tiny' } });
    expect('result' in list && (list.result as { total: number }).total).toBe(2);
  });

  it('an unknown method and bad input get the same error as from the host', async () => {
    const unknown = await handleApiCall(holder, { method: 'nope.nope', input: {} });
    expect(unknown).toEqual({ error: { code: 'not_found', message: 'unknown method "nope.nope"' } });
    expect(unknown).toEqual({ error: await postApi('nope.nope', {}) });

    const bad = await handleApiCall(holder, { method: 'problems.list', input: { dataset: 'tiny', limit: 'x' } });
    expect(bad).toMatchObject({ error: { code: 'bad_request', path: 'params.limit' } });
    expect(bad).toEqual({ error: await postApi('problems.list', { dataset: 'tiny', limit: 'x' }) });

    const missing = await handleApiCall(holder, { method: 'datasets.get', input: { name: 'ghost' } });
    expect(missing).toEqual({ error: await postApi('datasets.get', { name: 'ghost' }) });
    expect(missing).toMatchObject({ error: { code: 'not_found' } });
  });

  it('a malformed payload is refused, naming what is wrong', async () => {
    expect(await handleApiCall(holder, 'datasets.list')).toMatchObject({ error: { code: 'bad_request', message: expect.stringMatching(/^malformed request: .*expected \{method, input\}$/) } });
    expect(await handleApiCall(holder, { input: {} })).toMatchObject({ error: { code: 'bad_request', path: 'method' } });
    expect(await handleApiCall(holder, { method: 7 })).toMatchObject({ error: { code: 'bad_request', path: 'method' } });
    expect(await handleApiCall(holder, { method: 'datasets.list', input: {}, token: 'x' })).toMatchObject({ error: { code: 'bad_request' } });
    expect(await handleApiCall(holder, null)).toMatchObject({ error: { code: 'bad_request' } });
  });
});

describe('preload', () => {
  /**
   * Runs preload.cjs as Electron runs a sandboxed preload, with a fake `electron` module (Electron cannot be
   * installed here): contextBridge records what is exposed; ipcRenderer.invoke goes through the sender check
   * and handleApiCall as main.ts wires them, with the app's main frame as the sender.
   */
  function loadPreload() {
    const exposed: [string, unknown][] = [];
    const required: string[] = [];
    let eventHandler: ((event: unknown, payload: unknown) => void) | undefined;
    let stopEvents: (() => void) | undefined;
    const fakeElectron = {
      contextBridge: { exposeInMainWorld: (name: string, value: unknown) => exposed.push([name, value]) },
      ipcRenderer: {
        invoke: async (channel: string, payload: unknown) => {
          if (channel !== IPC_CALL) throw new Error(`no handler for ${channel}`);
          const frame = { url: APP_URL, parent: null };
          return isTrustedSender(frame) ? handleApiCall(holder, payload) : UNTRUSTED_SENDER_REPLY;
        },
        on: (channel: string, handler: (event: unknown, payload: unknown) => void) => {
          if (channel === IPC_EVENT) eventHandler = handler;
        },
        // main answers a subscribe from the trusted frame with the holder's events on IPC_EVENT
        send: (channel: string) => {
          if (channel !== IPC_SUBSCRIBE || !isTrustedSender({ url: APP_URL, parent: null })) return;
          stopEvents?.();
          stopEvents = holder.subscribe((e) => eventHandler?.({}, e));
        },
      },
    };
    const source = readFileSync(join(root, 'src-main', 'electron', 'preload.cjs'), 'utf8');
    const context = createContext({
      require: (name: string) => {
        required.push(name);
        if (name !== 'electron') throw new Error(`a sandboxed preload cannot require ${name}`);
        return fakeElectron;
      },
    });
    runInContext(source, context, { filename: 'preload.cjs' });
    return { exposed, required, send: (event: ApiEvent) => eventHandler?.({}, event), stopEvents: () => stopEvents?.() };
  }

  it('exposes exactly the bridge on window.steplab and requires only electron', () => {
    const { exposed, required } = loadPreload();
    expect(required).toEqual(['electron']);
    expect(exposed.map(([name]) => name)).toEqual(['steplab']);
    const bridge = exposed[0][1] as Record<string, unknown>;
    expect(Object.keys(bridge).sort()).toEqual(['call', 'imageUrl', 'subscribe']);
    for (const key of Object.keys(bridge)) expect(typeof bridge[key]).toBe('function');
  });

  it('the renderer talks to the real core through it: data, typed errors, events, image URLs', async () => {
    const { exposed, send, stopEvents } = loadPreload();
    const bridge = exposed[0][1] as SteplabBridge;
    const connection = bridgeConnection(bridge);
    expect((await connection.api['datasets.list']({})).items.map((d) => d.name)).toEqual(['tiny']);
    expect((await connection.api['workspace.info']({})).path).toBe(wb.store.paths.dir);
    const err = await connection.api['problems.list']({ dataset: 'tiny', limit: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'bad_request', path: 'params.limit' });
    const missing = await connection.api['datasets.get']({ name: 'ghost' }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'not_found', message: expect.stringContaining('dataset "ghost" not found') });

    // the first subscriber asks main for events: the jobs as they are come first, then the holder's events,
    // pushed with webContents.send; subscribers get those that match the contract
    const seen: ApiEvent[] = [];
    const off = connection.subscribe((e) => seen.push(e));
    expect(seen).toEqual([{ type: 'jobs', jobs: wb.store.jobs.list(200) }]);
    const job = await connection.api['import.start']({ path: join(tmp.dir, 'tiny.jsonl'), dataset: 'again' });
    await expect.poll(() => seen.some((e) => e.type === 'job' && e.event.type === 'finished' && e.event.jobId === job.id), { timeout: 30_000 }).toBe(true);
    stopEvents();
    send({ type: 'workspace', path: '/x' });
    send({ type: 'bogus' } as unknown as ApiEvent);
    expect(seen.at(-1)).toEqual({ type: 'workspace', path: '/x' });
    off();
    send({ type: 'workspace', path: '/y' });
    expect(seen.at(-1)).toEqual({ type: 'workspace', path: '/x' });

    expect(connection.imageUrl(imageHash.toUpperCase())).toBe(imageUrl(imageHash));
    expect(() => bridge.imageUrl!('../steplab.db')).toThrow(/64 hex characters/);
  });
});

describe('packaging and start', () => {
  /** The top-level lists of electron-builder.yml (the yaml package is not installed: the file is kept to plain block lists). */
  function builderConfig(): Map<string, string[]> {
    const lists = new Map<string, string[]>();
    let key: string | undefined;
    for (const line of readFileSync(join(root, 'electron-builder.yml'), 'utf8').split('\n')) {
      if (/^\s*(#|$)/.test(line)) continue;
      const top = /^([A-Za-z]+):/.exec(line);
      if (top) {
        key = top[1];
        lists.set(key, []);
        continue;
      }
      const item = /^\s+-\s+(.*)$/.exec(line) ?? /^\s+(\S.*)$/.exec(line);
      if (key && item) lists.get(key)!.push(item[1].replace(/^"(.*)"$/, '$1').trim());
    }
    return lists;
  }
  /** electron-builder's globs as used here: an exact path, or a folder with /** under it; a leading ! excludes. */
  function covered(patterns: string[], path: string): boolean {
    const hit = (p: string): boolean => p === path || (p.endsWith('/**') && path.startsWith(p.slice(0, -2)));
    return patterns.some((p) => !p.startsWith('!') && hit(p)) && !patterns.some((p) => p.startsWith('!') && hit(p.slice(1)));
  }

  it('ships what main and the preload need, with native code (and the esbuild tsx runs) unpacked from asar', () => {
    const cfg = builderConfig();
    const files = cfg.get('files')!;
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string; dependencies: Record<string, string> };
    expect(pkg.main).toBe('src-main/electron/bootstrap.cjs');
    expect(readFileSync(join(root, pkg.main), 'utf8')).toMatch(/import\('\.\/main\.ts'\)/);
    for (const path of [
      'package.json',
      pkg.main,
      'src-main/electron/main.ts',
      'src-main/electron/shell.ts',
      'src-main/electron/preload.cjs',
      'src-main/core/jobs/worker-entry.mjs',
      'src-main/server/renderer.ts',
      'src-shared/api.ts',
      'dist/renderer/index.html',
      'node_modules/tsx/package.json',
      'node_modules/better-sqlite3/package.json',
    ]) {
      expect(covered(files, path), path).toBe(true);
    }
    expect(covered(files, 'node_modules/electron/dist/electron'), 'Electron itself is not packed into the app').toBe(false);
    expect(covered(files, 'models/tiny-policy/manifest.json'), 'models ship as extraResources, outside app.asar').toBe(false);
    // the runtime needs these as dependencies, not devDependencies (electron-builder leaves those out)
    for (const dep of ['tsx', 'better-sqlite3', 'onnxruntime-node', 'sharp', 'zod', 'ws']) expect(pkg.dependencies[dep], dep).toBeTruthy();

    const unpack = cfg.get('asarUnpack')!;
    for (const path of [
      'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
      'node_modules/sharp/lib/index.js',
      'node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64-0.35.5.node',
      'node_modules/esbuild/bin/esbuild',
      'node_modules/@esbuild/linux-x64/bin/esbuild',
      'src-main/core/jobs/worker-entry.mjs',
    ]) {
      expect(covered(unpack, path), path).toBe(true);
    }
    expect(cfg.get('extraResources')).toEqual(['from: models', 'to: models']);
  });

  it('npm start without Electron says why in one line and serves the workspace in browser mode', async () => {
    const { spawn } = await import('node:child_process');
    const ws = join(tmp.dir, 'start-ws');
    await openWorkbench(ws, { create: true }).close();
    const child = spawn(process.execPath, [join(root, 'bin', 'start.js')], {
      cwd: root,
      env: { ...process.env, STEPLAB_WORKSPACE: ws, STEPLAB_NO_BROWSER: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await expect.poll(() => out, { timeout: 60_000 }).toMatch(/open http:\/\/127\.0\.0\.1:\d+\/\?token=/);
      const lines = out.split('\n');
      expect(lines[0]).toBe('Electron is not installed, so Steplab runs in browser mode: the same app, served on 127.0.0.1 to your web browser.');
      expect(lines[1]).toBe(`Steplab is serving ${ws}`);
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
