// Pure parts of the dataset heatmap and the problem view: colour scale, row sorting, canvas layout and
// hit testing, the route to a step in context, and splitting text into KaTeX math runs.
import { describe, expect, it } from 'vitest';
import { colourOf, colourWord, legendGradient, NO_VALUE, packRgba } from '../src-renderer/heatmap/scale';
import { rasterize } from '../src-renderer/heatmap/raster';
import { aggregateRow, sortRows, type HeatRow } from '../src-renderer/heatmap/sort';
import { cellX, heatLayout, hitTest, MIN_ROW } from '../src-renderer/heatmap/layout';
import { renderTex } from '../src-renderer/math/render';
import { splitMath } from '../src-renderer/math/segments';
import { formatHash, parseHash, type Route } from '../src-renderer/store/route';

const row = (problemId: number, verdict: HeatRow['verdict'], scores: (number | null)[]): HeatRow => ({ problemId, extId: `p${problemId}`, solutionId: problemId * 10, verdict, scores });

describe('colour scale', () => {
  it('runs red to green, clamps, and greys missing values', () => {
    expect(colourOf(0)).toBe('#a50026');
    expect(colourOf(1)).toBe('#006837');
    expect(colourOf(-3)).toBe(colourOf(0));
    expect(colourOf(7)).toBe(colourOf(1));
    expect(colourOf(null)).toBe(NO_VALUE);
    expect(colourOf(Number.NaN)).toBe(NO_VALUE);
    // monotone in the green channel from the middle up
    const g = (c: string) => parseInt(c.slice(3, 5), 16);
    expect(g(colourOf(0.2))).toBeLessThan(g(colourOf(0.5)));
    expect(legendGradient(3)).toBe(`linear-gradient(to right, ${colourOf(0)}, ${colourOf(0.5)}, ${colourOf(1)})`);
  });
});

describe('raster of cells', () => {
  it('writes one RGBA word per cell in row order, transparent past a row end', () => {
    expect(packRgba('#a50026')).toBe(0xff2600a5);
    const px = rasterize([{ scores: [0, null, 1] }, { scores: [1] }], 3);
    expect([...px]).toEqual([colourWord(0), packRgba(NO_VALUE), colourWord(1), colourWord(1), 0, 0]);
    // the bytes a canvas reads: r, g, b, a
    expect([...new Uint8Array(px.buffer, 0, 4)]).toEqual([0xa5, 0x00, 0x26, 0xff]);
  });
});

