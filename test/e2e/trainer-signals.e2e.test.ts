// The CLI's own signals reach a trainer's process group, end to end through the real command: SIGTERM or
// SIGINT (Ctrl-C) cancels the job (the group stops, the command ends in one line), SIGKILL closes the trainer's stdin, on
// which the trainer protocol has it exit with its group. The in-process cases are in trainer-group.test.ts.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli';
import { GROUP_TRAINER as TRAINER, gone, pidsOf, trainingWorkspace } from '../helpers/trainerSignals';

const NO_FIXED_LIMIT = 3_600_000;
/** Waits on another process to act: a generous bound, since nothing here measures speed. */
const WAIT_MS = 120_000;

const made = trainingWorkspace(NO_FIXED_LIMIT);

describe("the CLI's signals reach the trainer", () => {
  it.each(['SIGTERM', 'SIGINT'] as const)("the CLI's %s cancels the job: the trainer's group stops and the command ends in one line", { timeout: NO_FIXED_LIMIT }, async (signal) => {
    const { ws, set } = made;
    const file = join(ws, `pids-${signal.toLowerCase()}.json`);
    const { child, done } = startCli(['train-prm', '--workspace', ws, '--annotations', set, '--name', `${signal.toLowerCase()}-prm`, '--trainer', 'node', TRAINER, file]);
    const pids = await pidsOf(file, WAIT_MS);
    child.kill(signal);
    const r = await done;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^cancelling job \d+\.\.\.\nerror: training cancelled; nothing was registered\n$/);
    await gone(pids, WAIT_MS);
  });

  it('a CLI killed outright closes the trainer\'s stdin: the trainer and its group exit', { timeout: NO_FIXED_LIMIT }, async () => {
    const { ws, set } = made;
    const file = join(ws, 'pids-sigkill.json');
    const { child, done } = startCli(['train-prm', '--workspace', ws, '--annotations', set, '--name', 'sigkill-prm', '--trainer', 'node', TRAINER, file]);
    const pids = await pidsOf(file, WAIT_MS);
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    await gone(pids, WAIT_MS);
  });
});
