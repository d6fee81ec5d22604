// Electron main process: a thin shell. It opens the workspace, starts the same headless host the browser
// mode uses (127.0.0.1, per-launch token) and shows it in a sandboxed window. Everything else is in core.
// Not exercised on the development machines: Electron's binary cannot be downloaded there.
import { app, BrowserWindow, shell } from 'electron';
import { join } from 'node:path';
import { openWorkbench } from '../core/workbench';
import { startHost } from '../server/host';

function workspaceArg(): string {
  const i = process.argv.indexOf('--workspace');
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : join(app.getPath('userData'), 'workspace');
}

async function createWindow(): Promise<void> {
  const wb = openWorkbench(workspaceArg(), { create: true });
  wb.runner.resumeAll();
  const host = await startHost({ workbench: wb, port: 0 });
  const origin = new URL(host.url).origin;
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'Steplab',
    webPreferences: { contextIsolation: true, nodeIntegration: false, sandbox: true, webSecurity: true },
  });
  // the renderer never leaves the local host; external links open in the system browser
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:/.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (e, url) => {
    if (new URL(url).origin !== origin) e.preventDefault();
  });
  await win.loadURL(host.url);
  app.on('before-quit', () => {
    void host.close().then(() => wb.close());
  });
}

app.whenReady().then(createWindow, (err) => {
  console.error(err);
  app.exit(1);
});
app.on('window-all-closed', () => app.quit());
