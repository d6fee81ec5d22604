// What a job row says: each kind with its key settings, a finished job's outcome from its result (never a
// stale progress message), the link to its results, and a cancel shown as cancelling until the job stops.
import { describe, expect, it, vi } from 'vitest';
import type { Job } from '../src-shared/domain';
import { describeJob, jobLink, jobOutcome, shownState } from '../src-renderer/jobs/describe';
import { createAppStore } from '../src-renderer/store';
import type { Api } from '../src-shared/api';

const job = (kind: string, config: unknown, extra: Partial<Job> = {}): Job => ({
  id: 7,
  kind,
  config,
  state: 'done',
  progress: { done: 40, total: 40, message: 'scoring: 320 candidates' },
  result: null,
  error: null,
  attempts: 1,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  finishedAt: null,
  ...extra,
});

describe('job rows', () => {
  it('names each kind with its key settings', () => {
    expect(describeJob(job('search', { dataset: 'demo', split: 'train', model: 'tiny-policy', algo: 'omega', limit: 20, seed: 3 }))).toEqual({
      title: 'Search',
      settings: ['OmegaPRM', 'demo/train', 'tiny-policy', '≤ 20 problems', 'seed 3'],
    });
    expect(describeJob(job('search', { dataset: 'demo', model: 'p', algo: 'mc' })).settings).toEqual(['Math-Shepherd MC', 'demo', 'p', 'seed 0']);
    expect(describeJob(job('bon', { dataset: 'demo', split: 'test', selectOn: 'val', policy: 'tiny-policy', prm: 'tiny-prm', n: 8 })).settings).toEqual([
      'demo/test',
      'rule chosen on val',
      'tiny-policy + tiny-prm',
      'N=8',
    ]);
    expect(describeJob(job('score', { prm: 'tiny-prm', searches: [1, 2, 3] })).settings).toEqual(['tiny-prm', '3 searches']);
    expect(describeJob(job('score', { prm: 'tiny-prm', dataset: 'demo', split: 'test' })).settings).toEqual(['tiny-prm', 'demo/test solutions']);
    expect(describeJob(job('generate', { dataset: 'demo', model: 'tiny-policy', n: 4 })).settings).toEqual(['demo', 'tiny-policy', 'n=4', 'seed 0']);
    expect(describeJob(job('train-prm', { annotations: 'omega-2', name: 'prm-x', labels: 'soft' })).settings).toEqual(['set omega-2', '→ prm-x', 'soft labels']);
    expect(describeJob(job('train-prm', { annotations: 'omega-2', labels: 'soft', calculator: true })).settings).toEqual(['set omega-2', 'soft labels', 'with a calculator']);
    expect(describeJob(job('cycle', { dataset: 'demo', policy: 'tiny-policy', orm: 'tiny-orm', cycles: 3 }))).toEqual({ title: 'Cycle run', settings: ['demo', 'tiny-policy + tiny-orm', '3 cycles'] });
    expect(describeJob(job('import', { path: '/data/x/problems.jsonl', dataset: 'demo' })).settings).toEqual(['problems.jsonl → demo']);
  });

  it("says what a finished job produced from its result, not its last progress message, and links to it", () => {
    const bon = job('bon', {}, { result: { evaluation: 3, n: 8, problems: 20, accuracy: { greedy: 0.7, pass_at_n: 0.75, prm_product: 0.3 }, chosen: 'prm_product' } });
    expect(jobOutcome(bon)).toBe('evaluation #3 · 20 problems × N=8 · chosen PRM product 30.0% · greedy 70.0% · pass@N 75.0%');
    expect(jobOutcome(bon)).not.toContain('scoring');
    expect(jobLink(bon, { cycleRunOf: () => undefined })).toEqual({ label: 'Evaluation #3', route: { view: 'evaluations', dataset: null, evaluationId: 3 } });
    const search = job('search', { dataset: 'demo' }, { result: { problems: 2, nodes: 30, labelledSteps: 20, annotationSet: 'omega-9', searchIds: [11, 12] } });
    expect(jobOutcome(search)).toBe('2 problems searched: 30 nodes, 20 labelled steps (set omega-9)');
    expect(jobLink(search, { cycleRunOf: () => undefined })).toEqual({ label: 'Open its 2 searches', route: { view: 'searches', dataset: null, search: 11 } });
    expect(jobLink(job('cycle', {}, { state: 'running' }), { cycleRunOf: (id) => (id === 7 ? 4 : undefined) })).toEqual({ label: 'Cycle run #4', route: { view: 'cycles', dataset: null, cycleRun: 4 } });
    // a running job has no outcome yet (its progress message is shown instead)
    expect(jobOutcome({ ...bon, state: 'running' })).toBeNull();
  });

  it('shows a cancel as cancelling until the job stops', () => {
    expect(shownState(job('search', {}, { state: 'running' }), true)).toBe('cancelling');
    expect(shownState(job('search', {}, { state: 'running', cancelRequested: true }), false)).toBe('cancelling');
    expect(shownState(job('search', {}, { state: 'cancelled' }), true)).toBe('cancelled');
    expect(shownState(job('search', {}, { state: 'running' }), false)).toBe('running');
  });

  it('remembers a cancel asked for until the core reports the job stopped, and forgets it when the core refuses', async () => {
    let refuse = false;
    const running = job('search', {}, { state: 'running' });
    const api = {
      'jobs.cancel': vi.fn(async () => {
        if (refuse) throw new Error('job 7 has finished');
        return { ...running, cancelRequested: true };
      }),
    } as unknown as Api;
    const store = createAppStore(api, { view: 'jobs', dataset: null });
    store.getState().applyJob(running);
    const asked = store.getState().cancelJob(7);
    expect(store.getState().cancelAsked).toEqual([7]);
    await asked;
    expect(store.getState().cancelAsked).toEqual([7]);
    store.getState().applyJob({ ...running, state: 'cancelled', updatedAt: '2026-01-01T00:00:09Z' });
    expect(store.getState().cancelAsked).toEqual([]);
    refuse = true;
    await expect(store.getState().cancelJob(7)).rejects.toThrow('job 7 has finished');
    expect(store.getState().cancelAsked).toEqual([]);
  });
});

