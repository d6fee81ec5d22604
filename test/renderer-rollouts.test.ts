// An imported MM-PRM tree in the explorer (the renderer store against the real core in process, the
// fixture test/fixtures/labels/mmprm/mllm_as_a_judge_outputs imported by `steplab import-labels`): the node
// pane shows MM-PRM's judge beside MC and the kept rollout counts, the path table a judge column; the
// rollout texts are asked for (searches.nodeRollouts) only when Show the kept rollouts is pressed, then
// shown correct apart from incorrect. A search Steplab made itself shows none of it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createElement, type ReactElement, type ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../src-main/core/dispatch';
import { openWorkbench, type Workbench } from '../src-main/core/workbench';
import { createApiProxy, type Method } from '../src-shared/api';
import type { TreeNode } from '../src-shared/domain';
import { createAppStore, type AppStore } from '../src-renderer/store';
import { extrasFromColumns } from '../src-renderer/tree/columns';
import { NodeExtrasView, nodeExtrasProps } from '../src-renderer/views/NodeExtras';
import { NodePath } from '../src-renderer/views/NodePath';
import { cli } from './helpers/cli';
import { tempDir } from './helpers/tmp';

const FIX = join(import.meta.dirname, 'fixtures', 'labels');
const JUDGED = join(FIX, 'mmprm', 'mllm_as_a_judge_outputs');

interface MmprmNode {
  partial_solution?: string[];
  correct_rollouts: string[][];
  incorrect_rollouts: string[][];
  logprob_yes?: number;
  logprob_no?: number;
  llm_as_a_judge?: number;
  children: MmprmNode[];
}

let tmp: ReturnType<typeof tempDir>;
let wb: Workbench;
let store: AppStore;
let importedId: number;
let plainId: number;
const calls: Method[] = [];
const rolloutCalls = (): number => calls.filter((m) => m === 'searches.nodeRollouts').length;

