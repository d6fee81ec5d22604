// The Cycles screen in a real browser against the real cycle job (bundled tiny policy and tiny ORM, the
// reference trainer): Alt+8 opens it; a run on a dataset without a held-out split is refused with the
// core's reason beside the form; the config is edited in the form and in Monaco (checked live against
// CycleConfig); a tiny run is started from the form, cancelled, resumed, and watched stage by stage to
// the end; the chart, lineage and per-difficulty table are drawn; a reflection is opened with its flagged
// step, diagnosis and regenerations.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerModel } from '../../src-main/core/models/registry';
import { demoWorkspace, disposeWorkspace, ensureRendererBuilt, openBrowser, root, screenshots, serve, type BrowserSession, type DemoWorkspace, type Host } from './setup';

const ORM = join(root, 'models', 'tiny-orm');
/** The brief's tiny run: one cycle, 8 problems × 2 samples, one diagnosis per problem, 2 trainer steps. */
const TINY = {
  dataset: 'cyc',
  policy: 'tiny-policy',
  orm: 'tiny-orm',
  cycles: 1,
  infer: { problems: 8, samples: 2 },
  reflect: { enabled: true, maxPerProblem: 1 },
  evaluate: { problems: 8, samples: 2 },
  finetune: { maxSteps: 2 },
};

let ws: DemoWorkspace;
let host: Host;
let session: BrowserSession;

