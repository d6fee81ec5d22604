import { defineConfig } from 'vitest/config';

// The unit suites. No test here depends on the machine's speed: the limits below only stop a test that
// hangs (generous, for a laptop busy with other work: `npm run test:stress`); tests that wait on other
// processes wait on their progress (test/helpers/progress.ts). Suites that kill and restart processes
// run with the browser tests (`npm run test:e2e`).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'test/train/**', 'node_modules/**'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
