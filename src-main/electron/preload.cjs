// Electron preload: puts the renderer's one bridge to the core on window.steplab, and nothing else.
// Sandboxed, so it is CommonJS and may only require 'electron'; the channel names repeat shell.ts's.
// A failed call rejects with the host's plain error body {code, message, path?}: custom properties of an
// Error do not cross the context bridge, a plain object does (src-renderer/transport turns it into ApiError).
'use strict';
const { contextBridge, ipcRenderer } = require('electron');

const IPC_CALL = 'steplab:call';
const IPC_EVENT = 'steplab:event';
const IPC_SUBSCRIBE = 'steplab:subscribe';
const listeners = new Set();
let subscribed = false;

ipcRenderer.on(IPC_EVENT, (_event, apiEvent) => {
  for (const listener of listeners) listener(apiEvent);
});

contextBridge.exposeInMainWorld('steplab', {
  call(method, params) {
    if (typeof method !== 'string') return Promise.reject({ code: 'bad_request', message: 'a method name is a string' });
    return ipcRenderer.invoke(IPC_CALL, { method, input: params === undefined ? {} : params }).then((reply) => {
      if (reply && typeof reply === 'object' && 'error' in reply) throw reply.error;
      return reply ? reply.result : null;
    });
  },
  subscribe(listener) {
    if (typeof listener !== 'function') throw new TypeError('subscribe takes a function');
    listeners.add(listener);
    // the first subscriber asks main for events: the jobs as they are now come first, then every event
    if (!subscribed) {
      subscribed = true;
      ipcRenderer.send(IPC_SUBSCRIBE);
    }
    return () => {
      listeners.delete(listener);
    };
  },
  imageUrl(hash) {
    if (typeof hash !== 'string' || !/^[0-9a-fA-F]{64}$/.test(hash)) throw new TypeError('an image is named by its SHA-256: 64 hex characters');
    return `steplab://app/images/${hash.toLowerCase()}`;
  },
});
