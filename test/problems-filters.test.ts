// problems.list filters (split, answer type, images, solved / unsolved / no solutions, label status) and
// per-row counts, and problems.detail naming image files gone from the store, through the API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../src-main/core/dispatch';
import { browseFixture, type BrowseFixture } from './helpers/browseFixture';
import { tempDir } from './helpers/tmp';

let fx: BrowseFixture;
let tmp: ReturnType<typeof tempDir>;
type Page = { total: number; items: { extId: string; imageCount: number; solutions: number; correct: number; label: string; split: string | null; answerType: string }[] };
const list = async (q: Record<string, unknown>): Promise<Page> => (await dispatch(fx.wb.handlers, 'problems.list', { dataset: 'd', ...q })) as Page;
const ext = async (q: Record<string, unknown>): Promise<string[]> => (await list(q)).items.map((p) => p.extId);

beforeAll(() => {
  tmp = tempDir('steplab-filters-');
  fx = browseFixture(tmp.dir);
});
afterAll(async () => {
  await fx?.wb.close();
  tmp?.cleanup();
});

describe('problems.list', () => {
  it('returns every row with its split, answer type, image, solution and correct counts and label status', async () => {
    const page = await list({});
    expect(page.total).toBe(5);
    expect(page.items.map(({ extId, split, answerType, imageCount, solutions, correct, label }) => ({ extId, split, answerType, imageCount, solutions, correct, label }))).toEqual([
      { extId: 'solved', split: 'train', answerType: 'number', imageCount: 2, solutions: 2, correct: 1, label: 'none' },
      { extId: 'unsolved', split: 'train', answerType: 'fraction', imageCount: 0, solutions: 2, correct: 0, label: 'none' },
      { extId: 'nosol', split: 'test', answerType: 'number', imageCount: 1, solutions: 0, correct: 0, label: 'none' },
      { extId: 'searched', split: 'test', answerType: 'choice', imageCount: 0, solutions: 1, correct: 1, label: 'search' },
      { extId: 'curated', split: 'test', answerType: 'number', imageCount: 0, solutions: 0, correct: 0, label: 'curated' },
    ]);
  });

  it('filters by solved, unsolved and no solutions', async () => {
    expect(await ext({ solved: 'solved' })).toEqual(['solved', 'searched']);
    expect(await ext({ solved: 'unsolved' })).toEqual(['unsolved']);
    expect(await ext({ solved: 'none' })).toEqual(['nosol', 'curated']);
  });

  it('filters by label status, answer type and images, and combines filters with split, search and paging', async () => {
    expect(await ext({ label: 'search' })).toEqual(['searched']);
    expect(await ext({ label: 'curated' })).toEqual(['curated']);
    expect(await ext({ label: 'none' })).toEqual(['solved', 'unsolved', 'nosol']);
    expect(await ext({ answerType: 'number' })).toEqual(['solved', 'nosol', 'curated']);
    expect(await ext({ hasImage: true })).toEqual(['solved', 'nosol']);
    expect(await ext({ hasImage: false, split: 'test' })).toEqual(['searched', 'curated']);
    expect(await ext({ hasImage: true, solved: 'solved' })).toEqual(['solved']);
    expect(await ext({ answerType: 'number', split: 'test', solved: 'none', search: 'cur' })).toEqual(['curated']);
    const second = await list({ answerType: 'number', offset: 1, limit: 1 });
    expect(second.total).toBe(3);
    expect(second.items.map((p) => p.extId)).toEqual(['nosol']);
  });

  it('an undone curation edit no longer makes the problem curated', async () => {
    const ann = fx.wb.store.annotations.forDataset(fx.wb.store.datasets.requireId('d')).find((a) => a.problemId === fx.ids.curated)!;
    const edit = fx.wb.store.db.prepare('SELECT batch FROM curation_edits WHERE annotation_id = ?').get(ann.id) as { batch: number };
    fx.wb.store.annotations.setUndone(edit.batch, true);
    expect(await ext({ label: 'curated' })).toEqual([]);
    expect(await ext({ label: 'search' })).toEqual(['searched', 'curated']);
    fx.wb.store.annotations.setUndone(edit.batch, false);
    expect(await ext({ label: 'curated' })).toEqual(['curated']);
  });

  it('keeps old callers working and refuses bad filters with the offending field named', async () => {
    expect((await list({ split: 'train', limit: 50 })).items.map((p) => p.extId)).toEqual(['solved', 'unsolved']);
    await expect(list({ solved: 'maybe' })).rejects.toMatchObject({ code: 'bad_request', path: 'params.solved' });
    await expect(list({ answerType: 'integer' })).rejects.toMatchObject({ code: 'bad_request', path: 'params.answerType' });
    await expect(list({ label: 'curated', dataset: 'ghost' })).rejects.toThrow(/dataset "ghost" not found \(have: d\)/);
  });
});

describe('problems.detail', () => {
  it('names the images whose files are gone from the workspace', async () => {
    const d = (await dispatch(fx.wb.handlers, 'problems.detail', { id: fx.ids.solved })) as { problem: { extId: string; images: { hash: string }[] }; missingImages: string[] };
    expect(d.problem.extId).toBe('solved');
    expect(d.problem.images.map((i) => i.hash)).toEqual([fx.presentHash, fx.missingHash]);
    expect(d.missingImages).toEqual([fx.missingHash]);
    await expect(dispatch(fx.wb.handlers, 'problems.detail', { id: 9999 })).rejects.toThrow('problem 9999 not found');
  });
});

describe('solutions.forProblem', () => {
  it('gives each step its MC value where a search tree labelled the same step prefix', async () => {
    const sols = (await dispatch(fx.wb.handlers, 'solutions.forProblem', { problemId: fx.ids.searched })) as { id: number; mc?: (number | null)[] }[];
    expect(sols).toEqual([expect.objectContaining({ id: fx.solutions.s5, mc: [0.75, 1] })]);
    const none = (await dispatch(fx.wb.handlers, 'solutions.forProblem', { problemId: fx.ids.solved })) as { mc?: (number | null)[] }[];
    expect(none.map((s) => s.mc)).toEqual([
      [null, null],
      [null, null, null],
    ]);
  });
});
