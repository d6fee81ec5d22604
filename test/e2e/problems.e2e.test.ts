// The Problems view in a real browser on a workspace built by the real pipeline (demo problems with
// images, an OmegaPRM search, solutions from a generate job, tiny-prm scores): the filtered virtualized
// table and its keyboard, a problem with KaTeX and its solutions, a missing image named inline, and the
// dataset heatmap (PRM / MC, sorting, a cell opening its step in context).
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imagePath } from '../../src-main/core/data/images';
import { demoWorkspace, disposeWorkspace, ensureRendererBuilt, openBrowser, screenshots, serve, type BrowserSession, type DemoWorkspace, type Host } from './setup';

let ws: DemoWorkspace;
let host: Host;
let session: BrowserSession;
let datasetId: number;

beforeAll(async () => {
  ensureRendererBuilt();
  ws = await demoWorkspace({ images: true, count: 6 });
  const { wb, tmp, dataset } = ws;
  // two problems with LaTeX, one of which KaTeX cannot parse
  const latex = [
    { id: 'latex-ok', question: 'Compute \\(\\frac{1}{2}+\\frac{1}{4}\\) when $$x^2 = 9$$ and $y$ is 2.', answer: '3/4', split: 'test' },
    { id: 'latex-bad', question: 'This \\(\\frac{1}{\\) stays as written.', answer: '1', split: 'test' },
  ];
  writeFileSync(join(tmp, 'data', 'latex.jsonl'), latex.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const imp = await wb.runner.wait(wb.runner.submit('import', { path: join(tmp, 'data', 'latex.jsonl'), dataset, skipBad: false }).id);
  if (imp.state !== 'done') throw new Error(`import ${imp.state}: ${imp.error}`);
  const gen = await wb.runner.wait(wb.runner.submit('generate', { dataset, model: 'tiny-policy', n: 4, seed: 3 }).id);
  if (gen.state !== 'done') throw new Error(`generate ${gen.state}: ${gen.error}`);
  const sc = await wb.runner.wait(wb.runner.submit('score', { prm: 'tiny-prm', dataset }).id);
  if (sc.state !== 'done') throw new Error(`score ${sc.state}: ${sc.error}`);
  datasetId = wb.store.datasets.requireId(dataset);
  host = await serve(wb);
  session = await openBrowser({ width: 1400, height: 900 });
}, 600_000);

afterAll(async () => {
  await session?.close();
  await host?.close();
  await disposeWorkspace(ws);
});

const extIds = (q: Parameters<DemoWorkspace['wb']['store']['problems']['listInDataset']>[1] = {}) => ws.wb.store.problems.listInDataset(datasetId, q).items.map((p) => p.extId);

describe('problems view', () => {
  it('filters the whole dataset by images and by solved, and opens a row from the keyboard', async () => {
    const { page, errors } = session;
    await page.goto(`${host.url}`);
    await page.goto(`http://127.0.0.1:${host.port}/#/problems/${ws.dataset}`);
    const table = page.getByTestId('problems-table');
    const all = extIds();
    expect(all).toHaveLength(8);
    await expect.poll(() => table.locator('tbody tr td:first-child').allInnerTexts()).toEqual(all);
    expect(await page.getByTestId('problems-range').innerText()).toBe('1–8 of 8');

    await page.getByLabel('Images', { exact: true }).selectOption('with');
    const withImages = extIds({ hasImage: true });
    expect(withImages.length).toBeGreaterThan(0);
    expect(withImages.length).toBeLessThan(all.length);
    await expect.poll(() => table.locator('tbody tr td:first-child').allInnerTexts()).toEqual(withImages);

    await page.getByLabel('Solutions', { exact: true }).selectOption('solved');
    const solvedWithImages = extIds({ hasImage: true, solved: 'solved' });
    await expect.poll(() => page.getByTestId('problems-range').innerText()).toMatch(new RegExp(`of ${solvedWithImages.length}$|^No problems match$`));
    expect(await table.locator('tbody tr td:first-child').allInnerTexts().catch(() => [])).toEqual(solvedWithImages);
    // every solved row has at least one correct solution
    for (const cell of await table.locator('tbody tr td:nth-child(7)').allInnerTexts()) expect(cell).toMatch(/^[1-9]\d*\/\d+$/);

    await page.getByLabel('Images', { exact: true }).selectOption('');
    const solved = extIds({ solved: 'solved' });
    const unsolved = extIds({ solved: 'unsolved' });
    expect(solved.length + unsolved.length).toBe(all.length);
    await expect.poll(() => table.locator('tbody tr td:first-child').allInnerTexts()).toEqual(solved);
    await page.getByLabel('Solutions', { exact: true }).selectOption('unsolved');
    await expect.poll(() => table.locator('tbody tr td:first-child').allInnerTexts()).toEqual(unsolved);
    for (const cell of await table.locator('tbody tr td:nth-child(7)').allInnerTexts()) expect(cell).toMatch(/^0\/\d+$/);
    await page.getByLabel('Solutions', { exact: true }).selectOption('');
    await page.getByLabel('Labels', { exact: true }).selectOption('search');
    // the demo search labelled its 6 problems; the two LaTeX ones came later
    await expect.poll(() => table.locator('tbody tr').count()).toBe(6);
    await page.getByLabel('Labels', { exact: true }).selectOption('');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(8);
    await page.screenshot({ path: join(screenshots, 'problems.png'), fullPage: true });

    // keyboard: down twice, then Enter opens the third row's problem
    await page.getByRole('region', { name: /Problems table/ }).focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => table.locator('tbody tr.selected td:first-child').innerText()).toBe(all[2]);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('heading', { level: 2 }).innerText()).toContain(`Problem ${all[2]}`);
    expect(page.url()).toMatch(new RegExp(`#/problems/${ws.dataset}/id/${encodeURIComponent(all[2])}$`));
    expect(errors).toEqual([]);
  });

  it('keeps thousands of rows in one scrollable table, rendering only the rows in sight', async () => {
    const { page, errors } = session;
    const { store } = ws.wb;
    const many = store.datasets.getOrCreate('many');
    store.transaction(() => {
      for (let i = 0; i < 3000; i++) {
        const p = store.problems.upsert({ question: `Many ${i}: what is ${i} + 1?`, answer: String(i + 1), answerType: 'number', source: null, tags: [], imageHashes: [], meta: {} });
        store.datasets.addMember(many, p.id, `many-${String(i).padStart(4, '0')}`, 'train');
      }
    });
    await page.goto(`http://127.0.0.1:${host.port}/#/problems/many`);
    await page.reload();
    const table = page.getByTestId('problems-table');
    await expect.poll(() => page.getByTestId('problems-range').innerText()).toMatch(/^1–\d+ of 3,000$/);
    const rendered = await table.locator('tbody tr:not(.spacer)').count();
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(60);
    // End jumps to the last row: its window is fetched and drawn, the selection follows
    await page.getByRole('region', { name: /Problems table/ }).focus();
    await page.keyboard.press('End');
    await expect.poll(() => table.locator('tbody tr.selected td:first-child').innerText()).toBe('many-2999');
    await expect.poll(() => page.getByTestId('problems-range').innerText()).toMatch(/–3,000 of 3,000$/);
    expect(await table.locator('tbody tr:not(.spacer)').count()).toBeLessThan(60);
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => table.locator('tbody tr.selected td:first-child').innerText()).toBe('many-2998');
    // a search narrows the whole dataset, not the loaded rows
    await page.getByLabel('Search problems').fill('Many 1234:');
    await expect.poll(() => table.locator('tbody tr td:first-child').allInnerTexts()).toEqual(['many-1234']);
    expect(errors).toEqual([]);
  });

  it('shows a problem with KaTeX, a raw fallback for bad TeX, and its solutions with verdicts and scores', async () => {
    const { page, errors } = session;
    const problem = ws.wb.store.problems.listInDataset(datasetId, { search: 'latex-ok' }).items[0];
    await page.goto(`http://127.0.0.1:${host.port}/#/problems/${ws.dataset}/problem/${problem.id}`);
    const question = page.getByTestId('question');
    await expect.poll(() => question.locator('.katex').count()).toBe(3);
    expect(await question.locator('.katex-display').count()).toBe(1);
    // KaTeX's bundled fonts loaded under the host's CSP (font-src 'self')
    await expect.poll(() => page.evaluate("[...document.fonts].some((f) => f.family.includes('KaTeX_Main') && f.status === 'loaded')")).toBe(true);
    await page.screenshot({ path: join(screenshots, 'problem-katex.png') });
    const sols = ws.wb.store.solutions.forProblem(problem.id);
    expect(sols.length).toBe(4);
    await expect.poll(() => page.getByTestId('solution').count()).toBe(4);
    expect(await page.getByTestId('model-group').locator('h4').innerText()).toMatch(/^tiny-policy@1 · 4 solutions, \d correct$/);
    expect(await page.getByTestId('solution').evaluateAll((els) => els.map((e) => e.getAttribute('data-verdict')))).toEqual(sols.map((s) => s.verdict));
    // the tiny policy cannot answer this one: no steps, so no heatmap, and the cards say so
    expect(sols.every((s) => s.verdict === 'unparseable' && s.steps.length === 0)).toBe(true);
    expect(await page.getByTestId('solution').first().innerText()).toContain('No steps stored for this solution.');
    expect(await page.getByTestId('heatmap').count()).toBe(0);

    const bad = ws.wb.store.problems.listInDataset(datasetId, { search: 'latex-bad' }).items[0];
    await page.goto(`http://127.0.0.1:${host.port}/#/problems/${ws.dataset}/problem/${bad.id}`);
    await expect.poll(() => page.getByTestId('question').locator('.math-error').innerText()).toBe('\\(\\frac{1}{\\)');
    expect(await page.getByTestId('question').innerText()).toContain('stays as written.');

    // an image problem with its solutions, for the screenshot
    const withImage = ws.wb.store.problems.listInDataset(datasetId, { hasImage: true, solved: 'solved' }).items[0] ?? ws.wb.store.problems.listInDataset(datasetId, { hasImage: true }).items[0];
    await page.goto(`http://127.0.0.1:${host.port}/#/problems/${ws.dataset}/problem/${withImage.id}`);
    const img = page.locator('.problem-images img').first();
    await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('solution').count()).toBe(4);
    // every step shows its PRM score, and its MC value where the search explored the same prefix
    const scored = (await ws.wb.handlers['solutions.forProblem']({ problemId: withImage.id })) as { steps: unknown[]; mc?: (number | null)[] }[];
    const steps = scored.reduce((n, s) => n + s.steps.length, 0);
    expect(steps).toBeGreaterThan(0);
    expect(await page.getByTestId('solution').locator('li .score-chip', { hasText: /^PRM [01]\.\d{3}$/ }).count()).toBe(steps);
    const mcValues = scored.reduce((n, s) => n + (s.mc ?? []).filter((v) => v !== null).length, 0);
    expect(await page.getByTestId('solution').locator('li .score-chip', { hasText: /^MC [01]\.\d{3}$/ }).count()).toBe(mcValues);
    expect(await page.getByTestId('heatmap').locator('tbody tr').count()).toBe(4);
    await page.screenshot({ path: join(screenshots, 'problem.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('names a missing image inline and keeps the rest of the problem working', async () => {
    const { page, errors } = session;
    const problem = ws.wb.store.problems.listInDataset(datasetId, { hasImage: true }).items.at(-1)!;
    const image = problem.images[0];
    rmSync(imagePath(ws.wb.store.paths.imagesDir, image));
    await page.goto(`http://127.0.0.1:${host.port}/#/problems/${ws.dataset}/problem/${problem.id}`);
    const note = page.getByTestId('image-missing');
    await expect.poll(() => note.count()).toBe(1);
    expect(await note.innerText()).toContain(image.hash);
    expect(await note.innerText()).toMatch(/is missing[\s\S]*Re-import the file this problem came from/);
    expect(await page.getByTestId('question').innerText()).toBe(problem.question);
    await expect.poll(() => page.getByTestId('solution').count()).toBe(ws.wb.store.solutions.forProblem(problem.id).length);
    await page.screenshot({ path: join(screenshots, 'problem-missing-image.png'), fullPage: true });
    // the view asked the host which files are gone, so the browser never requested the missing one
    expect(errors).toEqual([]);
  });

  it('draws the dataset heatmap, toggles PRM / MC, sorts, and opens a cell as a step in context', async () => {
    const { page, errors } = session;
    await page.goto(`http://127.0.0.1:${host.port}/#/problems/${ws.dataset}`);
    await page.getByRole('button', { name: 'Dataset heatmap' }).click();
    expect(page.url()).toMatch(new RegExp(`#/problems/${ws.dataset}/heatmap$`));
    const canvas = page.getByTestId('dataset-heatmap-canvas');
    await expect.poll(() => canvas.getAttribute('data-rows')).toBe('8');
    const api = await ws.wb.handlers['heatmap.dataset']({ dataset: ws.dataset, source: 'prm', pick: 'best', limit: 5000 });
    expect(await canvas.getAttribute('data-order')).toBe(api.rows.map((r) => r.problemId).join(','));
    expect(await page.getByTestId('heatmap-explain').innerText()).toContain('the solution tiny-prm@1 scores highest by its minimum step score');

    // sort by min score, lowest first
    await page.getByLabel('Sort rows by').selectOption('min');
    const byMin = [...api.rows].map((r) => ({ id: r.problemId, m: Math.min(...r.scores.filter((v): v is number => v !== null)) })).sort((a, b) => a.m - b.m);
    await expect.poll(() => canvas.getAttribute('data-order')).toBe(byMin.map((r) => r.id).join(','));
    await page.getByLabel('Sort rows by').selectOption('verdict');
    const rank = { correct: 0, incorrect: 1, unparseable: 2 } as Record<string, number>;
    await expect.poll(async () => {
      const order = (await canvas.getAttribute('data-order'))!.split(',').map(Number);
      const ranks = order.map((id) => rank[api.rows.find((r) => r.problemId === id)!.verdict ?? ''] ?? 3);
      return ranks.every((r, i) => i === 0 || ranks[i - 1] <= r);
    }).toBe(true);

    // readable at a glance: rows of at least 12 px with their ids, a step axis, the cells filling the panel
    const panel = (await page.getByTestId('heatmap-scroll').boundingBox())!;
    const drawnBox = (await canvas.boundingBox())!;
    expect(Number(await canvas.getAttribute('data-row-height'))).toBeGreaterThanOrEqual(12);
    expect(drawnBox.height / api.rows.length).toBeGreaterThanOrEqual(12);
    expect(drawnBox.width).toBeGreaterThanOrEqual(panel.width * 0.95 - 20);
    const maxSteps = Math.max(...api.rows.map((r) => r.scores.length));
    expect(await page.getByTestId('heatmap-axis').innerText()).toMatch(new RegExp(`problem \\\\ step[\\s\\S]*1[\\s\\S]*${maxSteps}`));
    // zoom: taller rows
    await page.getByLabel('Row height').fill('30');
    await expect.poll(() => canvas.getAttribute('data-row-height')).toBe('30');
    await page.getByLabel('Row height').fill('18');

    // MC: a searched problem reads its search-labelled path (never blank); the others their solution matched against the trees
    await page.getByRole('group', { name: 'Colour by' }).getByRole('button', { name: 'MC value' }).click();
    await expect.poll(() => canvas.getAttribute('aria-label')).toMatch(/coloured by MC value$/);
    const mc = await ws.wb.handlers['heatmap.dataset']({ dataset: ws.dataset, source: 'mc', pick: 'best', limit: 5000 });
    const searched = new Set(ws.wb.store.trees.listSearches().items.map((x) => x.problemId));
    const fromSearch = mc.rows.filter((r) => r.searchId !== undefined);
    expect(new Set(fromSearch.map((r) => r.problemId))).toEqual(new Set([...searched].filter((id) => ws.wb.store.annotations.forSearch(ws.wb.store.trees.listSearches({ problemId: id }).items[0].id).length > 0)));
    expect(fromSearch.length).toBeGreaterThan(0);
    for (const r of fromSearch) expect(r.scores.every((v) => v !== null)).toBe(true);
    expect(mc.fromSearches).toBe(fromSearch.length);
    // the mode's label changes at the click, the rows when their data is in: wait for the explanation's count
    await expect.poll(() => page.getByTestId('heatmap-explain').innerText()).toContain(`${fromSearch.length} rows come from searches`);
    await page.screenshot({ path: join(screenshots, 'dataset-heatmap-mc.png') });
    await page.getByRole('group', { name: 'Colour by' }).getByRole('button', { name: 'PRM score' }).click();
    await expect.poll(() => canvas.getAttribute('aria-label')).toMatch(/coloured by PRM score \(tiny-prm@1\)$/);
    await page.getByLabel('Sort rows by').selectOption('dataset');
    await expect.poll(() => canvas.getAttribute('data-order')).toBe(api.rows.map((r) => r.problemId).join(','));

    // hover the second step of the first row: the tip names the problem, step, exact value and text
    const box = (await canvas.boundingBox())!;
    // the layout: 150 px of labels, an 8 px verdict strip and 4 px of space, then equal step columns, 18 px rows
    const steps = Math.max(...api.rows.map((r) => r.scores.length));
    const cell = (box.width - 162) / steps;
    const x = 162 + cell * 1.5;
    const y = 18 / 2;
    await page.mouse.move(box.x + x, box.y + y);
    const tip = page.getByTestId('heatmap-tip');
    const row = api.rows[0];
    const sol = ws.wb.store.solutions.get(row.solutionId!);
    await expect.poll(() => tip.innerText()).toContain(sol.steps[1].text.slice(0, 40));
    expect(await tip.innerText()).toContain(`${row.extId} · step 2 of ${row.scores.length}`);
    expect(await tip.innerText()).toContain(`PRM ${row.scores[1]!.toFixed(4)}`);
    await page.screenshot({ path: join(screenshots, 'dataset-heatmap.png'), fullPage: true });

    await page.mouse.click(box.x + x, box.y + y);
    await expect.poll(() => page.url()).toMatch(new RegExp(`#/problems/${ws.dataset}/id/${encodeURIComponent(row.extId)}/${row.solutionId}/1$`));
    const current = page.locator('.solution-card.current');
    await expect.poll(() => current.count()).toBe(1);
    expect(await current.getAttribute('data-solution-id')).toBe(String(row.solutionId));
    expect(await current.locator('li.current').getAttribute('data-step')).toBe('1');
    expect(await page.locator('table.heat td.cell.here').count()).toBe(1);
    await page.screenshot({ path: join(screenshots, 'problem-step.png'), fullPage: false });
    expect(errors).toEqual([]);
  });
});
