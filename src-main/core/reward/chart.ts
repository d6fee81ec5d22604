// The accuracy-vs-N chart of a Best-of-N evaluation, as an SVG drawn by Vega-Lite (headless, no canvas):
// every method of the accuracy table (none left out), PRM rules solid, baselines dashed, the oracle
// dotted, and legends that show those line styles; light or dark to match the UI's theme.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { BON_METHODS, type BonMethod, type BonRow } from './metrics';

/** Colours and background per theme (the UI's surface and text colours). */
const THEMES = {
  light: { background: 'white', text: '#1b1f24', muted: '#5f6b7a', grid: '#e3e7ed' },
  dark: { background: '#1c2026', text: '#e4e8ee', muted: '#95a0ad', grid: '#323942' },
} as const;

/** The line style of each kind of method, shared by the lines and the legend. */
const DASHES: Record<'PRM' | 'baseline' | 'oracle', number[]> = { PRM: [1, 0], baseline: [6, 3], oracle: [2, 2] };

export async function accuracyChartSvg(
  byN: Record<string, BonRow>,
  opts: { title: string; chosen?: string; methods?: readonly BonMethod[]; theme?: 'light' | 'dark' },
): Promise<string> {
  // every method the table has, in the table's order
  const first = Object.values(byN)[0] ?? {};
  const methods = opts.methods ?? BON_METHODS.filter((m) => m in first);
  const t = THEMES[opts.theme ?? 'light'];
  const label = (m: BonMethod): string => (m === opts.chosen ? `${m} (chosen)` : m);
  const labels = methods.map(label);
  const kindOf = (l: string): keyof typeof DASHES => (l.startsWith('prm_') ? 'PRM' : l === 'pass_at_n' ? 'oracle' : 'baseline');
  const values = Object.entries(byN).flatMap(([n, row]) => methods.map((m) => ({ n: Number(n), method: label(m), accuracy: 100 * row[m] })));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: opts.title, subtitle: 'PRM rules solid, baselines dashed, the pass@N oracle dotted' },
    width: 520,
    height: 320,
    background: t.background,
    config: {
      title: { color: t.text, subtitleColor: t.muted },
      axis: { labelColor: t.muted, titleColor: t.text, gridColor: t.grid, domainColor: t.muted, tickColor: t.muted },
      legend: { labelColor: t.text, titleColor: t.text },
      view: { stroke: t.grid },
    },
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'n', type: 'quantitative', title: 'N (candidates per problem)', scale: { type: 'log', base: 2 }, axis: { values: [...new Set(values.map((v) => v.n))] } },
      y: { field: 'accuracy', type: 'quantitative', title: 'accuracy (%)', scale: { zero: false } },
      // 12 methods: a 20-colour scheme, so no two lines share a colour
      color: { field: 'method', type: 'nominal', title: 'method', scale: { scheme: 'tableau20', domain: labels }, legend: { labelLimit: 300, symbolType: 'stroke', symbolStrokeWidth: 2.5, symbolSize: 300 } },
      // the dash follows the method's kind; on the same field as the colour, so one legend shows both
      strokeDash: { field: 'method', type: 'nominal', title: 'method', scale: { domain: labels, range: labels.map((l) => DASHES[kindOf(l)]) } },
    },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
