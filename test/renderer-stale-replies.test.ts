// The renderer store against the real core when replies arrive out of order: a slow reply for a search
// the researcher has already left must not replace the one now open (tree, annotations, comparison), and
// undo/redo only ever act on the open search's edits.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../src-main/core/dispatch';
import { openWorkbench, type Workbench } from '../src-main/core/workbench';
import { createApiProxy, type Method } from '../src-shared/api';
import { createAppStore, type AppStore } from '../src-renderer/store';
import { cli } from './helpers/cli';
import { tempDir } from './helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let wb: Workbench;
let store: AppStore;
let a: number;
let b: number;
/** calls for this search id are held back until released (all of them: opening a search asks for its tree and its gold labels) */
let slowFor: number | null = null;
const held: (() => void)[] = [];
const release = (): void => held.splice(0).forEach((r) => r());

beforeAll(async () => {
  tmp = tempDir();
  const ws = join(tmp.dir, 'ws');
  expect((await cli('init', ws, '--demo')).code).toBe(0);
  wb = openWorkbench(ws);
  const job = await wb.runner.wait(
    wb.runner.submit('search', { dataset: 'demo', split: 'test', model: 'tiny-policy', algo: 'omega', limit: 2, config: { maxSearchCount: 4, rolloutBudget: 48, rolloutsPerState: 8, lengthScale: 50 }, annotationMode: 'all-paths' }).id,
  );
  expect(job.state, job.error ?? '').toBe('done');
  [a, b] = (job.result as { searchIds: number[] }).searchIds;
  const api = createApiProxy({
    call: async (m: Method, p: unknown) => {
      const params = p as { id?: number; searchId?: number };
      if (slowFor !== null && (params.id === slowFor || params.searchId === slowFor)) await new Promise<void>((r) => held.push(r));
      return dispatch(wb.handlers, m, p);
    },
    subscribe: () => () => {},
  });
  store = createAppStore(api, { view: 'searches', dataset: null });
});
afterAll(async () => {
  await wb?.close();
  tmp?.cleanup();
});

describe('out-of-order replies', () => {
  it('keeps the search opened last when an earlier one answers after it', async () => {
    slowFor = a;
    const first = store.getState().openSearch(a);
    await new Promise((r) => setTimeout(r, 20));
    slowFor = null;
    await store.getState().openSearch(b);
    expect(store.getState().tree?.search.id).toBe(b);
    const ofB = store.getState().annotations.map((x) => x.id);
    expect(ofB.length).toBeGreaterThan(0);
    release();
    await first;
    expect(store.getState().tree?.search.id).toBe(b);
    expect(store.getState().annotations.map((x) => x.id)).toEqual(ofB);
  });

  it("undo history belongs to one search: opening another one starts afresh", async () => {
    await store.getState().openSearch(a);
    const ann = store.getState().annotations[0];
    expect(await store.getState().relabel(ann.id, 0, 0.25)).toBe(true);
    expect(store.getState().undoStack).toHaveLength(1);
    await store.getState().openSearch(b);
    expect(store.getState().undoStack).toEqual([]);
    await store.getState().undo();
    // the edit of search a is still in force
    const again = (await dispatch(wb.handlers, 'annotations.forSearch', { searchId: a })) as { id: number; steps: { softLabel: number }[] }[];
    expect(again.find((x) => x.id === ann.id)!.steps[0].softLabel).toBe(0.25);
  });
});