beforeAll(async () => {
  ensureRendererBuilt();
  if (!existsSync(join(ORM, 'manifest.json'))) throw new Error(`the bundled ORM is missing (${ORM}): the cycle's reflect stage needs it`);
  ws = await demoWorkspace({ count: 2, score: false });
  // a dataset with a held-out split: the first 8 text problems of train and of test
  const rows = readFileSync(join(root, 'models', 'demo-data', 'problems.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { image?: string; split: string })
    .filter((r) => !r.image);
  const picked = [...rows.filter((r) => r.split === 'train').slice(0, 8), ...rows.filter((r) => r.split === 'test').slice(0, 8)];
  const file = join(ws.tmp, 'data', 'cyc.jsonl');
  writeFileSync(file, picked.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const imp = await ws.wb.runner.wait(ws.wb.runner.submit('import', { path: file, dataset: 'cyc', skipBad: false }).id);
  if (imp.state !== 'done') throw new Error(`import ${imp.state}: ${imp.error}`);
  await registerModel(ws.wb.store, ORM);
  host = await serve(ws.wb);
  session = await openBrowser({ width: 1400, height: 1000 });
  await session.page.goto(host.url);
});

afterAll(async () => {
  await session?.close();
  await host?.close();
  await disposeWorkspace(ws);
});

describe('cycles screen', () => {
  it('refuses a run the core cannot do with its reason, and checks the JSON against CycleConfig as it is typed', async () => {
    const { page } = session;
    await page.getByRole('navigation', { name: 'Views' }).waitFor();
    await page.keyboard.press('Alt+8');
    await expect.poll(() => page.url()).toMatch(/#\/cycles$/);
    await page.getByText('No cycle runs yet').waitFor();
    const form = page.getByTestId('cycle-form');
    await expect.poll(() => form.locator('#cycle-orm option').allInnerTexts()).toContain('tiny-orm@1');

    // the demo dataset of this workspace has train problems only: the core says so on Start
    await page.selectOption('#cycle-dataset', 'demo');
    await page.getByRole('button', { name: 'Start run' }).click();
    const error = page.getByTestId('cycle-start-error');
    await expect.poll(() => error.innerText()).toMatch(/test/);
    expect(await error.innerText()).toMatch(/^Cannot do that: .*demo/);

    // the form: the tiny run's settings
    await page.selectOption('#cycle-dataset', 'cyc');
    await page.fill('#cycle-cycles', '1');
    await page.fill('#cycle-infer-problems', '8');
    await page.fill('#cycle-infer-samples', '2');
    await page.fill('#cycle-evaluate-problems', '8');
    await page.fill('#cycle-evaluate-samples', '2');
    await page.fill('#cycle-finetune-maxSteps', '2');
    expect(await page.isChecked('#cycle-reflect-enabled')).toBe(true);

    // the JSON: a bad value is caught before Start, with its line; then the whole tiny config
    await page.getByText('The whole config as JSON').click();
    const editor = page.getByTestId('cycle-json');
    await editor.locator('.monaco-editor .view-lines').waitFor({ timeout: 30_000 });
    await expect.poll(() => editor.getAttribute('data-valid')).toBe('true');
    await editor.locator('.monaco-editor .view-lines').click();
    // cleared first (a "{" typed over a selection surrounds it) and on one line (auto-indent would add to a multi-line text)
    await page.keyboard.press('Control+a');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(JSON.stringify({ ...TINY, infer: { problems: 8, samples: 0 } }));
    await expect.poll(() => editor.getAttribute('data-valid')).toBe('false');
    await expect.poll(() => editor.getByRole('list', { name: 'Config problems' }).innerText()).toMatch(/line \d+:\d+ infer\.samples:/);
    await page.keyboard.press('Control+a');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(JSON.stringify(TINY));
    await expect.poll(() => editor.getAttribute('data-valid')).toBe('true');
    // the form follows the JSON
    expect(await page.inputValue('#cycle-infer-samples')).toBe('2');
  });

  it('starts the tiny run, cancels and resumes it, and shows every stage done with chart, lineage and reflections', async () => {
    const { page } = session;
    const t0 = Date.now();
    await page.getByRole('button', { name: 'Start run' }).click();
    const detail = page.getByTestId('run-detail');
    await detail.waitFor({ timeout: 60_000 });
    await expect.poll(() => page.url()).toMatch(/#\/cycles\/\d+$/);
    const rows = page.getByTestId('stage-row');
    // cycle 0 (the base policy's evaluation) and the nine stages of cycle 1
    await expect.poll(() => rows.count(), { timeout: 60_000 }).toBe(10);

    // cancel once the job runs, then resume from its checkpoint
    const state = page.getByTestId('run-state');
    await expect.poll(() => state.innerText(), { timeout: 60_000 }).toMatch(/running/i);
    await detail.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => state.innerText(), { timeout: 60_000 }).toMatch(/cancelled|done/i);
    const cancelled = /cancelled/i.test(await state.innerText());
    if (cancelled) {
      expect(await detail.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
      await detail.getByRole('button', { name: 'Resume' }).click();
    }

    // every stage runs to done (a highlighted row follows the job while it runs)
    const statuses = () => rows.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-cycle')}.${e.getAttribute('data-stage')}:${e.getAttribute('data-status')}`));
    await expect.poll(() => state.innerText(), { timeout: 150_000, interval: 500 }).toMatch(/done/i);
    await expect.poll(statuses, { timeout: 10_000 }).toEqual(['0.evaluate:done', ...['infer', 'verify', 'collect', 'reflect', 'regenerate', 'build', 'finetune', 'register', 'evaluate'].map((s) => `1.${s}:done`)]);
    const seconds = (Date.now() - t0) / 1000;
    console.log(`cycle run through the UI: ${seconds.toFixed(1)} s (cancelled and resumed: ${cancelled})`);
    expect(await detail.locator('.stage-table tr.current').count()).toBe(0);
    expect(await detail.getByRole('button', { name: 'Resume' }).count()).toBe(0);

    // the chart is drawn (Chart.js on a canvas), the difficulty table and the lineage base → c1
    const canvas = page.getByTestId('cycle-chart').locator('canvas');
    await expect.poll(() => canvas.getAttribute('aria-label')).toMatch(/^Test accuracy per cycle: cycle 0 \(base\) \d+(\.\d)?%, cycle 1 \d+(\.\d)?%$/);
    const inked = await canvas.evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    });
    expect(inked).toBeGreaterThan(1000);
    expect(await page.getByTestId('difficulty-table').locator('th').allInnerTexts()).toEqual(['difficulty', 'base', 'c1']);
    const lineage = page.getByTestId('lineage');
    await expect.poll(() => lineage.locator('li').count()).toBe(2);
    const c1 = await lineage.locator('li').nth(1).innerText();
    expect(c1).toMatch(/@1/);
    expect(c1).toMatch(/\d+ training rows/);
    expect(c1).toMatch(/sha256:/);
    // against the base on the same held-out problems, with the paired interval and where it lies
    expect(await lineage.locator('li').first().getByTestId('vs-base').count()).toBe(0);
    expect(c1).toMatch(/vs base [+-]?\d+\.\d \[[+-]?\d+\.\d, [+-]?\d+\.\d\] (above|below|covers)\s0/); // \s: the space is a no-break one

    // reflections: the ORM diagnosed wrong paths of cycle 1; open one
    const total = page.getByTestId('reflections-total');
    await expect.poll(() => total.innerText(), { timeout: 20_000 }).toMatch(/^[1-9]\d* diagnosed path/);
    const list = page.getByRole('list', { name: 'Diagnosed paths' });
    // prefer one the ORM read as WRONG (it names a step); an unreadable one shows its raw output instead
    await page.selectOption('select[aria-label="Reflection outcome"]', 'not-corrected');
    let pick = list.locator('li button');
    await expect.poll(() => total.innerText()).toMatch(/diagnosed path/);
    if ((await pick.count()) === 0) {
      await page.selectOption('select[aria-label="Reflection outcome"]', '');
      pick = list.locator('li button');
    }
    await pick.first().click();
    const open = page.getByTestId('reflection-detail');
    await open.waitFor();
    const text = await open.innerText();
    expect(text).toMatch(/The wrong solution/);
    if (/not corrected|corrected/.test(await open.locator('h4 .chip').innerText()) && !/unparsed/.test(text)) {
      expect(await open.locator('.reflection-steps').first().locator('li[data-mark*="flagged"]').count()).toBe(1);
      expect(text).toMatch(/Error analysis/);
      const regens = open.getByTestId('regeneration');
      expect(await regens.count()).toBeGreaterThan(0);
      // the kept prefix and the new steps are told apart
      expect(await regens.first().locator('li[data-part="new"]').count()).toBeGreaterThan(0);
      expect(await regens.first().innerText()).toMatch(/kept for training|not kept/);
    } else {
      expect(text).toMatch(/ORM: output not readable|ORM: CORRECT/);
    }
    await open.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(screenshots, 'cycles.png'), fullPage: true });
    expect(session.errors).toEqual([]);
  });
});
