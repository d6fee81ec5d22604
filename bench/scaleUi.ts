// The workbench at MM-PRM's scale, as a researcher uses it (issue "The workbench as a researcher uses it",
// item 12): bench/labelTrees.ts's 10,000 trees imported with import-labels (bench/scaleWorkspace.ts, cached
// under os.tmpdir()), then
//   - the workspace open (folder check + store open with its open-time damage check), against 2 s;
//   - in Chromium, measured IN THE PAGE (performance.now() from the action to the frame after its data is
//     in the DOM: a MutationObserver on the view's marker, then requestAnimationFrame and a task, so the
//     frame is painted), with the test driver's wall time beside it: switching views, opening a problem by
//     its route, opening its tree by #/searches/<id>, filtering the disagreement queue; medians of 5,
//     against 150 ms;
//   - how many rows each list view puts in the DOM with 10,000 items (problems and searches from the scale
//     workspace; datasets, jobs and evaluations from a second, synthetic workspace with 10,000 of each).
// The scale workspace has no PRM scores (import-labels stores MC, not a PRM's), so the queue is measured on
// a copy of it with a synthetic PRM ("bench-prm", seeded) scoring every tree node.
//
//   node bin/run-ts.js bench/scaleUi.ts [--trees N]
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { ensureRendererBuilt, rendererDir } from '../test/helpers/renderer';
import { createRng } from '../src-main/core/rng';
import { checkWorkspaceFolder, openWorkbench, type Workbench } from '../src-main/core/workbench';
import { startHost } from '../src-main/server';
import { scaleWorkspace } from './scaleWorkspace';
import { fmt, median } from './util';

const OPEN_GOAL_MS = 2000;
const ACTION_GOAL_MS = 150;

/** A line in the style of util.report's, for a time against an upper goal: value, goal, pass or fail. */
export function goalLine(name: string, ms: number, goalMs: number, extra = ''): string {
  return `${name}: ${fmt(ms)} ms  (goal < ${fmt(goalMs)} ms: ${ms < goalMs ? 'pass' : 'FAIL'})${extra ? `; ${extra}` : ''}`;
}

/**
 * The page-side measurement: runs `action` (a statement), then waits until `done` (an expression) holds,
 * checked on every DOM mutation, then for the next frame and a task after it (the frame with the data
 * painted); the time from before the action, in ms. Built as one string: the renderer's CSP forbids eval
 * inside the page, and the bundler's helpers must not travel into it.
 */
export function measureScript(action: string, done: string, timeoutMs = 60_000): string {
  return `(async () => {
  const done = () => { try { return Boolean(${done}); } catch { return false; } };
  const t0 = performance.now();
  ${action};
  await new Promise((res, rej) => {
    if (done()) return res();
    const mo = new MutationObserver(() => { if (done()) { mo.disconnect(); clearTimeout(t); res(); } });
    mo.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    const t = setTimeout(() => { mo.disconnect(); rej(new Error('not drawn in ${timeoutMs} ms: ' + ${JSON.stringify(done)})); }, ${timeoutMs});
  });
  await new Promise((res) => requestAnimationFrame(() => setTimeout(res, 0)));
  return performance.now() - t0;
})()`;
}

/** Runs one measured action: the in-page time and the driver's wall time around the same evaluate. */
async function measure(page: Page, action: string, done: string): Promise<{ page: number; driver: number }> {
  const t0 = performance.now();
  const inPage = await page.evaluate<number>(measureScript(action, done));
  return { page: inPage, driver: performance.now() - t0 };
}

/** Waits until `done` holds in the page and the frame after it is painted (no eval in the page: CSP). */
async function waitDrawn(page: Page, done: string): Promise<void> {
  await page.evaluate<number>(measureScript('void 0', done));
}

const q = (s: string): string => JSON.stringify(s);
const clickView = (label: string): string => `[...document.querySelectorAll('nav[aria-label="Views"] button')].find((b) => b.textContent.trim().startsWith(${q(label)})).click()`;
const rows = (sel: string): string => `document.querySelectorAll(${q(sel)}).length`;