beforeAll(async () => {
  tmp = tempDir();
  const ws = join(tmp.dir, 'ws');
  const init = await cli('init', ws, '--demo');
  expect(init.code, init.err.join('\n')).toBe(0);
  const imp = await cli('import-labels', JUDGED, '--workspace', ws, '--dataset', 'k12', '--image-root', join(FIX, 'images'), '--json');
  expect(imp.code, imp.err.join('\n')).toBe(0);
  wb = openWorkbench(ws);
  importedId = wb.store.trees.listSearches().items.find((s) => s.status === 'imported')!.id;
  const job = await wb.runner.wait(
    wb.runner.submit('search', { dataset: 'demo', model: 'tiny-policy', algo: 'omega', limit: 1, config: { maxSearchCount: 2, rolloutBudget: 16, rolloutsPerState: 4, lengthScale: 50 } }).id,
  );
  expect(job.state, job.error ?? '').toBe('done');
  plainId = (job.result as { searchIds: number[] }).searchIds[0];
  const api = createApiProxy({
    call: (m: Method, p: unknown) => {
      calls.push(m);
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

/** The node of the open tree whose steps are these (MM-PRM's delimiter between them). */
const nodeOf = (steps: string[]): TreeNode => store.getState().tree!.nodes.find((n) => n.stepText === steps.join('\n\n'))!;
const panel = (node: TreeNode): ReactElement => createElement(NodeExtrasView, nodeExtrasProps(store.getState(), node, store.getState().tree!.extras?.get(node.id)));
const text = (html: string): string => html.replace(/<[^>]+>/g, ' ').replace(/&#x27;/g, "'").replace(/\s+/g, ' ');

/** The button a view draws with this text (the view's own element tree, its handler as wired). */
function button(el: ReactNode, label: string): { onClick(): void } | null {
  if (!el || typeof el !== 'object') return null;
  if (Array.isArray(el)) {
    for (const c of el) {
      const b = button(c as ReactNode, label);
      if (b) return b;
    }
    return null;
  }
  const e = el as ReactElement<{ children?: ReactNode; onClick?: () => void }>;
  if (e.type === 'button' && [e.props.children].flat().join('').trim() === label) return e.props as { onClick(): void };
  return button(e.props?.children, label);
}

describe("an imported tree's judge values and kept rollouts in the explorer", () => {
  const tree: MmprmNode = JSON.parse(readFileSync(join(JUDGED, 'k12-0001.json'), 'utf8'));
  const b = tree.children[1];

  it("shows MM-PRM's judge beside MC and the kept counts for the node, with no call for the texts", async () => {
    await store.getState().openSearch(importedId);
    const s = store.getState();
    expect(s.tree!.judged).toBe(true);
    const node = nodeOf(b.partial_solution!);
    store.getState().selectNode(node.id);
    const shown = text(renderToStaticMarkup(panel(node)));
    expect(shown).toContain(`MC ${node.mc!.toFixed(3)}`);
    expect(shown).toContain(`MM-PRM's judge ${b.llm_as_a_judge!.toFixed(3)} · P(yes) ${b.logprob_yes!.toFixed(3)} · P(no) ${b.logprob_no!.toFixed(3)}`);
    expect(shown).toContain(`kept ${b.correct_rollouts.length} correct / ${b.incorrect_rollouts.length} incorrect rollout${b.incorrect_rollouts.length === 1 ? '' : 's'}`);
    expect(shown).toContain('Show the kept rollouts');
    expect(shown).not.toContain(b.correct_rollouts[0][0]);
    expect(rolloutCalls()).toBe(0);

    // the path table: a judge column, the node's value in its row, none for the root
    const path = [s.tree!.nodes.find((n) => n.parentId === null)!, node];
    const table = renderToStaticMarkup(createElement(NodePath, { path, selected: node.id, prm: [], gold: new Map(), curated: new Map(), judge: s.tree!.extras, onSelect: () => {} }));
    expect(table).toContain('>judge</th>');
    const cells = [...table.matchAll(/data-testid="judge-cell">(.*?)<\/td>/g)].map((m) => text(m[1]).trim());
    expect(cells).toEqual(['', b.llm_as_a_judge!.toFixed(3)]);
  });

  it('asks for the rollout texts only when Show the kept rollouts is pressed, then shows each rollout step by step, correct apart from incorrect', async () => {
    const node = nodeOf(b.partial_solution!);
    const show = button(NodeExtrasView(nodeExtrasProps(store.getState(), node, store.getState().tree!.extras?.get(node.id))), 'Show the kept rollouts');
    expect(show).not.toBeNull();
    expect(rolloutCalls()).toBe(0);
    show!.onClick();
    expect(text(renderToStaticMarkup(panel(node)))).toContain('Loading the rollouts…');
    await expect.poll(() => store.getState().nodeRollouts[node.id]).toBeTruthy();
    expect(rolloutCalls()).toBe(1);
    const html = renderToStaticMarkup(panel(node));
    // the correct group first, then the incorrect one
    const [before, incorrect] = html.split('data-testid="rollouts-incorrect"');
    const correct = before.split('data-testid="rollouts-correct"')[1];
    const group = (kind: string): string => text(kind === 'correct' ? correct : incorrect);
    for (const steps of b.correct_rollouts) for (const st of steps) expect(group('correct')).toContain(st);
    for (const steps of b.incorrect_rollouts) for (const st of steps) expect(group('incorrect')).toContain(st);
    for (const st of b.incorrect_rollouts[0]) expect(group('correct')).not.toContain(st);
    expect(text(html)).toContain(`${b.correct_rollouts.length} correct rollout`);
    expect(text(html)).toContain('Hide the rollouts');
    // each step an item of its rollout's list
    expect(html.match(/<li>/g)!.length).toBe([...b.correct_rollouts, ...b.incorrect_rollouts].flat().length);

    // hidden, then shown again: no second call
    button(NodeExtrasView(nodeExtrasProps(store.getState(), node, store.getState().tree!.extras?.get(node.id))), 'Hide the rollouts')!.onClick();
    expect(text(renderToStaticMarkup(panel(node)))).not.toContain(b.correct_rollouts[0][0]);
    button(NodeExtrasView(nodeExtrasProps(store.getState(), node, store.getState().tree!.extras?.get(node.id))), 'Show the kept rollouts')!.onClick();
    expect(text(renderToStaticMarkup(panel(node)))).toContain(b.correct_rollouts[0][0]);
    expect(rolloutCalls()).toBe(1);
    // another node of the tree: its own counts, its texts not shown
    const other = nodeOf(tree.children[4].partial_solution!);
    const otherShown = text(renderToStaticMarkup(panel(other)));
    expect(otherShown).toContain(`kept ${tree.children[4].correct_rollouts.length} correct / ${tree.children[4].incorrect_rollouts.length} incorrect rollout`);
    expect(otherShown).not.toContain(b.correct_rollouts[0][0]);
    // its Show pressed twice while the first answer is on its way: one call
    await Promise.all([store.getState().showNodeRollouts(other.id), store.getState().showNodeRollouts(other.id)]);
    expect(rolloutCalls()).toBe(2);
    expect(text(renderToStaticMarkup(panel(other)))).toContain(tree.children[4].incorrect_rollouts[0][0]);
  });

  it('says a judged node kept no rollouts, with no button, and draws nothing for a node with neither', () => {
    const leaf = nodeOf(tree.children[0].partial_solution!);
    const shown = text(renderToStaticMarkup(panel(leaf)));
    expect(shown).toContain(`MM-PRM's judge ${tree.children[0].llm_as_a_judge!.toFixed(3)}`);
    expect(shown).toContain('no rollouts kept for this node');
    expect(shown).not.toContain('Show the kept rollouts');
    expect(renderToStaticMarkup(createElement(NodeExtrasView, { ...nodeExtrasProps(store.getState(), leaf, { keptCorrect: 0, keptIncorrect: 0, judge: null }) }))).toBe('');
  });

  it("shows nothing of it for a search Steplab made: no panel, no judge column, no extras in the tree's columns", async () => {
    await store.getState().openSearch(plainId);
    const s = store.getState();
    expect(s.tree!.search.id).toBe(plainId);
    expect(s.tree!.extras).toBeUndefined();
    expect(s.nodeRollouts).toEqual({});
    const cols = await (dispatch(wb.handlers, 'searches.treeColumns', { id: plainId }) as Promise<{ columns: Parameters<typeof extrasFromColumns>[0]; extras?: Parameters<typeof extrasFromColumns>[1] }>);
    expect(cols.extras).toBeUndefined();
    expect(extrasFromColumns(cols.columns, cols.extras).size).toBe(0);
    for (const node of s.tree!.nodes) expect(renderToStaticMarkup(panel(node))).toBe('');
    const node = s.tree!.nodes.at(-1)!;
    const table = renderToStaticMarkup(createElement(NodePath, { path: [node], selected: node.id, prm: [], gold: new Map(), curated: new Map(), judge: s.tree!.judged ? s.tree!.extras : undefined, onSelect: () => {} }));
    expect(table).not.toContain('judge');
    expect(rolloutCalls()).toBe(2);
  });
});
