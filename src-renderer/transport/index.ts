// Picks the transport the page talks through: the Electron preload bridge when the page runs in the
// desktop window, the headless host's WebSocket otherwise. The rest of the renderer sees only `api`.
import { createApiProxy, type Api, type Transport } from '../../src-shared/api';
import { createWebSocketTransport, type ConnectionInfo } from './ws';

/** What the Electron preload script exposes on `window.steplab`. */
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
  /** told now and at every change of the link to the core (a bridge is always open) */
  onConnection(listener: (info: ConnectionInfo) => void): () => void;
  imageUrl(hash: string): string;
  /** events pushed by the core (job progress) */
  subscribe: Transport['subscribe'];
}

export function connect(): Connection {
  const bridge = typeof window !== 'undefined' ? window.steplab : undefined;
  if (bridge) {
    return {
      api: createApiProxy(bridge),
      onConnection(listener) {
        listener({ state: 'open', failures: 0 });
        return () => {};
      },
      imageUrl: (hash) => (bridge.imageUrl ? bridge.imageUrl(hash) : `/images/${hash}`),
      subscribe: (listener) => bridge.subscribe(listener),
    };
  }
  const ws = createWebSocketTransport();
  return {
    api: createApiProxy(ws),
    onConnection: (listener) => ws.onConnection(listener),
    imageUrl: (hash) => `/images/${hash}`,
    subscribe: (listener) => ws.subscribe(listener),
  };
}

export type { ConnectionInfo, ConnectionState } from './ws';
