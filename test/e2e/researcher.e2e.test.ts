// The workbench as a researcher uses it, at 1440×900 in Chromium, on searches made by the real pipeline
// (OmegaPRM and Math-Shepherd with the bundled tiny policy, tiny-prm scores, a Best-of-N run): one
// problem followed everywhere (the problem above its tree, gold labels beside MC and the PRM, the tree
// counted against gold, the problem page linking back), every selection in the URL (reload and Back
// restore it), and the layout on a laptop screen (the tree, the path and the curation actions in view
// without scrolling, nothing over the tree).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareEvaluations } from '../../src-main/core/reward/evaluationCompare';
import { searchGold } from '../../src-main/core/views/goldView';
import { demoWorkspace, disposeWorkspace, ensureRendererBuilt, openBrowser, screenshots, serve, type BrowserSession, type DemoWorkspace, type Host } from './setup';

let ws: DemoWorkspace;
let host: Host;
let session: BrowserSession;
let page: Page;
let omegaId: number;
let msId: number;
let evaluationId: number;
let bonJob: number;

const origin = () => `http://127.0.0.1:${host.port}`;
// the curator name and the recent list go to a folder of this test's own
const configTmp = mkdtempSync(join(tmpdir(), 'steplab-e2e-config-'));
process.env.STEPLAB_CONFIG_DIR = configTmp;

beforeAll(async () => {
  ensureRendererBuilt();
  ws = await demoWorkspace({ count: 4, images: true });
  omegaId = ws.searchIds[0];
  const problemId = ws.wb.store.trees.getSearch(omegaId).problemId;
  const mc = await ws.wb.runner.wait(ws.wb.runner.submit('search', { dataset: ws.dataset, model: 'tiny-policy', algo: 'mc', limit: 4, config: { samplesPerSolution: 2, k: 4 }, annotationMode: 'all-paths' }).id);
  if (mc.state !== 'done') throw new Error(`mc search ${mc.state}: ${mc.error}`);
  msId = (mc.result as { searchIds: number[] }).searchIds.find((id) => ws.wb.store.trees.getSearch(id).problemId === problemId)!;
  const bon = await ws.wb.runner.wait(ws.wb.runner.submit('bon', { dataset: ws.dataset, split: 'train', policy: 'tiny-policy', prm: 'tiny-prm', n: 2, limit: 2 }).id);
  if (bon.state !== 'done') throw new Error(`bon ${bon.state}: ${bon.error}`);
  bonJob = bon.id;
  evaluationId = ws.wb.store.evaluations.list()[0].id;
  host = await serve(ws.wb);
  session = await openBrowser({ width: 1440, height: 900 });
  page = session.page;
  await page.goto(host.url);
  await page.getByRole('navigation', { name: 'Views' }).waitFor();
});

afterAll(async () => {
  await session?.close();
  await host?.close();
  await disposeWorkspace(ws);
  rmSync(configTmp, { recursive: true, force: true });
});

/** A node of the search that holds its path's gold first error, or any non-root node. */
function interestingNode(searchId: number): number {
  const gold = searchGold(ws.wb.store, searchId);
  const nodes = ws.wb.store.trees.nodes(searchId);
  const deepest = (ids: number[]) => ids.sort((a, b) => nodes.find((n) => n.id === b)!.depth - nodes.find((n) => n.id === a)!.depth)[0];
  return gold.goldFirstErrors.length ? deepest([...gold.goldFirstErrors]) : deepest(nodes.filter((n) => n.parentId !== null).map((n) => n.id));
}

