// The renderer's curation slice against the real core in-process (the API proxy over dispatch, a temp
// workspace with a real OmegaPRM search): relabel with a comment, bulk actions as one undo step, undo and
// redo, curated step texts, selection by subtree and by tree node, the core refusing bad input with
// nothing changed, and the pure helpers (bulk edits, subtree steps).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../src-main/core/dispatch';
import { openWorkbench, type Workbench } from '../src-main/core/workbench';
import { createApiProxy, type Method } from '../src-shared/api';
import type { AnnotationRecord, CurationEdit, TreeNode } from '../src-shared/domain';
import { createAppStore, type AppStore } from '../src-renderer/store';
import { bulkEdits, labelKey, stacksFromHistory, subtreeSteps } from '../src-renderer/store/curation';
import { curatedNodeLabels, effectiveFirstError, effectiveLabel } from '../src-renderer/tree/curated';
import { describeEdit } from '../src-renderer/views/CurationPanel';
import { tempDir } from './helpers/tmp';
import { cli } from './helpers/cli';

let tmp: ReturnType<typeof tempDir>;
let wb: Workbench;
let store: AppStore;
let searchId: number;

beforeAll(async () => {
  tmp = tempDir();
  const ws = join(tmp.dir, 'ws');
  const init = await cli('init', ws, '--demo', '--json');
  expect(init.code, init.err.join('\n')).toBe(0);
  wb = openWorkbench(ws);
  const job = await wb.runner.wait(
    wb.runner.submit('search', {
      dataset: 'demo',
      model: 'tiny-policy',
      algo: 'omega',
      limit: 1,
      config: { maxSearchCount: 4, rolloutBudget: 48, rolloutsPerState: 8, lengthScale: 50 },
      annotationMode: 'all-paths',
    }).id,
  );
  expect(job.state, job.error ?? '').toBe('done');
  searchId = (job.result as { searchIds: number[] }).searchIds[0];
  const api = createApiProxy({ call: (m: Method, p: unknown) => dispatch(wb.handlers, m, p), subscribe: () => () => {} });
  store = createAppStore(api, { view: 'searches', dataset: null });
  await store.getState().loadAnnotations(searchId);
});
afterAll(async () => {
  await wb?.close();
  tmp?.cleanup();
});

const anns = (): AnnotationRecord[] => store.getState().annotations;
const fresh = async (): Promise<AnnotationRecord[]> => (await dispatch(wb.handlers, 'annotations.forSearch', { searchId })) as AnnotationRecord[];

