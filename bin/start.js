#!/usr/bin/env node
// `npm start`: opens the workbench on the default workspace. In Electron when it is installed; otherwise
// in browser mode (the headless host on 127.0.0.1 plus the system browser, or a printed URL).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const workspace = process.env.STEPLAB_WORKSPACE || join(root, 'workspaces', 'demo');
const steplab = join(root, 'bin', 'steplab.js');

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (!existsSync(join(workspace, 'steplab.db'))) {
  console.log(`Creating the demo workspace in ${workspace} (the first start only)…`);
  run(process.execPath, [steplab, 'init', workspace, '--demo']);
}
if (!existsSync(join(root, 'dist', 'renderer', 'index.html'))) {
  // the first start builds the web UI: say so, rather than sit silent for half a minute
  console.log('Building the web UI (the first start only; about half a minute)…');
  run(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn']);
}

/** The Electron binary, or why there is none (one line): the package is optional and its download can fail. */
function findElectron() {
  let p;
  try {
    p = require('electron');
  } catch (e) {
    if (e && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes("'electron'")) return { why: 'Electron is not installed' };
    return { why: "Electron's binary is missing (its download failed when npm installed it)" };
  }
  if (typeof p === 'string' && existsSync(p)) return { binary: p };
  return { why: "Electron's binary is missing (its download failed when npm installed it)" };
}

const { binary: electronBinary, why } = findElectron();

if (electronBinary) {
  const child = spawn(electronBinary, [root, '--workspace', workspace], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log(`${why}, so Steplab runs in browser mode: the same app, served on 127.0.0.1 to your web browser.`);
  const child = spawn(process.execPath, [steplab, 'serve', '--workspace', workspace, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    const nl = buf.indexOf('\n');
    if (nl < 0 || !buf.startsWith('{')) return;
    const { url } = JSON.parse(buf.slice(0, nl));
    buf = '';
    console.log(`Steplab is serving ${workspace}\nopen ${url}\npress Ctrl-C to stop`);
    const opener = process.env.STEPLAB_NO_BROWSER ? null : ['xdg-open', 'open'].find((c) => spawnSync('which', [c]).status === 0);
    if (opener && (process.env.DISPLAY || process.platform === 'darwin')) spawn(opener, [url], { stdio: 'ignore', detached: true }).unref();
  });
  const stop = () => child.kill('SIGTERM');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  child.on('exit', (code) => process.exit(code ?? 0));
}