describe('the jobs slice built from job events', () => {
  const T = (s: number): string => `2026-01-01T00:00:${String(s).padStart(2, '0')}Z`;

  it('takes the snapshot, then folds each event into its row; an event of a job it has no row for fetches the job', async () => {
    const missing = job('import', {}, { id: 3, state: 'running', updatedAt: T(5) });
    const api = {
      'jobs.get': vi.fn(async () => missing),
      'datasets.list': vi.fn(async () => []),
      'workspace.info': vi.fn(async () => ({})),
      'searches.list': vi.fn(async () => ({ total: 0, items: [] })),
      'models.list': vi.fn(async () => []),
    } as unknown as Api;
    const store = createAppStore(api, { view: 'jobs', dataset: null });
    const s = () => store.getState();
    const queued = job('search', { dataset: 'demo', model: 'p', algo: 'omega' }, { state: 'queued', attempts: 0, progress: { done: 0, total: null, message: null }, updatedAt: T(1) });
    s().applyJobsSnapshot([queued]);
    expect(s()).toMatchObject({ jobs: [queued], jobsLoaded: true });
    s().applyJobEvent({ type: 'started', jobId: 7, at: T(2), attempts: 1 });
    s().applyJobEvent({ type: 'progress', jobId: 7, at: T(3), done: 2, total: 4 });
    s().applyJobEvent({ type: 'message', jobId: 7, at: T(3), message: 'problem 2/4' });
    expect(s().jobs[0]).toEqual({ ...queued, state: 'running', attempts: 1, progress: { done: 2, total: 4, message: 'problem 2/4' }, updatedAt: T(3) });
    // a late report older than the row leaves it
    s().applyJobEvent({ type: 'progress', jobId: 7, at: T(2), done: 1, total: 4 });
    expect(s().jobs[0].progress.done).toBe(2);
    s().applyJobEvent({ type: 'finished', jobId: 7, at: T(4), progress: { done: 4, total: 4, message: 'done' }, result: { searches: 4 } });
    expect(s().jobs[0]).toMatchObject({ state: 'done', result: { searches: 4 }, finishedAt: T(4), progress: { done: 4, total: 4 } });
    // a finished search refreshes what the other views show, as a finished snapshot did
    await vi.waitFor(() => expect(api['searches.list']).toHaveBeenCalled());
    s().applyJobEvent({ type: 'progress', jobId: 3, at: T(5), done: 1, total: null });
    await vi.waitFor(() => expect(s().jobs.map((j) => j.id)).toEqual([7, 3]));
    expect(api['jobs.get']).toHaveBeenCalledWith({ id: 3 });
  });

  it('a cancelling event shows the job as cancelling until it stops', () => {
    const store = createAppStore({} as Api, { view: 'jobs', dataset: null });
    const running = job('search', {}, { state: 'running', updatedAt: T(1) });
    store.getState().applyJobsSnapshot([running]);
    store.getState().applyJobEvent({ type: 'cancelling', jobId: 7, at: T(2) });
    expect(shownState(store.getState().jobs[0], false)).toBe('cancelling');
  });
});
