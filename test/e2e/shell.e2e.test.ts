// The renderer shell in a real browser: built renderer, headless host on a temp workspace, Debian's chromium.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerModel } from '../../src-main/core/models/registry';
import { openWorkbench, type Workbench } from '../../src-main/core/workbench';
import { startHost, type Host } from '../../src-main/server';
import { ensureRendererBuilt, openBrowser, rendererDir, type BrowserSession } from './setup';

const root = join(import.meta.dirname, '..', '..');
const screenshots = join(import.meta.dirname, '__screenshots__');

/** A small figure (a square with a shaded quarter), so the thumbnail has something to show. */
function figurePng(): Promise<Buffer> {
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="72"><rect width="96" height="72" fill="white"/>' +
    '<rect x="8" y="8" width="80" height="56" fill="none" stroke="black" stroke-width="3"/>' +
    '<rect x="8" y="8" width="40" height="28" fill="#2f6fde"/></svg>';
  return sharp(Buffer.from(svg)).png().toBuffer();
}

let tmp: string;
let wb: Workbench;
let host: Host;
let session: BrowserSession;
let page: Page;
const problems: string[] = [];
let browserErrors: string[] = [];

beforeAll(async () => {
  ensureRendererBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'steplab-e2e-'));
  const data = join(tmp, 'data');
  mkdirSync(data);
  writeFileSync(join(data, 'square.png'), await figurePng());
  const rows = [
    { id: 'p1', question: 'What is 1 + 1?', answer: '2', split: 'train' },
    { id: 'p2', question: 'What is 2 + 2?', answer: '4', split: 'train' },
    { id: 'p3', question: 'In the figure, what fraction of the square is shaded? \\(\\frac{a}{b}\\)', answer: '1/4', split: 'test', image: 'square.png' },
  ];
  writeFileSync(join(data, 'tiny.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(join(data, 'more.jsonl'), JSON.stringify({ id: 'q1', question: 'What is 5 - 3?', answer: '2' }) + '\n');
  problems.push(...rows.map((r) => r.id));

  wb = openWorkbench(join(tmp, 'workspace'), { create: true });
  const job = wb.runner.submit('import', { path: join(data, 'tiny.jsonl'), dataset: 'tiny', skipBad: false });
  const finished = await wb.runner.wait(job.id);
  if (finished.state !== 'done') throw new Error(`setup import ${finished.state}: ${finished.error}`);
  host = await startHost({ workbench: wb, rendererDir });

  session = await openBrowser();
  page = session.page;
  browserErrors = session.errors;

});

afterAll(async () => {
  await session?.close();
  await host?.close();
  await wb?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const tab = (name: string) => page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: new RegExp(`^${name}`) });

