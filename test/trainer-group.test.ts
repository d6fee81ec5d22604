// A trainer dies with its job: its process group (the trainer and what it started) is signalled on
// cancel and when the job's host closes. The CLI's SIGTERM and SIGKILL: e2e/trainer-signals.e2e.test.ts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../src-shared/domain';
import { openWorkbench, type Workbench } from '../src-main/core/workbench';
import { searchWorkspace, type SearchWorkspace } from './helpers/searchWorkspace';

const TRAINER = join(import.meta.dirname, 'helpers', 'group-trainer.mjs');

let sw: SearchWorkspace;
let ws: string;
let set: string;
beforeAll(async () => {
  sw = await searchWorkspace({ count: 1 });
  ws = sw.wb.store.paths.dir;
  set = sw.wb.store.annotations.sets()[0].name;
  await sw.wb.close();
}, 300_000);
afterAll(async () => {
  await sw?.cleanup().catch(() => undefined);
});

/** Whether a process runs (a zombie, dead but not yet reaped by its parent, does not). */
const alive = (pid: number): boolean => {
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
async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function pidsOf(file: string): Promise<{ trainer: number; grandchild: number }> {
  await until('the trainer to start', () => existsSync(file) && readFileSync(file, 'utf8').length > 0);
  const pids = JSON.parse(readFileSync(file, 'utf8')) as { trainer: number; grandchild: number };
  expect(alive(pids.trainer) && alive(pids.grandchild)).toBe(true);
  return pids;
}

const gone = (p: { trainer: number; grandchild: number }): Promise<void> => until('the trainer and its child to exit', () => !alive(p.trainer) && !alive(p.grandchild));

describe('the trainer dies with its job', () => {
  it('cancel stops its whole process group', { timeout: 180_000 }, async () => {
    const wb: Workbench = openWorkbench(ws);
    const file = join(ws, 'pids-cancel.json');
    try {
      const job = wb.runner.submit('train-prm', { annotations: set, trainer: ['node', TRAINER, file] });
      const pids = await pidsOf(file);
      wb.runner.cancel(job.id);
      const end: Job = await wb.runner.wait(job.id);
      expect(end.state).toBe('cancelled');
      await gone(pids);
    } finally {
      await wb.close();
    }
  });

  it('a host that closes (a workspace switched, the app quit) stops it too', { timeout: 180_000 }, async () => {
    const wb: Workbench = openWorkbench(ws);
    const file = join(ws, 'pids-close.json');
    let job: Job;
    try {
      job = wb.runner.submit('train-prm', { annotations: set, trainer: ['node', TRAINER, file] });
      await pidsOf(file);
    } finally {
      await wb.close();
    }
    const pids = JSON.parse(readFileSync(file, 'utf8'));
    await gone(pids);
    const again = openWorkbench(ws);
    try {
      expect(again.store.jobs.get(job.id).state).toBe('interrupted');
      again.runner.cancel(job.id);
    } finally {
      await again.close();
    }
  });
});
