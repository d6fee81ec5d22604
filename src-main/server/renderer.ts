// What the renderer page is served with, by the headless host (HTTP) and the Electron shell (its app scheme)
// alike: the one Content-Security-Policy, content types, and the safe mapping of a URL path to a file of the
// built renderer or to a workspace image by hash.
import { existsSync, realpathSync, statSync } from 'node:fs';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { ApiErrorBody } from '../../src-shared/api';
import { imagePath } from '../core/data/images';
import type { Store } from '../core/store';

export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/** An SVG opened on its own is a document that could run script: this policy leaves it a picture. */
export const SVG_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox";

/**
 * The renderer's policy: its own scripts only (no inline script, no eval), images from itself (workspace
 * images are served under its own origin) and data:/blob:, Monaco's workers from itself or blob:.
 * `connect` adds where the page may open connections besides its own origin (the host's WebSocket).
 */
export function rendererContentSecurityPolicy(connect: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    ["connect-src 'self'", ...connect].join(' '),
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}

export type StaticTarget =
  | { kind: 'file'; file: string; size: number; contentType: string; cacheControl: string }
  | { kind: 'not_built' }
  | { kind: 'error'; status: 400 | 404; body: ApiErrorBody };

/** The file of the built renderer a URL path names; an extension-less path is a route of the app (index.html). */
export function resolveRendererPath(rendererDir: string, pathname: string): StaticTarget {
  const root = existsSync(rendererDir) ? realpathSync(rendererDir) : undefined;
  const index = root ? join(root, 'index.html') : undefined;
  if (!root || !index || !existsSync(index)) return { kind: 'not_built' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { kind: 'error', status: 400, body: { code: 'bad_request', message: 'malformed path' } };
  }
  if (decoded.includes('\0')) return { kind: 'error', status: 400, body: { code: 'bad_request', message: 'malformed path' } };
  const file = inside(root, decoded);
  if (file === 'outside') return { kind: 'error', status: 404, body: { code: 'not_found', message: `no file ${decoded}` } };
  if (file) {
    const isHtml = extname(file) === '.html';
    // vite names built assets by content hash, so they can be cached for good
    const immutable = !isHtml && relative(root, file).split(sep)[0] === 'assets';
    return {
      kind: 'file',
      file,
      size: statSync(file).size,
      contentType: CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      cacheControl: immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    };
  }
  // a missing file (it has an extension) is a 404; anything else is a route of the single-page app
  if (extname(decoded) !== '') return { kind: 'error', status: 404, body: { code: 'not_found', message: `no file ${decoded}` } };
  return { kind: 'file', file: index, size: statSync(index).size, contentType: CONTENT_TYPES['.html'], cacheControl: 'no-cache' };
}

export type ImageTarget =
  | { kind: 'file'; file: string; size: number; hash: string; mime: string }
  | { kind: 'error'; status: 400 | 404; body: ApiErrorBody };

/** A workspace image by its SHA-256 (64 hex characters), checked against the store and the disk. */
export function resolveWorkspaceImage(store: Store, rawHash: string): ImageTarget {
  const hash = rawHash.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hash)) {
    return { kind: 'error', status: 400, body: { code: 'bad_request', message: 'an image is named by its SHA-256: 64 hex characters' } };
  }
  const img = store.images.get(hash);
  if (!img) return { kind: 'error', status: 404, body: { code: 'not_found', message: `no image ${hash} in this workspace` } };
  try {
    const file = imagePath(store.paths.imagesDir, img);
    const st = statSync(file);
    if (!st.isFile()) throw new Error('not a file');
    return { kind: 'file', file, size: st.size, hash, mime: img.mime };
  } catch {
    return { kind: 'error', status: 404, body: { code: 'not_found', message: `image ${hash} is registered but its file is missing from the workspace` } };
  }
}

/** Resolves a URL path inside root: the file, undefined when there is none, or 'outside' for an escape. */
function inside(root: string, urlPath: string): string | undefined | 'outside' {
  const target = resolve(root, '.' + (urlPath.startsWith('/') ? urlPath : '/' + urlPath));
  const rel = relative(root, target);
  if (rel.startsWith('..') || isAbsolute(rel)) return 'outside';
  if (!existsSync(target)) return undefined;
  const real = realpathSync(target);
  const realRel = relative(root, real);
  if (realRel.startsWith('..') || isAbsolute(realRel)) return 'outside';
  return statSync(real).isFile() ? real : undefined;
}
