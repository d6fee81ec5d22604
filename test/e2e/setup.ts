// Shared set-up for the browser tests: a built renderer, a workspace built by the real pipeline (import,
// search with the bundled policy, PRM scores), the headless host and Debian's chromium with every browser
// error collected. Each e2e file builds its own; STEPLAB_RENDERER_OUT points the build somewhere else
// (so that two builds never race on dist/renderer).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { registerModel } from '../../src-main/core/models/registry';
import { openWorkbench, type Workbench } from '../../src-main/core/workbench';
import { startHost, type Host } from '../../src-main/server';

export const root = join(import.meta.dirname, '..', '..');
export const screenshots = join(import.meta.dirname, '__screenshots__');
import { rendererDir } from '../helpers/renderer';

export { ensureRendererBuilt, rendererDir } from '../helpers/renderer';
const CHROMIUM = '/usr/bin/chromium';

export interface DemoWorkspace {
  tmp: string;
  wb: Workbench;
  /** the dataset the demo problems were imported into */
  dataset: string;
  /** the searches of the small OmegaPRM run, biggest tree first */
  searchIds: number[];
}

/**
 * A workspace built by the real pipeline: `count` demo problems (text only unless `images`) imported as
 * `dataset`, an OmegaPRM search of each with the bundled tiny policy, and the trees scored by tiny-prm.
 */
export async function demoWorkspace(opts: { count?: number; dataset?: string; images?: boolean; score?: boolean } = {}): Promise<DemoWorkspace> {
  const count = opts.count ?? 3;
  const dataset = opts.dataset ?? 'demo';
  const tmp = mkdtempSync(join(tmpdir(), 'steplab-e2e-'));
  mkdirSync(join(tmp, 'data'));
  const demoDir = join(root, 'models', 'demo-data');
  // image paths become absolute, so the copied file imports from the temp folder
  const lines = readFileSync(join(demoDir, 'problems.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l && (opts.images || !JSON.parse(l).image))
    .slice(0, count)
    .map((l) => {
      const row = JSON.parse(l) as { image?: string };
      return JSON.stringify(row);
    });
  const file = join(tmp, 'data', 'demo.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  const wb = openWorkbench(join(tmp, 'workspace'), { create: true });
  const imp = await wb.runner.wait(wb.runner.submit('import', { path: file, dataset, skipBad: false, imageRoot: demoDir }).id);
  if (imp.state !== 'done') throw new Error(`setup import ${imp.state}: ${imp.error}`);
  for (const m of ['tiny-policy', 'tiny-prm']) await registerModel(wb.store, join(root, 'models', m));
  const job = await wb.runner.wait(
    wb.runner.submit('search', {
      dataset,
      model: 'tiny-policy',
      algo: 'omega',
      limit: count,
      config: { maxSearchCount: 4, rolloutBudget: 48, rolloutsPerState: 8, lengthScale: 50 },
      annotationMode: 'all-paths',
    }).id,
  );
  if (job.state !== 'done') throw new Error(`setup search ${job.state}: ${job.error}`);
  const searchIds = [...(job.result as { searchIds: number[] }).searchIds].sort((a, b) => wb.store.trees.nodeCount(b) - wb.store.trees.nodeCount(a));
  if (opts.score !== false) {
    const scored = await wb.runner.wait(wb.runner.submit('score', { prm: 'tiny-prm', searches: searchIds }).id);
    if (scored.state !== 'done') throw new Error(`setup score ${scored.state}: ${scored.error}`);
  }
  return { tmp, wb, dataset, searchIds };
}

export interface BrowserSession {
  browser: Browser;
  page: Page;
  /** console errors, page errors, failed requests and HTTP errors seen so far; tests expect it empty */
  errors: string[];
  close(): Promise<void>;
}

/** Debian's chromium with one page whose errors (console, page, network, CSP) are collected. */
export async function openBrowser(viewport = { width: 1280, height: 800 }): Promise<BrowserSession> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`);
    });
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => errors.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  page.on('response', (res) => {
    if (res.status() >= 400) errors.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  return { browser, page, errors, close: () => browser.close() };
}

/** The headless host over `wb`, serving the renderer build this run made. */
export function serve(wb: Workbench): Promise<Host> {
  return startHost({ workbench: wb, rendererDir });
}

export { type Host, type Workbench };

/** Closes the workbench and removes its temp folder. */
export async function disposeWorkspace(ws: DemoWorkspace | undefined): Promise<void> {
  if (!ws) return;
  await ws.wb.close();
  rmSync(ws.tmp, { recursive: true, force: true });
}