/** What each view draws once its data is in: the view's marker (an expression). */
const VIEW_DRAWN: Record<string, string> = {
  // both its tables: the datasets, and the annotation sets (a count over every labelled path)
  Datasets: `${rows('[data-testid="datasets-table"] tbody tr')} > 0 && document.querySelector('[data-testid="annotation-sets-table"]') !== null`,
  Problems: `${rows('[data-testid="problems-table"] tbody tr[aria-rowindex]:not(.loading-row)')} > 0`,
  Searches: `document.querySelector('canvas[aria-label^="Search tree, "]') !== null`,
  Evaluations: `document.querySelector('section[aria-labelledby="evaluations-title"] .empty, ul[aria-label="Evaluations"] li') !== null`,
  Models: `document.querySelector('[data-testid="models-table"] tbody tr, section[aria-labelledby="models-title"] .empty') !== null`,
  Jobs: `${rows('[data-testid="jobs-table"] tbody tr')} > 0`,
};

/** The list views' rows in the DOM (each: how to count them, and what the view's own count says). */
const LIST_ROWS: Record<string, { route: string; rows: string; drawn: string }> = {
  problems: { route: '#/problems/k12', rows: rows('[data-testid="problems-table"] tbody tr[aria-rowindex]'), drawn: VIEW_DRAWN.Problems },
  searches: { route: '#/searches', rows: rows('select[aria-label="Search"] option'), drawn: VIEW_DRAWN.Searches },
  datasets: { route: '#/datasets', rows: rows('[data-testid="datasets-table"] tbody tr'), drawn: `${rows('[data-testid="datasets-table"] tbody tr')} > 0` },
  jobs: { route: '#/jobs', rows: rows('[data-testid="jobs-table"] tbody tr'), drawn: VIEW_DRAWN.Jobs },
  evaluations: { route: '#/evaluations', rows: rows('ul[aria-label="Evaluations"] li'), drawn: `${rows('ul[aria-label="Evaluations"] li')} > 0` },
};

/** A copy of the scale workspace with a synthetic PRM scoring every tree node (seeded), cached beside it. */
async function scoredCopy(dir: string): Promise<string> {
  const base = dirname(dir);
  const out = join(base, 'ws-scored');
  const done = join(base, 'scored.json');
  if (existsSync(done)) return out;
  rmSync(out, { recursive: true, force: true });
  cpSync(dir, out, { recursive: true });
  const wb = openWorkbench(out);
  try {
    const { store } = wb;
    // a large file is checked in the background, read-only until it passes
    await store.integrity.require('all', 'scoring the bench copy');
    const prm = store.models.register({ name: 'bench-prm', role: 'prm', family: null, path: out, manifest: {} });
    const rng = createRng(12);
    // a PRM that mostly agrees with MC, off by up to ±0.5 (the gaps the queue sorts by)
    const nodes = store.db.prepare('SELECT id, mc FROM tree_nodes WHERE mc IS NOT NULL').all() as { id: number; mc: number }[];
    store.scores.setNodeScores(
      prm.id,
      nodes.map((n) => [n.id, Math.min(1, Math.max(0, n.mc + (rng.next() - 0.5)))] as const),
    );
    writeFileSync(done, JSON.stringify({ scored: nodes.length }));
  } finally {
    await wb.close();
  }
  return out;
}

/** A workspace with 10,000 datasets, 10,000 finished jobs and 10,000 evaluations (for the list views' rows). */
function listsWorkspace(dir: string, n: number): void {
  const wb = openWorkbench(dir, { create: true });
  const { store } = wb;
  store.transaction(() => {
    for (let i = 0; i < n; i++) {
      const ds = store.datasets.getOrCreate(`ds-${String(i).padStart(5, '0')}`);
      const job = store.jobs.create('export', { what: 'problems', dataset: `ds-${i}`, out: `/tmp/x-${i}.jsonl` });
      store.jobs.finish(job.id, 'done', { rows: 0 }, null);
      store.evaluations.create({ name: `eval ${i}`, datasetId: ds, policyId: null, rewardId: null, config: {}, jobId: null });
    }
  });
  void wb.close();
}

