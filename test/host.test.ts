// The headless host over real HTTP and WebSocket on 127.0.0.1, on a real workspace in a temp folder.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { connect as netConnect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Job } from '../src-shared/domain';
import { openWorkbench, type Workbench } from '../src-main/core/workbench';
import { contentSecurityPolicy, MAX_BODY_BYTES, startHost, UNREADABLE_MESSAGE_ID, type Host } from '../src-main/server';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json(): any;
}

function send(
  port: number,
  opts: { method?: string; path: string; headers?: OutgoingHttpHeaders; body?: string | Buffer; hostAddress?: string },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: opts.hostAddress ?? '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const text = body.toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json: () => JSON.parse(text) });
        });
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The outcome of a WebSocket handshake: open socket, or the HTTP status the host refused it with. */
function openWs(url: string, opts: WebSocket.ClientOptions = {}): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.once('error', reject);
  });
}

/** Collects every message a socket receives, with a way to wait for one that matches. */
function inbox(ws: WebSocket) {
  const messages: any[] = [];
  const waiters: { match: (m: any) => boolean; resolve: (m: any) => void }[] = [];
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString());
    messages.push(m);
    for (const w of [...waiters]) {
      if (w.match(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  return {
    messages,
    next(match: (m: any) => boolean, timeoutMs = 30_000): Promise<any> {
      const found = messages.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no matching message in ${timeoutMs} ms; got ${JSON.stringify(messages).slice(0, 2000)}`)), timeoutMs);
        waiters.push({ match, resolve: (m) => (clearTimeout(t), resolve(m)) });
      });
    },
  };
}

const PNG_1x1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

let tmp: string;
let wb: Workbench;
let host: Host;
let rendererDir: string;
let port: number;
let auth: OutgoingHttpHeaders;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'steplab-host-'));
  wb = openWorkbench(join(tmp, 'ws'), { create: true });
  rendererDir = join(tmp, 'renderer');
  mkdirSync(join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Steplab test</title><div id="root"></div>');
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log("steplab");');
  writeFileSync(join(tmp, 'secret.txt'), 'outside the renderer');
  host = await startHost({ workbench: wb, port: 0, rendererDir });
  port = host.port;
  auth = { Authorization: `Bearer ${host.token}` };
});

afterAll(async () => {
  await host?.close();
  await wb?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const api = (method: string, body: unknown, headers: OutgoingHttpHeaders = auth): Promise<Reply> =>
  send(port, {
    method: 'POST',
    path: `/api/${method}`,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('binding', () => {
  it('listens on 127.0.0.1 only, on the port it reports', async () => {
    expect(host.url).toBe(`http://127.0.0.1:${port}/?token=${host.token}`);
    expect(port).toBeGreaterThan(0);
    expect(host.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const ok = await api('workspace.info', {});
    expect(ok.status).toBe(200);
    // a server on 0.0.0.0 (or on all of 127/8) would also answer on these addresses
    const others = ['127.0.0.2', ...Object.values(networkInterfaces()).flatMap((l) => (l ?? []).filter((a) => a.family === 'IPv4' && !a.internal).map((a) => a.address))];
    for (const address of others) {
      const outcome = await new Promise<string>((resolve) => {
        const s = netConnect({ host: address, port });
        s.setTimeout(3000, () => (s.destroy(), resolve('timeout')));
        s.once('connect', () => (s.destroy(), resolve('connected')));
        s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
      expect(outcome, `connecting to ${address}:${port}`).not.toBe('connected');
    }
  });
});

describe('token', () => {
  it('without a token, the API, static files and the WebSocket answer 401', async () => {
    const r = await api('workspace.info', {}, {});
    expect(r.status).toBe(401);
    expect(r.json()).toMatchObject({ code: 'unauthorized' });
    expect((await send(port, { path: '/' })).status).toBe(401);
    expect((await send(port, { path: '/assets/app.js' })).status).toBe(401);
    expect((await send(port, { path: `/images/${'a'.repeat(64)}` })).status).toBe(401);
    expect(await openWs(`ws://127.0.0.1:${port}/ws`)).toBe(401);
  });

  it('a wrong token answers 401 wherever it is put', async () => {
    const wrong = host.token.slice(0, -1) + (host.token.endsWith('A') ? 'B' : 'A');
    expect((await api('workspace.info', {}, { Authorization: `Bearer ${wrong}` })).status).toBe(401);
    expect((await api('workspace.info', {}, { Authorization: 'Bearer ' })).status).toBe(401);
    expect((await api('workspace.info', {}, { Authorization: `Basic ${host.token}` })).status).toBe(401);
    expect((await send(port, { method: 'POST', path: `/api/workspace.info?token=${wrong}` })).status).toBe(401);
    expect((await send(port, { path: '/', headers: { Cookie: `steplab_token=${wrong}` } })).status).toBe(401);
    expect((await send(port, { path: `/?token=${wrong}` })).status).toBe(401);
    expect(await openWs(`ws://127.0.0.1:${port}/ws?token=${wrong}`)).toBe(401);
  });

  it('a good token works as a bearer header, a query parameter and the cookie', async () => {
    const r = await api('workspace.info', {});
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.json()).toMatchObject({ path: wb.store.paths.dir, problems: 0, datasets: 0, images: 0 });
    expect((await send(port, { method: 'POST', path: `/api/workspace.info?token=${host.token}` })).status).toBe(200);
    expect((await api('workspace.info', {}, { Cookie: `other=1; steplab_token=${host.token}` })).status).toBe(200);
  });

  it('loading the page with ?token= sets an HttpOnly SameSite=Strict cookie and redirects the token out of the URL', async () => {
    const r = await send(port, { path: `/?token=${host.token}` });
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/');
    const cookie = r.headers['set-cookie']?.[0] ?? '';
    expect(cookie).toBe(`steplab_token=${host.token}; HttpOnly; SameSite=Strict; Path=/`);
    const page = await send(port, { path: '/', headers: { Cookie: cookie.split(';')[0] } });
    expect(page.status).toBe(200);
    expect(page.text).toContain('Steplab test');
    const deep = await send(port, { path: `/somewhere?view=jobs&token=${host.token}` });
    expect(deep.status).toBe(303);
    expect(deep.headers.location).toBe('/somewhere?view=jobs');
  });
});

describe('DNS rebinding and other pages', () => {
  it('answers 403 to a Host header other than 127.0.0.1:PORT or localhost:PORT, even with the token', async () => {
    for (const h of [`evil.example:${port}`, `127.0.0.1:${port + 1}`, '127.0.0.1', `0.0.0.0:${port}`, `localhost.evil.example:${port}`]) {
      const r = await api('workspace.info', {}, { ...auth, Host: h });
      expect(r.status, h).toBe(403);
      expect(r.json().message).toMatch(/127\.0\.0\.1/);
    }
    expect((await send(port, { path: '/', headers: { ...auth, Host: `evil.example:${port}` } })).status).toBe(403);
    expect((await api('workspace.info', {}, { ...auth, Host: `localhost:${port}` })).status).toBe(200);
    expect(await openWs(`ws://127.0.0.1:${port}/ws`, { headers: { ...auth, Host: `evil.example:${port}` } as Record<string, string> })).toBe(403);
  });

  it('refuses a WebSocket or API call from a page of another origin', async () => {
    expect(await openWs(`ws://127.0.0.1:${port}/ws`, { headers: auth as Record<string, string>, origin: 'http://evil.example' })).toBe(403);
    expect(await openWs(`ws://127.0.0.1:${port}/ws`, { headers: auth as Record<string, string>, origin: 'http://127.0.0.1:1' })).toBe(403);
    expect((await api('workspace.info', {}, { ...auth, Origin: 'http://evil.example' })).status).toBe(403);
    const same = await openWs(`ws://127.0.0.1:${port}/ws`, { headers: auth as Record<string, string>, origin: `http://127.0.0.1:${port}` });
    expect(same).toBeInstanceOf(WebSocket);
    (same as WebSocket).close();
  });
});

describe('HTTP API', () => {
  it('a body failing the schema answers 400 naming the path', async () => {
    const r = await api('problems.list', { dataset: 'd', limit: 'x' });
    expect(r.status).toBe(400);
    expect(r.json()).toMatchObject({ code: 'bad_request', path: 'params.limit' });
    expect(r.json().message).toContain('params.limit');
  });

  it('a body that is not JSON answers 400', async () => {
    const r = await send(port, { method: 'POST', path: '/api/workspace.info', headers: { ...auth, 'Content-Type': 'application/json' }, body: '{"oops' });
    expect(r.status).toBe(400);
    expect(r.json().code).toBe('bad_request');
    expect(r.json().message).toMatch(/^body is not valid JSON/);
  });

  it('an unknown method answers 404', async () => {
    const r = await api('nope.nothing', {});
    expect(r.status).toBe(404);
    expect(r.json()).toEqual({ code: 'not_found', message: 'unknown method "nope.nothing"' });
  });

  it('a missing dataset answers 404 with a message for the user', async () => {
    const r = await api('datasets.get', { name: 'ghost' });
    expect(r.status).toBe(404);
    expect(r.json()).toMatchObject({ code: 'not_found' });
    expect(r.json().message).toContain('dataset "ghost" not found');
  });

  it('a user error answers 422 with the message written for the user', async () => {
    wb.store.datasets.getOrCreate('empty');
    // exporting onto a folder is a mistake the user can fix
    const r = await api('export.problems', { dataset: 'empty', out: tmp });
    expect(r.status).toBe(422);
    expect(r.json()).toEqual({ code: 'user_error', message: `"${tmp}" is a folder: give a file name such as out.jsonl` });
    const cancelled = await api('jobs.cancel', { id: 999_999 });
    expect(cancelled.status).toBe(404);
    expect(cancelled.json()).toEqual({ code: 'not_found', message: 'job 999999 not found' });
  });

  it('refuses LOCAL_ONLY methods, and jobs of a LOCAL_ONLY kind however they are asked for', async () => {
    const path = join(tmp, 'labels.jsonl');
    const job = (m: string): string => `${m} of an import-labels job is served to the command line and the desktop app only: it reads files on this machine`;
    const cases: [string, unknown, string][] = [
      ['import.labels', { path }, 'import.labels is served to the command line and the desktop app only: it reads or writes files on this machine'],
      ['jobs.start', { kind: 'import-labels', config: { path } }, job('jobs.start')],
      ['jobs.check', { kind: 'import-labels', config: { path } }, job('jobs.check')],
      ['jobs.startOrResume', { request: { kind: 'import-labels', config: { path } } }, job('jobs.startOrResume')],
    ];
    const before = wb.store.jobs.list().length;
    for (const [method, body, message] of cases) {
      const r = await api(method, body);
      expect(r.status, method).toBe(404);
      expect(r.json()).toEqual({ code: 'not_found', message });
    }
    expect(wb.store.jobs.list().length).toBe(before);
  });

  it('needs POST, and refuses a body over the size limit with 413', async () => {
    const get = await send(port, { path: '/api/workspace.info', headers: auth });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    const big = await send(port, {
      method: 'POST',
      path: '/api/workspace.info',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: Buffer.alloc(MAX_BODY_BYTES + 1, 0x20),
    });
    expect(big.status).toBe(413);
  });

  it('an empty body is empty params', async () => {
    const r = await send(port, { method: 'POST', path: '/api/jobs.list', headers: auth });
    expect(r.status).toBe(200);
    expect(Array.isArray(r.json())).toBe(true);
  });
});

describe('paths over HTTP', () => {
  it('refuses LOCAL_ONLY methods, an import-labels job in the jobs.start envelope, allowOutside on an import, and a trainer command of its own; nothing is started', async () => {
    const file = join(tmp, 'confined.jsonl');
    writeFileSync(file, '{"id":"a","question":"1+1?","answer":"2","image":"../secret.png"}\n');
    const jobsBefore = (await api('jobs.list', {})).json() as unknown[];
    const cases: [string, unknown, string][] = [
      ['import.labels', { path: file, dataset: 'x' }, 'import.labels is served to the command line and the desktop app only: it reads or writes files on this machine'],
      ['jobs.start', { kind: 'import-labels', config: { path: file, dataset: 'x' } }, 'jobs.start of an import-labels job is served to the command line and the desktop app only: it reads files on this machine'],
      ['jobs.startOrResume', { request: { kind: 'import-labels', config: { path: file, dataset: 'x' } } }, 'jobs.startOrResume of an import-labels job is served to the command line and the desktop app only: it reads files on this machine'],
      ['import.start', { path: file, dataset: 'x', allowOutside: true }, "import.start: allowOutside is served to the command line and the desktop app only (over HTTP an import reads its images inside the file's folder and imageRoot)"],
      ['jobs.start', { kind: 'import', config: { path: file, dataset: 'x', allowOutside: true } }, "jobs.start: allowOutside is served to the command line and the desktop app only (over HTTP an import reads its images inside the file's folder and imageRoot)"],
      ['jobs.start', { kind: 'train-prm', config: { annotations: 'x', trainer: ['sh', '-c', 'touch /tmp/owned'] } }, 'jobs.start: a trainer command of one\'s own is served to the command line and the desktop app only (over HTTP the reference trainer runs); leave "trainer" out'],
      ['jobs.startOrResume', { request: { kind: 'train-prm', config: { annotations: 'x', trainer: ['sh'] } } }, 'jobs.startOrResume: a trainer command of one\'s own is served to the command line and the desktop app only (over HTTP the reference trainer runs); leave "trainer" out'],
      ['cycles.start', { config: { finetune: { trainer: ['sh'] } } }, 'cycles.start: a trainer command of one\'s own is served to the command line and the desktop app only (over HTTP the reference trainer runs); leave "trainer" out'],
      ['jobs.start', { kind: 'cycle', config: { finetune: { trainer: ['sh'] } } }, 'jobs.start: a trainer command of one\'s own is served to the command line and the desktop app only (over HTTP the reference trainer runs); leave "trainer" out'],
    ];
    for (const [method, params, message] of cases) {
      const r = await api(method, params);
      expect(r.status, method).toBe(404);
      expect(r.json(), method).toMatchObject({ code: 'not_found', message });
    }
    expect((await api('jobs.list', {})).json()).toEqual(jobsBefore);
  });
});

describe('WebSocket', () => {
  it('answers calls, answers malformed messages with errors, and pushes job events', async () => {
    const ws = (await openWs(`ws://127.0.0.1:${port}/ws`, { headers: auth as Record<string, string> })) as WebSocket;
    const box = inbox(ws);

    ws.send(JSON.stringify({ id: 1, method: 'workspace.info', params: {} }));
    const info = await box.next((m) => m.id === 1);
    expect(info.result).toMatchObject({ path: wb.store.paths.dir });

    ws.send('this is not json');
    expect((await box.next((m) => m.id === UNREADABLE_MESSAGE_ID && /not valid JSON/.test(m.error?.message))).error.code).toBe('bad_request');
    ws.send(JSON.stringify({ id: 2, method: 42 }));
    expect((await box.next((m) => m.id === 2)).error).toMatchObject({ code: 'bad_request', path: 'method' });
    ws.send(JSON.stringify([1, 2, 3]));
    expect((await box.next((m) => m.id === UNREADABLE_MESSAGE_ID && /malformed request/.test(m.error?.message))).error.code).toBe('bad_request');
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await box.next((m) => m.id === UNREADABLE_MESSAGE_ID && /binary/.test(m.error?.message))).error.code).toBe('bad_request');
    ws.send(JSON.stringify({ id: 3, method: 'no.such', params: {} }));
    expect((await box.next((m) => m.id === 3)).error).toEqual({ code: 'not_found', message: 'unknown method "no.such"' });
    ws.send(JSON.stringify({ id: 4, method: 'problems.list', params: { dataset: 'd', limit: 'x' } }));
    expect((await box.next((m) => m.id === 4)).error).toMatchObject({ code: 'bad_request', path: 'params.limit' });
    ws.send(JSON.stringify({ id: 5, method: 'datasets.get', params: { name: 'ghost' } }));
    expect((await box.next((m) => m.id === 5)).error.code).toBe('not_found');

    // the connection survived all of that
    const file = join(tmp, 'tiny.jsonl');
    writeFileSync(file, ['{"id":"a","question":"1+1?","answer":"2"}', '{"id":"b","question":"2+2?","answer":"4"}', '{"id":"c","question":"3+3?","answer":"6"}'].join('\n') + '\n');
    ws.send(JSON.stringify({ id: 6, method: 'import.start', params: { path: file, dataset: 'tiny' } }));
    const started = await box.next((m) => m.id === 6);
    expect(started.error).toBeUndefined();
    const job = started.result as Job;
    expect(job).toMatchObject({ kind: 'import' });
    const done = await box.next((m) => m.event?.type === 'job' && m.event.event.jobId === job.id && ['finished', 'failed', 'cancelled'].includes(m.event.event.type));
    expect(done.event.event.error).toBeUndefined();
    expect(done.event.event.type).toBe('finished');
    const events = box.messages.filter((m) => m.event?.type === 'job' && (m.event.event.jobId ?? m.event.event.job?.id) === job.id).map((m) => m.event.event.type);
    expect(events).toContain('started');

    ws.send(JSON.stringify({ id: 7, method: 'datasets.get', params: { name: 'tiny' } }));
    expect((await box.next((m) => m.id === 7)).result).toMatchObject({ name: 'tiny', problemCount: 3 });
    ws.close();
  });

  it('pushes events to every connected client', async () => {
    const a = (await openWs(`ws://127.0.0.1:${port}/ws?token=${host.token}`)) as WebSocket;
    const b = (await openWs(`ws://127.0.0.1:${port}/ws`, { headers: { Cookie: `steplab_token=${host.token}` } })) as WebSocket;
    const boxA = inbox(a);
    const boxB = inbox(b);
    const job = wb.runner.submit('import', { path: join(tmp, 'tiny.jsonl'), dataset: 'tiny-again', skipBad: false });
    const isFinal = (m: any) => m.event?.event?.jobId === job.id && m.event.event.type === 'finished';
    await Promise.all([boxA.next(isFinal), boxB.next(isFinal)]);
    a.close();
    b.close();
  });
});

describe('images', () => {
  it('serves a workspace image by hash; a malformed hash is 400, an unknown one 404', async () => {
    const hash = createHash('sha256').update(PNG_1x1).digest('hex');
    mkdirSync(join(wb.store.paths.imagesDir, hash.slice(0, 2)), { recursive: true });
    writeFileSync(join(wb.store.paths.imagesDir, hash.slice(0, 2), `${hash}.png`), PNG_1x1);
    wb.store.images.insert({ hash, mime: 'image/png', width: 1, height: 1, bytes: PNG_1x1.length });

    const r = await send(port, { path: `/images/${hash}`, headers: auth });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('image/png');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.body.equals(PNG_1x1)).toBe(true);

    for (const bad of ['xyz', 'a'.repeat(63), 'g'.repeat(64), `${'a'.repeat(64)}.png`, '..%2f..%2fsteplab.db']) {
      const b = await send(port, { path: `/images/${bad}`, headers: auth });
      expect(b.status, bad).toBe(400);
      expect(b.json().code).toBe('bad_request');
    }
    const unknown = await send(port, { path: `/images/${'0'.repeat(64)}`, headers: auth });
    expect(unknown.status).toBe(404);
    expect(unknown.json().code).toBe('not_found');
  });
});

