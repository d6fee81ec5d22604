// Curation through the API on a real workspace (demo problems, bundled models): comments and curated step
// texts as records over the originals, bulk edits as one batch in one transaction (all or none), undo and
// redo of a batch, the per-step history, bad input answered with a clear message and nothing changed, and
// the solution-level conflict queue over a real Best-of-N run of tiny-policy scored by tiny-prm.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../src-main/core/dispatch';
import { openWorkbench, type Workbench } from '../src-main/core/workbench';
import type { AnnotationRecord, ScoredSolution, SolutionConflict } from '../src-shared/domain';
import { aggregate } from '../src-shared/aggregate';
import { cli } from './helpers/cli';
import { tempDir } from './helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let wb: Workbench;
let ids: number[];

const call = <T>(method: string, params: unknown): Promise<T> => dispatch(wb.handlers, method, params) as Promise<T>;
type Batch = { batch: number; annotations: AnnotationRecord[] };

beforeAll(async () => {
  tmp = tempDir();
  const ws = join(tmp.dir, 'ws');
  const init = await cli('init', ws, '--demo', '--json');
  expect(init.code, init.err.join('\n')).toBe(0);
  const bon = await cli('bon', '--workspace', ws, '--dataset', 'demo', '--split', 'test', '--policy', 'tiny-policy', '--prm', 'tiny-prm', '--n', '4', '--limit', '5', '--json');
  expect(bon.code, bon.err.join('\n')).toBe(0);
  wb = openWorkbench(ws);
  const problems = wb.store.problems.listInDataset(wb.store.datasets.requireId('demo'), { limit: 3 }).items;
  ids = wb.store.annotations.insertMany(
    problems.map((p, i) => ({
      problemId: p.id,
      setName: 'curation-test',
      steps: [
        { text: `step one of ${i}`, softLabel: 0.25 },
        { text: `step two of ${i}`, softLabel: 0 },
        { text: `step three of ${i}`, softLabel: 1 },
      ],
    })),
  );
});
afterAll(async () => {
  await wb?.close();
  tmp?.cleanup();
});

const rawEdits = (): number => (wb.store.db.prepare('SELECT count(*) AS n FROM curation_edits').get() as { n: number }).n;
const rawSteps = (): unknown[] => wb.store.db.prepare('SELECT annotation_id, idx, text, soft_label FROM annotation_steps ORDER BY annotation_id, idx').all();

describe('annotations.edit', () => {
  it('stores a relabel with a comment and an author, and a curated text, over the originals', async () => {
    const a = await call<AnnotationRecord>('annotations.edit', { annotationId: ids[0], stepIdx: 1, action: 'relabel', value: 0.6, comment: 'the sum is right', author: 'ada' });
    expect(a.steps[1]).toMatchObject({ softLabel: 0.6, hardLabel: 1, originalSoft: 0, originalHard: 0, edited: true, comments: ['the sum is right'] });
    expect(a.curated).toBe(true);
    expect(a.history).toHaveLength(1);
    expect(a.history[0]).toMatchObject({ stepIdx: 1, action: 'relabel', value: 0.6, comment: 'the sum is right', author: 'ada', undone: false });
    const t = await call<AnnotationRecord>('annotations.edit', { annotationId: ids[0], stepIdx: 2, action: 'text', text: 'step three, rewritten' });
    expect(t.steps[2]).toMatchObject({ text: 'step three, rewritten', originalText: 'step three of 0', textEdited: true, softLabel: 1 });
    // without an author the record names the account running the core
    expect(t.history[1].author).toMatch(/\S/);
    expect(rawSteps()).toContainEqual({ annotation_id: ids[0], idx: 2, text: 'step three of 0', soft_label: 1 });
  });

  it('refuses bad input with a clear message and changes nothing', async () => {
    const before = rawEdits();
    await expect(call('annotations.edit', { annotationId: 999_999, stepIdx: 0, action: 'relabel', value: 1 })).rejects.toThrow('annotation 999999 not found');
    await expect(call('annotations.edit', { annotationId: ids[1], stepIdx: 3, action: 'relabel', value: 1 })).rejects.toThrow(`annotation ${ids[1]} has 3 steps; there is no step 3`);
    await expect(call('annotations.edit', { annotationId: ids[1], stepIdx: 0, action: 'relabel', value: 1.5 })).rejects.toMatchObject({ code: 'bad_request', path: 'params.value' });
    await expect(call('annotations.edit', { annotationId: ids[1], stepIdx: 0, action: 'relabel', value: -0.1 })).rejects.toThrow(/annotations\.edit: params\.value: .*>=0/);
    await expect(call('annotations.edit', { annotationId: ids[1], stepIdx: 0, action: 'relabel' })).rejects.toThrow('relabel needs a value in [0, 1]');
    await expect(call('annotations.edit', { annotationId: ids[1], stepIdx: 0, action: 'text', text: '  ' })).rejects.toThrow('a text edit needs a non-empty step text');
    await expect(call('annotations.edit', { annotationId: ids[1], stepIdx: 0, action: 'reject' })).rejects.toThrow('reject applies to a whole path: leave the step index out');
    await expect(call('annotations.edit', { annotationId: ids[1], action: 'comment' })).rejects.toThrow('a comment edit needs a comment');
    expect(rawEdits()).toBe(before);
  });
});

