// The accuracy-vs-N chart of a Best-of-N evaluation, as an SVG drawn by Vega-Lite (headless, no canvas).
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { BonMethod, BonRow } from './metrics';

/** Methods drawn by default: the baselines, the oracle, and the PRM rules. */
const DEFAULT_METHODS: BonMethod[] = ['random', 'greedy', 'majority', 'prm_mean_odds', 'prm_min', 'prm_last', 'prm_mean', 'prm_product', 'prm_weighted_vote', 'pass_at_n'];

export async function accuracyChartSvg(byN: Record<string, BonRow>, opts: { title: string; chosen?: string; methods?: readonly BonMethod[] }): Promise<string> {
  const methods = opts.methods ?? DEFAULT_METHODS;
  const values = Object.entries(byN).flatMap(([n, row]) =>
    methods.map((m) => ({ n: Number(n), method: m === opts.chosen ? `${m} (chosen)` : m, accuracy: 100 * row[m], kind: m.startsWith('prm_') ? 'PRM' : m === 'pass_at_n' ? 'oracle' : 'baseline' })),
  );
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: opts.title,
    width: 520,
    height: 320,
    background: 'white',
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'n', type: 'quantitative', title: 'N (candidates per problem)', scale: { type: 'log', base: 2 }, axis: { values: [...new Set(values.map((v) => v.n))] } },
      y: { field: 'accuracy', type: 'quantitative', title: 'accuracy (%)', scale: { zero: false } },
      color: { field: 'method', type: 'nominal', title: 'method', legend: { labelLimit: 300 } },
      strokeDash: { field: 'kind', type: 'nominal', title: 'kind', scale: { domain: ['PRM', 'baseline', 'oracle'], range: [[1, 0], [6, 3], [2, 2]] } },
    },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