const box = async (l: Locator) => (await l.boundingBox())!;
const overlap = (a: { x: number; y: number; width: number; height: number }, b: { x: number; y: number; width: number; height: number }) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe('one problem, followed everywhere', () => {
  it('shows the problem above its tree, names searches by dataset id, and sets gold beside MC and the PRM', async () => {
    const search = ws.wb.store.trees.getSearch(omegaId);
    const problem = ws.wb.store.problems.get(search.problemId);
    const node = interestingNode(omegaId);
    await page.goto(`${origin()}/#/searches/${omegaId}/node/${node}`);
    const strip = page.getByTestId('search-problem');
    await expect.poll(() => strip.innerText()).toContain(problem.extId);
    expect(await strip.getByTestId('search-question').innerText()).toBe(problem.question);
    expect(await strip.innerText()).toContain(`Gold answer: ${problem.answer}`);
    if (problem.images.length) expect(await strip.locator('img').count()).toBe(problem.images.length);
    // the picker lists every search by its problem's dataset id
    const options = await page.getByRole('combobox', { name: 'Search', exact: true }).locator('option').allInnerTexts();
    expect(options.length).toBe(ws.wb.store.trees.listSearches().total);
    for (const o of options) expect(o).toMatch(/^demo-(train|test|val)-\d{4} · (OmegaPRM|Math-Shepherd MC) #\d+ · /);

    // the tree against gold: the summary is the core's count, the path rows carry each node's gold label
    const gold = searchGold(ws.wb.store, omegaId);
    const s = gold.summary!;
    const summary = await page.getByTestId('gold-summary').innerText();
    expect(summary).toContain(`${s.firstErrors} first error${s.firstErrors === 1 ? '' : 's'} of the search: ${s.found} found ${s.late} late ${s.early} early`);
    expect(summary).toContain(`${s.labelled} labelled prefix`);
    expect(summary).toContain(`${s.missed} missed`);
    const path = page.getByTestId('node-path');
    await expect.poll(() => path.locator('caption').innerText()).toContain(`node #${node}`);
    const rows = path.locator('tbody tr');
    const ids = (await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-node'))))) as number[];
    expect(ids.at(-1)).toBe(node);
    for (let i = 1; i < ids.length; i++) {
      const at = gold.ids.indexOf(ids[i]);
      const cell = await rows.nth(i).getByTestId('gold-cell').innerText();
      expect(cell.startsWith(gold.last[at] === 1 ? 'right' : 'wrong'), `node ${ids[i]}: ${cell}`).toBe(true);
      expect(cell.includes('gold first error')).toBe(gold.goldFirstErrors.includes(ids[i]));
    }
    // the selected row is highlighted and in view
    const chosen = path.locator('tr.chosen');
    expect(await chosen.getAttribute('data-node')).toBe(String(node));
    const r = await box(chosen);
    expect(r.y + r.height).toBeLessThanOrEqual(900);
    // the legend explains the gold mark
    expect(await page.getByRole('group', { name: 'Legend' }).innerText()).toContain('first error (gold)');
    await page.screenshot({ path: join(screenshots, 'researcher-searches.png') });
    expect(session.errors).toEqual([]);
  });

  it('links the problem page to its searches and back, and the palette finds the problem by its dataset id', async () => {
    const problem = ws.wb.store.problems.get(ws.wb.store.trees.getSearch(omegaId).problemId);
    await page.getByTestId('search-problem').getByRole('button', { name: problem.extId }).click();
    await expect.poll(() => page.url()).toBe(`${origin()}/#/problems/${ws.dataset}/id/${encodeURIComponent(problem.extId)}`);
    const work = page.getByTestId('problem-work');
    await work.waitFor();
    const listed = await work.getByTestId('problem-search').allInnerTexts();
    const searches = ws.wb.store.trees.listSearches({ problemId: problem.id }).items;
    expect(listed).toHaveLength(searches.length);
    expect(await page.getByTestId('problem-annotation-sets').innerText()).toMatch(/Annotation sets: .*\d+ paths? from #\d+/);
    await page.screenshot({ path: join(screenshots, 'researcher-problem.png') });
    await work.getByRole('button', { name: `Search #${msId}` }).click();
    await expect.poll(() => page.url()).toBe(`${origin()}/#/searches/${msId}`);
    await expect.poll(() => page.getByTestId('search-problem').innerText()).toContain(`Math-Shepherd MC search #${msId}`);

    await page.keyboard.press('Control+k');
    const palette = page.getByRole('dialog', { name: 'Command palette' });
    await page.keyboard.type(problem.extId);
    await expect.poll(() => palette.locator('[cmdk-item]').first().innerText()).toContain(`${problem.extId} (${ws.dataset})`);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.url()).toBe(`${origin()}/#/problems/${ws.dataset}/id/${encodeURIComponent(problem.extId)}`);
    await expect.poll(() => page.getByRole('heading', { level: 2 }).innerText()).toContain(`Problem ${problem.extId}`);
    expect(session.errors).toEqual([]);
  });
});

describe('every selection in the URL', () => {
  const restoredBy = async (hash: string, check: () => Promise<void>) => {
    await page.goto(`${origin()}/${hash}`);
    await check();
    await page.reload();
    await check();
    expect(page.url()).toBe(`${origin()}/${hash}`);
  };

  it('restores a search and its node on reload', async () => {
    const node = interestingNode(msId);
    await restoredBy(`#/searches/${msId}/node/${node}`, async () => {
      await expect.poll(() => page.getByTestId('node-path').locator('caption').innerText()).toContain(`node #${node}`);
      expect(await page.getByTestId('search-problem').innerText()).toContain(`search #${msId}`);
    });
  });

  it('restores a problem named by its dataset id, and the older row-id link still opens it', async () => {
    const problem = ws.wb.store.problems.get(ws.wb.store.trees.getSearch(omegaId).problemId);
    await restoredBy(`#/problems/${ws.dataset}/id/${encodeURIComponent(problem.extId)}`, async () => {
      await expect.poll(() => page.getByRole('heading', { level: 2 }).innerText()).toContain(`Problem ${problem.extId}`);
    });
    await page.goto(`${origin()}/#/problems/${ws.dataset}/problem/${problem.id}`);
    await expect.poll(() => page.getByRole('heading', { level: 2 }).innerText()).toContain(`Problem ${problem.extId}`);
    // and the dataset heatmap
    await restoredBy(`#/problems/${ws.dataset}/heatmap`, async () => {
      await expect.poll(() => page.getByTestId('dataset-heatmap-canvas').getAttribute('data-rows')).not.toBeNull();
    });
  });

  it('restores an evaluation and a job on reload', async () => {
    await restoredBy(`#/evaluations/${evaluationId}`, async () => {
      await expect.poll(() => page.locator('.split-pane .link.current').innerText()).toBe(ws.wb.store.evaluations.get(evaluationId).name);
    });
    await restoredBy(`#/jobs/${bonJob}`, async () => {
      await expect.poll(() => page.locator(`tr[data-job="${bonJob}"]`).getAttribute('class')).toContain('chosen');
    });
  });

  it('goes Back to the search and node before', async () => {
    const a = interestingNode(omegaId);
    await page.goto(`${origin()}/#/searches/${omegaId}/node/${a}`);
    await expect.poll(() => page.getByTestId('node-path').locator('caption').innerText()).toContain(`node #${a}`);
    await page.getByRole('combobox', { name: 'Search', exact: true }).selectOption(String(msId));
    await expect.poll(() => page.url()).toBe(`${origin()}/#/searches/${msId}`);
    await page.goBack();
    await expect.poll(() => page.url()).toBe(`${origin()}/#/searches/${omegaId}/node/${a}`);
    await expect.poll(() => page.getByTestId('node-path').locator('caption').innerText()).toContain(`node #${a}`);
    expect(session.errors).toEqual([]);
  });
});

describe('jobs that identify themselves', () => {
  it('names each job with its settings, says what it produced, links to it, shows a cancel as one and a trainer\'s stderr as lines', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    // a trainer that failed: its stderr tail comes in lines, as the trainer protocol reports it
    const failed = ws.wb.store.jobs.create('train-prm', { annotations: 'omega-2', labels: 'soft' });
    const stderr = 'Traceback (most recent call last):\n  File "train.py", line 12, in <module>\n    import torch\nModuleNotFoundError: No module named \'torch\'';
    ws.wb.store.jobs.finish(failed.id, 'failed', null, `trainer failed: exit code 1\nlast lines of stderr:\n${stderr}`);
    await page.goto(`${origin()}/#/jobs/${failed.id}`);
    const row = (id: number) => page.locator(`tr[data-job="${id}"]`);
    await expect.poll(() => row(failed.id).getAttribute('class')).toContain('chosen');
    const block = row(failed.id).locator('pre.error-block');
    expect(await block.innerText()).toBe(`trainer failed: exit code 1\nlast lines of stderr:\n${stderr}`);

    // the Best-of-N row: kind and settings, its result, a link to its evaluation
    const bon = row(bonJob);
    expect(await bon.getByTestId('job-title').innerText()).toBe('Best-of-N');
    expect(await bon.getByTestId('job-settings').innerText()).toContain(`${ws.dataset}/train · tiny-policy + tiny-prm · N=2`);
    expect(await bon.getByTestId('job-outcome').innerText()).toMatch(new RegExp(`^evaluation #${evaluationId} · 2 problems × N=2`));
    expect(await page.locator(`tr[data-job] [data-testid="job-title"]`).filter({ hasText: /^Search$/ }).count()).toBe(2);
    await page.screenshot({ path: join(screenshots, 'researcher-jobs.png') });
    await bon.getByTestId('job-link').click();
    await expect.poll(() => page.url()).toBe(`${origin()}/#/evaluations/${evaluationId}`);

    // a running search cancelled from its row: read as cancelled on request, not as an error
    const running = ws.wb.runner.submit('search', { dataset: ws.dataset, model: 'tiny-policy', algo: 'omega', limit: 4, seed: 9, config: { maxSearchCount: 40, rolloutBudget: 400, rolloutsPerState: 8, lengthScale: 50 } });
    await page.goto(`${origin()}/#/jobs/${running.id}`);
    await expect.poll(() => row(running.id).getAttribute('data-state'), { timeout: 60_000 }).toBe('running');
    await row(running.id).getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => row(running.id).getAttribute('data-state'), { timeout: 60_000 }).toBe('cancelled');
    expect(await row(running.id).getByTestId('job-state').innerText()).toMatch(/^cancelled$/i);
    expect(await row(running.id).getByTestId('job-outcome').innerText()).toContain('cancelled on request');
    expect(await row(running.id).locator('.error-text, .error-block').count()).toBe(0);
    expect(session.errors).toEqual([]);
  });
});