describe('sorting rows', () => {
  const rows = [row(1, 'correct', [0.9, 0.1]), row(2, 'incorrect', [0.5, 0.6]), row(3, null, [null, null]), row(4, 'unparseable', [0.3]), row(5, 'correct', [0.2, null, 0.8])];
  it('aggregates over the values that are there', () => {
    expect(aggregateRow([0.9, 0.1], 'min')).toBe(0.1);
    expect(aggregateRow([0.2, null, 0.8], 'mean')).toBeCloseTo(0.5);
    expect(aggregateRow([null], 'mean')).toBeNull();
  });
  it('sorts by min and mean either way, rows with no value last', () => {
    expect(sortRows(rows, 'min').map((r) => r.problemId)).toEqual([1, 5, 4, 2, 3]);
    expect(sortRows(rows, 'min', 'desc').map((r) => r.problemId)).toEqual([2, 4, 5, 1, 3]);
    expect(sortRows(rows, 'mean').map((r) => r.problemId)).toEqual([4, 1, 5, 2, 3]);
  });
  it('sorts by verdict with ties in dataset order, and back to dataset order', () => {
    expect(sortRows(rows, 'verdict').map((r) => r.problemId)).toEqual([1, 5, 2, 4, 3]);
    expect(sortRows(rows, 'verdict', 'desc').map((r) => r.problemId)).toEqual([3, 4, 2, 1, 5]);
    expect(sortRows(rows, 'dataset').map((r) => r.problemId)).toEqual([1, 2, 3, 4, 5]);
    expect(sortRows(rows, 'dataset', 'desc').map((r) => r.problemId)).toEqual([5, 4, 3, 2, 1]);
    expect(rows.map((r) => r.problemId)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('layout and hit testing', () => {
  it('keeps rows at least 12 px with their labels (a big dataset scrolls), zooms, and shares the width among the steps', () => {
    const big = heatLayout(1000, 20, { availableWidth: 1200, rowHeight: 4 });
    expect(MIN_ROW).toBe(12);
    expect(big.rowHeight).toBe(12);
    expect(big.labels).toBe(true);
    expect(big.height).toBe(12_000);
    const small = heatLayout(10, 5, { availableWidth: 1200 });
    expect(small.rowHeight).toBe(18);
    expect(heatLayout(10, 5, { availableWidth: 1200, rowHeight: 30 }).rowHeight).toBe(30);
    // the columns fill the panel: within one step's rounding of the width
    expect(small.width).toBeLessThanOrEqual(1200);
    expect(small.width).toBeGreaterThan(1200 - 5);
    expect(heatLayout(10, 2, { availableWidth: 1200 }).width).toBeGreaterThan(1200 - 2);
    // past what fits, the columns keep a readable width (the panel scrolls sideways)
    expect(heatLayout(10, 400, { availableWidth: 1200 }).cellWidth).toBe(8);
  });
  it('maps a point to its row and step, and nothing off the cells or past a row end', () => {
    const l = heatLayout(10, 5, { availableWidth: 1200 });
    const steps = (r: number) => (r === 3 ? 2 : 5);
    expect(hitTest(l, cellX(l, 0) + 1, 1, steps)).toEqual({ row: 0, step: 0 });
    expect(hitTest(l, cellX(l, 4) + l.cellWidth - 1, l.rowHeight * 9 + 1, steps)).toEqual({ row: 9, step: 4 });
    expect(hitTest(l, cellX(l, 2) + 1, l.rowHeight * 3 + 1, steps)).toBeNull();
    expect(hitTest(l, cellX(l, 1) + 1, l.rowHeight * 3 + 1, steps)).toEqual({ row: 3, step: 1 });
    expect(hitTest(l, cellX(l, 0) - 1, 1, steps)).toBeNull();
    expect(hitTest(l, cellX(l, 0) + 1, l.rowHeight * 10, steps)).toBeNull();
    expect(hitTest(l, cellX(l, 0) + 1, -1, steps)).toBeNull();
  });
});

describe('route to a step in context', () => {
  it('round-trips the heatmap and a problem with a solution step, inside a dataset or not', () => {
    const routes: Route[] = [
      { view: 'problems', dataset: 'mm k12/train', focus: { kind: 'heatmap' } },
      { view: 'problems', dataset: 'demo', focus: { kind: 'problem', id: 12 } },
      { view: 'problems', dataset: 'demo', focus: { kind: 'problem', id: 12, solution: 40, step: 3 } },
      { view: 'problems', dataset: null, focus: { kind: 'problem', id: 7, solution: 1, step: 0 } },
    ];
    for (const r of routes) expect(parseHash(formatHash(r))).toEqual(r);
    expect(formatHash(routes[2])).toBe('#/problems/demo/problem/12/40/3');
    expect(formatHash(routes[3])).toBe('#/problem/7/1/0');
    // an unknown tail keeps the old reading: all of it is the dataset name
    expect(parseHash('#/problems/a/b')).toEqual({ view: 'problems', dataset: 'a/b' });
    expect(parseHash('#/problems/demo/problem/x')).toEqual({ view: 'problems', dataset: 'demo/problem/x' });
    expect(parseHash('#/jobs/demo/heatmap')).toEqual({ view: 'jobs', dataset: null });
    expect(formatHash({ view: 'jobs', dataset: 'demo', focus: { kind: 'heatmap' } })).toBe('#/jobs');
  });
});

describe('math in questions', () => {
  it('finds \\( \\), \\[ \\], $…$ and $$…$$ and leaves prices and unclosed openers as text', () => {
    expect(splitMath('Area \\(\\frac{a}{b}\\) and \\[x^2\\]')).toEqual([
      { kind: 'text', text: 'Area ' },
      { kind: 'math', tex: '\\frac{a}{b}', display: false, raw: '\\(\\frac{a}{b}\\)' },
      { kind: 'text', text: ' and ' },
      { kind: 'math', tex: 'x^2', display: true, raw: '\\[x^2\\]' },
    ]);
    expect(splitMath('$$a+b$$ then $c$.')).toEqual([
      { kind: 'math', tex: 'a+b', display: true, raw: '$$a+b$$' },
      { kind: 'text', text: ' then ' },
      { kind: 'math', tex: 'c', display: false, raw: '$c$' },
      { kind: 'text', text: '.' },
    ]);
    expect(splitMath('It costs $5 and $6 now')).toEqual([{ kind: 'text', text: 'It costs $5 and $6 now' }]);
    expect(splitMath('open \\( never closed')).toEqual([{ kind: 'text', text: 'open \\( never closed' }]);
    expect(splitMath('a \\$ sign')).toEqual([{ kind: 'text', text: 'a $ sign' }]);
  });
  it('renders with KaTeX and gives null (shown raw) for what KaTeX cannot parse', () => {
    expect(renderTex('\\frac{1}{2}', false)).toContain('class="katex"');
    expect(renderTex('\\frac{1}{', false)).toBeNull();
    expect(renderTex('\\notacommand', true)).toBeNull();
  });
});
