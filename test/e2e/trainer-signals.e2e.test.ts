// The CLI's own signals reach a trainer's process group, end to end through the real command: SIGTERM
// cancels the job (the group stops, the command ends in one line), SIGKILL closes the trainer's stdin, on
// which the trainer protocol has it exit with its group. The in-process cases are in trainer-group.test.ts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli';
import { searchWorkspace, type SearchWorkspace } from '../helpers/searchWorkspace';

const TRAINER = join(import.meta.dirname, '..', 'helpers', 'group-trainer.mjs');
const NO_FIXED_LIMIT = 3_600_000;

let sw: SearchWorkspace;
let ws: string;
let set: string;
beforeAll(async () => {
  sw = await searchWorkspace({ count: 1 });
  ws = sw.wb.store.paths.dir;
  set = sw.wb.store.annotations.sets()[0].name;
  await sw.wb.close();
}, NO_FIXED_LIMIT);
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
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
};

/** Waits for another process to act; a generous bound, since nothing here measures speed. */
async function until(what: string, ok: () => boolean, ms = 120_000): Promise<void> {
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

describe("the CLI's signals reach the trainer", () => {
  it("the CLI's SIGTERM cancels the job: the trainer's group stops and the command ends in one line", { timeout: NO_FIXED_LIMIT }, async () => {
    const file = join(ws, 'pids-sigterm.json');
    const { child, done } = startCli(['train-prm', '--workspace', ws, '--annotations', set, '--name', 'sigterm-prm', '--trainer', 'node', TRAINER, file]);
    const pids = await pidsOf(file);
    child.kill('SIGTERM');
    const r = await done;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^cancelling job \d+\.\.\.\nerror: training cancelled; nothing was registered\n$/);
    await gone(pids);
  });

  it('a CLI killed outright closes the trainer\'s stdin: the trainer and its group exit', { timeout: NO_FIXED_LIMIT }, async () => {
    const file = join(ws, 'pids-sigkill.json');
    const { child, done } = startCli(['train-prm', '--workspace', ws, '--annotations', set, '--name', 'sigkill-prm', '--trainer', 'node', TRAINER, file]);
    const pids = await pidsOf(file);
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    await gone(pids);
  });
});