describe('curation', () => {
  it('records edits by the name set once, recolours the node and its first error at once, and undoes after a reload', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    // a node the search flagged as a first error, with a label through it
    const flagged = ws.wb.store.trees.nodes(omegaId).filter((n) => n.firstError);
    const withLabel = flagged.find((n) => ws.wb.store.annotations.forSearch(omegaId).some((a) => (a.provenance.nodes as number[]).at(-1) === n.id))!;
    expect(withLabel).toBeTruthy();
    await page.goto(`${origin()}/#/searches/${omegaId}/node/${withLabel.id}`);
    const chosenLabel = page.getByTestId('node-path').locator('tr.chosen').getByTestId('label-cell');
    await expect.poll(async () => (await chosenLabel.innerText()).trim()).toBe('first error');

    // the name, set once from the palette
    await page.keyboard.press('Control+k');
    await page.keyboard.type('set your name');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Your name for curation records' });
    await dialog.getByLabel('Your name').fill('Ada Researcher');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByTestId('curator-name').innerText()).toBe('Ada Researcher');

    // Mark good: the path table's label, the tree's colour and first-error mark follow at once
    const row = page.getByTestId('curation').locator('.label-row').first();
    await row.getByRole('button', { name: 'Mark good' }).click();
    await expect.poll(async () => (await chosenLabel.innerText()).trim()).toBe('good · curated 1.000');
    await row.locator('.curation-history summary').click();
    expect(await row.locator('.curation-history li').last().innerText()).toMatch(/by Ada Researcher: set step \d+'s label to 1\.000 \(good\)/);
    await page.screenshot({ path: join(screenshots, 'researcher-curation.png') });

    // a reload: the edit is undone from the rebuilt history
    await page.reload();
    const undo = page.getByTestId('curation').getByRole('button', { name: 'Undo' });
    await expect.poll(() => undo.isEnabled()).toBe(true);
    await undo.click();
    await expect.poll(async () => (await chosenLabel.innerText()).trim()).toBe('first error');
    await expect.poll(() => page.getByTestId('curation').getByRole('button', { name: 'Redo' }).isEnabled()).toBe(true);
    expect(session.errors).toEqual([]);
  });
});

