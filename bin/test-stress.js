#!/usr/bin/env node
// `npm run test:stress`: `npm test` beside two CPU-bound processes, as on a busy laptop, to show that no
// test depends on the machine's speed. Run it before resolving an issue, not in CI (it doubles the load).
// The busy processes are stopped when the tests end, fail, or are interrupted. Arguments go to vitest.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const busy = [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
const stop = () => {
  for (const b of busy) if (b.exitCode === null && b.signalCode === null) b.kill('SIGKILL');
};
process.on('exit', stop);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    stop();
    process.exit(130);
  });
}
process.stderr.write(`test:stress: two CPU-bound processes running (pids ${busy.map((b) => b.pid).join(', ')})\n`);
const run = spawn(process.execPath, [vitest, 'run', ...process.argv.slice(2)], { stdio: 'inherit' });
run.on('exit', (code, signal) => {
  stop();
  process.exit(code ?? (signal ? 1 : 0));
});
