// What the tests of "a trainer dies with its job" share: whether a process runs, waiting on another
// process, the pids group-trainer.mjs writes, and a workspace with one annotation set to train on.
// Used by trainer-group.test.ts, e2e/trainer-signals.e2e.test.ts and train/parent-watch.train.test.ts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { searchWorkspace, type SearchWorkspace } from './searchWorkspace';

/** A trainer that starts a grandchild in its process group and writes both pids to the file it is given. */
export const GROUP_TRAINER = join(import.meta.dirname, 'group-trainer.mjs');

/** Whether a process runs (a zombie, dead but not yet reaped by its parent, does not). */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ...", S the state; Z: a zombie
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
};

/** Waits for a condition that some other process brings about; fails after `ms` (generous: a busy machine). */
export async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface TrainerPids {
  trainer: number;
  grandchild: number;
}

/** The pids group-trainer.mjs wrote to `file`, once it has started; both running. */
export async function pidsOf(file: string, ms?: number): Promise<TrainerPids> {
  await until('the trainer to start', () => existsSync(file) && readFileSync(file, 'utf8').length > 0, ms);
  const pids = JSON.parse(readFileSync(file, 'utf8')) as TrainerPids;
  expect(alive(pids.trainer) && alive(pids.grandchild)).toBe(true);
  return pids;
}

/** Resolves once the trainer and its child have both exited. */
export const gone = (p: TrainerPids, ms?: number): Promise<void> => until('the trainer and its child to exit', () => !alive(p.trainer) && !alive(p.grandchild), ms);

/**
 * A workspace searched once (one problem), closed, with its annotation set: made before the file's tests
 * (within `setupMs`), removed after them. Read `ws` and `set` inside a test.
 */
export function trainingWorkspace(setupMs: number): { readonly ws: string; readonly set: string } {
  let sw: SearchWorkspace | undefined;
  const made = { ws: '', set: '' };
  beforeAll(async () => {
    sw = await searchWorkspace({ count: 1 });
    made.ws = sw.wb.store.paths.dir;
    made.set = sw.wb.store.annotations.sets()[0].name;
    await sw.wb.close();
  }, setupMs);
  afterAll(async () => {
    await sw?.cleanup().catch(() => undefined);
  });
  return made;
}
