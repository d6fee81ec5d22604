// A bench-prm evaluation in the Evaluations view, in a real browser at 1440×900: the ProcessBench fixture
// judged with hand-made scores (and a PRMBench run beside it), the F1 table per split in percent, the
// threshold sweep chart, and the row browser with a missed row's first-error prediction against its label
// marked on the steps. Screenshots go to test/e2e/__screenshots__/.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBenchmark } from '../../src-main/core/data/benchmarks/import';
import { parseScoresFile } from '../../src-main/core/reward/benchScores';
import { openWorkbench, type Workbench } from '../../src-main/core/workbench';
import { ensureRendererBuilt, openBrowser, screenshots, serve, type BrowserSession, type Host } from './setup';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'benchmarks');
const SCORES = [
  { id: 'gsm8k-0', scores: [0.9, 0.8, 0.7] },
  { id: 'gsm8k-1', scores: [0.3, 0.9, 0.9] },
  { id: 'gsm8k-2', scores: [0.9, 0.5, 0.2] },
  { id: 'gsm8k-3', scores: [0.9, 0.45, 0.9] },
  { id: 'math-0', scores: [0.8, 0.9, 0.7, 0.95] },
  { id: 'math-1', scores: [0.9, 0.8, 0.6, 0.1] },
];
const PRMB = [
  { id: 'correct_prm_test_p1_0', scores: [0.9, 0.8, 0.4] },
  { id: 'redundency_prm_test_p1_0', scores: [0.9, 0.2, 0.8, 0.7] },
  { id: 'circular_prm_test_p1_0', scores: [0.6, 0.7, 0.9] },
  { id: 'counterfactual_prm_test_p1_1', scores: [0.9, 0.3, 0.2] },
];

let tmp: string;
let wb: Workbench;
let host: Host;
let session: BrowserSession;

async function run(config: Record<string, unknown>): Promise<number> {
  const job = await wb.runner.wait(wb.runner.submit('bench-prm', config).id);
  if (job.state !== 'done') throw new Error(`bench-prm ${job.state}: ${job.error}`);
  return (job.result as { evaluation: number }).evaluation;
}

beforeAll(async () => {
  ensureRendererBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'steplab-e2e-bench-'));
  wb = openWorkbench(join(tmp, 'workspace'), { create: true });
  await importBenchmark(wb.store, { path: join(FIX, 'processbench', 'gsm8k.json'), dataset: 'processbench', format: 'processbench' });
  await importBenchmark(wb.store, { path: join(FIX, 'processbench', 'math.jsonl'), dataset: 'processbench', format: 'processbench' });
  await importBenchmark(wb.store, { path: join(FIX, 'prmbench', 'prm800k_test_p1_4o_mixed.jsonl'), dataset: 'prmbench', format: 'prmbench', split: 'test' });
  const text = (rows: unknown[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  await run({ dataset: 'prmbench', scores: parseScoresFile(text(PRMB), 'prmbench-scores.jsonl'), resamples: 200 });
  await run({ dataset: 'processbench', scores: parseScoresFile(text(SCORES), 'processbench-scores.jsonl'), resamples: 500 });
  host = await serve(wb);
  session = await openBrowser({ width: 1440, height: 900 });
  mkdirSync(screenshots, { recursive: true });
  await session.page.goto(host.url);
});

afterAll(async () => {
  await session?.close();
  await host?.close();
  await wb?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('bench-prm in the Evaluations view', () => {
  it('shows the F1 table per split in percent, the headline with its interval and the sweep chart', async () => {
    const { page } = session;
    await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Evaluations' }).click();
    const view = page.getByTestId('bench-prm');
    await view.waitFor();
    await expect(view.getByRole('heading', { level: 3 }).textContent()).resolves.toContain('processbench-scores.jsonl');
    const table = page.getByTestId('bench-table');
    // gsm8k: error acc 100.0, correct acc 50.0, F1 66.7; math: 0.0, 100.0, 0.0; mean 50.0, 75.0, 33.3
    await expect(table.locator('tbody tr').nth(0).textContent()).resolves.toBe('gsm8k4100.050.066.7');
    await expect(table.locator('tbody tr').nth(1).textContent()).resolves.toBe('math20.0100.00.0');
    await expect(table.locator('tbody tr').nth(2).textContent()).resolves.toBe('mean650.075.033.3');
    await expect(page.getByTestId('bench-headline').textContent()).resolves.toMatch(/^F1 \(mean over splits\) 33\.3 \(95% interval \d+\.\d–\d+\.\d, bootstrap over rows, 500 resamples\)$/);
    await expect(view.locator('img.chart').isVisible()).resolves.toBe(true);
    await page.screenshot({ path: join(screenshots, 'bench-prm-table.png'), fullPage: false });
    expect(session.errors).toEqual([]);
  });

  it('browses the rows: a miss shows the prediction against the label on the steps', async () => {
    const { page } = session;
    await page.getByLabel('Outcome').selectOption('miss');
    const list = page.getByRole('table', { name: 'Benchmark rows' });
    await list.getByRole('button', { name: 'math-1' }).waitFor();
    await expect(list.locator('tbody tr').count()).resolves.toBe(2);
    await list.getByRole('button', { name: 'math-1' }).click();
    const row = page.getByTestId('bench-row');
    await expect(row.locator('p').first().textContent()).resolves.toContain('label 2 (step 3), predicted 3 (step 4) at threshold 0.5');
    const steps = row.locator('.bench-steps li');
    await expect(steps.count()).resolves.toBe(4);
    await expect(steps.nth(2).locator('.marker').textContent()).resolves.toBe('first error (label)');
    await expect(steps.nth(3).locator('.marker').textContent()).resolves.toBe('first not accepted (prediction)');
    await expect(steps.nth(2).locator('.gold').textContent()).resolves.toBe('incorrect');
    await expect(steps.nth(3).locator('.score').textContent()).resolves.toBe('0.100');
    await row.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(screenshots, 'bench-prm-rows.png'), fullPage: false });
    expect(session.errors).toEqual([]);
  });

  it('shows a PRMBench run with its classes', async () => {
    const { page } = session;
    await page.getByRole('list', { name: 'Evaluations' }).getByRole('button', { name: /^bench-prm .*prmbench-scores\.jsonl$/ }).click();
    const t = page.getByTestId('prmbench-table');
    await t.waitFor();
    await expect(t.locator('caption').textContent()).resolves.toBe('PRMBench (mr_eval): PRMScore 79.2 · simplicity 62.5 · soundness 100.0 · sensitivity –');
    await expect(page.getByTestId('bench-headline').textContent()).resolves.toMatch(/^PRMScore 79\.2/);
    await page.screenshot({ path: join(screenshots, 'bench-prm-prmbench.png'), fullPage: true });
    expect(session.errors).toEqual([]);
  });
});
