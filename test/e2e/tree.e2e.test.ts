// The tree explorer in a real browser on searches made by the real pipeline (OmegaPRM and Math-Shepherd
// with the bundled tiny policy, tiny-prm scores): collapse and expand, find in the tree, the minimap, the
// replay of the search's events, the comparison of two searches of one problem, and a tree with broken
// parent links (as an old import can leave) named without breaking the rest of the app.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchRef } from '../../src-main/core/store/trees';
import { buildReplay } from '../../src-renderer/tree/replay';
import { demoWorkspace, disposeWorkspace, ensureRendererBuilt, openBrowser, screenshots, serve, type BrowserSession, type DemoWorkspace, type Host } from './setup';

let ws: DemoWorkspace;
let host: Host;
let session: BrowserSession;
let omegaId: number;
let msId: number;

beforeAll(async () => {
  ensureRendererBuilt();
  ws = await demoWorkspace();
  omegaId = ws.searchIds[0];
  // a Math-Shepherd search of the same problems, to compare with
  const job = await ws.wb.runner.wait(ws.wb.runner.submit('search', { dataset: ws.dataset, model: 'tiny-policy', algo: 'mc', limit: 3, config: { samplesPerSolution: 2, k: 4 } }).id);
  if (job.state !== 'done') throw new Error(`math-shepherd search ${job.state}: ${job.error}`);
  const problem = ws.wb.store.trees.getSearch(omegaId).problemId;
  msId = (job.result as { searchIds: number[] }).searchIds.find((id) => ws.wb.store.trees.getSearch(id).problemId === problem)!;
  host = await serve(ws.wb);
  session = await openBrowser({ width: 1440, height: 900 });
  await session.page.goto(host.url);
});

afterAll(async () => {
  await session?.close();
  await host?.close();
  await disposeWorkspace(ws);
});

async function openSearch(id: number, algorithm: string): Promise<void> {
  const { page } = session;
  const picker = page.getByRole('combobox', { name: 'Search', exact: true });
  expect(await picker.locator(`option[value="${id}"]`).innerText()).toContain(`#${id}`);
  await picker.selectOption(String(id));
  await expect.poll(() => page.url()).toContain(`#/searches/${id}`);
  await expect.poll(() => page.getByTestId('search-problem').innerText()).toMatch(new RegExp(`${algorithm} search #${id}\\b`, 'i'));
}

