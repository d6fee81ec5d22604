// Curation in a real browser over a workspace built by the real pipeline (demo problems, an OmegaPRM search
// with the bundled policy, tiny-prm node scores, and a Best-of-N run for solution verdicts): relabel with a
// comment, bulk-reject two paths, undo and redo from the keyboard, a reload that keeps it all; a step's text
// edited in Monaco (loaded under the host's CSP with no violation) and saved as a curated variant; the
// solution-conflict queue, strongest first; an export with the curated filter, checked in the file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoWorkspace, disposeWorkspace, ensureRendererBuilt, openBrowser, screenshots, serve, type BrowserSession, type DemoWorkspace, type Host } from './setup';

let ws: DemoWorkspace;
let host: Host;
let session: BrowserSession;
let page: Page;
let searchId: number;

beforeAll(async () => {
  ensureRendererBuilt();
  ws = await demoWorkspace({ count: 4 });
  const bon = await ws.wb.runner.wait(ws.wb.runner.submit('bon', { dataset: ws.dataset, split: 'train', policy: 'tiny-policy', prm: 'tiny-prm', n: 4, limit: 4 }).id);
  expect(bon.state, bon.error ?? '').toBe('done');
  searchId = ws.searchIds[0];
  host = await serve(ws.wb);
  session = await openBrowser({ width: 1440, height: 900 });
  page = session.page;
});
afterAll(async () => {
  await session?.close();
  await host?.close();
  await disposeWorkspace(ws);
});

/** Opens the search and walks to the first depth-1 node with at least two label rows; returns the panel. */
async function openBusyNode(): Promise<ReturnType<Page['getByTestId']>> {
  await page.getByRole('combobox', { name: 'Search', exact: true }).selectOption(String(searchId));
  await expect.poll(() => page.getByTestId('search-problem').innerText()).toContain(`OmegaPRM search #${searchId}`);
  await page.getByRole('tab', { name: /^Node/ }).click();
  const canvas = page.getByTestId('tree-canvas');
  await canvas.focus();
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowDown');
  const panel = page.getByTestId('curation');
  for (let i = 0; i < 12; i++) {
    await panel.waitFor();
    if ((await panel.locator('.label-row').count()) >= 2) return panel;
    await canvas.focus();
    await page.keyboard.press('ArrowRight');
  }
  throw new Error('no depth-1 node with two annotation paths through it');
}

const rowIds = async (panel: ReturnType<Page['getByTestId']>): Promise<string[]> =>
  (await panel.locator('.label-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid') ?? ''))).map((t) => t.replace(/^label-/, ''));

