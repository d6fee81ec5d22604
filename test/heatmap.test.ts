// heatmap.dataset through the API: one chosen solution per problem (the PRM's best / worst by minimum
// step score, or the first), PRM scores or MC values per step, split / policy / limit, and bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../src-main/core/dispatch';
import { browseFixture, type BrowseFixture } from './helpers/browseFixture';
import { tempDir } from './helpers/tmp';

let fx: BrowseFixture;
let tmp: ReturnType<typeof tempDir>;
interface Heat {
  prm: string | null;
  prms: string[];
  pick: string;
  policy: string | null;
  problems: number;
  rows: { problemId: number; extId: string; solutionId: number | null; verdict: string | null; candidates: number; scores: (number | null)[] }[];
}
const heat = async (q: Record<string, unknown> = {}): Promise<Heat> => (await dispatch(fx.wb.handlers, 'heatmap.dataset', { dataset: 'd', ...q })) as Heat;

beforeAll(() => {
  tmp = tempDir('steplab-heatmap-');
  fx = browseFixture(tmp.dir);
});
afterAll(async () => {
  await fx?.wb.close();
  tmp?.cleanup();
});

describe('heatmap.dataset', () => {
  it("takes per problem the solution its PRM scores best by minimum step score, with that PRM's scores", async () => {
    const h = await heat();
    expect(h).toMatchObject({ prm: 'prm@1', prms: ['prm@1'], pick: 'best', policy: null, problems: 5 });
    const { s2, s3, s5 } = fx.solutions;
    expect(h.rows).toEqual([
      { problemId: fx.ids.solved, extId: 'solved', solutionId: s2, verdict: 'correct', candidates: 2, scores: [0.8, 0.7, 0.6] },
      { problemId: fx.ids.unsolved, extId: 'unsolved', solutionId: s3, verdict: 'incorrect', candidates: 2, scores: [0.4] },
      { problemId: fx.ids.searched, extId: 'searched', solutionId: s5, verdict: 'correct', candidates: 1, scores: [0.5, 0.95] },
    ]);
  });

  it('picks the worst or the first solution, one policy, a split, or the first rows only', async () => {
    const { s1, s3, s4, s5 } = fx.solutions;
    expect((await heat({ pick: 'worst' })).rows.map((r) => r.solutionId)).toEqual([s1, s3, s5]);
    expect((await heat({ pick: 'first' })).rows.map((r) => r.solutionId)).toEqual([s1, s3, s5]);
    const other = await heat({ policy: 'pol2' });
    expect(other.policy).toBe('pol2@1');
    // pol2's one solution was never scored: a row with no values, not a missing row
    expect(other.rows).toEqual([expect.objectContaining({ solutionId: s4, candidates: 1, scores: [null, null] })]);
    expect((await heat({ split: 'test' })).rows.map((r) => r.extId)).toEqual(['searched']);
    expect((await heat({ split: 'test' })).problems).toBe(3);
    expect((await heat({ limit: 1 })).rows.map((r) => r.extId)).toEqual(['solved']);
  });

  it("colours by MC: a searched problem's labelled path (curation applied, rejected paths left out), else the solution's steps matched against the trees", async () => {
    const h = (await heat({ source: 'mc' })) as Heat & { fromSearches: number; rows: { searchId?: number; annotationId?: number; nodes?: unknown[] }[] };
    const prm = await heat();
    // the unsearched problems keep their solution, valued where a tree has the same prefix (nowhere here)
    expect(h.rows.slice(0, 2).map((r) => [r.solutionId, r.scores])).toEqual([
      [prm.rows[0].solutionId, [null, null, null]],
      [prm.rows[1].solutionId, [null]],
    ]);
    // the searched one reads its search's labelled path: never blank
    const searchId = fx.wb.store.trees.listSearches({ problemId: fx.ids.searched }).items[0].id;
    const [ann] = fx.wb.store.annotations.forSearch(searchId);
    expect(h.rows[2]).toEqual({ problemId: fx.ids.searched, extId: 'searched', solutionId: null, verdict: null, candidates: 1, scores: [0.75], searchId, annotationId: ann.id, nodes: [null] });
    expect(h.fromSearches).toBe(1);
    // a relabel shows at once; a second, rejected path is never the one shown
    fx.wb.store.annotations.edit(ann.id, { stepIdx: 0, action: 'relabel', value: 0.1 });
    const [worse] = fx.wb.store.annotations.insertMany([{ problemId: fx.ids.searched, searchId, steps: [{ text: 'p', softLabel: 0 }, { text: 'q', softLabel: 0 }] }]);
    fx.wb.store.annotations.edit(worse, { stepIdx: null, action: 'reject' });
    const again = (await heat({ source: 'mc', pick: 'worst' })) as Heat & { rows: { annotationId?: number }[] };
    expect(again.rows[2]).toMatchObject({ annotationId: ann.id, scores: [0.1] });
    fx.wb.store.annotations.edit(worse, { stepIdx: null, action: 'accept' });
    expect(((await heat({ source: 'mc', pick: 'worst' })) as Heat & { rows: { annotationId?: number }[] }).rows[2]).toMatchObject({ annotationId: worse, scores: [0, 0] });
    expect(((await heat({ source: 'mc', pick: 'best' })) as Heat & { rows: { annotationId?: number }[] }).rows[2]).toMatchObject({ annotationId: ann.id, candidates: 2 });
  });

  it('refuses an unknown dataset, an unknown PRM, a PRM that scored nothing here, and a policy given as PRM', async () => {
    await expect(heat({ dataset: 'ghost' })).rejects.toThrow('dataset "ghost" not found (have: d)');
    await expect(heat({ prm: 'nope' })).rejects.toThrow('model "nope" is not registered');
    await expect(heat({ prm: 'prm-unused' })).rejects.toThrow('heatmap: PRM "prm-unused" has not scored the solutions of dataset "d" (scored by: prm@1)');
    await expect(heat({ prm: 'pol' })).rejects.toThrow('model "pol" is a policy model, not a PRM');
    await expect(heat({ policy: 'prm' })).rejects.toThrow('model "prm" is a prm model, not a policy');
    await expect(heat({ source: 'colour' })).rejects.toMatchObject({ code: 'bad_request', path: 'params.source' });
    fx.wb.store.datasets.getOrCreate('empty');
    await expect(heat({ dataset: 'empty' })).rejects.toThrow(/^heatmap: no PRM has scored the solutions of dataset "empty"; run a score job first/);
    // MC needs no PRM: the first solution of each problem
    expect(await heat({ dataset: 'empty', source: 'mc' })).toMatchObject({ prm: null, pick: 'first', rows: [] });
  });
});
