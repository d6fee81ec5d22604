// The helpers of bench/scaleUi.ts (the workbench at MM-PRM scale): the report line against a goal, the
// scale workspace's cache key, and the page-side measurement script, run here in a VM with a stand-in DOM
// (a mutation, then the frame after it). No timing is asserted: speed is measured by `npm run bench`.
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { goalLine, measureScript } from '../bench/scaleUi';
import { scaleCacheKey } from '../bench/scaleWorkspace';

describe('bench/scaleUi helpers', () => {
  it('says pass or FAIL against the goal', () => {
    expect(goalLine('open its tree', 228.4, 150, 'median of 5')).toBe('open its tree: 228 ms  (goal < 150 ms: FAIL); median of 5');
    expect(goalLine('switch to Jobs', 18, 150)).toBe('switch to Jobs: 18 ms  (goal < 150 ms: pass)');
  });

  it('keys the cached workspace by the generator parameters and source', () => {
    const a = scaleCacheKey({ trees: 10_000, seed: 2505, images: 100 }, 'src');
    expect(a).toMatch(/^steplab-bench-scale-10000t-2505s-100i-[0-9a-f]{12}$/);
    expect(scaleCacheKey({ trees: 10_000, seed: 2505, images: 100 }, 'src')).toBe(a);
    expect(scaleCacheKey({ trees: 10_000, seed: 2506, images: 100 }, 'src')).not.toBe(a);
    expect(scaleCacheKey({ trees: 10_000, seed: 2505, images: 100 }, 'src changed')).not.toBe(a);
  });

  it('measures from the action until the marker holds and a frame has passed', async () => {
    // a stand-in page: the action schedules a mutation; observers hear it; a frame follows
    const observers: (() => void)[] = [];
    const page = {
      drawn: false,
      frames: 0,
      performance: { now: () => Date.now() },
      document: { body: {} },
      MutationObserver: class {
        constructor(private readonly cb: () => void) {}
        observe() {
          observers.push(this.cb);
        }
        disconnect() {}
      },
      requestAnimationFrame: (f: () => void) => setTimeout(() => (page.frames++, f()), 1),
      setTimeout,
      clearTimeout,
      draw: () => setTimeout(() => ((page.drawn = true), observers.forEach((o) => o())), 5),
    };
    const ms = await runInNewContext(measureScript('draw()', 'drawn'), page);
    expect(page.drawn).toBe(true);
    expect(page.frames).toBe(1);
    expect(ms).toBeGreaterThanOrEqual(0);
    // a marker that never holds is named when it times out
    await expect(runInNewContext(measureScript('void 0', 'never', 20), { ...page, never: false })).rejects.toThrow(/not drawn in 20 ms: never/);
  });
});