export async function benchScaleUi(opts: { trees?: number; repeats?: number; log?: (s: string) => void } = {}): Promise<string[]> {
  const repeats = opts.repeats ?? 5;
  const log = opts.log ?? (() => {});
  if (!existsSync('/usr/bin/chromium')) return ['workbench at scale: skipped (no /usr/bin/chromium; apt-get install -y chromium)'];
  const lines: string[] = [];
  const ws = await scaleWorkspace({ trees: opts.trees }, log);
  const im = ws.imported;
  lines.push(
    `workbench at scale: ${fmt(im.problems)} problems, ${fmt(im.searches)} searches, ${fmt(im.nodes)} tree nodes, ${fmt(im.labelled_steps)} labelled steps (bench/labelTrees.ts through import-labels; ${ws.built ? `built in ${fmt(ws.buildMs / 1000)} s` : 'cached'} at ${ws.dir})`,
  );

  // the open: the folder check the host's holder makes, then the store with its open-time damage check
  const opens: number[] = [];
  const checks: number[] = [];
  let background = false;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    checkWorkspaceFolder(ws.dir);
    const wb = openWorkbench(ws.dir);
    opens.push(performance.now() - t0);
    background = wb.store.integrity.checking;
    await wb.store.integrity.require('all', 'bench');
    checks.push(performance.now() - t0);
    await wb.close();
  }
  lines.push(
    goalLine(
      'workspace open (folder check + store open + open-time check)',
      median(opens),
      OPEN_GOAL_MS,
      background
        ? `the file is over the open check's size, so quick_check runs in a background thread: the workspace is read-only until it passes, ${fmt(median(checks))} ms after the open (median of 3)`
        : `quick_check in the open (median of 3)`,
    ),
  );

  ensureRendererBuilt();
  log('scale ui: PRM scores on a copy (cached)');
  const scored = await scoredCopy(ws.dir);
  const wb: Workbench = openWorkbench(scored);
  const host = await startHost({ workbench: wb, rendererDir });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  const tmp = mkdtempSync(join(tmpdir(), 'steplab-bench-lists-'));
  let open = true;
  const closeScale = async (): Promise<void> => {
    if (!open) return;
    open = false;
    await host.close();
    await wb.close();
  };
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const url = (hash: string): string => `http://127.0.0.1:${host.port}/${hash}`;
    // the host's URL carries the per-launch token the page keeps
    await page.goto(host.url);

    // the first view drawn after the page loads (the open as the researcher sees it)
    const firstView: number[] = [];
    for (let r = 0; r < 3; r++) {
      await page.goto(url('#/datasets'));
      await waitDrawn(page, VIEW_DRAWN.Datasets);
      firstView.push(await page.evaluate<number>('performance.now()'));
    }
    lines.push(goalLine('first view drawn after the page loads (Datasets, from navigation start)', median(firstView), OPEN_GOAL_MS, 'median of 3'));

    // switching views: the tab clicked in the page until the view's data is drawn
    const order = ['Datasets', 'Problems', 'Searches', 'Evaluations', 'Models', 'Jobs'];
    const switches: Record<string, { page: number; driver: number }[]> = Object.fromEntries(order.map((v) => [v, []]));
    // the Problems view keeps the dataset last chosen: choose k12 once (as a click on its row in Datasets does)
    await page.goto(url('#/problems/k12'));
    await waitDrawn(page, VIEW_DRAWN.Problems);
    await page.evaluate(`location.hash = '#/jobs'`);
    await waitDrawn(page, VIEW_DRAWN.Jobs);
    for (let r = 0; r < repeats; r++) {
      for (const v of order) switches[v].push(await measure(page, clickView(v), `document.querySelector('nav[aria-label="Views"] button[aria-current="page"]')?.textContent.startsWith(${q(v)}) && (${VIEW_DRAWN[v]})`));
    }
    for (const v of order) {
      const m = switches[v];
      lines.push(goalLine(`switch to ${v}`, median(m.map((x) => x.page)), ACTION_GOAL_MS, `in the page, median of ${repeats} (first ${fmt(m[0].page)} ms); the driver sees ${fmt(median(m.map((x) => x.driver)))} ms`));
    }

    // five problems across the dataset and their trees, each opened once by its route
    const picks = wb.store.db
      .prepare(
        `SELECT d.ext_id AS extId, s.id AS searchId FROM dataset_problems d JOIN searches s ON s.problem_id = d.problem_id
         WHERE d.ext_id IN (${Array.from({ length: repeats }, (_, i) => `'k12-${Math.floor(((i + 0.5) * im.problems) / repeats)}'`).join(',')}) ORDER BY s.id`,
      )
      .all() as { extId: string; searchId: number }[];
    const openProblem: { page: number; driver: number }[] = [];
    const openTree: { page: number; driver: number }[] = [];
    for (const p of picks) {
      await page.goto(url('#/datasets'));
      await waitDrawn(page, VIEW_DRAWN.Datasets);
      openProblem.push(
        await measure(page, `location.hash = ${q(`#/problems/k12/id/${encodeURIComponent(p.extId)}`)}`, `document.querySelector('#problem-title .mono')?.textContent === ${q(p.extId)} && document.querySelector('[data-testid="question"]') !== null && document.querySelector('[data-testid="problem-search"]') !== null`),
      );
      openTree.push(
        await measure(page, `location.hash = ${q(`#/searches/${p.searchId}`)}`, `document.querySelector('[data-testid="search-problem"]')?.textContent.includes(${q(p.extId)}) && document.querySelector('canvas[aria-label^="Search tree, "]') !== null`),
      );
    }
    lines.push(goalLine('open a problem by its route (#/problems/k12/id/<id>)', median(openProblem.map((x) => x.page)), ACTION_GOAL_MS, `in the page, median of ${openProblem.length}, from the Datasets view; the driver sees ${fmt(median(openProblem.map((x) => x.driver)))} ms`));
    lines.push(goalLine("open its tree (#/searches/<id>)", median(openTree.map((x) => x.page)), ACTION_GOAL_MS, `in the page, median of ${openTree.length}, from the problem's page; the driver sees ${fmt(median(openTree.map((x) => x.driver)))} ms`));

    // filtering the disagreement queue (bench-prm scores every node): the step-kind filter, changed in the page
    await page.goto(url(`#/searches/${picks[0].searchId}`));
    await waitDrawn(page, VIEW_DRAWN.Searches);
    await page.getByRole('tab', { name: 'Curation queues' }).click();
    const summary = `document.querySelector('[data-testid="disagreements"] summary')?.textContent ?? ''`;
    await waitDrawn(page, `(${summary}).includes('scored nodes')`);
    const scoredLine = await page.evaluate<string>(summary);
    const filter: { page: number; driver: number }[] = [];
    const kinds = ['all', 'answer', 'reasoning'];
    for (let r = 0; r < repeats; r++) {
      const before = await page.evaluate<string>(summary);
      const kind = kinds[r % kinds.length];
      filter.push(
        await measure(
          page,
          `const s = document.querySelector('select[aria-label="Step kind"]'); s.value = ${q(kind)}; s.dispatchEvent(new Event('change', { bubbles: true }))`,
          `(${summary}) !== ${q(before)} && (${summary}).includes('scored nodes')`,
        ),
      );
    }
    lines.push(
      goalLine('filter the disagreement queue (step kind)', median(filter.map((x) => x.page)), ACTION_GOAL_MS, `in the page, median of ${repeats} (${scoredLine.replace(/\s+/g, ' ').trim()}; a synthetic PRM on every node); the driver sees ${fmt(median(filter.map((x) => x.driver)))} ms`),
    );

    // rows in the DOM: problems and searches here, the rest in a workspace with 10,000 of each
    const counts: string[] = [];
    const countRows = async (name: string, total: number): Promise<void> => {
      const l = LIST_ROWS[name];
      await page.goto(url('#/models'));
      const t = await measure(page, `location.hash = ${q(l.route)}`, l.drawn);
      const n = await page.evaluate<number>(l.rows);
      counts.push(`${name} ${fmt(n)} of ${fmt(total)} in the DOM (${n < total ? 'bounded' : 'NOT bounded'}; drawn in ${fmt(t.page)} ms)`);
    };
    await countRows('problems', im.problems);
    await countRows('searches', im.searches);
    await closeScale();
    log('scale ui: the lists workspace (10,000 datasets, jobs, evaluations)');
    listsWorkspace(join(tmp, 'ws'), 10_000);
    const wb2 = openWorkbench(join(tmp, 'ws'));
    const host2 = await startHost({ workbench: wb2, rendererDir });
    try {
      const url2 = (hash: string): string => `http://127.0.0.1:${host2.port}/${hash}`;
      await page.goto(host2.url);
      for (const name of ['datasets', 'jobs', 'evaluations']) {
        const l = LIST_ROWS[name];
        await page.goto(url2('#/models'));
        await waitDrawn(page, VIEW_DRAWN.Models);
        const t = await measure(page, `location.hash = ${q(l.route)}`, l.drawn);
        const n = await page.evaluate<number>(l.rows);
        counts.push(`${name} ${fmt(n)} of 10,000 in the DOM (${n < 10_000 ? 'bounded' : 'NOT bounded'}; drawn in ${fmt(t.page)} ms)`);
      }
    } finally {
      await host2.close();
      await wb2.close();
    }
    lines.push(`list rows with 10,000 items: ${counts.join('; ')}`);
    return lines;
  } finally {
    await browser.close();
    await closeScale();
    rmSync(tmp, { recursive: true, force: true });
  }
}

// `node bin/run-ts.js bench/scaleUi.ts [--trees N]` runs this one alone
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--trees');
  for (const line of await benchScaleUi({ ...(i > 0 ? { trees: Number(process.argv[i + 1]) } : {}), log: (s) => console.error(s) })) console.log(line);
}