describe('curation', () => {
  let rows: string[];

  it('relabels with a comment, bulk-rejects two paths, undoes and redoes from the keyboard', async () => {
    await page.goto(host.url);
    await page.goto(`http://127.0.0.1:${host.port}/#/searches`);
    const panel = await openBusyNode();
    rows = await rowIds(panel);
    const first = panel.getByTestId(`label-${rows[0]}`);
    const second = panel.getByTestId(`label-${rows[1]}`);

    await panel.getByLabel('Comment for the next edit').fill('the count is off by one');
    await first.getByRole('spinbutton').fill('0.42');
    await first.getByRole('button', { name: 'Set' }).click();
    await expect.poll(() => first.getByTestId('soft-label').innerText()).toBe('0.420');
    expect(await panel.getByLabel('Comment for the next edit').inputValue()).toBe('');
    await first.locator('.curation-history summary').click();
    expect(await first.locator('.curation-history li').last().innerText()).toMatch(/by \S+: set step \d+'s label to 0\.420 \(good\).*the count is off by one/);

    // a typed value outside 0..1 is refused with a message and changes nothing
    await first.getByRole('spinbutton').fill('1.5');
    await first.getByRole('button', { name: 'Set' }).click();
    await expect.poll(() => panel.getByRole('alert').innerText()).toContain('a soft label must be a number from 0 to 1 (got 1.5)');
    expect(await first.getByTestId('soft-label').innerText()).toBe('0.420');

    await first.getByRole('checkbox').check();
    await second.getByRole('checkbox').check();
    const bar = panel.getByTestId('bulk-bar');
    await expect.poll(() => bar.innerText()).toMatch(/2 labels selected\s*\(2 paths\)/);
    await page.screenshot({ path: join(screenshots, 'curation-bulk.png'), fullPage: true });
    await bar.getByRole('button', { name: 'Reject 2 paths' }).click();
    await expect.poll(() => first.locator('.badge.warn').count()).toBe(1);
    await expect.poll(() => second.locator('.badge.warn').count()).toBe(1);
    expect(await bar.count()).toBe(0);

    // one bulk action is one undo step: Ctrl+Z in the panel brings both paths back, Ctrl+Shift+Z rejects both again
    await panel.locator('h4').click();
    await page.keyboard.press('Control+z');
    await expect.poll(() => panel.locator('.badge.warn').count()).toBe(0);
    expect(await first.getByTestId('soft-label').innerText()).toBe('0.420');
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(() => panel.locator('.badge.warn').count()).toBe(2);
    const [a1, a2] = rows.map((r) => Number(r.split('-')[0]));
    expect([ws.wb.store.annotations.get(a1).rejected, ws.wb.store.annotations.get(a2).rejected]).toEqual([true, true]);

    // after a reload the state is the core's, and undo / redo are rebuilt from the stored history
    await page.reload();
    const again = await openBusyNode();
    expect(await rowIds(again)).toEqual(rows);
    expect(await again.getByRole('button', { name: 'Undo' }).isEnabled()).toBe(true);
    expect(await again.getByRole('button', { name: 'Redo' }).isEnabled()).toBe(false);
    await expect.poll(() => again.getByTestId(`label-${rows[0]}`).getByTestId('soft-label').innerText()).toBe('0.420');
    expect(await again.locator('.badge.warn').count()).toBe(2);
    expect(session.errors).toEqual([]);
  });

  it("edits a step's text in Monaco and saves it as a curated variant", async () => {
    const panel = page.getByTestId('curation');
    const row = panel.getByTestId(`label-${rows[1]}`);
    const [annotationId, stepIdx] = rows[1].split('-').map(Number);
    const original = ws.wb.store.annotations.get(annotationId).steps[stepIdx].text;
    await row.getByRole('button', { name: 'Edit text' }).click();
    const editor = page.getByTestId('step-editor');
    await editor.waitFor();
    await expect.poll(() => editor.getByTestId('step-monaco').getAttribute('data-ready'), { timeout: 30_000 }).toBe('true');
    await editor.locator('.monaco-editor .view-lines').click();
    await page.keyboard.press('Control+a');
    await page.keyboard.type('Curated: 7 + 3 = 10, so 10 apples.');
    // Monaco renders spaces as no-break spaces
    await expect.poll(async () => (await editor.locator('.monaco-editor .view-lines').innerText()).replace(/\u00a0/g, ' ')).toContain('Curated: 7 + 3 = 10');
    await page.screenshot({ path: join(screenshots, 'monaco-step.png'), fullPage: true });
    await editor.getByRole('button', { name: 'Save curated text' }).click();
    await editor.waitFor({ state: 'detached' });
    await expect.poll(() => row.getByTestId('step-text').innerText()).toContain('Curated: 7 + 3 = 10, so 10 apples.');
    expect(await row.getByTestId('step-text').innerText()).toContain(`the search wrote: ${original}`);
    const step = ws.wb.store.annotations.get(annotationId).steps[stepIdx];
    expect(step).toMatchObject({ text: 'Curated: 7 + 3 = 10, so 10 apples.', originalText: original, textEdited: true });
    // Monaco's chunk and workers loaded under the host's CSP without a violation
    expect(session.errors).toEqual([]);
  });

  it('lists solutions whose verdict and PRM ranking conflict, strongest first, with their steps', async () => {
    await page.getByRole('tab', { name: 'Curation queues' }).click();
    const queue = page.getByTestId('solution-queue');
    const conflicts = queue.getByTestId('solution-conflicts');
    await conflicts.getByLabel('Conflict threshold').fill('1');
    const rowsLoc = conflicts.getByTestId('conflict-row');
    await expect.poll(() => rowsLoc.count()).toBeGreaterThan(0);
    const gaps = (await conflicts.getByTestId('conflict-gap').allInnerTexts()).map(Number);
    expect(gaps).toEqual([...gaps].sort((a, b) => b - a));
    const firstRow = rowsLoc.first();
    const id = (await firstRow.getByRole('button').first().innerText()).replace('#', '');
    await firstRow.getByRole('button').first().click();
    await expect.poll(() => conflicts.getByTestId(`conflict-steps-${id}`).locator('li').count()).toBeGreaterThan(1);
    await page.screenshot({ path: join(screenshots, 'curation-conflicts.png'), fullPage: true });
    expect(session.errors).toEqual([]);
  });

  it('exports with the curated filter (rejected paths kept on request)', async () => {
    await page.getByRole('tab', { name: /^Node/ }).click();
    const form = page.getByTestId('export-annotations');
    await form.locator('summary').click();
    await form.getByLabel('Curation filter').selectOption('curated');
    await form.getByLabel('include rejected paths').check();
    await form.getByLabel('soft labels (MC floats)').check();
    const out = join(ws.tmp, 'curated.jsonl');
    await form.getByLabel('Output file').fill(out);
    await form.getByRole('button', { name: 'Export' }).click();
    await expect.poll(() => form.getByTestId('export-result').innerText()).toMatch(/^Wrote \d+ annotations? to /);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { completions: string[]; labels: number[] });
    const curated = ws.wb.store.annotations.forDataset(ws.wb.store.datasets.requireId(ws.dataset)).filter((a) => a.curated);
    expect(lines).toHaveLength(curated.length);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.some((l) => l.completions.includes('Curated: 7 + 3 = 10, so 10 apples.'))).toBe(true);
    expect(lines.some((l) => l.labels.includes(0.42))).toBe(true);
    expect(session.errors).toEqual([]);
  });
});
