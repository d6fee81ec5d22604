// Pure parts of the renderer store: the URL-hash route and merging job reports that arrive out of order.
import { describe, expect, it } from 'vitest';
import type { Job } from '../src-shared/domain';
import { JOBS_SHOWN, mergeJobs } from '../src-renderer/store/jobs';
import { formatHash, parseHash } from '../src-renderer/store/route';

const job = (id: number, state: Job['state'], updatedAt: string, done = 0): Job => ({
  id,
  kind: 'import',
  config: {},
  state,
  progress: { done, total: 10, message: null },
  result: null,
  error: null,
  attempts: 1,
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt,
  finishedAt: null,
});

describe('route', () => {
  it('round-trips views and dataset names, and falls back to datasets', () => {
    for (const r of [
      { view: 'datasets', dataset: null },
      { view: 'jobs', dataset: null },
      { view: 'import', dataset: null },
      { view: 'problems', dataset: null },
      { view: 'problems', dataset: 'mm k12/train #2' },
    ] as const) {
      expect(parseHash(formatHash(r))).toEqual(r);
    }
    expect(parseHash('')).toEqual({ view: 'datasets', dataset: null });
    expect(parseHash('#/nonsense')).toEqual({ view: 'datasets', dataset: null });
    expect(parseHash('#/problems/%E0%A4%A')).toEqual({ view: 'problems', dataset: null });
    expect(parseHash('#/jobs/ignored')).toEqual({ view: 'jobs', dataset: null });
  });
});

describe('mergeJobs', () => {
  it('keeps the later report of a job, newest job first', () => {
    const early = job(1, 'running', '2025-01-01T00:00:01.000Z', 3);
    const late = job(1, 'done', '2025-01-01T00:00:02.000Z', 10);
    expect(mergeJobs([late], [early])).toEqual([late]);
    expect(mergeJobs([early], [late])).toEqual([late]);
    const other = job(2, 'queued', '2025-01-01T00:00:00.500Z');
    expect(mergeJobs([early], [other]).map((j) => j.id)).toEqual([2, 1]);
  });

  it('keeps at most JOBS_SHOWN jobs', () => {
    const many = Array.from({ length: JOBS_SHOWN + 5 }, (_, i) => job(i + 1, 'done', '2025-01-01T00:00:00.000Z'));
    const merged = mergeJobs([], many);
    expect(merged).toHaveLength(JOBS_SHOWN);
    expect(merged[0].id).toBe(JOBS_SHOWN + 5);
  });
});