describe('annotations.editMany, undo and redo', () => {
  let batch: number;

  it('applies a bulk edit as one batch and returns every annotation it touched', async () => {
    const r = await call<Batch>('annotations.editMany', {
      edits: [
        { annotationId: ids[1], action: 'reject' },
        { annotationId: ids[2], action: 'reject' },
        { annotationId: ids[1], stepIdx: 0, action: 'relabel', value: 1 },
      ],
      comment: 'looping paths',
      author: 'ada',
    });
    batch = r.batch;
    expect(r.annotations.map((a) => a.id)).toEqual([ids[1], ids[2]]);
    expect(r.annotations.map((a) => a.rejected)).toEqual([true, true]);
    expect(r.annotations[0].steps[0]).toMatchObject({ softLabel: 1, edited: true, comments: ['looping paths'] });
    const records = r.annotations.flatMap((a) => a.history);
    expect(records).toHaveLength(3);
    expect(new Set(records.map((h) => h.batch))).toEqual(new Set([batch]));
    expect(records.every((h) => h.comment === 'looping paths' && h.author === 'ada')).toBe(true);
  });

  it('undoes the whole batch (records kept, marked) and redoes it', async () => {
    const u = await call<Batch>('annotations.undo', { batch });
    expect(u.annotations.map((a) => [a.rejected, a.curated, a.steps[0].softLabel])).toEqual([
      [false, false, 0.25],
      [false, false, 0.25],
    ]);
    expect(u.annotations[0].history.every((h) => h.undone)).toBe(true);
    await expect(call('annotations.undo', { batch })).rejects.toThrow(`curation batch ${batch} is already undone`);
    const r = await call<Batch>('annotations.redo', { batch });
    expect(r.annotations.map((a) => [a.rejected, a.steps[0].softLabel])).toEqual([
      [true, 1],
      [true, 0.25],
    ]);
    await expect(call('annotations.redo', { batch })).rejects.toThrow(`curation batch ${batch} is in force; only an undone batch can be redone`);
    await expect(call('annotations.undo', { batch: 999_999 })).rejects.toThrow('curation batch 999999 not found');
  });

  it('refuses a bulk edit with one bad item, naming it, and applies none of it', async () => {
    const before = rawEdits();
    const steps = rawSteps();
    await expect(
      call('annotations.editMany', {
        edits: [
          { annotationId: ids[0], stepIdx: 0, action: 'relabel', value: 0 },
          { annotationId: ids[1], stepIdx: 7, action: 'relabel', value: 0 },
        ],
      }),
    ).rejects.toThrow(`bulk edit 2 of 2: annotation ${ids[1]} has 3 steps; there is no step 7`);
    await expect(call('annotations.editMany', { edits: [{ annotationId: ids[0], action: 'accept' }, { annotationId: 424_242, action: 'reject' }] })).rejects.toThrow(
      'bulk edit 2 of 2: annotation 424242 not found',
    );
    await expect(call('annotations.editMany', { edits: [{ annotationId: ids[0], stepIdx: 0, action: 'relabel', value: 2 }] })).rejects.toMatchObject({
      code: 'bad_request',
      path: 'params.edits.0.value',
    });
    await expect(call('annotations.editMany', { edits: [] })).rejects.toMatchObject({ code: 'bad_request', path: 'params.edits' });
    expect(rawEdits()).toBe(before);
    expect(rawSteps()).toEqual(steps);
  });
});