describe('tree explorer', () => {
  it('collapses and expands subtrees, finds nodes by text and MC, shows a minimap and a legend', async () => {
    const { page } = session;
    const nodes = ws.wb.store.trees.nodes(omegaId);
    const root = nodes.find((n) => n.parentId === null)!;
    await page.goto(`http://127.0.0.1:${host.port}/#/searches`);
    await openSearch(omegaId, 'OmegaPRM');
    const canvas = page.getByTestId('tree-canvas');
    await expect.poll(() => canvas.getAttribute('aria-label')).toBe(`Search tree, ${nodes.length} nodes`);

    // collapse the root with the keyboard: one node left, with a count of the rest
    await canvas.focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('Space');
    await expect.poll(() => canvas.getAttribute('aria-label')).toBe(`Search tree, 1 nodes, ${nodes.length - 1} more in collapsed subtrees`);
    expect(await page.getByTestId('tree-shown').innerText()).toMatch(new RegExp(`^1 of ${nodes.length} nodes shown, 1 collapsed`));
    await page.getByRole('button', { name: `Expand #${root.id}` }).click();
    await expect.poll(() => canvas.getAttribute('aria-label')).toBe(`Search tree, ${nodes.length} nodes`);
    // collapse every subtree one level down, then expand everything again
    await page.getByRole('combobox', { name: 'Collapse every subtree at depth' }).selectOption('1');
    await expect.poll(() => canvas.getAttribute('aria-label')).toMatch(/more in collapsed subtrees$/);
    await canvas.screenshot({ path: join(screenshots, 'tree-collapsed.png') });
    await page.getByRole('button', { name: 'Expand all' }).click();
    await expect.poll(() => canvas.getAttribute('aria-label')).toBe(`Search tree, ${nodes.length} nodes`);

    // find by step text: the count, then Enter jumps to (and selects) the first match in depth-first order
    const withText = nodes.filter((n) => n.parentId !== null && n.stepText.length > 4);
    const needle = withText[0].stepText.split('\n')[0].slice(0, 6).toLowerCase();
    const expected = nodes.filter((n) => n.stepText.toLowerCase().includes(needle));
    const find = page.getByRole('searchbox', { name: 'Find step text' });
    await find.fill(needle);
    const count = page.getByTestId('tree-search-count');
    await expect.poll(() => count.innerText()).toBe(`${expected.length} ${expected.length === 1 ? 'match' : 'matches'}`);
    await find.press('Enter');
    await expect.poll(() => count.innerText()).toMatch(new RegExp(`^1 of ${expected.length} match`));
    const caption = await page.getByTestId('node-path').locator('caption').innerText();
    const selectedId = Number(/#(\d+)/.exec(caption)![1]);
    expect(expected.map((n) => n.id)).toContain(selectedId);
    expect(nodes.find((n) => n.id === selectedId)!.stepText.toLowerCase()).toContain(needle);
    // a range of MC values, and a bad bound named rather than ignored
    await find.fill('');
    await page.getByRole('textbox', { name: 'MC min' }).fill('1');
    const sure = nodes.filter((n) => n.mc === 1).length;
    await expect.poll(() => count.innerText()).toBe(sure === 0 ? 'no match' : `${sure} ${sure === 1 ? 'match' : 'matches'}`);
    await page.getByRole('textbox', { name: 'MC max' }).fill('2');
    await expect.poll(() => count.innerText()).toBe('MC max: "2" is not a number from 0 to 1');
    await page.getByRole('textbox', { name: 'MC max' }).fill('');

    // the legend names the colour scale and the marks; the minimap is offered for a small tree too
    const legend = page.getByRole('group', { name: 'Legend' });
    expect(await legend.innerText()).toMatch(/MC[\s\S]*0[\s\S]*0\.5[\s\S]*1[\s\S]*first error \(search\)[\s\S]*first error \(gold\)[\s\S]*match[\s\S]*size = visits/);
    await page.getByRole('checkbox', { name: 'minimap' }).check();
    const minimap = page.getByTestId('tree-minimap');
    await minimap.waitFor();
    // a click on the minimap's corner moves the main view there
    const box = (await minimap.boundingBox())!;
    await minimap.click({ position: { x: 4, y: 4 } });
    expect(box.width).toBe(176);
    await page.screenshot({ path: join(screenshots, 'tree-explorer.png'), fullPage: true });
    // the dark scheme: the canvas and the legend take the theme's surface
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(() => page.evaluate("getComputedStyle(document.querySelector('.tree-canvas')).backgroundColor")).toBe('rgb(28, 32, 38)');
    await page.screenshot({ path: join(screenshots, 'tree-explorer-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
    expect(session.errors).toEqual([]);
  });

  it('replays the search event by event with a caption of each', async () => {
    const { page } = session;
    const events = ws.wb.store.trees.events(omegaId);
    const replay = buildReplay(events, ws.wb.store.trees.nodes(omegaId));
    expect(replay.steps.length).toBeGreaterThan(3);
    const group = page.getByRole('group', { name: 'Replay' });
    await group.waitFor();
    expect(await page.getByTestId('replay-caption').innerText()).toMatch(/^The finished tree/);
    for (let i = 0; i < 3; i++) await group.getByRole('button', { name: 'Step forward' }).click();
    await expect.poll(() => group.innerText()).toContain(`event 3 of ${replay.steps.length}`);
    expect(await page.getByTestId('replay-caption').innerText()).toBe(replay.steps[2].caption);
    // the slider goes straight to an event; step back goes one before it
    const k = replay.steps.findIndex((s) => s.kind === 'probe');
    await group.getByRole('slider', { name: 'Replay position' }).fill(String(k + 1));
    await group.getByRole('button', { name: 'Step back' }).click();
    await expect.poll(() => page.getByTestId('replay-caption').innerText()).toBe(replay.steps[k].caption);
    expect(replay.steps[k].caption).toMatch(/^binary search probe: step \d+/);
    await page.screenshot({ path: join(screenshots, 'replay.png'), fullPage: true });
    // play runs on to the next events, pause stops it
    await group.getByRole('combobox', { name: 'Replay speed' }).selectOption('8');
    await group.getByRole('button', { name: 'Play' }).click();
    await expect.poll(() => group.innerText()).not.toContain(`event ${k + 1} of`);
    await group.getByRole('button', { name: 'Pause' }).click();
    await group.getByRole('button', { name: 'Show the finished tree' }).click();
    await expect.poll(() => page.getByTestId('replay-caption').innerText()).toMatch(/^The finished tree/);
    expect(session.errors).toEqual([]);
  });

  it('compares the search with a Math-Shepherd search of the same problem, and offers no other problem', async () => {
    const { page } = session;
    const problem = ws.wb.store.trees.getSearch(omegaId).problemId;
    const sameProblem = ws.wb.store.trees
      .listSearches({ problemId: problem })
      .items.map((s) => s.id)
      .filter((id) => id !== omegaId);
    const picker = page.getByRole('combobox', { name: 'Compare with' });
    const offered = (await picker.locator('option').allInnerTexts()).slice(1).map((t) => Number(/^#(\d+)/.exec(t)![1]));
    expect(offered.sort()).toEqual(sameProblem.sort());
    await picker.selectOption(String(msId));
    const costs = page.getByTestId('compare-costs');
    await costs.waitFor();
    expect(await costs.locator('thead th').allInnerTexts()).toEqual(['', `#${omegaId} omegaprm`, `#${msId} math-shepherd`]);
    const row = async (label: string) => (await costs.getByRole('row', { name: new RegExp(`^${label}`) }).locator('td').allInnerTexts()).map((t) => t.trim());
    const [a, b] = [ws.wb.store.trees.getSearch(omegaId).stats, ws.wb.store.trees.getSearch(msId).stats];
    expect(await row('tokens generated')).toEqual([Number(a.tokens).toLocaleString('en-US'), Number(b.tokens).toLocaleString('en-US')]);
    expect(await row('nodes')).toEqual([String(ws.wb.store.trees.nodeCount(omegaId)), String(ws.wb.store.trees.nodeCount(msId))]);
    for (const t of await row('wall time')) expect(t).toMatch(/^\d+(\.\d)? (ms|s)$/);
    expect(await page.getByTestId('compare-agreement').innerText()).toMatch(/^(MC labels .* both searches estimated: \d+ agree|The two trees share no estimated step prefix)/);
    await page.getByTestId('compare-canvas-a').waitFor();
    await page.getByTestId('compare-canvas-b').waitFor();
    // both ran with seed 0, one policy and its sampling: the note says their MC agrees by construction
    const note = page.getByTestId('compare-streams');
    expect(await note.innerText()).toMatch(/These two searches drew the same random streams \(seed 0, the same policy and sampling for both/);
    await page.screenshot({ path: join(screenshots, 'compare.png'), fullPage: true });
    // … and runs the second one's job again with a seed not used yet
    const msJob = ws.wb.store.trees.getSearch(msId).jobId!;
    await note.getByRole('button', { name: `Run search job #${msJob} again with seed 1` }).click();
    await expect.poll(() => note.getByRole('button', { name: /^job #\d+ started \(seed 1\)/ }).count()).toBe(1);
    const rerun = Number(/#(\d+)/.exec(await note.getByRole('button', { name: /^job #\d+ started/ }).innerText())![1]);
    const done = await ws.wb.runner.wait(rerun);
    expect(done.state, done.error ?? '').toBe('done');
    expect(done.config).toEqual({ ...(ws.wb.store.jobs.get(msJob).config as object), seed: 1 });
    const fresh = ws.wb.store.trees.listSearches({ problemId: problem, jobId: rerun }).items[0];
    expect(fresh.seed).toBe(1);
    await page.getByRole('button', { name: 'Close the comparison' }).click();
    await page.getByTestId('tree-canvas').waitFor();
    // compared with the new one: independent streams, said so
    await page.getByRole('button', { name: 'Refresh' }).first().click();
    await expect.poll(() => page.getByRole('combobox', { name: 'Compare with' }).locator(`option[value="${fresh.id}"]`).count()).toBe(1);
    await page.getByRole('combobox', { name: 'Compare with' }).selectOption(String(fresh.id));
    await expect.poll(() => page.getByTestId('compare-streams').innerText()).toBe('Random streams: seeds 0 and 1: independent random streams.');
    await page.getByRole('button', { name: 'Close the comparison' }).click();
    await page.getByTestId('tree-canvas').waitFor();
    expect(session.errors).toEqual([]);
  });

  it('names a broken parent link and a cycle, draws the connected part, and the app keeps working', async () => {
    const { page } = session;
    const { store } = ws.wb;
    const problem = store.trees.getSearch(omegaId).problemId;
    const id = store.trees.createSearch({ problemId: problem, modelId: null, algorithm: 'imported', config: {}, seed: null });
    const [r, , , , d, e, f] = store.trees.insertNodes(id, [
      { parent: null, depth: 0, stepText: '' },
      { parent: batchRef(0), depth: 1, stepText: 'a', mc: 1 },
      { parent: batchRef(0), depth: 1, stepText: 'b', mc: 0 },
      { parent: batchRef(1), depth: 2, stepText: 'c', mc: 0.5 },
      { parent: batchRef(3), depth: 3, stepText: 'd' },
      { parent: batchRef(0), depth: 1, stepText: 'e' },
      { parent: batchRef(0), depth: 1, stepText: 'f' },
    ]);
    store.trees.finishSearch(id, 'done', { nodes: 7 });
    // an old import: d's parent is gone, e and f are each other's parent
    store.db.pragma('foreign_keys = OFF');
    store.db.prepare('UPDATE tree_nodes SET parent_id = 999999 WHERE id = ?').run(d);
    store.db.pragma('foreign_keys = ON');
    store.db.prepare('UPDATE tree_nodes SET parent_id = ? WHERE id = ?').run(f, e);
    store.db.prepare('UPDATE tree_nodes SET parent_id = ? WHERE id = ?').run(e, f);

    await page.getByRole('button', { name: 'Refresh' }).first().click();
    await expect.poll(() => page.getByRole('combobox', { name: 'Search', exact: true }).locator(`option[value="${id}"]`).count()).toBe(1);
    await openSearch(id, 'imported');
    const note = page.getByTestId('tree-problems');
    await note.waitFor();
    const text = await note.innerText();
    expect(text).toContain(`Search #${id}'s tree has broken parent links`);
    expect(text).toContain(`node ${d} names parent 999999, which is not in the tree: it cannot be drawn`);
    expect(text).toMatch(new RegExp(`nodes (${e} → ${f} → ${e}|${f} → ${e} → ${f}) form a parent cycle`));
    await expect.poll(() => page.getByTestId('tree-canvas').getAttribute('aria-label')).toBe('Search tree, 4 nodes');
    await page.getByTestId('tree-canvas').focus();
    await page.keyboard.press('Home');
    await expect.poll(() => page.getByTestId('node-path').locator('caption').innerText()).toContain(`#${r}`);
    // the rest of the app: another search opens as before
    await openSearch(omegaId, 'OmegaPRM');
    await page.getByTestId('tree-canvas').waitFor();
    expect(await page.getByTestId('tree-problems').count()).toBe(0);
    expect(session.errors).toEqual([]);
  });
});
