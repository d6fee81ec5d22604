// The API over the headless host's WebSocket. Browser code only: the page's token cookie authenticates
// the connection, so the URL carries no secret.
import { ApiError, ApiErrorBody, type Method, type Transport } from '../../src-shared/api';
import { ApiEvent } from '../../src-shared/events';

export type ConnectionState = 'connecting' | 'open' | 'reconnecting';

export interface ConnectionInfo {
  state: ConnectionState;
  /** failed attempts since the connection was last open */
  failures: number;
}

export interface WebSocketTransport extends Transport {
  /** told now and at every change of the connection */
  onConnection(listener: (info: ConnectionInfo) => void): () => void;
  /** stops reconnecting and rejects every pending call */
  close(): void;
}

export interface WebSocketTransportOptions {
  /** how long a call made while disconnected waits for the connection (default 10 s) */
  connectTimeoutMs?: number;
  /** first reconnect delay; doubles up to maxBackoffMs (defaults 250 ms and 5 s) */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** the WebSocket class (default: the browser's) */
  WebSocket?: typeof WebSocket;
}

interface Pending {
  method: Method;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** The host's WebSocket endpoint for the page that is open now. */
export function defaultWebSocketUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}/ws`;
}

export function createWebSocketTransport(url: string = defaultWebSocketUrl(), opts: WebSocketTransportOptions = {}): WebSocketTransport {
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  const minBackoffMs = opts.minBackoffMs ?? 250;
  const maxBackoffMs = opts.maxBackoffMs ?? 5_000;
  const WS = opts.WebSocket ?? WebSocket;

  const pending = new Map<number, Pending>();
  const eventListeners = new Set<(event: ApiEvent) => void>();
  const connectionListeners = new Set<(info: ConnectionInfo) => void>();
  const openWaiters = new Set<{ open(): void; fail(error: Error): void }>();
  let nextId = 1;
  let socket: WebSocket | undefined;
  let info: ConnectionInfo = { state: 'connecting', failures: 0 };
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const setInfo = (next: ConnectionInfo): void => {
    info = next;
    for (const l of connectionListeners) l(info);
  };

  const connect = (): void => {
    reconnectTimer = undefined;
    if (closed) return;
    const ws = new WS(url);
    socket = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      setInfo({ state: 'open', failures: 0 });
      for (const w of [...openWaiters]) w.open();
    };
    ws.onmessage = (ev: MessageEvent) => receive(ev.data);
    // onerror is always followed by onclose, which does the work
    ws.onerror = () => {};
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = undefined;
      // a call sent on this connection may or may not have run: it fails rather than being sent twice
      for (const [id, p] of pending) {
        pending.delete(id);
        p.reject(new Error(`${p.method}: the connection to the Steplab host was lost before it answered`));
      }
      if (closed) return;
      const failures = opened ? 0 : info.failures + 1;
      setInfo({ state: 'reconnecting', failures });
      const delay = Math.min(maxBackoffMs, minBackoffMs * 2 ** failures);
      reconnectTimer = setTimeout(connect, delay * (0.75 + Math.random() * 0.5));
    };
  };

  const receive = (data: unknown): void => {
    if (typeof data !== 'string') return;
    let msg: unknown;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof msg !== 'object' || msg === null) return;
    const m = msg as { id?: unknown; result?: unknown; error?: unknown; event?: unknown };
    if ('event' in m) {
      const ev = ApiEvent.safeParse(m.event);
      if (ev.success) for (const l of eventListeners) l(ev.data);
      return;
    }
    if (typeof m.id !== 'number') return;
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if ('error' in m) {
      const body = ApiErrorBody.safeParse(m.error);
      p.reject(
        body.success
          ? new ApiError(body.data.code, body.data.message, body.data.path)
          : new ApiError('internal', `${p.method}: the host sent an unreadable error`),
      );
    } else {
      p.resolve(m.result);
    }
  };

  const whenOpen = (method: Method): Promise<void> => {
    if (closed) return Promise.reject(new Error(`${method}: the connection to the Steplab host is closed`));
    if (socket && socket.readyState === WS.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        open(): void {
          clearTimeout(timer);
          openWaiters.delete(waiter);
          resolve();
        },
        fail(error: Error): void {
          clearTimeout(timer);
          openWaiters.delete(waiter);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        waiter.fail(
          new Error(
            `${method}: cannot reach the Steplab host (waited ${connectTimeoutMs < 1000 ? `${connectTimeoutMs} ms` : `${Math.round(connectTimeoutMs / 1000)} s`}). ` +
              'Is it still running? If it was restarted, open the new address it printed.',
          ),
        );
      }, connectTimeoutMs);
      openWaiters.add(waiter);
    });
  };

  connect();

  return {
    async call(method: Method, params: unknown): Promise<unknown> {
      await whenOpen(method);
      const ws = socket;
      if (!ws) throw new Error(`${method}: the connection to the Steplab host is closed`);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { method, resolve, reject });
        try {
          ws.send(JSON.stringify({ id, method, params: params ?? {} }));
        } catch (e) {
          pending.delete(id);
          reject(new Error(`${method}: could not send the request: ${(e as Error).message}`));
        }
      });
    },
    subscribe(listener) {
      eventListeners.add(listener);
      return () => {
        eventListeners.delete(listener);
      };
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      listener(info);
      return () => {
        connectionListeners.delete(listener);
      };
    },
    close() {
      closed = true;
      if (reconnectTimer !== undefined) clearTimeout(reconnectTimer);
      for (const w of [...openWaiters]) w.fail(new Error('the connection to the Steplab host was closed'));
      socket?.close();
      socket = undefined;
      for (const [id, p] of pending) {
        pending.delete(id);
        p.reject(new Error(`${p.method}: the connection to the Steplab host was closed`));
      }
    },
  };
}