describe('curation.solutionConflicts', () => {
  it('lists verdict/ranking conflicts strongest first, as the stored scores and verdicts say', async () => {
    const r = await call<{ prm: string; aggregate: string; scoredSolutions: number; items: SolutionConflict[] }>('curation.solutionConflicts', { prm: 'tiny-prm', threshold: 1, limit: 1000 });
    expect(r.prm).toBe('tiny-prm@1');
    expect(r.aggregate).toBe('min');
    expect(r.scoredSolutions).toBeGreaterThanOrEqual(5 * 4);
    // recompute from each problem's scored solutions, read through another method
    const expected: { solutionId: number; kind: string; rank: number; gap: number }[] = [];
    for (const problemId of new Set(r.items.map((i) => i.problemId))) {
      const sols = (await call<ScoredSolution[]>('solutions.forProblem', { problemId })).filter((s) => s.verdict && s.scores['tiny-prm@1']);
      const ranked = sols.map((s) => ({ s, score: aggregate(s.scores['tiny-prm@1'], 'min') }));
      ranked.forEach(({ s, score }) => {
        const ok = s.verdict === 'correct';
        const above = ranked.filter((o) => o.score > score);
        const below = ranked.filter((o) => o.score < score);
        const wrongAbove = above.some((o) => o.s.verdict !== 'correct');
        // ties share the best rank
        const rank = above.length + 1;
        const kind =
          !ok && rank === 1 && below.some((o) => o.s.verdict === 'correct')
            ? 'wrong-top'
            : ok && below.length === 0 && wrongAbove
              ? 'correct-bottom'
              : ok && ((wrongAbove && above.length >= 0.75 * ranked.length) || score < 1)
                ? 'correct-low'
                : null;
        if (kind) expected.push({ solutionId: s.id, kind, rank, gap: ok ? 1 - score : score });
      });
    }
    const correct = r.items.filter((i) => i.verdict === 'correct');
    // threshold 1: every correct scored solution is a conflict of some kind
    expect(correct.length).toBeGreaterThan(0);
    expect(r.items.map((i) => ({ solutionId: i.solutionId, kind: i.kind, rank: i.rank, gap: i.gap })).sort((a, b) => a.solutionId - b.solutionId)).toEqual(
      expected.sort((a, b) => a.solutionId - b.solutionId).map((e) => ({ ...e, gap: expect.closeTo(e.gap, 12) })),
    );
    for (let i = 1; i < r.items.length; i++) expect(r.items[i - 1].gap).toBeGreaterThanOrEqual(r.items[i].gap);
    for (const it of r.items) {
      expect(it.question.length).toBeGreaterThan(0);
      expect(it.weakestStep).toBeGreaterThanOrEqual(0);
      expect(it.weakestStep).toBeLessThan(it.steps);
    }
    // without an absolute threshold, "scored low" is rank-relative: never the problem's top candidate
    const relative = await call<{ items: SolutionConflict[] }>('curation.solutionConflicts', { prm: 'tiny-prm', limit: 1000 });
    for (const c of relative.items.filter((i) => i.kind === 'correct-low')) expect(c.rank - 1).toBeGreaterThanOrEqual(0.75 * c.candidates);
    const none = await call<{ items: SolutionConflict[] }>('curation.solutionConflicts', { prm: 'tiny-prm', lowShare: 0, limit: 1000 });
    expect(none.items.every((i) => i.kind !== 'correct-low')).toBe(true);
    const limited = await call<{ items: SolutionConflict[] }>('curation.solutionConflicts', { prm: 'tiny-prm', threshold: 1, limit: 2 });
    expect(limited.items).toEqual(r.items.slice(0, 2));
  });

  it('names a PRM that does not exist or is not a PRM', async () => {
    await expect(call('curation.solutionConflicts', { prm: 'nope' })).rejects.toThrow(/nope/);
    await expect(call('curation.solutionConflicts', { prm: 'tiny-policy' })).rejects.toThrow(/tiny-policy/);
    await expect(call('curation.solutionConflicts', { prm: 'tiny-prm', threshold: 2 })).rejects.toMatchObject({ code: 'bad_request', path: 'params.threshold' });
  });
});