describe('static files', () => {
  it('serves the renderer with the strict CSP and safety headers', async () => {
    const r = await send(port, { path: '/', headers: auth });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = r.headers['content-security-policy'];
    expect(csp).toBe(contentSecurityPolicy(port));
    expect(csp).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; " +
        `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; ` +
        "frame-ancestors 'none'; form-action 'none'",
    );
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');

    const js = await send(port, { path: '/assets/app.js', headers: auth });
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.text).toBe('console.log("steplab");');
  });

  it('falls back to index.html for app routes, 404s missing files and never leaves the renderer folder', async () => {
    const route = await send(port, { path: '/datasets/tiny', headers: auth });
    expect(route.status).toBe(200);
    expect(route.text).toContain('Steplab test');
    expect((await send(port, { path: '/assets/missing.js', headers: auth })).status).toBe(404);
    for (const p of ['/../secret.txt', '/..%2fsecret.txt', '/assets/..%2f..%2fsecret.txt', '/%2e%2e/secret.txt', '/..%5csecret.txt']) {
      const r = await send(port, { path: p, headers: auth });
      expect(r.text, p).not.toContain('outside the renderer');
    }
    expect((await send(port, { path: '/ws', headers: auth })).status).toBe(426);
  });

  it('without a built renderer, / explains how to build it, under the same CSP', async () => {
    const bare = await startHost({ workbench: wb, rendererDir: join(tmp, 'not-built') });
    try {
      const r = await send(bare.port, { path: '/', headers: { Authorization: `Bearer ${bare.token}` } });
      expect(r.status).toBe(503);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.text).toContain('npm run build');
      expect(r.headers['content-security-policy']).toBe(contentSecurityPolicy(bare.port));
      expect(bare.token).not.toBe(host.token);
    } finally {
      await bare.close();
    }
    await expect(send(bare.port, { path: '/' })).rejects.toThrow(/ECONNREFUSED/);
  });
});