describe('queues that lead to work', () => {
  it('hides answer lines by default, filters, shows each row in context, and acts on ticked rows as one batch', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${origin()}/#/searches/${omegaId}`);
    await page.getByRole('tab', { name: 'Curation queues' }).click();
    const queue = page.getByTestId('disagreements');
    const rows = queue.getByTestId('queue-row');
    await expect.poll(() => rows.count()).toBeGreaterThan(0);
    const disputed = () => queue.locator('.queue-path li.disputed').allInnerTexts();
    // reasoning steps only by default: no answer line in the queue
    expect((await disputed()).some((t) => /^Answer:/m.test(t.split('\n').at(-1)!))).toBe(false);
    await queue.getByLabel('Step kind').selectOption('answer');
    await expect.poll(async () => (await disputed()).every((t) => /^Answer:/.test(t.split('\n').at(-1)!))).toBe(true);
    expect(await rows.count()).toBeGreaterThan(0);
    await queue.getByLabel('Step kind').selectOption('reasoning');
    // each row: the question and the path from it, the disputed step last
    const first = rows.first();
    const api = (await ws.wb.handlers['curation.disagreements']({ prm: 'tiny-prm', limit: 100, stepKind: 'reasoning' })).items;
    await expect.poll(async () => Number(await first.getAttribute('data-node'))).toBe(api[0].nodeId);
    expect(await first.locator('.queue-question').innerText()).toBe(api[0].question);
    expect(await first.locator('.queue-path li').allInnerTexts()).toEqual(api[0].path);
    // a least gap
    await queue.getByLabel('Least gap').fill('0.5');
    await expect.poll(async () => (await queue.getByTestId('queue-gap').allInnerTexts()).every((g) => Number(g) >= 0.5)).toBe(true);
    await queue.getByLabel('Least gap').fill('0');
    await page.screenshot({ path: join(screenshots, 'researcher-queue.png') });

    // two ticked rows marked bad: one batch over the labels at both nodes
    const picked = api.slice(0, 2);
    for (const d of picked) await queue.getByLabel(`tick node ${d.nodeId}`).check();
    const edits = (ws.wb.store.db.prepare('SELECT count(DISTINCT batch) AS n FROM curation_edits').get() as { n: number }).n;
    await queue.getByRole('toolbar', { name: 'Ticked rows' }).getByRole('button', { name: 'Mark bad' }).click();
    await expect.poll(() => (ws.wb.store.db.prepare('SELECT count(DISTINCT batch) AS n FROM curation_edits').get() as { n: number }).n).toBe(edits + 1);
    for (const d of picked) {
      const labels = ws.wb.store.annotations.forSearch(d.searchId).flatMap((a) => {
        const at = (a.provenance.nodes as number[]).lastIndexOf(d.nodeId);
        return at >= 0 ? [a.steps[at].softLabel] : [];
      });
      expect(labels.length).toBeGreaterThan(0);
      expect(labels.every((v) => v === 0)).toBe(true);
    }
    expect(session.errors).toEqual([]);
  });

  it('ranks tied candidates alike and calls "scored low" only the bottom of their own problem', async () => {
    await page.getByRole('tab', { name: 'Curation queues' }).click();
    const conflicts = page.getByTestId('solution-conflicts');
    await expect.poll(() => conflicts.locator('h4').innerText()).toMatch(/scored solutions$/);
    const api = await ws.wb.handlers['curation.solutionConflicts']({ prm: 'tiny-prm', limit: 100, aggregate: 'min', lowShare: 0.25 });
    expect(await conflicts.getByTestId('conflict-row').count()).toBe(api.items.length);
    for (const c of api.items.filter((i) => i.kind === 'correct-low')) expect((c.rank - 1) / c.candidates).toBeGreaterThanOrEqual(0.75);
    expect(await conflicts.innerText()).toContain('candidates scored alike share the best rank (1-2-2-4)');
  });
});