describe('solution conflicts, rank by rank', () => {
  it('shares the best rank among equal scores (1-2-2-4), and calls low only the bottom share below a wrong candidate', async () => {
    const { store } = wb;
    const prm = store.models.withRole('tiny-prm', 'prm');
    const { id: problemId } = store.problems.upsert({ question: 'ranks?', answer: '1', answerType: 'number', source: null, tags: [], imageHashes: [], meta: {} });
    // eight candidates by one min score each: a wrong one on top, two correct ones tied second, …
    const plan: [string, number][] = [
      ['incorrect', 0.9],
      ['correct', 0.118],
      ['correct', 0.118],
      ['correct', 0.1],
      ['correct', 0.09],
      ['incorrect', 0.08],
      ['correct', 0.05],
      ['correct', 0.04],
    ];
    const ids = store.solutions.insertMany(
      plan.map(([verdict]) => ({ problemId, modelId: null, origin: 'import', finalAnswer: '1', verdict: verdict as 'correct' | 'incorrect', steps: [{ text: 's' }] })),
    );
    store.scores.setStepScores(prm.id, ids.map((solutionId, i) => ({ solutionId, scores: [plan[i][1]] })));
    const r = await call<{ items: SolutionConflict[] }>('curation.solutionConflicts', { prm: 'tiny-prm', limit: 1000 });
    const mine = r.items.filter((i) => i.problemId === problemId);
    const byId = new Map(mine.map((i) => [i.solutionId, i]));
    expect(byId.get(ids[0])).toMatchObject({ kind: 'wrong-top', rank: 1, candidates: 8 });
    // the two candidates scored alike are not told apart: no conflict for either, both rank 2
    expect(byId.has(ids[1]) || byId.has(ids[2])).toBe(false);
    // bottom quarter of 8 (ranks 7 and 8), below a wrong candidate: scored low and ranked last
    expect(byId.get(ids[6])).toMatchObject({ kind: 'correct-low', rank: 7 });
    expect(byId.get(ids[7])).toMatchObject({ kind: 'correct-bottom', rank: 8 });
    expect(byId.has(ids[3]) || byId.has(ids[4])).toBe(false);
    // a wider share takes in more; an absolute threshold is still there when asked for
    const half = await call<{ items: SolutionConflict[] }>('curation.solutionConflicts', { prm: 'tiny-prm', lowShare: 0.5, limit: 1000 });
    expect(half.items.filter((i) => i.problemId === problemId && i.kind === 'correct-low').map((i) => i.solutionId).sort()).toEqual([ids[4], ids[6]].sort());
    const absolute = await call<{ items: SolutionConflict[] }>('curation.solutionConflicts', { prm: 'tiny-prm', threshold: 0.12, limit: 1000 });
    expect(absolute.items.filter((i) => i.problemId === problemId && i.kind === 'correct-low').map((i) => i.rank).sort()).toEqual([2, 2, 4, 5, 7]);
  });
});