describe('curation slice', () => {
  it('loads the search annotations (at least two paths, for the bulk actions)', () => {
    expect(anns().length).toBeGreaterThanOrEqual(2);
    expect(store.getState().curationError).toBeNull();
  });

  it('relabels with a comment, one undo step, and the comment clears', async () => {
    const a = anns()[0];
    store.getState().setCurationComment('the step is right');
    expect(await store.getState().relabel(a.id, 0, 0.8)).toBe(true);
    const s = store.getState();
    expect(s.curationComment).toBe('');
    expect(s.undoStack).toHaveLength(1);
    expect(s.annotations[0].steps[0]).toMatchObject({ softLabel: 0.8, edited: true, comments: ['the step is right'] });
    expect(s.annotations[0].history.at(-1)).toMatchObject({ action: 'relabel', value: 0.8, comment: 'the step is right', undone: false });
    // the core holds the same
    expect((await fresh())[0].steps[0].softLabel).toBe(0.8);
  });

  it('bulk-rejects two paths as one batch; undo restores both, redo rejects both again', async () => {
    const [a, b] = anns();
    store.getState().selectLabels([labelKey(a.id, 0), labelKey(a.id, 1), labelKey(b.id, 0)], true);
    expect(store.getState().selection).toHaveLength(3);
    expect(await store.getState().bulk({ kind: 'reject' })).toBe(true);
    let s = store.getState();
    expect(s.selection).toEqual([]);
    expect(s.undoStack).toHaveLength(2);
    expect(s.annotations.slice(0, 2).map((x) => x.rejected)).toEqual([true, true]);
    const batch = s.undoStack.at(-1)!;
    expect(s.annotations[0].history.filter((h) => h.batch === batch)).toHaveLength(1);

    await store.getState().undo();
    s = store.getState();
    expect(s.annotations.slice(0, 2).map((x) => x.rejected)).toEqual([false, false]);
    expect(s.redoStack).toEqual([batch]);
    expect((await fresh()).slice(0, 2).map((x) => x.rejected)).toEqual([false, false]);
    // the relabel before it is untouched
    expect(s.annotations[0].steps[0].softLabel).toBe(0.8);

    await store.getState().redo();
    s = store.getState();
    expect(s.annotations.slice(0, 2).map((x) => x.rejected)).toEqual([true, true]);
    expect(s.redoStack).toEqual([]);
    expect(s.undoStack.at(-1)).toBe(batch);
  });

  it('a new edit clears the redo stack; undo twice walks back in order', async () => {
    const b = anns()[1];
    await store.getState().undo(); // the bulk reject
    expect(store.getState().redoStack).toHaveLength(1);
    expect(await store.getState().bulk({ kind: 'relabel', value: 0 })).toBe(false); // nothing selected
    expect(store.getState().curationError).toBe('nothing selected: select labels first');
    store.getState().selectLabels([labelKey(b.id, 0)], true);
    expect(await store.getState().bulk({ kind: 'relabel', value: 1 })).toBe(true);
    expect(store.getState().redoStack).toEqual([]);
    expect(store.getState().annotations[1].steps[0]).toMatchObject({ softLabel: 1, hardLabel: 1 });
    await store.getState().undo();
    await store.getState().undo();
    const s = store.getState();
    expect(s.undoStack).toEqual([]);
    expect(s.annotations[0].steps[0].edited).toBe(false);
    expect(s.annotations[1].steps[0].softLabel).toBe(s.annotations[1].steps[0].originalSoft);
    // nothing to undo: a no-op, not an error
    await store.getState().undo();
    expect(store.getState().curationError).toBeNull();
  });

  it('stores a curated step text over the original and undoes it', async () => {
    const a = anns()[0];
    const original = a.steps[0].text;
    expect(await store.getState().editText(a.id, 0, 'Rewritten step: 2 + 3 = 5.')).toBe(true);
    expect(store.getState().annotations[0].steps[0]).toMatchObject({ text: 'Rewritten step: 2 + 3 = 5.', originalText: original, textEdited: true });
    expect(await store.getState().editText(a.id, 0, '   ')).toBe(false);
    expect(store.getState().curationError).toBe('a step text cannot be empty');
    await store.getState().undo();
    expect(store.getState().annotations[0].steps[0]).toMatchObject({ text: original, textEdited: false });
  });

  it('bad input from the UI: a soft label outside 0..1, an unknown annotation; nothing changes', async () => {
    const before = await fresh();
    const undo = store.getState().undoStack.length;
    expect(await store.getState().relabel(anns()[0].id, 0, 1.2)).toBe(false);
    expect(store.getState().curationError).toBe('a soft label must be a number from 0 to 1 (got 1.2)');
    expect(await store.getState().applyEdits([{ annotationId: 987_654, stepIdx: 0, action: 'relabel', value: 1 }])).toBe(false);
    expect(store.getState().curationError).toMatch(/annotation 987654 not found/);
    expect(await store.getState().applyEdits([{ annotationId: anns()[0].id, stepIdx: 99, action: 'relabel', value: 1 }])).toBe(false);
    expect(store.getState().curationError).toMatch(/there is no step 99/);
    expect(store.getState().undoStack).toHaveLength(undo);
    expect(await fresh()).toEqual(before);
  });

  it('selects the labels at tree nodes across the search', async () => {
    store.getState().clearSelection();
    const a = anns()[0];
    const nodes = a.provenance.nodes as (number | null)[];
    const node = nodes.find((n): n is number => typeof n === 'number')!;
    await store.getState().selectNodeLabels([{ searchId, nodeId: node }]);
    const sel = store.getState().selection;
    const expected = anns().flatMap((x) => {
      const i = ((x.provenance.nodes as (number | null)[]) ?? []).lastIndexOf(node);
      return i >= 0 ? [labelKey(x.id, i)] : [];
    });
    expect(sel).toEqual(expected);
    expect(sel.length).toBeGreaterThan(0);
    store.getState().clearSelection();
    await store.getState().selectNodeLabels([{ searchId, nodeId: 999_999 }]);
    expect(store.getState().curationError).toMatch(/no annotation path runs through the selected rows/);
    expect(store.getState().selection).toEqual([]);
  });
});

