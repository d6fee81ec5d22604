// The headless host: the API over HTTP and WebSocket on 127.0.0.1 only, guarded by a per-launch token,
// plus the workspace's images and the built renderer. Any local process or web page can reach a
// loopback port, so every request must carry the token and name this host (DNS-rebinding guard).
// The workspace it serves can be switched (workspace.open): every client is then told to reload.
// Who it answers is in guard.ts, how it replies in respond.ts, its WebSocket in socket.ts.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiError, httpRefusal, type ApiErrorBody } from '../../src-shared/api';
import { WorkbenchHolder, type Workbench } from '../core/workbench';
import { answerCall } from './dispatch';
import { requestGuard, TOKEN_COOKIE } from './guard';
import { rendererContentSecurityPolicy, resolveRendererPath, resolveWorkspaceImage, SVG_POLICY } from './renderer';
import { readBody, responder } from './respond';
import { serveWebSocket } from './socket';

export { TOKEN_COOKIE } from './guard';
export { UNREADABLE_MESSAGE_ID } from './socket';

/** The largest request body (HTTP) or message (WebSocket) the host reads. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

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
  const rendererDir = resolve(opts.rendererDir ?? DEFAULT_RENDERER_DIR);
  const reportInternal = opts.onInternalError ?? (() => {});
  let port = 0;
  let csp = '';

  const guard = requestGuard(token, () => port);

  const { baseHeaders, sendJson, sendError, sendHtml, sendFile } = responder(() => csp);

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
    if (!guard.hostAllowed(req)) {
      sendError(res, 403, { code: 'unauthorized', message: `this host answers only to 127.0.0.1:${port} or localhost:${port}` });
      return;
    }
    if (!guard.originAllowed(req)) {
      sendError(res, 403, { code: 'unauthorized', message: 'requests from other web pages are refused' });
      return;
    }
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    if (!guard.authorized(req, url)) {
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

  const wss = serveWebSocket(server, { guard, target: httpTarget, holder, maxPayload: MAX_BODY_BYTES, reportInternal });

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
