// An imported MM-PRM tree in the explorer, in Chromium at 1440×900: `steplab import-labels` of the
// omegaprm.py trees and of the same problem after mllm_as_a_judge.py (test/fixtures/labels/mmprm), the
// judged tree opened, a node chosen on the canvas: MM-PRM's judge beside MC and the kept rollout counts
// in the node pane, a judge column in the path table; the rollout texts fetched only when asked for and
// shown correct apart from incorrect, scrollable, in the light and the dark theme; the tree coloured by
// the judge. The tree without the judge pass has the counts and no judge column.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkbench } from '../../src-main/core/workbench';
import { cli } from '../helpers/cli';
import { ensureRendererBuilt, openBrowser, screenshots, serve, type BrowserSession, type Host, type Workbench } from './setup';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'labels');
const OUTPUTS = join(FIX, 'mmprm', 'outputs');
const JUDGED = join(FIX, 'mmprm', 'mllm_as_a_judge_outputs');

interface MmprmNode {
  partial_solution?: string[];
  correct_rollouts: string[][];
  incorrect_rollouts: string[][];
  llm_as_a_judge?: number;
  logprob_yes?: number;
  logprob_no?: number;
  children: MmprmNode[];
}

let tmp: string;
let wb: Workbench;
let host: Host;
let session: BrowserSession;
let judgedId: number;
let plainTreeId: number;
/** the searches.nodeRollouts calls the page made */
const rolloutRequests: string[] = [];

beforeAll(async () => {
  ensureRendererBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'steplab-e2e-rollouts-'));
  const ws = join(tmp, 'ws');
  expect((await cli('init', ws)).code).toBe(0);
  for (const dir of [OUTPUTS, JUDGED]) {
    const r = await cli('import-labels', dir, '--workspace', ws, '--dataset', 'k12', '--image-root', join(FIX, 'images'));
    expect(r.code, r.err.join('\n')).toBe(0);
  }
  wb = openWorkbench(ws);
  const searches = wb.store.trees.listSearches().items;
  judgedId = searches.find((s) => (s.stats.imported as { file: string }).file === 'mllm_as_a_judge_outputs/k12-0001.json')!.id;
  plainTreeId = searches.find((s) => s.id !== judgedId && s.problemId === wb.store.trees.getSearch(judgedId).problemId)!.id;
  host = await serve(wb);
  session = await openBrowser({ width: 1440, height: 900 });
  session.page.on('websocket', (ws) => ws.on('framesent', (f) => typeof f.payload === 'string' && f.payload.includes('searches.nodeRollouts') && rolloutRequests.push(f.payload)));
  session.page.on('request', (req) => req.postData()?.includes('searches.nodeRollouts') && rolloutRequests.push(req.postData()!));
  // the token's page first (it lets this browser in), then the routes by origin
  await session.page.goto(host.url);
});

const origin = (): string => `http://127.0.0.1:${host.port}`;

