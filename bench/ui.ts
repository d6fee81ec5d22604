// The tree explorer in Chromium on a 10,000-node search tree: time from opening the search to the first
// drawn frame (API call, layout, canvas), and frames per second while dragging the tree. Against the
// goals the UI issue sets (< 200 ms, >= 30 fps); there is no second implementation to compare with.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ensureRendererBuilt, rendererDir } from '../test/helpers/renderer';
import { startHost } from '../src-main/server';
import { batchRef, type NewNode } from '../src-main/core/store/trees';
import { openWorkbench } from '../src-main/core/workbench';
import { createRng } from '../src-main/core/rng';
import { fmt, median } from './util';
import { measureScript } from './scaleUi';

const ROOT = join(import.meta.dirname, '..');

/** Drags the tree for 2 s, one pointer move per animation frame (each redraws the whole tree); frames per second. */
const DRAG_FOR_TWO_SECONDS = `(async () => {
  const c = document.querySelector('canvas[data-testid="tree-canvas"]');
  const b = c.getBoundingClientRect();
  const at = (x) => ({ bubbles: true, clientX: b.left + x, clientY: b.top + 200, buttons: 1 });
  c.dispatchEvent(new MouseEvent('mousedown', at(100)));
  let frames = 0;
  const start = performance.now();
  await new Promise((res) => {
    const step = () => {
      frames++;
      c.dispatchEvent(new MouseEvent('mousemove', at(100 + (frames % 200))));
      if (performance.now() - start < 2000) requestAnimationFrame(step);
      else res();
    };
    requestAnimationFrame(step);
  });
  c.dispatchEvent(new MouseEvent('mouseup', at(100)));
  return frames / ((performance.now() - start) / 1000);
})()`;

export async function benchUi(opts: { nodes?: number; repeats?: number } = {}): Promise<string[]> {
  const N = opts.nodes ?? 10_000;
  const repeats = opts.repeats ?? 3;
  if (!existsSync('/usr/bin/chromium')) return ['tree explorer: skipped (no /usr/bin/chromium; apt-get install -y chromium)'];
  ensureRendererBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'steplab-bench-ui-'));
  const wb = openWorkbench(join(dir, 'ws'), { create: true });
  // a bushy tree like a long OmegaPRM run: branching 2-6, MC values and visits varied
  const p = wb.store.problems.upsert({ question: 'bench', answer: '1', answerType: 'number', source: 'bench', tags: [], imageHashes: [], meta: {} });
  const searchId = wb.store.trees.createSearch({ problemId: p.id, modelId: null, algorithm: 'omegaprm', config: {}, seed: 0 });
  const rng = createRng(7);
  const nodes: NewNode[] = [{ parent: null, depth: 0, stepText: '', visits: 50, mc: 0.5 }];
  const depth = [0];
  for (let i = 1; i < N; i++) {
    const parent = Math.floor(rng.next() * Math.min(i, Math.max(1, i / 3)));
    depth.push(depth[parent] + 1);
    nodes.push({ parent: batchRef(parent), depth: depth[parent] + 1, stepText: `${i} + 1 = ${i + 1}`, visits: Math.floor(rng.next() * 20), mc: rng.next(), firstError: rng.next() < 0.05 });
  }
  wb.store.trees.insertNodes(searchId, nodes);
  wb.store.trees.finishSearch(searchId, 'done', { nodes: N });
  const host = await startHost({ workbench: wb, rendererDir });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(host.url);
    const firstRender: number[] = [];
    const driver: number[] = [];
    const fps: number[] = [];
    for (let r = 0; r < repeats; r++) {
      await page.goto(`http://127.0.0.1:${host.port}/#/datasets`);
      await page.reload();
      await page.getByRole('button', { name: 'Searches', exact: true }).waitFor();
      // measured in the page, as bench/scaleUi.ts measures: from the click (dispatched in the page) to the
      // frame after the tree's canvas is in the DOM; the driver's wall time around the same call beside it
      const t0 = performance.now();
      firstRender.push(
        await page.evaluate<number>(
          measureScript(
            `[...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Searches').click()`,
            `document.querySelector('canvas[aria-label="Search tree, ${N} nodes"]') !== null`,
          ),
        ),
      );
      driver.push(performance.now() - t0);
      // drag for 2 s: one pointer move per animation frame, each one redrawing the whole tree
      // (a string, so that the bundler's helpers for named functions do not travel into the page)
      fps.push(await page.evaluate<number>(DRAG_FOR_TWO_SECONDS));
    }
    return [
      `tree explorer, ${fmt(N)}-node tree in Chromium: first render ${fmt(median(firstRender))} ms in the page, ${fmt(median(driver))} ms as the driver sees it (goal < 200 ms; API call + layout + canvas), panning ${fmt(median(fps), 1)} fps (goal >= 30)`,
    ];
  } finally {
    await browser.close();
    await host.close();
    wb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
