import { defineConfig } from 'vitest/config';

// Suites that need Debian's python3-torch: parity with PyTorch and the reference trainer.
export default defineConfig({
  test: {
    include: ['test/train/**/*.train.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