afterAll(async () => {
  await session?.close();
  await host?.close();
  await wb?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Chooses a node on the canvas with the keyboard (Home: the root, Down: the first child, Right: the next sibling) until the path table names it. */
async function chooseOnCanvas(id: number): Promise<void> {
  const { page } = session;
  const canvas = page.getByTestId('tree-canvas');
  await canvas.focus();
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowDown');
  const caption = page.getByTestId('node-path').locator('caption');
  for (let i = 0; i < 6 && !(await caption.innerText()).includes(`node #${id} `); i++) await page.keyboard.press('ArrowRight');
  await expect.poll(() => caption.innerText()).toContain(`node #${id} `);
}

describe("an imported tree's judge values and kept rollouts", () => {
  const tree: MmprmNode = JSON.parse(readFileSync(join(JUDGED, 'k12-0001.json'), 'utf8'));
  const b = tree.children[1];

  it("shows MM-PRM's judge beside MC and the kept counts, then the rollouts when asked for, readable in both themes", async () => {
    const { page } = session;
    const nodes = wb.store.trees.nodes(judgedId);
    const node = nodes.find((n) => n.stepText === b.partial_solution!.join('\n\n'))!;
    await page.goto(`${origin()}/#/searches/${judgedId}`);
    await expect.poll(() => page.getByTestId('search-problem').innerText()).toMatch(new RegExp(`search #${judgedId}\\b`));
    await expect.poll(() => page.getByTestId('tree-canvas').getAttribute('aria-label')).toBe(`Search tree, ${nodes.length} nodes`);
    await chooseOnCanvas(node.id);

    const extras = page.getByTestId('node-extras');
    await extras.waitFor();
    const judge = await extras.getByTestId('node-judge').innerText();
    expect(judge.replace(/\s+/g, ' ')).toBe(`MM-PRM's judge ${b.llm_as_a_judge!.toFixed(3)} · P(yes) ${b.logprob_yes!.toFixed(3)} · P(no) ${b.logprob_no!.toFixed(3)}`);
    expect((await extras.innerText()).replace(/[ \t]+/g, ' ')).toContain(`MC ${node.mc!.toFixed(3)}`);
    expect(await extras.getByTestId('node-kept').innerText()).toBe(`kept ${b.correct_rollouts.length} correct / ${b.incorrect_rollouts.length} incorrect rollout${b.incorrect_rollouts.length === 1 ? '' : 's'}`);
    // the path table: a judge column, the node's judge value in its row
    const path = page.getByTestId('node-path');
    expect(await path.locator('thead').innerText()).toContain('judge');
    expect((await path.locator(`tr[data-node="${node.id}"]`).getByTestId('judge-cell').innerText()).trim()).toBe(b.llm_as_a_judge!.toFixed(3));
    // no rollout text asked for yet
    expect(await page.getByTestId('rollout-texts').count()).toBe(0);
    expect(rolloutRequests).toEqual([]);

    await extras.getByRole('button', { name: 'Show the kept rollouts' }).click();
    const texts = page.getByTestId('rollout-texts');
    await texts.waitFor();
    expect(rolloutRequests).toHaveLength(1);
    const correct = await texts.getByTestId('rollouts-correct').innerText();
    const incorrect = await texts.getByTestId('rollouts-incorrect').innerText();
    for (const st of b.correct_rollouts.flat()) expect(correct).toContain(st);
    for (const st of b.incorrect_rollouts.flat()) expect(incorrect).toContain(st);
    expect(await texts.getByTestId('rollout').count()).toBe(b.correct_rollouts.length + b.incorrect_rollouts.length);
    // the texts inside the window, the side pane scrolls rather than the page
    const box = (await texts.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(1440);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1440);
    await texts.scrollIntoViewIfNeeded();
    await page.getByLabel('Theme').selectOption('light');
    await page.screenshot({ path: join(screenshots, 'rollouts-light.png') });
    await page.getByLabel('Theme').selectOption('dark');
    await expect.poll(() => page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(20, 23, 27)');
    await page.screenshot({ path: join(screenshots, 'rollouts-dark.png') });
    await page.getByLabel('Theme').selectOption('system');

    // the root: kept texts, no judge value (mllm_as_a_judge.py skips it); hidden and shown again, no second call
    await extras.getByRole('button', { name: 'Hide the rollouts' }).click();
    expect(await page.getByTestId('rollout-texts').count()).toBe(0);
    await extras.getByRole('button', { name: 'Show the kept rollouts' }).click();
    await texts.waitFor();
    expect(rolloutRequests).toHaveLength(1);
    const root = nodes.find((n) => n.parentId === null)!;
    await path.locator(`tr[data-node="${root.id}"]`).click();
    await expect.poll(() => path.locator('caption').innerText()).toContain(`node #${root.id} `);
    expect(await page.getByTestId('rollout-texts').count()).toBe(0);
    expect(await extras.getByTestId('node-kept').innerText()).toBe(`kept ${tree.correct_rollouts.length} correct / ${tree.incorrect_rollouts.length} incorrect rollouts`);
    expect(await extras.getByTestId('node-judge').count()).toBe(0);
    // its four rollouts: a second call, the box scrolls within the pane at most 42% of the window high
    await extras.getByRole('button', { name: 'Show the kept rollouts' }).click();
    await expect.poll(() => texts.getByTestId('rollout').count()).toBe(tree.correct_rollouts.length + tree.incorrect_rollouts.length);
    expect(rolloutRequests).toHaveLength(2);
    expect((await texts.boundingBox())!.height).toBeLessThanOrEqual(0.42 * 900 + 1);
    expect(await texts.evaluate((el) => getComputedStyle(el).overflowY)).toBe('auto');
    await texts.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(screenshots, 'rollouts-root.png') });

    // the tree coloured by MM-PRM's judge instead of MC: the legend says so, and back
    const legend = page.getByRole('group', { name: 'Legend' });
    expect(await legend.innerText()).toMatch(/^MC[\s\S]*no MC/);
    await page.getByRole('combobox', { name: 'Colour the nodes by' }).selectOption('judge');
    await expect.poll(() => legend.innerText()).toMatch(/^MM-PRM's judge[\s\S]*no judge value/);
    await page.getByTestId('tree-canvas').screenshot({ path: join(screenshots, 'rollouts-judge-colours.png') });
    await page.getByRole('combobox', { name: 'Colour the nodes by' }).selectOption('mc');
    await expect.poll(() => legend.innerText()).toMatch(/^MC[\s\S]*no MC/);
    expect(session.errors).toEqual([]);
  });

  it('shows the kept counts of the tree without the judge pass, and no judge column', async () => {
    const { page } = session;
    const nodes = wb.store.trees.nodes(plainTreeId);
    const root = nodes.find((n) => n.parentId === null)!;
    await page.goto(`${origin()}/#/searches/${plainTreeId}/node/${root.id}`);
    const path = page.getByTestId('node-path');
    await expect.poll(() => path.locator('caption').innerText()).toContain(`node #${root.id} `);
    await expect.poll(() => page.getByTestId('node-kept').innerText()).toMatch(/^kept \d+ correct \/ \d+ incorrect rollouts?$/);
    expect(await page.getByTestId('node-judge').count()).toBe(0);
    expect(await path.locator('thead').innerText()).not.toContain('judge');
    expect(await page.getByRole('combobox', { name: 'Colour the nodes by' }).count()).toBe(0);
    expect(session.errors).toEqual([]);
  });
});
