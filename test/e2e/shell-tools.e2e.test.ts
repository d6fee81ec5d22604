// The shell's tools in Chromium on a workspace built by the real pipeline: the command palette and the
// view shortcuts, the theme choice surviving a reload, the Models view, and a job launched from the form,
// cancelled and resumed to its end.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoWorkspace, disposeWorkspace, ensureRendererBuilt, openBrowser, screenshots, serve, type BrowserSession, type DemoWorkspace, type Host } from './setup';

let ws: DemoWorkspace;
let host: Host;
let session: BrowserSession;

beforeAll(async () => {
  ensureRendererBuilt();
  ws = await demoWorkspace({ count: 3, score: false });
  host = await serve(ws.wb);
  session = await openBrowser();
  await session.page.goto(host.url);
});
afterAll(async () => {
  await session?.close();
  await host?.close();
  await disposeWorkspace(ws);
});

const bg = () => session.page.evaluate('getComputedStyle(document.body).backgroundColor');

describe('shell tools', () => {
  it('opens the command palette with Ctrl+K, filters, and runs a command; Alt+digit switches views', async () => {
    const { page } = session;
    await expect.poll(() => page.getByTestId('datasets-table').locator('tbody tr').count()).toBe(1);
    await page.keyboard.press('Control+k');
    const palette = page.getByRole('dialog', { name: 'Command palette' });
    await palette.waitFor();
    await page.keyboard.type(`search #${ws.searchIds[0]}`);
    await expect.poll(() => palette.locator('[cmdk-item]').first().innerText()).toMatch(new RegExp(`^Search #${ws.searchIds[0]}: demo-train-\\d+, OmegaPRM`));
    await page.screenshot({ path: join(screenshots, 'palette.png') });
    await page.keyboard.press('Enter');
    await expect.poll(() => palette.count()).toBe(0);
    await expect.poll(() => page.getByTestId('search-problem').innerText()).toContain(`OmegaPRM search #${ws.searchIds[0]}`);
    expect(page.url()).toMatch(new RegExp(`#/searches/${ws.searchIds[0]}$`));
    // Escape closes without running anything
    await page.keyboard.press('Control+k');
    await palette.waitFor();
    await page.keyboard.type('models');
    await page.keyboard.press('Escape');
    await expect.poll(() => palette.count()).toBe(0);
    expect(page.url()).toMatch(new RegExp(`#/searches/${ws.searchIds[0]}$`));
    await page.keyboard.press('Alt+5');
    await expect.poll(() => page.url()).toMatch(/#\/models$/);
    await page.keyboard.press('Alt+1');
    await expect.poll(() => page.url()).toMatch(/#\/datasets$/);
    // the workspace picker opens from the palette too
    await page.keyboard.press('Control+k');
    await page.keyboard.type('open or create');
    await page.keyboard.press('Enter');
    const picker = page.getByRole('dialog', { name: 'Workspace' });
    await expect.poll(() => picker.isVisible()).toBe(true);
    await picker.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => picker.isVisible()).toBe(false);
    expect(session.errors).toEqual([]);
  });

  it('keeps the chosen theme over a reload and follows the system when asked to', async () => {
    const { page } = session;
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByLabel('Theme').selectOption('dark');
    await expect.poll(bg).toBe('rgb(20, 23, 27)');
    await page.reload();
    await expect.poll(bg).toBe('rgb(20, 23, 27)');
    expect(await page.getByLabel('Theme').inputValue()).toBe('dark');
    await page.getByLabel('Theme').selectOption('system');
    await expect.poll(bg).toBe('rgb(247, 248, 250)');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(bg).toBe('rgb(20, 23, 27)');
    await page.emulateMedia({ colorScheme: 'light' });
    expect(session.errors).toEqual([]);
  });

  it('lists the registered models with their role and provenance', async () => {
    const { page } = session;
    await page.goto(`http://127.0.0.1:${host.port}/#/models`);
    const table = page.getByTestId('models-table');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(2);
    const prm = table.locator('tbody tr', { hasText: 'tiny-prm@' });
    expect(await prm.innerText()).toMatch(/prm[\s\S]*parent: tiny-policy/);
    await prm.getByRole('button', { name: 'Details' }).click();
    await expect.poll(() => page.getByTestId('model-detail').innerText()).toContain('"prmTemplate"');
    await page.screenshot({ path: join(screenshots, 'models.png'), fullPage: true });
    expect(session.errors).toEqual([]);
  });

  it('launches a search from the form, cancels it and resumes it to its end', async () => {
    const { page } = session;
    await page.goto(`http://127.0.0.1:${host.port}/#/jobs`);
    const form = page.getByTestId('launch-form');
    await form.getByLabel('Dataset').selectOption(ws.dataset);
    await form.getByLabel('Split').selectOption('');
    await form.getByLabel('Algorithm').selectOption('mc');
    // the algorithm's own settings replace OmegaPRM's, in the form and in the JSON
    await form.getByLabel('Completions per prefix (k)').fill('4');
    await form.getByLabel('Problems (at most)').fill('3');
    await page.getByText('Advanced: the whole config as JSON').click();
    const editor = page.getByTestId('launch-json');
    await expect.poll(() => editor.locator('[data-ready="true"]').count(), { timeout: 30_000 }).toBe(1);
    // Monaco draws spaces as no-break spaces
    await expect.poll(async () => (await editor.locator('.view-lines').innerText()).replace(/\u00a0/g, ' ')).toContain('"algo": "mc"');
    expect(await editor.getAttribute('data-valid')).toBe('true');
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect.poll(() => page.getByRole('status').innerText()).toMatch(/^Job #\d+ started/);
    const id = Number(/#(\d+)/.exec(await page.getByRole('status').innerText())![1]);
    // the job got what the form made
    const config = ws.wb.store.jobs.get(id).config as Record<string, unknown>;
    expect(config).toMatchObject({ dataset: ws.dataset, algo: 'mc', limit: 3, config: { samplesPerSolution: 4, k: 4 } });
    expect(config).not.toHaveProperty('split');
    const row = page.getByTestId('jobs-table').locator(`tbody tr:has(td.num:text-is("${id}"))`);
    await row.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 60_000 }).toBe('cancelled');
    await row.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 120_000 }).toBe('done');
    const job = ws.wb.store.jobs.get(id);
    expect(job.attempts).toBe(2);
    const searches = ws.wb.store.trees.listSearches({ offset: 0, limit: 100 }).items.filter((s) => s.jobId === id);
    expect(new Set(searches.map((s) => s.problemId)).size).toBe(searches.length);
    expect(searches).toHaveLength(3);
    await page.screenshot({ path: join(screenshots, 'jobs-form.png'), fullPage: true });
    expect(session.errors).toEqual([]);
  });
});
