// How the host writes an HTTP reply (JSON, an error, a page, a file), every one with the same security
// headers, and how it reads a request body up to a limit.
import { createReadStream } from 'node:fs';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { ApiErrorBody } from '../../src-shared/api';

export interface Responder {
  baseHeaders(): OutgoingHttpHeaders;
  sendJson(res: ServerResponse, status: number, body: unknown, extra?: OutgoingHttpHeaders): void;
  sendError(res: ServerResponse, status: number, body: ApiErrorBody, extra?: OutgoingHttpHeaders): void;
  sendHtml(res: ServerResponse, status: number, html: string, head: boolean): void;
  sendFile(res: ServerResponse, file: string, size: number, headers: OutgoingHttpHeaders, head: boolean): void;
}

/** The replies of one host: `csp()` is read at each reply (the policy names the port the host listens on). */
export function responder(csp: () => string): Responder {
  const baseHeaders = (): OutgoingHttpHeaders => ({
    'Content-Security-Policy': csp(),
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
  return { baseHeaders, sendJson, sendError, sendHtml, sendFile };
}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
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
