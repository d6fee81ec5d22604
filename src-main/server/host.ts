// The headless host: the API over HTTP and WebSocket on 127.0.0.1 only, guarded by a per-launch token,
// plus the workspace's images and the built renderer. Any local process or web page can reach a
// loopback port, so every request must carry the token and name this host (DNS-rebinding guard).
// The workspace it serves can be switched (workspace.open): every client is then told to reload.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { ApiError, httpRefusal, WireRequest, type ApiErrorBody, type WireMessage } from '../../src-shared/api';
import { WorkbenchHolder, type Workbench } from '../core/workbench';
import { answerCall, malformed } from './dispatch';
import { rendererContentSecurityPolicy, resolveRendererPath, resolveWorkspaceImage, SVG_POLICY } from './renderer';

export const TOKEN_COOKIE = 'steplab_token';
/** The largest request body (HTTP) or message (WebSocket) the host reads. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** The id of an error reply to a WebSocket message too malformed to have a usable id. */
export const UNREADABLE_MESSAGE_ID = -1;

const DEFAULT_RENDERER_DIR = fileURLToPath(new URL('../../dist/renderer', import.meta.url));

export interface HostOptions {
  /**
   * the workspace to serve. Switching away from it (workspace.open) closes it; closing it again is harmless.
   * Workbenches the host opened by switching are closed by host.close().
   */
  workbench: Workbench;
  /** 0 (the default) picks a free port */
  port?: number;
  /** default: 32 random bytes, base64url */
  token?: string;
  /** the built renderer (default: dist/renderer under the repo root) */
  rendererDir?: string;
  /** told about internal errors (bugs), which the client only sees as a one-line message */
  onInternalError?: (error: unknown) => void;
}

export interface Host {
  /** http://127.0.0.1:PORT/?token=... : opening it logs a browser in */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const STATUS: Record<ApiErrorBody['code'], number> = {
  bad_request: 400,
  unauthorized: 401,
  not_found: 404,
  user_error: 422,
  internal: 500,
};

/** The renderer's policy as this host serves it: the page may also open the host's WebSocket. */
export function contentSecurityPolicy(port: number): string {
  return rendererContentSecurityPolicy([`ws://127.0.0.1:${port}`, `ws://localhost:${port}`]);
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Steplab</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 4em auto; line-height: 1.5">
<h1>Steplab</h1>
<p>The host is running, but the user interface has not been built yet.</p>
<p>Run <code>npm run build</code> in the Steplab folder, then reload this page.</p>
</body></html>
`;

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export async function startHost(opts: HostOptions): Promise<Host> {
  const holder = new WorkbenchHolder(opts.workbench, { onError: opts.onInternalError });
  // methods that read or write arbitrary paths are not served over HTTP (src-shared/api.ts LOCAL_ONLY and
  // httpRefusal, whose comment lists the served methods that take a path and how each is bounded)
  const httpTarget = {
    call: (method: string, params: unknown): Promise<unknown> => {
      const refusal = httpRefusal(method, params);
      return refusal === null ? holder.call(method, params) : Promise.reject(new ApiError('not_found', refusal));
    },
  };
  const token = opts.token ?? randomBytes(32).toString('base64url');
  // the token travels in a cookie and a URL, so it is restricted to characters that need no escaping there
  if (!/^[A-Za-z0-9._~-]{16,}$/.test(token)) throw new Error('host token must be at least 16 characters of A-Z a-z 0-9 . _ ~ -');
  const tokenDigest = digest(token);
  const rendererDir = resolve(opts.rendererDir ?? DEFAULT_RENDERER_DIR);
  const reportInternal = opts.onInternalError ?? (() => {});
  let port = 0;
  let csp = '';

  // Hashing both sides gives equal lengths, which timingSafeEqual needs, without leaking the token's length.
  const tokenMatches = (candidate: string | undefined): boolean =>
    typeof candidate === 'string' && candidate.length > 0 && timingSafeEqual(digest(candidate), tokenDigest);

  const hostAllowed = (req: IncomingMessage): boolean => {
    const host = req.headers.host?.toLowerCase();
    return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
  };

  /** A browser names the page that sent a request; only pages served by this host may use it. */
  const originAllowed = (req: IncomingMessage): boolean => {
    const origin = req.headers.origin;
    return origin === undefined || origin.toLowerCase() === `http://${req.headers.host?.toLowerCase()}`;
  };