describe('after a reload', () => {
  it('rebuilds undo and redo from the stored history, and a relabel recolours its node and moves the first error', async () => {
    const a = anns()[0];
    expect(await store.getState().relabel(a.id, 0, 0)).toBe(true);
    expect(await store.getState().relabel(a.id, 0, 1)).toBe(true);
    await store.getState().undo(); // the second one, undone: it can be redone
    const before = store.getState();
    const api = createApiProxy({ call: (m: Method, p: unknown) => dispatch(wb.handlers, m, p), subscribe: () => () => {} });
    // a new window (a reload): its stacks come from the history the core kept
    const again = createAppStore(api, { view: 'searches', dataset: null });
    await again.getState().loadAnnotations(searchId);
    expect(again.getState().undoStack).toEqual(before.undoStack);
    expect(again.getState().redoStack).toEqual(before.redoStack);
    expect(again.getState().redoStack).toHaveLength(1);
    await again.getState().redo();
    expect(again.getState().annotations.find((x) => x.id === a.id)!.steps[0].softLabel).toBe(1);
    await again.getState().undo();
    await again.getState().undo();
    expect(again.getState().annotations.find((x) => x.id === a.id)!.steps[0].softLabel).toBe(a.steps[0].softLabel);

    // a relabel in force is the node's label in the tree, and decides its first-error mark
    const node = (a.provenance.nodes as number[])[0];
    await again.getState().relabel(a.id, 0, 0);
    const curated = curatedNodeLabels(again.getState().annotations);
    expect(curated.get(node)).toBe(0);
    const tree = await dispatch(wb.handlers, 'searches.tree', { id: searchId }) as { nodes: TreeNode[] };
    const n = tree.nodes.find((x) => x.id === node)!;
    const parent = tree.nodes.find((x) => x.id === n.parentId)!;
    expect(effectiveLabel(n, curated)).toBe(0);
    expect(effectiveFirstError(n, parent, curated)).toBe(parent.mc !== null && parent.mc > 0);
    await again.getState().relabel(a.id, 0, 1);
    const good = curatedNodeLabels(again.getState().annotations);
    expect(effectiveFirstError(n, parent, good)).toBe(false);
    await again.getState().undo();
    await again.getState().undo();
  });
});

describe('pure helpers', () => {
  it('says who did what, unambiguously', () => {
    const h = (action: CurationEdit['action'], stepIdx: number | null, value: number | null = null): CurationEdit => ({ id: 1, batch: 1, stepIdx, action, value, text: null, comment: null, author: 'ada', createdAt: '', undone: false });
    expect(describeEdit(h('relabel', 2, 1))).toBe("set step 3's label to 1.000 (good)");
    expect(describeEdit(h('relabel', 0, 0))).toBe("set step 1's label to 0.000 (bad)");
    expect(describeEdit(h('reject', null))).toBe('rejected the whole path');
    expect(describeEdit(h('text', 1))).toBe("edited step 2's text");
    expect(describeEdit(h('comment', null))).toBe('commented on the path');
  });

  it('stacksFromHistory: batches in force to undo, newest on top; undone ones after them to redo, oldest on top', () => {
    const rec = (batches: [number, boolean][]): AnnotationRecord => ({ history: batches.map(([batch, undone], id) => ({ id, batch, undone })) }) as unknown as AnnotationRecord;
    expect(stacksFromHistory([rec([[1, false], [3, true]]), rec([[2, false], [4, true]])])).toEqual({ undoStack: [1, 2], redoStack: [4, 3] });
    // an undone batch older than one in force cannot be redone (a newer edit came after it)
    expect(stacksFromHistory([rec([[1, true], [2, false]])])).toEqual({ undoStack: [2], redoStack: [] });
    expect(stacksFromHistory([])).toEqual({ undoStack: [], redoStack: [] });
  });

  const ann = (id: number, nodes: (number | null)[]): AnnotationRecord =>
    ({ id, provenance: { nodes }, steps: nodes.map((_, idx) => ({ idx })) }) as unknown as AnnotationRecord;

  it('bulkEdits relabels each label and rejects each path once', () => {
    const sel = [labelKey(1, 0), labelKey(1, 2), labelKey(4, 1)];
    expect(bulkEdits(sel, { kind: 'relabel', value: 0.5 })).toEqual([
      { annotationId: 1, stepIdx: 0, action: 'relabel', value: 0.5 },
      { annotationId: 1, stepIdx: 2, action: 'relabel', value: 0.5 },
      { annotationId: 4, stepIdx: 1, action: 'relabel', value: 0.5 },
    ]);
    expect(bulkEdits(sel, { kind: 'reject' })).toEqual([
      { annotationId: 1, action: 'reject' },
      { annotationId: 4, action: 'reject' },
    ]);
  });

  it('subtreeSteps: the node step and every later one of a path through it', () => {
    expect(subtreeSteps(ann(1, [10, 11, 12, 13]), 11)).toEqual([1, 2, 3]);
    expect(subtreeSteps(ann(1, [10, 11]), 99)).toEqual([]);
  });
});