describe('honest tables and charts', () => {
  it('says what is bold, draws every row of the table with its real line style, and follows the dark theme', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${origin()}/#/evaluations/${evaluationId}`);
    const table = page.getByTestId('bon-table-train');
    await table.waitFor();
    expect(await table.locator('caption').innerText()).toMatch(/bold: the best selection rule at each N \(ties all bold; greedy and the pass@N oracle are not compared/);
    // the bold cells are the best of the selection rules at each N, and only those
    const cells = (await table.locator('tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => ({ text: td.textContent ?? '', bold: td.classList.contains('best') }))),
    )) as { text: string; bold: boolean }[][];
    for (let col = 1; col < cells[0].length; col++) {
      const rules = cells.filter((r) => !/^greedy|^pass@N/.test(r[0].text));
      const best = Math.max(...rules.map((r) => Number(r[col].text)));
      for (const r of cells) expect(r[col].bold, `${r[0].text} N column ${col}`).toBe(!/^greedy|^pass@N/.test(r[0].text) && Number(r[col].text) === best);
    }
    // the chart: every method of the table is in its legend, baselines dashed, the oracle dotted
    const svgOf = () => page.getByRole('img', { name: /^Accuracy against N on / }).evaluate((img: HTMLImageElement) => decodeURIComponent(img.src.replace(/^data:image\/svg\+xml;charset=utf-8,/, '')));
    await expect.poll(async () => (await svgOf()).length).toBeGreaterThan(1000);
    const svg = await svgOf();
    expect((await table.locator('tbody tr').count())).toBe(12);
    for (const m of ['random', 'greedy', 'majority', 'prm_min', 'prm_last', 'prm_product', 'prm_mean', 'prm_max', 'prm_sum_log_odds', 'prm_mean_odds', 'prm_weighted_vote', 'pass_at_n']) {
      expect(svg, m).toMatch(new RegExp(`role-legend-label[^>]*><text[^>]*>${m}( \\(chosen\\))?</text>`));
    }
    expect(svg).toMatch(/method: greedy[^"]*" [^>]*stroke-dasharray="6,3"/);
    expect(svg).toMatch(/method: pass_at_n[^"]*" [^>]*stroke-dasharray="2,2"/);
    expect(await page.getByTestId('chart-caption').innerText()).toContain('every method of the table above is drawn');
    // the pairwise accuracy, as stored, under the table (shown only when some problem has a right and a wrong candidate)
    const pw = (ws.wb.store.evaluations.get(evaluationId).metrics as { splits: Record<string, { pairwise: { accuracy: number; pairs: number } }> }).splits.train.pairwise;
    if (pw.pairs > 0) expect(await page.getByTestId('pairwise-train').innerText()).toContain(`${(100 * pw.accuracy).toFixed(1)}% of ${pw.pairs.toLocaleString('en-US')} pairs`);
    else expect(await page.getByTestId('pairwise-train').count()).toBe(0);
    expect(await page.getByTestId('differences-train').innerText()).toMatch(/^At N=2, PRM[\w -]+ minus: majority vote [-+]?\d+\.\d \[/);
    expect(svg).not.toContain('#1c2026');
    // the dark theme: the chart is drawn again on the dark surface
    await page.getByLabel('Theme').selectOption('dark');
    await expect.poll(async () => (await svgOf()).includes('#1c2026')).toBe(true);
    await page.getByRole('img', { name: /^Accuracy against N on / }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(screenshots, 'researcher-evaluations-dark.png') });
    await page.getByLabel('Theme').selectOption('system');
    expect(session.errors).toEqual([]);
  });
});

describe('two evaluations side by side', () => {
  it('compares the open evaluation with another of the same problems: each rule, the difference and its interval, as evaluations.compare gives', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    const second = await ws.wb.runner.wait(ws.wb.runner.submit('bon', { dataset: ws.dataset, split: 'train', policy: 'tiny-policy', prm: 'tiny-prm', n: 2, limit: 2, voteWeight: 'min', name: 'vote weighted by min' }).id);
    if (second.state !== 'done') throw new Error(`bon ${second.state}: ${second.error}`);
    const otherId = (second.result as { evaluation: number }).evaluation;
    await page.goto(`${origin()}/#/evaluations/${evaluationId}`);
    const compare = page.getByTestId('compare');
    await compare.getByLabel('Compare with').selectOption(String(otherId));
    const table = page.getByTestId('compare-table');
    await table.waitFor();
    const want = compareEvaluations(ws.wb.store, { a: evaluationId, b: otherId });
    const pct = (x: number) => (100 * x).toFixed(1);
    const signed = (x: number) => `${x >= 0 ? '+' : '\u2212'}${Math.abs(100 * x).toFixed(1)}`;
    const rows = (await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')))) as string[][];
    expect(rows).toEqual(
      want.rows.map((r) => [String(r.n), pct(r.a), pct(r.b), signed(r.diff), `[${signed(r.interval[0])}, ${signed(r.interval[1])}] ${r.interval[0] > 0 ? 'above 0' : r.interval[1] < 0 ? 'below 0' : 'covers 0'}`]),
    );
    const caption = await table.locator('caption').innerText();
    expect(caption).toContain(`${ws.dataset}/train, 2 problems, the same candidates`);
    expect(caption).toContain(`that (#${otherId}): PRM tiny-prm@1`);
    await table.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(screenshots, 'researcher-evaluations-compare.png') });
    expect(session.errors).toEqual([]);
  });
});

