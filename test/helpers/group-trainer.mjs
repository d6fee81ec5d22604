#!/usr/bin/env node
// A trainer for process-group tests: it speaks the trainer protocol but never finishes. It starts a
// grandchild (`sleep`, in its process group), writes both pids to the file named by its first argument,
// and emits a progress line every 200 ms. As the protocol asks, it exits when its stdin (a pipe) closes,
// taking its process group with it; SIGTERM ends it with 143.
import { spawn } from 'node:child_process';
import { fstatSync, writeFileSync } from 'node:fs';

const pidFile = process.argv[2];
const grandchild = spawn('sleep', ['600'], { stdio: 'ignore' });
writeFileSync(pidFile, JSON.stringify({ trainer: process.pid, grandchild: grandchild.pid }));
process.on('SIGTERM', () => process.exit(143));
process.stdout.on('error', () => process.exit(141));
const stdin = fstatSync(0);
if (stdin.isFIFO() || stdin.isSocket()) {
  process.stdin.on('end', () => {
    try {
      process.kill(-process.pid, 'SIGTERM');
    } catch {
      process.kill(process.pid, 'SIGTERM');
    }
  });
  process.stdin.resume();
}
let step = 0;
setInterval(() => process.stdout.write(JSON.stringify({ event: 'progress', step: ++step, total: 1_000_000, loss: 1 / step }) + '\n'), 200);
