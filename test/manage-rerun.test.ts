// Deleting what a real search job made (the bundled tiny policy on two demo problems): its searches go,
// the job record goes with its last search, and the same search command then runs again instead of
// reporting the old job done.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dispatch } from '../src-main/core/dispatch';
import type { JobRequest } from '../src-shared/jobConfigs';
import type { ManagePlan } from '../src-shared/manage';
import { searchWorkspace, type SearchWorkspace } from './helpers/searchWorkspace';

let sw: SearchWorkspace;
beforeAll(async () => {
  sw = await searchWorkspace({ count: 2 });
});
afterAll(async () => {
  await sw?.cleanup();
});

const call = <T>(method: string, params: unknown): Promise<T> => dispatch(sw.wb.handlers, method, params) as Promise<T>;

it('a search command runs again once the searches it made are deleted', async () => {
  const job = sw.wb.store.jobs.ofKind('search')[0];
  const request = { kind: 'search', config: job.config } as JobRequest;
  // before: the same command finds its job done
  expect((await call<{ reuse: string }>('jobs.startOrResume', { request })).reuse).toBe('done');
  const [a, b] = sw.omega;
  expect(rowsOf(await call<ManagePlan>('manage.delete', { kind: 'search', ref: a, confirm: true }))['job records']).toBeUndefined();
  expect(rowsOf(await call<ManagePlan>('manage.delete', { kind: 'search', ref: b, confirm: true }))['job records']).toBe(1);
  const again = await call<{ reuse: string; job: { id: number } }>('jobs.startOrResume', { request });
  expect(again.reuse).toBe('new');
  const end = await sw.wb.runner.wait(again.job.id);
  expect(end.state).toBe('done');
  expect((await call<{ total: number }>('searches.list', {})).total).toBe(2);
  expect(sw.wb.store.db.pragma('foreign_key_check')).toEqual([]);
});

const rowsOf = (p: ManagePlan): Record<string, number> => Object.fromEntries(p.rows.map((r) => [r.what, r.count]));