describe('renderer shell', () => {
  it('logs in with the token, lists the dataset and pages its problems', async () => {
    await page.goto(host.url);
    // the token left the address bar for an HttpOnly cookie
    expect(page.url()).toBe(`http://127.0.0.1:${host.port}/#/datasets`);
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'steplab_token')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    const datasets = page.getByTestId('datasets-table');
    await expect.poll(() => datasets.locator('tbody tr').count()).toBe(1);
    const row = datasets.locator('tbody tr').first();
    expect(await row.locator('td').nth(0).innerText()).toBe('tiny');
    expect(await row.locator('td').nth(2).innerText()).toBe('3');
    expect(await row.locator('td').nth(4).innerText()).toMatch(/test\s*1[\s\S]*train\s*2/);
    await expect.poll(() => page.locator('.app-header .workspace').innerText()).toContain('1 dataset · 3 problems · 1 image');

    await row.getByRole('button', { name: 'Problems' }).click();
    const table = page.getByTestId('problems-table');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(3);
    expect(page.url()).toMatch(/#\/problems\/tiny$/);
    expect(await table.locator('tbody tr td:first-child').allInnerTexts()).toEqual(problems);
    expect(await page.getByTestId('problems-range').innerText()).toBe('1–3 of 3');

    const thumb = table.locator('tbody tr').nth(2).locator('img');
    await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(96);

    await page.getByLabel('Split').selectOption('test');
    await expect.poll(() => table.locator('tbody tr td:first-child').allInnerTexts()).toEqual(['p3']);
    mkdirSync(screenshots, { recursive: true });
    await page.getByLabel('Split').selectOption('');
    await page.getByLabel('Search problems').fill('2 + 2');
    await expect.poll(() => table.locator('tbody tr td:first-child').allInnerTexts()).toEqual(['p2']);
    await page.getByLabel('Search problems').fill('');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(3);
    await page.screenshot({ path: join(screenshots, 'shell.png'), fullPage: true });
    expect(browserErrors).toEqual([]);
  });

  it('starts an import from the form and follows the job live in Jobs', async () => {
    await tab('Import').click();
    await page.getByLabel('File on this machine').fill(join(tmp, 'data', 'more.jsonl'));
    await page.getByLabel('Dataset name').fill('more');
    await page.screenshot({ path: join(screenshots, 'import.png'), fullPage: true });
    await page.getByRole('button', { name: 'Start import' }).click();
    await expect.poll(() => page.getByRole('status').innerText()).toMatch(/Import job #\d+ started/);

    await page.getByRole('button', { name: 'Follow it in Jobs' }).click();
    const jobs = page.getByTestId('jobs-table');
    // pushed over the WebSocket: nothing reloads the list
    await expect.poll(() => jobs.locator('tbody tr').first().getAttribute('data-state'), { timeout: 30_000 }).toBe('done');
    expect(await jobs.locator('tbody tr').count()).toBe(2);
    expect(await jobs.locator('tbody tr').first().innerText()).toMatch(/imported 1 problem and 0 images/);
    await page.screenshot({ path: join(screenshots, 'jobs.png'), fullPage: true });

    await tab('Datasets').click();
    await expect.poll(() => page.getByTestId('datasets-table').locator('tbody tr').count()).toBe(2);
    await page.screenshot({ path: join(screenshots, 'datasets.png'), fullPage: true });
    expect(browserErrors).toEqual([]);
  });

  it('shows a readable error for a failing call instead of a blank page', async () => {
    await tab('Import').click();
    await page.getByLabel('File on this machine').fill(join(tmp, 'data', 'missing.jsonl'));
    await page.getByLabel('Dataset name').fill('missing');
    await page.getByLabel('Format').selectOption('jsonl');
    await page.getByRole('button', { name: 'Start import' }).click();
    // the file is checked when the job is submitted or when it runs: either way the reason is on screen
    await expect.poll(() => page.getByRole('alert').or(page.getByRole('status')).first().innerText()).toMatch(/missing\.jsonl|Import job #\d+ started/);
    if ((await page.getByRole('alert').count()) === 0) {
      await page.getByRole('button', { name: 'Follow it in Jobs' }).click();
      const row = page.getByTestId('jobs-table').locator('tbody tr').first();
      await expect.poll(() => row.getAttribute('data-state'), { timeout: 30_000 }).toBe('failed');
      expect(await row.locator('.error-text').first().innerText()).toMatch(/missing\.jsonl/);
      await page.screenshot({ path: join(screenshots, 'jobs-failed.png'), fullPage: true });
    }

    // a dataset that does not exist, reached through the address bar
    await page.goto(`http://127.0.0.1:${host.port}/#/problems/ghost`);
    await expect.poll(() => page.getByRole('alert').innerText()).toMatch(/^Not found: dataset "ghost" not found \(have: .*tiny/);
    expect(await page.getByRole('heading', { level: 2 }).innerText()).toContain('ghost');
    expect(browserErrors).toEqual([]);
  });

  it('shows a Best-of-N evaluation: the accuracy table with the chosen rule and the chart', async () => {
    for (const m of ['tiny-policy', 'tiny-prm']) await registerModel(wb.store, join(root, 'models', m));
    const job = wb.runner.submit('bon', { dataset: 'tiny', split: 'train', selectOn: 'test', policy: 'tiny-policy', prm: 'tiny-prm', n: 2 });
    const end = await wb.runner.wait(job.id);
    expect(end.state, end.error ?? '').toBe('done');
    await page.goto(`http://127.0.0.1:${host.port}/#/evaluations`);
    const table = page.getByTestId('bon-table-train');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(12);
    expect(await table.locator('thead th').allInnerTexts()).toEqual(['method', 'N=1', 'N=2']);
    expect(await table.locator('tbody tr.chosen td').first().innerText()).toMatch(/★$/);
    expect(await page.getByTestId('bon-table-test').locator('tbody tr').count()).toBe(12);
    const chart = page.getByRole('img', { name: 'Accuracy against N on train' });
    await expect.poll(() => chart.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(300);
    await page.getByRole('button', { name: 'test', exact: true }).click();
    await expect.poll(() => page.getByRole('img', { name: 'Accuracy against N on test' }).count()).toBe(1);
    // the heatmap of one problem's candidates: a row each, a cell per step; a cell opens its solution
    const heat = page.getByTestId('heatmap');
    await expect.poll(() => heat.locator('tbody tr').count()).toBe(2);
    await heat.locator('td.cell button').first().click();
    await expect.poll(() => page.getByTestId('heatmap-solution').locator('li.current').count()).toBe(1);
    await page.getByLabel('Sort by').selectOption('verdict');
    await page.getByLabel('Colour by').selectOption('gold');
    await page.screenshot({ path: join(screenshots, 'evaluations.png'), fullPage: true });
    expect(browserErrors).toEqual([]);
  });

  it('explores a search tree: the canvas, keyboard selection, the path with MC and PRM scores', async () => {
    // three demo problems: the tiny policy solves some of them, so the tree branches
    const demo = readFileSync(join(root, 'models', 'demo-data', 'problems.jsonl'), 'utf8').split('\n').filter((l) => l && !JSON.parse(l).image).slice(0, 3);
    writeFileSync(join(tmp, 'data', 'demo3.jsonl'), demo.join('\n') + '\n');
    const imp = await wb.runner.wait(wb.runner.submit('import', { path: join(tmp, 'data', 'demo3.jsonl'), dataset: 'demo3', skipBad: false }).id);
    expect(imp.state, imp.error ?? '').toBe('done');
    const job = wb.runner.submit('search', {
      dataset: 'demo3',
      model: 'tiny-policy',
      algo: 'omega',
      limit: 3,
      config: { maxSearchCount: 4, rolloutBudget: 48, rolloutsPerState: 8, lengthScale: 50 },
      annotationMode: 'all-paths',
    });
    const end = await wb.runner.wait(job.id);
    expect(end.state, end.error ?? '').toBe('done');
    const ids = (end.result as { searchIds: number[] }).searchIds;
    const searchId = ids.reduce((a, b) => (wb.store.trees.nodeCount(b) > wb.store.trees.nodeCount(a) ? b : a));
    expect(wb.store.trees.nodeCount(searchId)).toBeGreaterThan(2);
    const scored = await wb.runner.wait(wb.runner.submit('score', { prm: 'tiny-prm', searches: [searchId] }).id);
    expect(scored.state, scored.error ?? '').toBe('done');

    await page.goto(`http://127.0.0.1:${host.port}/#/searches`);
    await page.getByRole('combobox', { name: 'Search', exact: true }).selectOption(String(searchId));
    await expect.poll(() => page.getByTestId('search-problem').innerText()).toContain(`OmegaPRM search #${searchId}`);
    const canvas = page.getByTestId('tree-canvas');
    await canvas.waitFor();
    expect(await canvas.getAttribute('aria-label')).toMatch(/^Search tree, \d+ nodes$/);
    // walk to the deepest first child with the keyboard; hovering it names the node
    await canvas.focus();
    await page.keyboard.press('Home');
    for (let i = 0; i < 8; i++) await page.keyboard.press('ArrowDown');
    const path = page.getByTestId('node-path');
    await expect.poll(() => path.locator('tbody tr').count()).toBeGreaterThanOrEqual(2);
    expect(await path.locator('thead th').allInnerTexts()).toContain('tiny-prm@1');
    // the root is the question; the clicked node has a PRM score
    expect(await path.locator('tbody tr').first().innerText()).toContain('(question)');
    expect(await path.locator('tbody tr').last().locator('td').last().innerText()).toMatch(/^0\.\d{3}$/);
    await page.screenshot({ path: join(screenshots, 'searches.png'), fullPage: true });

    // curation: relabel the node's step, undo, and find the label persisted after a reload
    const curation = page.getByTestId('curation');
    const row = curation.locator('.label-row').first();
    await row.waitFor();
    const original = await row.getByTestId('soft-label').innerText();
    await row.getByRole('button', { name: 'Mark bad' }).click();
    await expect.poll(() => row.getByTestId('soft-label').innerText()).toBe('0.000');
    await row.getByRole('button', { name: 'Mark good' }).click();
    await expect.poll(() => row.getByTestId('soft-label').innerText()).toBe('1.000');
    await curation.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => row.getByTestId('soft-label').innerText()).toBe('0.000');
    expect(await row.innerText()).toContain(`curated, search said ${original}`);
    // the reload comes back to the same search and node (the route holds both)
    const at = page.url();
    expect(at).toMatch(new RegExp(`#/searches/${searchId}/node/\\d+$`));
    await page.reload();
    await expect.poll(() => page.getByTestId('search-problem').innerText()).toContain(`OmegaPRM search #${searchId}`);
    expect(page.url()).toBe(at);
    const again = page.getByTestId('curation').locator('.label-row').first();
    await expect.poll(() => again.getByTestId('soft-label').innerText()).toBe('0.000');
    expect(await again.innerText()).toContain(`curated, search said ${original}`);
    // the original label is kept in the store
    const ann = wb.store.annotations.forSearch(searchId).find((a) => a.steps.some((st) => st.edited))!;
    expect(ann.steps.find((st) => st.edited)!.originalSoft.toFixed(3)).toBe(original);
    await page.screenshot({ path: join(screenshots, 'curation.png'), fullPage: true });

    // the disagreement queue: nodes where the PRM and MC differ most; a row opens its node in the tree
    await page.getByRole('tab', { name: 'Curation queues' }).click();
    const queue = page.getByTestId('disagreements');
    await queue.getByLabel('Step kind').selectOption('all');
    const first = queue.getByTestId('queue-row').first();
    await first.waitFor();
    const [, sid, nid] = /#(\d+) node (\d+)/.exec(await first.locator('button').innerText())!;
    const gaps = (await queue.getByTestId('queue-gap').allInnerTexts()).map(Number);
    expect(gaps).toEqual([...gaps].sort((a, b) => b - a));
    await first.locator('button').click();
    await expect.poll(() => page.url()).toMatch(new RegExp(`#/searches/${sid}/node/${nid}$`));
    await expect.poll(() => page.getByTestId('node-path').locator('caption').innerText()).toContain(`node #${nid}`);
    expect(browserErrors).toEqual([]);
  });

  it('launches a search from Jobs, names a bad config field inline, and cancels the running job', async () => {
    await tab('Jobs').click();
    await page.getByLabel('Job kind').selectOption('search');
    await page.getByText('Advanced: the whole config as JSON').click();
    // the JSON editor (Monaco) checks the config against the job's schema as it is typed
    const editor = page.getByTestId('launch-json');
    await expect.poll(() => editor.locator('[data-ready="true"]').count(), { timeout: 30_000 }).toBe(1);
    const typeConfig = async (config: unknown) => {
      await editor.locator('.monaco-editor .view-lines').click();
      await page.keyboard.press('Control+a');
      await page.keyboard.insertText(JSON.stringify(config));
      // whatever the editor closed for us (a bracket or quote) after the cursor goes
      await page.keyboard.press('Control+Shift+End');
      await page.keyboard.press('Delete');
    };
    await typeConfig({ dataset: 'demo3', model: 'tiny-policy', algo: 'nope' });
    await expect.poll(() => editor.getAttribute('data-valid')).toBe('false');
    await expect.poll(() => editor.getByRole('list', { name: 'Config problems' }).innerText()).toMatch(/line 1:\d+ .*algo/i);
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect.poll(() => page.locator('details.launch > p[role=alert]').innerText()).toMatch(/^the config has a problem: algo: .*; fix it in the form or the JSON$/);
    await typeConfig({ dataset: 'demo3', model: 'tiny-policy', algo: 'omega', seed: 7, config: { maxSearchCount: 200, rolloutBudget: 4000, rolloutsPerState: 32, lengthScale: 50 } });
    await expect.poll(() => editor.getAttribute('data-valid')).toBe('true');
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect.poll(() => page.getByRole('status').innerText()).toMatch(/^Job #\d+ started/);
    const id = Number(/#(\d+)/.exec(await page.getByRole('status').innerText())![1]);
    const row = page.getByTestId('jobs-table').locator('tbody tr').first();
    await expect.poll(() => row.innerText()).toContain(`${id}`);
    await row.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 60_000 }).toBe('cancelled');
    expect(wb.store.jobs.get(id).state).toBe('cancelled');
    await page.screenshot({ path: join(screenshots, 'jobs-launch.png'), fullPage: true });
    expect(browserErrors).toEqual([]);
  });

  it('follows the dark colour scheme', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`http://127.0.0.1:${host.port}/#/problems/tiny`);
    await expect.poll(() => page.getByTestId('problems-table').locator('tbody tr').count()).toBe(3);
    // the theme follows the system through a media-query listener, a moment after the change
    await expect.poll(() => page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(20, 23, 27)');
    await page.screenshot({ path: join(screenshots, 'shell-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
    // the theme follows the system through a media-query listener, a moment after the change
    await expect.poll(() => page.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(247, 248, 250)');
    expect(browserErrors).toEqual([]);
  });
});
