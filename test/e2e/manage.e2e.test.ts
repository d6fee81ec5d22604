// Deleting a search from the UI in a real browser (1440×900) over a workspace built by the real pipeline:
// the Delete button beside the search picker opens a dialog that lists what goes with it, counted by the
// core; nothing is deleted until its Delete button is pressed; then the search is gone from the picker
// and from the workspace, with its tree and annotations, and the next search opens.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoWorkspace, disposeWorkspace, ensureRendererBuilt, openBrowser, screenshots, serve, type BrowserSession, type DemoWorkspace, type Host } from './setup';

let ws: DemoWorkspace;
let host: Host;
let session: BrowserSession;
let page: Page;

beforeAll(async () => {
  ensureRendererBuilt();
  ws = await demoWorkspace({ count: 2, score: false });
  host = await serve(ws.wb);
  session = await openBrowser({ width: 1440, height: 900 });
  page = session.page;
});
afterAll(async () => {
  await session?.close();
  await host?.close();
  await disposeWorkspace(ws);
});

const count = (sql: string, ...args: unknown[]): number => (ws.wb.store.db.prepare(sql).get(...args) as { n: number }).n;

describe('delete a search from the UI', () => {
  it('shows what goes in a dialog and deletes only on confirm', async () => {
    const [id, other] = ws.searchIds;
    const nodes = count('SELECT count(*) AS n FROM tree_nodes WHERE search_id = ?', id);
    const annotations = count('SELECT count(*) AS n FROM annotations WHERE search_id = ?', id);
    expect(nodes).toBeGreaterThan(1);
    await page.goto(host.url);
    await page.goto(`http://127.0.0.1:${host.port}/#/searches/${id}`);
    await expect.poll(() => page.getByTestId('search-problem').innerText()).toContain(`search #${id}`);

    await page.getByRole('button', { name: /^Delete search #/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete search' });
    await dialog.waitFor();
    const table = dialog.getByRole('table', { name: 'What goes with it' });
    await expect.poll(() => table.innerText()).toContain('tree nodes');
    const lines = (await table.innerText()).split('\n').map((l) => l.replace(/\s+/g, ' ').trim());
    expect(lines).toContain(`${nodes.toLocaleString('en-US')} tree nodes`);
    expect(lines).toContain(`${annotations} annotations`);
    expect(lines).toContain('1 searches');
    await page.screenshot({ path: join(screenshots, 'manage-delete-search.png') });
    // the dialog asked; nothing went
    expect(count('SELECT count(*) AS n FROM searches WHERE id = ?', id)).toBe(1);

    // Cancel keeps it
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(count('SELECT count(*) AS n FROM searches WHERE id = ?', id)).toBe(1);

    await page.getByRole('button', { name: /^Delete search #/ }).click();
    await dialog.waitFor();
    await expect.poll(() => dialog.getByRole('button', { name: 'Delete', exact: true }).isEnabled()).toBe(true);
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => count('SELECT count(*) AS n FROM searches WHERE id = ?', id)).toBe(0);
    expect(count('SELECT count(*) AS n FROM tree_nodes WHERE search_id = ?', id)).toBe(0);
    expect(count('SELECT count(*) AS n FROM annotations WHERE search_id = ?', id)).toBe(0);
    // the picker no longer offers it, and the other search is open
    const picker = page.getByRole('combobox', { name: 'Search', exact: true });
    await expect.poll(() => picker.locator('option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value))).toEqual([String(other)]);
    await expect.poll(() => page.getByTestId('search-problem').innerText()).toContain(`search #${other}`);
    await page.screenshot({ path: join(screenshots, 'manage-after-delete.png') });
    expect(session.errors).toEqual([]);
  });

  it('renames an annotation set from the Datasets view', async () => {
    const [set] = ws.wb.store.annotations.sets().map((x) => x.name);
    await page.goto(`http://127.0.0.1:${host.port}/#/datasets`);
    const table = page.getByTestId('annotation-sets-table');
    await table.waitFor();
    await table.getByRole('button', { name: `Rename annotation set “${set}”` }).click();
    const dialog = page.getByRole('dialog', { name: 'Rename annotation set' });
    await dialog.getByLabel('New name').fill('demo-labels');
    await page.screenshot({ path: join(screenshots, 'manage-rename-set.png') });
    await dialog.getByRole('button', { name: 'Rename' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => table.innerText()).toContain('demo-labels');
    expect(ws.wb.store.annotations.sets().map((x) => x.name)).toEqual(['demo-labels']);
    await page.screenshot({ path: join(screenshots, 'manage-datasets.png') });
    expect(session.errors).toEqual([]);
  });
});
