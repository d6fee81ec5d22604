// The headless host: the API over HTTP + WebSocket on 127.0.0.1 with a per-launch token; serves the renderer.
export { contentSecurityPolicy, startHost, MAX_BODY_BYTES, TOKEN_COOKIE, UNREADABLE_MESSAGE_ID } from './host';
export type { Host, HostOptions } from './host';
export { answerCall, answerIpcCall, IpcCall, type ApiTarget, type CallReply } from './dispatch';
export { rendererContentSecurityPolicy } from './renderer';
