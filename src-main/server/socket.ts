// The host's WebSocket (/ws): the upgrade checked as an HTTP request is, each message answered as an API
// call, and each client sent the jobs as they are and then every event (the holder's subscription).
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { WireRequest, type ApiErrorBody, type WireMessage } from '../../src-shared/api';
import type { WorkbenchHolder } from '../core/workbench';
import { answerCall, malformed, type ApiTarget } from './dispatch';
import type { RequestGuard } from './guard';

/** The id of an error reply to a WebSocket message too malformed to have a usable id. */
export const UNREADABLE_MESSAGE_ID = -1;

export function serveWebSocket(
  server: Server,
  o: { guard: RequestGuard; target: ApiTarget; holder: WorkbenchHolder; maxPayload: number; reportInternal: (e: unknown) => void },
): WebSocketServer {
  const { guard, target, holder, reportInternal } = o;
  const wss = new WebSocketServer({ noServer: true, maxPayload: o.maxPayload });

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
    if (!guard.hostAllowed(req)) return refuseUpgrade(socket, 403, 'wrong Host header');
    if (!guard.originAllowed(req)) return refuseUpgrade(socket, 403, 'WebSocket connections from other web pages are refused');
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    if (!guard.authorized(req, url)) return refuseUpgrade(socket, 401, 'missing or wrong token');
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
    send(ws, { id, ...(await answerCall(target, method, params, reportInternal)) });
  }

  return wss;
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
