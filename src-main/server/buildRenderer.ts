// The web UI the host serves is a build (dist/renderer). A fresh install has none until `npm start` or
// `npm run build` made one: `steplab serve` then builds it once itself (Vite, a devDependency of the
// repository), saying so in one line, instead of serving a page whose assets answer 503.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Where the host finds the renderer: $STEPLAB_RENDERER_DIR, else the repository's dist/renderer. */
export function rendererDirFor(env: NodeJS.ProcessEnv = process.env): string {
  return env.STEPLAB_RENDERER_DIR || join(REPO, 'dist', 'renderer');
}

export type RendererBuild = { state: 'present' } | { state: 'built'; seconds: number } | { state: 'failed'; reason: string };

/** Builds the renderer into `dir` when it has no index.html; `say` gets the one line announcing it. */
export function ensureRenderer(dir: string, say: (line: string) => void): RendererBuild {
  if (existsSync(join(dir, 'index.html'))) return { state: 'present' };
  const vite = join(REPO, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!existsSync(vite)) {
    return { state: 'failed', reason: `the web UI is not built (${dir} has no index.html) and Vite is not installed: run \`npm install\` in ${REPO}, then \`npm run build\`` };
  }
  say(`The web UI is not built yet (a fresh install): building it once into ${dir} (about half a minute)…`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'error', '--outDir', dir, '--emptyOutDir'], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(join(dir, 'index.html'))) {
    const why = (r.stderr || r.error?.message || `vite exited with ${r.status}`).trim().split('\n').slice(-3).join(' ');
    return { state: 'failed', reason: `building the web UI failed: ${why}; run \`npm run build\` in ${REPO} to see why` };
  }
  return { state: 'built', seconds: (Date.now() - t0) / 1000 };
}
