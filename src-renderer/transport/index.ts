// Picks the transport the page talks through: the Electron preload bridge when the page runs in the
// desktop window, the headless host's WebSocket otherwise. The rest of the renderer sees only `api`.
import { ApiError, ApiErrorBody, createApiProxy, type Api, type Method, type Transport } from '../../src-shared/api';
import { ApiEvent } from '../../src-shared/events';
import { createWebSocketTransport, type ConnectionInfo } from './ws';

/**
 * What the Electron preload script (src-main/electron/preload.cjs) exposes on `window.steplab`. A failed
 * call rejects with the plain error body {code, message, path?}: an Error's own fields do not cross the
 * context bridge, so bridgeConnection turns the body back into an ApiError.
 */
export interface SteplabBridge extends Transport {
  /** the URL the page loads a workspace image from (the bridge serves images its own way) */
  imageUrl?(hash: string): string;
}

declare global {
  interface Window {
    steplab?: SteplabBridge;
  }
}

export interface Connection {
  api: Api;
  /**
   * true over the desktop app's bridge, which serves every method; false over the headless host, which
   * refuses the LOCAL_ONLY methods and job kinds (a form for them says to use the CLI or the desktop app)
   */
  local: boolean;
  /** told now and at every change of the link to the core (a bridge is always open) */
  onConnection(listener: (info: ConnectionInfo) => void): () => void;
  imageUrl(hash: string): string;
  /** events pushed by the core (job progress) */
  subscribe: Transport['subscribe'];
}

function bridgeError(method: Method, e: unknown): Error {
  const body = ApiErrorBody.safeParse(e);
  if (body.success) return new ApiError(body.data.code, body.data.message, body.data.path);
  return e instanceof Error ? e : new Error(`${method}: the Steplab window's bridge failed: ${String(e)}`);
}

/** The connection over the Electron preload's bridge: typed errors, and only events that match the contract. */
export function bridgeConnection(bridge: SteplabBridge): Connection {
  const transport: Transport = {
    call: (method, params) =>
      bridge.call(method, params).catch((e: unknown) => {
        throw bridgeError(method, e);
      }),
    subscribe: (listener) =>
      bridge.subscribe((raw) => {
        const ev = ApiEvent.safeParse(raw);
        if (ev.success) listener(ev.data);
      }),
  };
  return {
    api: createApiProxy(transport),
    local: true,
    onConnection(listener) {
      listener({ state: 'open', failures: 0 });
      return () => {};
    },
    imageUrl: (hash) => (bridge.imageUrl ? bridge.imageUrl(hash) : `/images/${hash}`),
    subscribe: (listener) => transport.subscribe(listener),
  };
}

export function connect(): Connection {
  const bridge = typeof window !== 'undefined' ? window.steplab : undefined;
  if (bridge) return bridgeConnection(bridge);
  const ws = createWebSocketTransport();
  return {
    api: createApiProxy(ws),
    local: false,
    onConnection: (listener) => ws.onConnection(listener),
    imageUrl: (hash) => `/images/${hash}`,
    subscribe: (listener) => ws.subscribe(listener),
  };
}

export type { ConnectionInfo, ConnectionState } from './ws';
