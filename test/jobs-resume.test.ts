// Resuming a stopped job through the API: a cancelled search continues from its checkpoint without
// searching a problem twice; what cannot resume (a running, done or cleaned-up job) is refused with the
// reason and changes nothing.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../src-main/core/dispatch';
import { createApiHandlers } from '../src-main/core/api';
import { openWorkbench, type Workbench } from '../src-main/core/workbench';
import type { ApiHandlers } from '../src-shared/api';
import { cli } from './helpers/cli';
import { tempDir } from './helpers/tmp';
import { onJobRow } from './helpers/jobRows';

let tmp: ReturnType<typeof tempDir>;
let wb: Workbench;
let api: ApiHandlers;
const call = (method: string, input: unknown) => dispatch(api, method, input);

beforeAll(async () => {
  tmp = tempDir();
  const ws = join(tmp.dir, 'ws');
  expect((await cli('init', ws, '--demo')).code).toBe(0);
  wb = openWorkbench(ws);
  api = createApiHandlers(wb.store, wb.runner);
});
afterAll(async () => {
  await wb.close();
  tmp.cleanup();
});

const SEARCH = { dataset: 'demo', split: 'test', model: 'tiny-policy', algo: 'omega', limit: 4, seed: 3, config: { rolloutsPerState: 4, maxSearchCount: 4, rolloutBudget: 48 } };

describe('jobs.resume', () => {
  it('continues a cancelled search where it stopped: every problem searched once', async () => {
    const job = wb.runner.submit('search', SEARCH);
    // cancel after the first problem's search is committed
    await new Promise<void>((resolve) => {
      const off = onJobRow(wb, (j) => {
        if (j.id === job.id && j.progress.done >= 1) {
          off();
          wb.runner.cancel(job.id);
          resolve();
        }
      });
    });
    const stopped = await wb.runner.wait(job.id);
    expect(stopped.state).toBe('cancelled');
    const before = wb.store.trees.listSearches({ offset: 0, limit: 100 }).items.filter((s) => s.jobId === job.id).length;
    expect(before).toBeGreaterThanOrEqual(1);
    expect(before).toBeLessThan(4);

    const resumed = (await call('jobs.resume', { id: job.id })) as { state: string; error: string | null };
    expect(resumed).toMatchObject({ state: 'queued', error: null });
    const end = await wb.runner.wait(job.id);
    expect(end.state, end.error ?? '').toBe('done');
    expect(end.attempts).toBe(2);
    const searches = wb.store.trees.listSearches({ offset: 0, limit: 100 }).items.filter((s) => s.jobId === job.id);
    expect(searches).toHaveLength(4);
    expect(new Set(searches.map((s) => s.problemId)).size).toBe(4);
  });

  it('runs a job resumed the moment its cancel is reported, while its last worker is still exiting', async () => {
    const job = wb.runner.submit('search', { ...SEARCH, seed: 5 });
    // as the UI does: Resume as soon as the job reads cancelled, without waiting for its worker to exit
    const resumed = new Promise<unknown>((resolve) => {
      let cancelled = false;
      const off = onJobRow(wb, (j) => {
        if (j.id !== job.id) return;
        if (!cancelled && j.state === 'running' && j.progress.done >= 1) {
          cancelled = true;
          wb.runner.cancel(job.id);
        }
        if (j.state === 'cancelled') {
          off();
          resolve(call('jobs.resume', { id: job.id }));
        }
      });
    });
    expect(await resumed).toMatchObject({ state: 'queued' });
    const end = await new Promise<{ state: string; attempts: number }>((resolve) => {
      const off = onJobRow(wb, (j) => {
        if (j.id === job.id && (j.state === 'done' || j.state === 'failed')) {
          off();
          resolve(j);
        }
      });
    });
    expect(end).toMatchObject({ state: 'done', attempts: 2 });
  }, 60_000);

  it('refuses a done job, an unknown one, and a job whose kind removed its partial work', async () => {
    const done = wb.store.jobs.list(100).find((j) => j.state === 'done' && j.kind === 'search')!;
    await expect(call('jobs.resume', { id: done.id })).rejects.toThrow(`job ${done.id} is done; start a new search job to run it again`);
    await expect(call('jobs.resume', { id: 99_999 })).rejects.toThrow('job 99999 not found');
    await expect(call('jobs.resume', { id: 'one' })).rejects.toThrow(/id/);
    // an import that was cancelled cleaned up its staging rows: it cannot continue
    const imp = wb.store.jobs.create('import', { path: join(tmp.dir, 'missing.jsonl'), dataset: 'x', skipBad: false });
    const cancelled = wb.runner.cancel(imp.id);
    expect(cancelled.state).toBe('cancelled');
    await expect(call('jobs.resume', { id: imp.id })).rejects.toThrow(`job ${imp.id} (import) cannot resume after it was cancelled: its partial work was removed; start a new import job`);
    expect(wb.store.jobs.get(imp.id)).toMatchObject({ state: 'cancelled', error: cancelled.error });
  });
});
