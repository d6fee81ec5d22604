// The built renderer the browser tests and UI benches serve: rebuilt when it is missing or older than its
// sources. STEPLAB_RENDERER_OUT points the build elsewhere than dist/renderer (so two builds never race).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
export const rendererDir = process.env.STEPLAB_RENDERER_OUT || join(root, 'dist', 'renderer');

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return readdirSync(path).reduce((m, name) => Math.max(m, newestMtime(join(path, name))), st.mtimeMs);
}

/** Builds the renderer when there is no build or the sources changed after it. */
export function ensureRendererBuilt(): void {
  const index = join(rendererDir, 'index.html');
  const sources = Math.max(newestMtime(join(root, 'src-renderer')), newestMtime(join(root, 'src-shared')), statSync(join(root, 'vite.config.ts')).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  execFileSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn', '--outDir', rendererDir, '--emptyOutDir'], {
    cwd: root,
    stdio: 'inherit',
  });
}
