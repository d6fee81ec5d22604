// A trainer dies with its job: its process group (the trainer and what it started) is signalled on
// cancel and when the job's host closes. The CLI's SIGTERM and SIGKILL: e2e/trainer-signals.e2e.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Job } from '../src-shared/domain';
import { openWorkbench, type Workbench } from '../src-main/core/workbench';
import { GROUP_TRAINER as TRAINER, gone, pidsOf, trainingWorkspace } from './helpers/trainerSignals';

const made = trainingWorkspace(300_000);

describe('the trainer dies with its job', () => {
  it('cancel stops its whole process group', { timeout: 180_000 }, async () => {
    const { ws, set } = made;
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
    const { ws, set } = made;
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
