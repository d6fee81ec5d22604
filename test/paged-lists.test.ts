// datasets.list and evaluations.list page like problems.list and searches.list: offset and limit in, the
// page and the total out; the CLI's listings print every item, page after page.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../src-main/core/dispatch';
import { openWorkbench, type Workbench } from '../src-main/core/workbench';
import { cli } from './helpers/cli';
import { tempDir } from './helpers/tmp';

const N = 1234;
let tmp: ReturnType<typeof tempDir>;
let wb: Workbench;
const call = <T>(method: string, input: unknown) => dispatch(wb.handlers, method as never, input as never) as Promise<T>;
type Page<T> = { total: number; items: T[] };

beforeAll(async () => {
  tmp = tempDir('steplab-paged-');
  wb = openWorkbench(join(tmp.dir, 'ws'), { create: true });
  wb.store.transaction(() => {
    for (let i = 0; i < N; i++) {
      const ds = wb.store.datasets.getOrCreate(`ds-${String(i).padStart(5, '0')}`);
      wb.store.evaluations.create({ name: `eval ${i}`, datasetId: ds, policyId: null, rewardId: null, config: {}, jobId: null });
    }
  });
});
afterAll(async () => {
  await wb?.close();
  tmp?.cleanup();
});

describe('datasets.list', () => {
  it('gives a page by name and the total; the default page is 100', async () => {
    const first = await call<Page<{ name: string }>>('datasets.list', {});
    expect(first.total).toBe(N);
    expect(first.items.map((d) => d.name)).toEqual(Array.from({ length: 100 }, (_, i) => `ds-${String(i).padStart(5, '0')}`));
    const later = await call<Page<{ name: string }>>('datasets.list', { offset: 1200, limit: 50 });
    expect(later.total).toBe(N);
    expect(later.items.map((d) => d.name)).toEqual(Array.from({ length: N - 1200 }, (_, i) => `ds-${String(1200 + i).padStart(5, '0')}`));
    expect((await call<Page<unknown>>('datasets.list', { offset: N, limit: 10 })).items).toEqual([]);
  });

  it('refuses a page larger than 1000 or a negative offset with the field named', async () => {
    await expect(call('datasets.list', { limit: 5000 })).rejects.toThrow(/limit/);
    await expect(call('datasets.list', { offset: -1 })).rejects.toThrow(/offset/);
  });
});

describe('evaluations.list', () => {
  it('gives a page, newest first, and the total', async () => {
    const first = await call<Page<{ name: string }>>('evaluations.list', { limit: 3 });
    expect(first).toMatchObject({ total: N, items: [{ name: `eval ${N - 1}` }, { name: `eval ${N - 2}` }, { name: `eval ${N - 3}` }] });
    const last = await call<Page<{ name: string }>>('evaluations.list', { offset: N - 2, limit: 100 });
    expect(last.items.map((e) => e.name)).toEqual(['eval 1', 'eval 0']);
  });
});

describe('the CLI listings', () => {
  it('print every dataset and evaluation, over several pages', async () => {
    const ws = join(tmp.dir, 'ws');
    await wb.close();
    try {
      const ds = await cli('datasets', '--workspace', ws, '--json');
      expect(ds.code, ds.err.join('\n')).toBe(0);
      expect((JSON.parse(ds.out.join('\n')) as unknown[]).length).toBe(N);
      const ev = await cli('evaluations', '--workspace', ws, '--json');
      expect(ev.code, ev.err.join('\n')).toBe(0);
      expect((JSON.parse(ev.out.join('\n')) as unknown[]).length).toBe(N);
    } finally {
      wb = openWorkbench(ws);
    }
  }, 120_000);
});
