// Electron main process: a thin shell over core. It opens the workspace, serves the built renderer and the
// workspace's images on its own privileged scheme (steplab://app/, no HTTP port), answers the renderer's API
// calls over IPC from the trusted window only, and pushes job and workspace events to it. Every decision is
// a plain function in shell.ts, tested in Node; this file only wires them to Electron.
// Not exercised on the development machines: Electron's binary cannot be downloaded there.
import { app, BrowserWindow, dialog, ipcMain, protocol, session, shell, type IpcMainEvent, type IpcMainInvokeEvent } from 'electron';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiEvent } from '../../src-shared/events';
import { rememberWorkspace, WorkbenchHolder } from '../core/workbench';
import {
  allowNavigation,
  allowPermission,
  APP_SCHEME,
  APP_URL,
  handleApiCall,
  IPC_CALL,
  IPC_EVENT,
  IPC_SUBSCRIBE,
  isTrustedSender,
  SCHEME_PRIVILEGES,
  serveAppRequest,
  UNTRUSTED_SENDER_REPLY,
  windowOpenAction,
  windowOptions,
} from './shell';

const RENDERER_DIR = fileURLToPath(new URL('../../dist/renderer', import.meta.url));
const PRELOAD = fileURLToPath(new URL('./preload.cjs', import.meta.url));

// must happen before the app is ready
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: SCHEME_PRIVILEGES }]);
app.enableSandbox();

let holder: WorkbenchHolder | undefined;

function workspaceArg(): string {
  const i = process.argv.indexOf('--workspace');
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : join(app.getPath('userData'), 'workspace');
}


async function start(): Promise<void> {
  const workspaces = WorkbenchHolder.open(workspaceArg(), { create: true, onError: (e) => console.error(e) });
  holder = workspaces;
  workspaces.current.runner.resumeAll();
  try {
    rememberWorkspace(workspaces.current.store.paths.dir);
  } catch (e) {
    console.error(e);
  }
  // the page asks for events when it subscribes (again after a reload): its jobs as they are then, then every event
  let stopEvents: (() => void) | undefined;
  ipcMain.on(IPC_SUBSCRIBE, (event: IpcMainEvent) => {
    if (!isTrustedSender(event.senderFrame)) return;
    const contents = event.sender;
    stopEvents?.();
    stopEvents = workspaces.subscribe((e: ApiEvent) => {
      if (!contents.isDestroyed()) contents.send(IPC_EVENT, e);
    });
  });

  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) => callback(allowPermission(permission)));
  protocol.handle(APP_SCHEME, async (request) => {
    const r = serveAppRequest(request.url, { rendererDir: RENDERER_DIR, store: workspaces.current.store, method: request.method });
    const body = r.file !== undefined ? await readFile(r.file) : (r.body ?? '');
    return new Response(request.method === 'HEAD' ? null : body, { status: r.status, headers: r.headers });
  });
  ipcMain.handle(IPC_CALL, (event: IpcMainInvokeEvent, payload: unknown) =>
    isTrustedSender(event.senderFrame) ? handleApiCall(workspaces, payload, (e) => console.error(e)) : UNTRUSTED_SENDER_REPLY,
  );

  const win = new BrowserWindow(windowOptions(PRELOAD));
  win.webContents.setWindowOpenHandler(({ url }) => {
    const { action, openExternal } = windowOpenAction(url);
    if (openExternal) void shell.openExternal(openExternal);
    return { action };
  });
  win.webContents.on('will-navigate', (e, url) => {
    if (!allowNavigation(url)) e.preventDefault();
  });
  win.webContents.on('will-redirect', (e, url) => {
    if (!allowNavigation(url)) e.preventDefault();
  });
  win.webContents.on('will-attach-webview', (e) => e.preventDefault());
  win.once('ready-to-show', () => win.show());
  await win.loadURL(APP_URL);
}

let quitting = false;
app.on('before-quit', (e) => {
  if (quitting || !holder) return;
  // running jobs stop as "interrupted" and resume from their checkpoints on the next start
  e.preventDefault();
  quitting = true;
  void holder.close().finally(() => app.quit());
});

// a workspace that cannot be opened (not a workspace, a newer schema) is said in a dialog: there is no window yet
app
  .whenReady()
  .then(start)
  .catch((err: unknown) => {
    console.error(err);
    dialog.showErrorBox('Steplab could not start', err instanceof Error ? err.message : String(err));
    app.exit(1);
  });
app.on('window-all-closed', () => app.quit());
