// The Electron shell's decisions as plain functions (no Electron import), so that they are tested in plain
// Node: the window's webPreferences, the renderer's CSP, which frames may call the core, where the window
// may navigate, what its app scheme serves, and the IPC call path (the same validation as the headless host).
import { resolveRendererPath, rendererContentSecurityPolicy, resolveWorkspaceImage, SVG_POLICY } from '../server/renderer';
import { answerIpcCall, type ApiTarget, type CallReply } from '../server/dispatch';
import type { Store } from '../core/store';

/** The renderer is served from steplab://app/ (a privileged standard scheme), never from a port. */
export const APP_SCHEME = 'steplab';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_URL = `${APP_ORIGIN}/`;
/** Workspace images by hash, under the app's own origin (so `img-src 'self'` covers them, as in browser mode). */
export const IMAGES_PATH = '/images/';
/** The IPC channels the preload uses (preload.cjs repeats them: a sandboxed preload cannot import this file). */
export const IPC_CALL = 'steplab:call';
export const IPC_EVENT = 'steplab:event';
/** the page subscribes (preload.cjs): main answers on IPC_EVENT with the jobs as they are, then every event */
export const IPC_SUBSCRIBE = 'steplab:subscribe';

/** Privileges of the app scheme: a standard, secure origin with fetch and streaming (for protocol.registerSchemesAsPrivileged). */
export const SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true, stream: true, codeCache: true } as const;

/** The renderer's CSP in the window: the host's policy without its WebSocket (the page talks over IPC). */
export const APP_CSP = rendererContentSecurityPolicy();

/** BrowserWindow options: an isolated, sandboxed renderer with no Node and only the preload's bridge. */
export function windowOptions(preloadPath: string) {
  return {
    width: 1400,
    height: 900,
    minWidth: 800,
    minHeight: 500,
    title: 'Steplab',
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
    },
  };
}

function appUrl(url: string): URL | null {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '' && u.port === '' ? u : null;
  } catch {
    return null;
  }
}

/** The frame that sent an IPC call (Electron's event.senderFrame). */
export interface SenderFrame {
  url: string;
  /** null for the window's main frame */
  parent: unknown;
}

/** Only the main frame of a page of the app's own origin may call the core; subframes and other pages may not. */
export function isTrustedSender(frame: SenderFrame | string | null | undefined): boolean {
  if (frame === null || frame === undefined) return false;
  if (typeof frame === 'string') return appUrl(frame) !== null;
  return frame.parent === null && typeof frame.url === 'string' && appUrl(frame.url) !== null;
}

/** The window only ever shows the app: navigating anywhere else is refused (external links open outside). */
export function allowNavigation(url: string): boolean {
  return appUrl(url) !== null;
}

/** New windows are never opened; an http(s) link is handed to the system browser. */
export function windowOpenAction(url: string): { action: 'deny'; openExternal: string | null } {
  let external: string | null = null;
  try {
    const u = new URL(url);
    if (u.protocol === 'https:' || u.protocol === 'http:') external = u.href;
  } catch {
    external = null;
  }
  return { action: 'deny', openExternal: external };
}

/** Permission requests (camera, notifications, ...) from the page: none is granted. */
export function allowPermission(_permission: string): boolean {
  return false;
}

/** An IPC call from a trusted frame: `{method, input}` checked as the host checks its requests, then run. */
export function handleApiCall(api: ApiTarget, payload: unknown, reportInternal?: (e: unknown) => void): Promise<CallReply> {
  return answerIpcCall(api, payload, reportInternal);
}

/** The answer to an IPC call from a frame that isTrustedSender refused. */
export const UNTRUSTED_SENDER_REPLY: CallReply = {
  error: { code: 'unauthorized', message: 'calls to the Steplab core are accepted only from the Steplab window' },
};

export interface AppResponse {
  status: number;
  headers: Record<string, string>;
  /** the file to send as the body, or a JSON error body */
  file?: string;
  body?: string;
}

const SECURITY_HEADERS = { 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'Cross-Origin-Resource-Policy': 'same-origin' };

/** What the app scheme answers to a GET of `url`: a file of the built renderer, a workspace image, or an error. */
export function serveAppRequest(url: string, opts: { rendererDir: string; store: Store; method?: string }): AppResponse {
  const headers = { ...SECURITY_HEADERS, 'Content-Security-Policy': APP_CSP };
  const error = (status: number, code: string, message: string): AppResponse => ({
    status,
    headers: { ...headers, 'Content-Type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ code, message }),
  });
  const u = appUrl(url);
  if (!u) return error(404, 'not_found', `the Steplab window serves only ${APP_URL}`);
  if (opts.method !== undefined && opts.method !== 'GET' && opts.method !== 'HEAD') return error(405, 'bad_request', `${opts.method} is not allowed here`);
  if (u.pathname.startsWith(IMAGES_PATH)) {
    const img = resolveWorkspaceImage(opts.store, u.pathname.slice(IMAGES_PATH.length));
    if (img.kind === 'error') return error(img.status, img.body.code, img.body.message);
    return {
      status: 200,
      headers: {
        ...headers,
        'Content-Type': img.mime,
        'Cache-Control': 'private, max-age=31536000, immutable',
        ...(img.mime === 'image/svg+xml' ? { 'Content-Security-Policy': SVG_POLICY } : {}),
      },
      file: img.file,
    };
  }
  const target = resolveRendererPath(opts.rendererDir, u.pathname);
  if (target.kind === 'not_built') return error(503, 'not_found', 'the user interface has not been built: run `npm run build` in the Steplab folder, then restart');
  if (target.kind === 'error') return error(target.status, target.body.code, target.body.message);
  return { status: 200, headers: { ...headers, 'Content-Type': target.contentType, 'Cache-Control': target.cacheControl }, file: target.file };
}

/** Where the preload reaches an image of the open workspace. */
export function imageUrl(hash: string): string {
  return `${APP_ORIGIN}${IMAGES_PATH}${hash}`;
}
