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
