// Launching a PRM's benchmark run from the UI, at 1440×900 in Chromium over the headless host (browser
// mode), on the demo workspace with the ProcessBench fixture imported: the bench-prm form checks a field
// live against the schema (the issue under the field), says in one line what the core's pre-flight would
// refuse (a dataset without benchmark rows) before Start, starts the job with tiny-prm, and links to its
// results in the Evaluations view. import-labels reads a path, which this door does not serve: the form is
// replaced by the exact CLI command. Screenshots go to test/e2e/__screenshots__/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBenchmark } from '../../src-main/core/data/benchmarks/import';
import { demoWorkspace, disposeWorkspace, ensureRendererBuilt, openBrowser, screenshots, serve, type BrowserSession, type DemoWorkspace, type Host } from './setup';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'benchmarks');

let ws: DemoWorkspace;
let host: Host;
let session: BrowserSession;
let page: Page;

beforeAll(async () => {
  ensureRendererBuilt();
  ws = await demoWorkspace({ count: 2, score: false });
  await importBenchmark(ws.wb.store, { path: join(FIX, 'processbench', 'gsm8k.json'), dataset: 'processbench', format: 'processbench' });
  await importBenchmark(ws.wb.store, { path: join(FIX, 'processbench', 'math.jsonl'), dataset: 'processbench', format: 'processbench' });
  host = await serve(ws.wb);
  session = await openBrowser({ width: 1440, height: 900 });
  page = session.page;
  mkdirSync(screenshots, { recursive: true });
  await page.goto(host.url);
  await page.getByRole('navigation', { name: 'Views' }).waitFor();
});

afterAll(async () => {
  await session?.close();
  await host?.close();
  await disposeWorkspace(ws);
});

describe('bench-prm from the UI', () => {
  it('checks the form live, shows the pre-flight refusal, starts the run and opens its results', async () => {
    await page.goto(`http://127.0.0.1:${host.port}/#/jobs`);
    await page.getByLabel('Job kind').selectOption('bench-prm');
    const form = page.getByTestId('launch-form');

    // a dataset without benchmark rows: the core's pre-flight says so before Start, and nothing is made
    await form.locator('#launch-dataset').selectOption(ws.dataset);
    await expect.poll(() => page.getByTestId('launch-refusal').innerText(), { timeout: 20_000 }).toMatch(/^refused: dataset "demo" holds no benchmark rows/);
    await page.screenshot({ path: join(screenshots, 'launch-bench-prm-refused.png') });

    await form.locator('#launch-dataset').selectOption('processbench');
    await expect.poll(() => page.getByTestId('launch-refusal').count()).toBe(0);
    await form.locator('#launch-split').selectOption('gsm8k');
    await expect.poll(() => form.locator('#launch-prm').inputValue()).toBe('tiny-prm');
    // a threshold outside [0, 1] is named under its field, live
    const threshold = form.locator('#launch-threshold');
    await threshold.fill('1.5');
    await expect.poll(() => form.getByTestId('field-error').innerText()).toMatch(/<=1/);
    await expect(threshold.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect.poll(() => page.getByTestId('launch-issue').innerText()).toMatch(/^not ready: threshold: /);
    await page.screenshot({ path: join(screenshots, 'launch-bench-prm-field-error.png') });
    // choose the threshold by a sweep on the other split instead
    await form.locator('#launch-rule').selectOption('sweepOn');
    await expect.poll(() => form.locator('#launch-sweepOn').inputValue()).toBe('math');
    await expect.poll(() => form.getByTestId('field-error').count()).toBe(0);
    await form.locator('#launch-resamples').fill('200');
    await expect.poll(() => page.getByTestId('launch-issue').count()).toBe(0);

    const jobsBefore = ws.wb.store.jobs.list().length;
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    const link = page.getByTestId('launch-result-link');
    await link.waitFor({ timeout: 120_000 });
    expect(ws.wb.store.jobs.list().length).toBe(jobsBefore + 1);
    const job = ws.wb.store.jobs.list()[0];
    expect(job).toMatchObject({ kind: 'bench-prm', state: 'done', config: { dataset: 'processbench', split: 'gsm8k', prm: 'tiny-prm', sweepOn: 'math', resamples: 200 } });
    const evaluation = (job.result as { evaluation: number }).evaluation;
    await expect(link.innerText()).resolves.toBe(`Evaluation #${evaluation}`);
    await expect(page.getByTestId('launch-started').innerText()).resolves.toMatch(new RegExp(`^Job #${job.id} started, now done\\. Evaluation #${evaluation}$`));
    // the job's row says what it is and what it produced
    const row = page.locator(`tr[data-job="${job.id}"]`);
    await expect.poll(() => row.getByTestId('job-outcome').innerText()).toMatch(new RegExp(`^evaluation #${evaluation} · 4 rows · F1 `));
    await page.getByTestId('launch').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(screenshots, 'launch-bench-prm.png') });

    await link.click();
    await expect.poll(() => page.url()).toContain(`#/evaluations/${evaluation}`);
    const view = page.getByTestId('bench-prm');
    await view.waitFor();
    await expect(view.getByRole('heading', { level: 3 }).textContent()).resolves.toContain('tiny-prm');
    await expect.poll(() => page.getByTestId('bench-headline').innerText()).toMatch(/^F1 /);
    await page.screenshot({ path: join(screenshots, 'launch-bench-prm-results.png') });
    expect(session.errors).toEqual([]);
  });

  it('offers import-labels as the exact CLI command where this door cannot read paths', async () => {
    await page.goto(`http://127.0.0.1:${host.port}/#/jobs`);
    await page.getByLabel('Job kind').selectOption('import-labels');
    const line = page.getByTestId('launch-local-only');
    await line.waitFor();
    const path = ws.wb.store.paths.dir;
    await expect(line.innerText()).resolves.toBe(
      `Importing step labels reads files on this machine, so this browser page cannot start it: run steplab import-labels <path> --workspace ${path} --dataset <dataset> or use the desktop app.`,
    );
    await expect(page.getByTestId('launch-form').count()).resolves.toBe(0);
    await page.screenshot({ path: join(screenshots, 'launch-import-labels-cli.png') });
    await expect(page.getByRole('button', { name: 'Start', exact: true }).count()).resolves.toBe(0);
    expect(session.errors).toEqual([]);
  });
});
