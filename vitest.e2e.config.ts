import { defineConfig } from 'vitest/config';

// End-to-end tests: the UI in Debian's chromium driven by playwright-core (a built renderer, the headless
// host), and the real `steplab` command in processes that are killed and run again (kill-resume, rerun,
// rerun-kinds, cycles-cli,
// trainer-signals: no browser; their waits follow the work's progress, not the clock).
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
