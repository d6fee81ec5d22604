// The Datasets and Evaluations lists with many items, in Chromium at 1440x900: paged from the API
// (datasets.list and evaluations.list take offset and limit and say the total) and virtualized, so the rows
// in the DOM stay a few dozen however many items there are, and scrolling to the end shows the last one.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkbench } from '../../src-main/core/workbench';
import { tempDir } from '../helpers/tmp';
import { ensureRendererBuilt, openBrowser, screenshots, serve, type BrowserSession, type Host, type Workbench } from './setup';

const N = 1500;
let tmp: ReturnType<typeof tempDir>;
let wb: Workbench;
let host: Host;
let session: BrowserSession;

beforeAll(async () => {
  ensureRendererBuilt();
  tmp = tempDir('steplab-paged-lists-');
  wb = openWorkbench(join(tmp.dir, 'ws'), { create: true });
  const { store } = wb;
  store.transaction(() => {
    for (let i = 0; i < N; i++) {
      const ds = store.datasets.getOrCreate(`ds-${String(i).padStart(5, '0')}`);
      store.evaluations.create({ name: `eval ${String(i).padStart(5, '0')}`, datasetId: ds, policyId: null, rewardId: null, config: {}, jobId: null });
    }
  });
  host = await serve(wb);
  session = await openBrowser({ width: 1440, height: 900 });
}, 120_000);
afterAll(async () => {
  await session?.close();
  await host?.close();
  await wb?.close();
  tmp?.cleanup();
});

describe('long lists, paged and virtualized', () => {
  it(`the Datasets view draws a window of its ${N} datasets and reaches the last by scrolling`, async () => {
    const { page } = session;
    await page.goto(host.url);
    const rows = page.getByTestId('datasets-table').locator('tbody tr:not(.spacer)');
    await expect.poll(() => page.getByTestId('datasets-table').locator('tbody tr td:first-child strong').first().innerText()).toBe('ds-00000');
    expect(await rows.count()).toBeLessThan(80);
    expect(await page.getByTestId('datasets-range').innerText()).toBe(`${N.toLocaleString('en-US')} datasets, by name`);
    await page.screenshot({ path: join(screenshots, 'datasets-paged.png') });
    await page.getByRole('region', { name: 'Datasets table' }).evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await expect.poll(() => page.getByTestId('datasets-table').locator('tbody tr td:first-child strong').last().innerText()).toBe(`ds-${String(N - 1).padStart(5, '0')}`);
    expect(await rows.count()).toBeLessThan(80);
  });

  it(`the Evaluations list draws a window of its ${N} evaluations, newest first, and reaches the oldest`, async () => {
    const { page } = session;
    await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Evaluations' }).click();
    const list = page.getByRole('list', { name: 'Evaluations' });
    await expect.poll(() => list.locator('li button.link').first().innerText()).toBe(`eval ${String(N - 1).padStart(5, '0')}`);
    expect(await list.locator('li').count()).toBeLessThan(80);
    await page.screenshot({ path: join(screenshots, 'evaluations-paged.png') });
    await page.locator('.list-scroll').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await expect.poll(async () => {
      await page.locator('.list-scroll').evaluate((el) => el.scrollTo(0, el.scrollHeight));
      return list.locator('li button.link').last().innerText();
    }).toBe('eval 00000');
    expect(await list.locator('li').count()).toBeLessThan(80);
  });
});
