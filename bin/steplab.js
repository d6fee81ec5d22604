#!/usr/bin/env node
// The `steplab` command: runs the TypeScript CLI through the tsx loader, so no build step is needed.
// Exit codes are 0, 1 and 2 only: should the command's promise never settle (nothing left to wait for),
// Node would end with its own code 13; beforeExit turns that into an internal error (2) with one line.
import { register } from 'tsx/esm/api';

register();
// A reader that stops early (`steplab models --json | head`) closes the pipe: that is the reader's choice,
// not an error of the command, so the command ends quietly as `cat` does (no stack trace, exit 0).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e && e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}
const { main } = await import('../src-main/cli/main.ts');
let settled = false;
process.on('beforeExit', () => {
  if (settled) return;
  settled = true;
  process.stderr.write('internal error: the command stopped before it finished (it was left waiting on nothing); run it again, with --debug for details\n');
  process.exitCode = 2;
});
main(process.argv.slice(2)).then(
  (code) => {
    settled = true;
    process.exitCode = code;
  },
  (e) => {
    settled = true;
    process.stderr.write(`internal error: ${e?.message ?? String(e)}\n`);
    process.exitCode = 2;
  },
);
