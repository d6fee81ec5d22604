// Builds the renderer into dist/renderer; relative asset paths so the same build loads over the
// headless host and from a file in the Electron window.
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig(({ command }) => {
  // a build is always a production build, even when started from a test runner that set NODE_ENV=test
  // (which would otherwise bundle React's development build: double effects, several times slower)
  if (command === 'build') process.env.NODE_ENV = 'production';
  return {
    root: fileURLToPath(new URL('./src-renderer', import.meta.url)),
    base: './',
    plugins: [react()],
    // Monaco's editor and JSON workers (imported with ?worker) are ES modules built as their own files
    worker: { format: 'es' },
    build: {
      outDir: fileURLToPath(new URL('./dist/renderer', import.meta.url)),
      emptyOutDir: true,
      target: 'es2022',
    },
  };
});