describe('every job from the UI', () => {
  it('generates and scores from their forms, checks a config live, refuses before any work what would fail, exports', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${origin()}/#/jobs`);
    const kind = page.getByLabel('Job kind');
    const form = page.getByTestId('launch-form');
    const startAndWait = async (): Promise<number> => {
      await page.getByRole('button', { name: 'Start', exact: true }).click();
      await expect.poll(() => page.getByRole('status').first().innerText()).toMatch(/^Job #\d+ started/);
      const id = Number(/#(\d+)/.exec(await page.getByRole('status').first().innerText())![1]);
      await expect.poll(() => page.locator(`tr[data-job="${id}"]`).getAttribute('data-state'), { timeout: 120_000 }).toBe('done');
      return id;
    };

    // generate: n = 0 is named live against the schema, before anything is sent
    await kind.selectOption('generate');
    await form.getByLabel('Split').selectOption('');
    await form.getByLabel('Samples per problem (n)').fill('0');
    await expect.poll(() => page.getByTestId('launch-issue').innerText()).toMatch(/^not ready: n: /);
    await form.getByLabel('Samples per problem (n)').fill('2');
    await form.getByLabel('Problems (at most)').fill('2');
    await expect.poll(() => page.getByTestId('launch-issue').count()).toBe(0);
    const gen = await startAndWait();
    expect(ws.wb.store.jobs.get(gen).config).toMatchObject({ dataset: ws.dataset, model: 'tiny-policy', n: 2, limit: 2 });
    expect(await page.locator(`tr[data-job="${gen}"]`).getByTestId('job-outcome').innerText()).toMatch(/^4 solutions for 2 problems: /);

    // score the stored solutions of the dataset
    await kind.selectOption('score');
    await form.locator('#launch-target').selectOption('dataset');
    await form.getByLabel('Split').selectOption('');
    const score = await startAndWait();
    expect(ws.wb.store.jobs.get(score).config).toMatchObject({ prm: 'tiny-prm', dataset: ws.dataset });
    expect(ws.wb.store.jobs.get(score).config).not.toHaveProperty('searches');
    // and a search job's trees, chosen by job
    await form.locator('#launch-target').selectOption('searches');
    await expect.poll(() => form.getByLabel('Trees of').locator('option').count()).toBeGreaterThanOrEqual(2);

    // train a PRM: the pre-flight refuses an unknown annotation set in one line, and no job is made
    await kind.selectOption('train-prm');
    await page.getByText('Advanced: the whole config as JSON').click();
    const editor = page.getByTestId('launch-json');
    await expect.poll(() => editor.locator('[data-ready="true"]').count(), { timeout: 30_000 }).toBe(1);
    await editor.locator('.monaco-editor .view-lines').click();
    await page.keyboard.press('Control+a');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText('{"annotations": "no-such-set", "labels": "soft"}');
    // whatever the editor closed for us after the cursor goes
    await page.keyboard.press('Shift+Control+End');
    await page.keyboard.press('Delete');
    await expect.poll(() => editor.getAttribute('data-valid')).toBe('true');
    const jobsBefore = ws.wb.store.jobs.list().length;
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect.poll(() => page.getByTestId('launch-error').innerText()).toMatch(/annotation set "no-such-set" not found/);
    expect(ws.wb.store.jobs.list().length).toBe(jobsBefore);

    // a cycle run from the same place: its own form over CycleConfig
    await kind.selectOption('cycle');
    await page.getByTestId('cycle-form').waitFor();

    // exports: the dataset's problems as JSONL
    await kind.selectOption('export');
    const exp = page.getByTestId('export-problems');
    const out = join(ws.tmp, 'exported.jsonl');
    await exp.getByLabel('Problems output file').fill(out);
    await exp.getByRole('button', { name: 'Export' }).click();
    await expect.poll(() => exp.getByTestId('export-problems-result').innerText()).toMatch(/^Wrote 4 problems and 2 images to /);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(4);
    await page.screenshot({ path: join(screenshots, 'researcher-launch.png') });
    expect(session.errors).toEqual([]);
  });
});

describe('a laptop screen', () => {
  for (const viewport of [
    { width: 1440, height: 900 },
    { width: 1280, height: 800 },
  ]) {
    it(`shows the tree, the path and the curation actions at ${viewport.width}×${viewport.height} without scrolling, nothing over the tree`, async () => {
      await page.setViewportSize(viewport);
      const node = interestingNode(omegaId);
      await page.goto(`${origin()}/#/searches/${omegaId}/node/${node}`);
      await page.reload();
      const canvas = page.getByTestId('tree-canvas');
      await expect.poll(() => page.getByTestId('node-path').locator('caption').innerText()).toContain(`node #${node}`);
      await page.getByRole('checkbox', { name: 'minimap' }).check();
      const minimap = page.getByTestId('tree-minimap');
      await minimap.waitFor();
      // a moment for the panes to settle
      await page.waitForTimeout(300);
      const c = await box(canvas);
      const side = await box(page.getByTestId('side-pane'));
      expect(c.width).toBeGreaterThanOrEqual(viewport.width / 2);
      expect(overlap(c, await box(minimap))).toBe(false);
      expect(overlap(c, side)).toBe(false);
      // the page does not scroll: everything ends inside the window
      expect(await page.evaluate(() => document.scrollingElement!.scrollHeight <= window.innerHeight + 1)).toBe(true);
      const replay = await box(page.getByRole('group', { name: 'Replay' }));
      expect(replay.y + replay.height).toBeLessThanOrEqual(viewport.height);
      // the curation actions are in view, and the side pane has room for 8 rows of a path above them
      const mark = page.getByTestId('curation').getByRole('button', { name: 'Mark good' }).first();
      const m = await box(mark);
      expect(m.y + m.height).toBeLessThanOrEqual(viewport.height);
      const rows = page.getByTestId('node-path').locator('tbody tr');
      const rowHeight = Math.min(...(await rows.evaluateAll((trs) => trs.map((tr) => tr.getBoundingClientRect().height))));
      const head = await box(page.getByTestId('node-path').locator('thead'));
      const actionsBelowPath = m.y + m.height - (await box(rows.last())).y - (await box(rows.last())).height;
      expect(viewport.height - (head.y + head.height) - actionsBelowPath).toBeGreaterThanOrEqual(8 * rowHeight);
      await page.screenshot({ path: join(screenshots, `researcher-layout-${viewport.width}.png`) });
      expect(session.errors).toEqual([]);
    });
  }

  it('opens a disagreement-queue row in place: the tree shows the node and its path row is highlighted in view', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${origin()}/#/searches/${omegaId}`);
    await page.getByRole('tab', { name: 'Curation queues' }).click();
    await page.getByTestId('disagreements').getByLabel('Step kind').selectOption('all');
    const row = page.getByTestId('disagreements').getByTestId('queue-row').nth(2);
    const [, sid, nid] = /#(\d+) node (\d+)/.exec(await row.locator('button').innerText())!;
    await row.locator('button').click();
    await expect.poll(() => page.url()).toBe(`${origin()}/#/searches/${sid}/node/${nid}`);
    const chosen = page.getByTestId('node-path').locator('tr.chosen');
    await expect.poll(() => chosen.getAttribute('data-node')).toBe(nid);
    const r = await box(chosen);
    expect(r.y).toBeGreaterThanOrEqual(0);
    expect(r.y + r.height).toBeLessThanOrEqual(900);
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    expect(session.errors).toEqual([]);
  });
});