  const authorized = (req: IncomingMessage, url: URL): boolean => {
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      if (m && tokenMatches(m[1])) return true;
    }
    if (tokenMatches(url.searchParams.get('token') ?? undefined)) return true;
    return cookieValues(req.headers.cookie, TOKEN_COOKIE).some(tokenMatches);
  };

  const baseHeaders = (): OutgoingHttpHeaders => ({
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'X-Frame-Options': 'DENY',
  });

  const sendJson = (res: ServerResponse, status: number, body: unknown, extra: OutgoingHttpHeaders = {}): void => {
    const data = Buffer.from(JSON.stringify(body), 'utf8');
    res.writeHead(status, {
      ...baseHeaders(),
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': data.length,
      'Cache-Control': 'no-store',
      ...extra,
    });
    res.end(data);
  };
  const sendError = (res: ServerResponse, status: number, body: ApiErrorBody, extra?: OutgoingHttpHeaders): void =>
    sendJson(res, status, body, extra);

  const sendHtml = (res: ServerResponse, status: number, html: string, head: boolean): void => {
    const data = Buffer.from(html, 'utf8');
    res.writeHead(status, { ...baseHeaders(), 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': data.length, 'Cache-Control': 'no-store' });
    res.end(head ? undefined : data);
  };

  const sendFile = (res: ServerResponse, file: string, size: number, headers: OutgoingHttpHeaders, head: boolean): void => {
    res.writeHead(200, { ...baseHeaders(), 'Content-Length': size, ...headers });
    if (head) {
      res.end();
      return;
    }
    const stream = createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };

  async function handleApi(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (req.method !== 'POST') {
      sendError(res, 405, { code: 'bad_request', message: `use POST for /api/${method}` }, { Allow: 'POST' });
      return;
    }
    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === 'too_large') {
      sendError(res, 413, { code: 'bad_request', message: `request body is larger than ${MAX_BODY_BYTES} bytes` }, { Connection: 'close' });
      return;
    }
    let params: unknown = undefined;
    const text = body.toString('utf8');
    if (text.trim() !== '') {
      try {
        params = JSON.parse(text);
      } catch (e) {
        sendError(res, 400, { code: 'bad_request', message: `body is not valid JSON (${(e as Error).message})` });
        return;
      }
    }
    const reply = await answerCall(httpTarget, method, params, reportInternal);
    if ('error' in reply) sendError(res, STATUS[reply.error.code], reply.error);
    else sendJson(res, 200, reply.result);
  }

  function handleImage(req: IncomingMessage, res: ServerResponse, rawHash: string, head: boolean): void {
    const img = resolveWorkspaceImage(holder.current.store, rawHash);
    if (img.kind === 'error') {
      sendError(res, img.status, img.body);
      return;
    }
    if (req.headers['if-none-match'] === `"${img.hash}"`) {
      res.writeHead(304, { ...baseHeaders(), ETag: `"${img.hash}"` });
      res.end();
      return;
    }
    // content-addressed: the bytes behind a hash never change
    sendFile(res, img.file, img.size, {
      'Content-Type': img.mime,
      'Cache-Control': 'private, max-age=31536000, immutable',
      ETag: `"${img.hash}"`,
      ...(img.mime === 'image/svg+xml' ? { 'Content-Security-Policy': SVG_POLICY } : {}),
    }, head);
  }

  function handleStatic(res: ServerResponse, pathname: string, head: boolean): void {
    const target = resolveRendererPath(rendererDir, pathname);
    if (target.kind === 'not_built') sendHtml(res, 503, NOT_BUILT_PAGE, head);
    else if (target.kind === 'error') sendError(res, target.status, target.body);
    else sendFile(res, target.file, target.size, { 'Content-Type': target.contentType, 'Cache-Control': target.cacheControl }, head);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req)) {
      sendError(res, 403, { code: 'unauthorized', message: `this host answers only to 127.0.0.1:${port} or localhost:${port}` });
      return;
    }
    if (!originAllowed(req)) {
      sendError(res, 403, { code: 'unauthorized', message: 'requests from other web pages are refused' });
      return;
    }
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    if (!authorized(req, url)) {
      sendError(res, 401, { code: 'unauthorized', message: 'missing or wrong token: open the URL that Steplab printed when it started' });
      return;
    }
    const path = url.pathname;
    if (path.startsWith('/api/')) {
      await handleApi(req, res, path.slice('/api/'.length));
      return;
    }
    if (path === '/ws') {
      sendError(res, 426, { code: 'bad_request', message: '/ws is a WebSocket endpoint' }, { Upgrade: 'websocket', Connection: 'Upgrade' });
      return;
    }
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      sendError(res, 405, { code: 'bad_request', message: `${req.method} is not allowed here` }, { Allow: 'GET, HEAD' });
      return;
    }
    if (path.startsWith('/images/')) {
      handleImage(req, res, path.slice('/images/'.length), head);
      return;
    }
    if (url.searchParams.has('token')) {
      // a page loaded with ?token= logs the browser in; the redirect takes the token out of the URL bar and history
      url.searchParams.delete('token');
      res.writeHead(303, {
        ...baseHeaders(),
        'Set-Cookie': `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        Location: url.pathname + url.search,
        'Cache-Control': 'no-store',
        'Content-Length': 0,
      });
      res.end();
      return;
    }
    handleStatic(res, path, head);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      reportInternal(e);
      if (!res.headersSent) sendError(res, 500, { code: 'internal', message: `internal error: ${(e as Error)?.message ?? String(e)}` });
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES });

  const refuseUpgrade = (socket: Duplex, status: 401 | 403 | 404, reason: string): void => {
    const body = JSON.stringify({ code: status === 404 ? 'not_found' : 'unauthorized', message: reason } satisfies ApiErrorBody);
    const statusText = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }[status];
    socket.end(
      `HTTP/1.1 ${status} ${statusText}\r\n` +
        'Connection: close\r\nContent-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (!hostAllowed(req)) return refuseUpgrade(socket, 403, 'wrong Host header');
    if (!originAllowed(req)) return refuseUpgrade(socket, 403, 'WebSocket connections from other web pages are refused');
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    if (!authorized(req, url)) return refuseUpgrade(socket, 401, 'missing or wrong token');
    if (url.pathname !== '/ws') return refuseUpgrade(socket, 404, 'WebSocket endpoint is /ws');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const send = (ws: WebSocket, msg: WireMessage): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  };

  wss.on('connection', (ws: WebSocket) => {
    ws.on('error', () => ws.terminate());
    // the jobs as they are now first, then every event (each checked against the contract by the holder)
    const off = holder.subscribe((event) => send(ws, { event }));
    ws.on('close', off);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      void answer(ws, data, isBinary);
    });
  });

  async function answer(ws: WebSocket, data: RawData, isBinary: boolean): Promise<void> {
    if (isBinary) {
      send(ws, { id: UNREADABLE_MESSAGE_ID, error: { code: 'bad_request', message: 'messages must be JSON text, not binary' } });
      return;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(rawToString(data));
    } catch (e) {
      send(ws, { id: UNREADABLE_MESSAGE_ID, error: { code: 'bad_request', message: `message is not valid JSON (${(e as Error).message})` } });
      return;
    }
    const parsed = WireRequest.safeParse(raw);
    if (!parsed.success) {
      send(ws, { id: recoverId(raw), error: malformed(parsed.error, '{id, method, params}') });
      return;
    }
    const { id, method, params } = parsed.data;
    send(ws, { id, ...(await answerCall(httpTarget, method, params, reportInternal)) });
  }

  try {
    await new Promise<void>((resolvePromise, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolvePromise();
      });
    });
  } catch (e) {
    wss.close();
    await holder.close();
    throw e;
  }
  port = (server.address() as AddressInfo).port;
  csp = contentSecurityPolicy(port);

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/?token=${encodeURIComponent(token)}`,
    port,
    token,
    close() {
      closing ??= (async () => {
        // a terminated socket's close ends its subscription
        for (const ws of wss.clients) ws.terminate();
        await new Promise<void>((r) => wss.close(() => r()));
        const closed = new Promise<void>((r) => server.close(() => r()));
        server.closeAllConnections();
        await closed;
        await holder.close();
      })();
      return closing;
    },
  };
}

function recoverId(raw: unknown): number {
  const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
  return typeof id === 'number' && Number.isInteger(id) ? id : UNREADABLE_MESSAGE_ID;
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

function cookieValues(header: string | undefined, name: string): string[] {
  if (!header) return [];
  const out: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    out.push(part.slice(eq + 1).trim());
  }
  return out;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  return new Promise((resolvePromise, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      resolvePromise('too_large');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolvePromise('too_large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolvePromise(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}
