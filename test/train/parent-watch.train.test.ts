// The reference trainer's side of "a trainer dies with Steplab" (models/recipes/parent_watch.py, standard
// library only): started as Steplab starts a trainer (stdin a pipe, its own process group), it stops its
// whole group once its stdin closes; with stdin not a pipe (a terminal, /dev/null) it does not watch.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive, until } from '../helpers/trainerSignals';

const RECIPES = join(import.meta.dirname, '..', '..', 'models', 'recipes');
const HARNESS = [
  'import json, os, subprocess, sys, time',
  `sys.path.insert(0, ${JSON.stringify(RECIPES)})`,
  'import parent_watch',
  "g = subprocess.Popen(['sleep', '600'])",
  'watching = parent_watch.exit_when_stdin_closes(grace_s=30)',
  "print(json.dumps({'pid': os.getpid(), 'grandchild': g.pid, 'watching': watching}), flush=True)",
  'time.sleep(600)',
].join('\n');

function start(stdin: 'pipe' | 'ignore') {
  const child = spawn('/usr/bin/python3', ['-c', HARNESS], { stdio: [stdin, 'pipe', 'inherit'], detached: true });
  const first = new Promise<{ pid: number; grandchild: number; watching: boolean }>((resolve) => {
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) resolve(JSON.parse(buf.split('\n')[0]));
    });
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, first, exited };
}

describe('parent_watch.exit_when_stdin_closes', () => {
  it('stops the trainer and what it started once its stdin closes', { timeout: 180_000 }, async () => {
    const { child, first, exited } = start('pipe');
    const p = await first;
    expect(p.watching).toBe(true);
    expect(alive(p.pid) && alive(p.grandchild)).toBe(true);
    child.stdin!.end(); // what the kernel does when Steplab dies
    expect(await exited).toEqual({ code: null, signal: 'SIGTERM' });
    await until('the grandchild to exit', () => !alive(p.grandchild));
  });

  it('does not watch a stdin that is not a pipe', { timeout: 180_000 }, async () => {
    const { first, exited } = start('ignore');
    const p = await first;
    expect(p.watching).toBe(false);
    await new Promise((r) => setTimeout(r, 500));
    expect(alive(p.pid)).toBe(true);
    process.kill(-p.pid, 'SIGTERM');
    await exited;
    await until('the grandchild to exit', () => !alive(p.grandchild));
  });
});
