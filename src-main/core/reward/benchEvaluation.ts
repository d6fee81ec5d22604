// A stored bench-prm evaluation as the API shows it: its rows (prediction against label, on the steps
// with their gold labels and scores), its threshold sweep as an SVG chart (F1, error accuracy and correct
// accuracy against the threshold) and its table as CSV.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { BenchRowView } from '../../../src-shared/benchmarks';
import { storedBenchmark } from '../data/benchmarks/import';
import { UserError } from '../errors';
import type { BenchPrmMetrics } from '../jobs/kinds/benchPrm';
import type { Store } from '../store';
import type { EvaluationRecord } from '../store/evaluations';

export function isBenchEvaluation(ev: Pick<EvaluationRecord, 'metrics'>): boolean {
  return ev.metrics.kind === 'bench-prm';
}

function benchMetrics(ev: EvaluationRecord): BenchPrmMetrics {
  if (!isBenchEvaluation(ev)) throw new UserError(`evaluation ${ev.id} is not a bench-prm evaluation`);
  return ev.metrics as unknown as BenchPrmMetrics;
}

/** The rows of a bench-prm evaluation in the benchmark's order, filtered by split and outcome, a page at a time. */
export function benchRowsView(
  store: Store,
  id: number,
  q: { split?: string; outcome: 'all' | 'hit' | 'miss'; offset: number; limit: number },
): { total: number; items: BenchRowView[] } {
  const ev = store.evaluations.get(id);
  benchMetrics(ev);
  const items = store.evaluations.items(id).map((it) => {
    const s = store.solutions.get(it.solutionId);
    return { it, s, b: storedBenchmark(s)! };
  });
  // the benchmark's order: the items come by problem; the rows' split order and file index restore it
  const splitOrder = new Map<string, number>();
  for (const x of [...items].sort((a, b) => a.s.id - b.s.id)) if (!splitOrder.has(x.b.split)) splitOrder.set(x.b.split, splitOrder.size);
  items.sort((a, b) => splitOrder.get(a.b.split)! - splitOrder.get(b.b.split)! || a.b.index - b.b.index || a.s.id - b.s.id);
  const kept = items.filter(({ it, b }) => (!q.split || b.split === q.split) && (q.outcome === 'all' || (it.scores.match === 1) === (q.outcome === 'hit')));
  const page = kept.slice(q.offset, q.offset + q.limit);
  const questions = new Map<number, string>();
  return {
    total: kept.length,
    items: page.map(({ it, s, b }) => {
      if (!questions.has(s.problemId)) questions.set(s.problemId, store.problems.get(s.problemId).question);
      return {
        solutionId: s.id,
        problemId: s.problemId,
        id: b.id,
        split: b.split,
        origin: s.origin,
        question: questions.get(s.problemId)!,
        label: it.scores.label,
        prediction: it.scores.prediction,
        match: it.scores.match === 1,
        classification: typeof b.classification === 'string' ? b.classification : null,
        steps: s.steps.map((st, k) => ({ text: st.text, gold: st.goldLabel, score: typeof it.scores[`s${k}`] === 'number' ? it.scores[`s${k}`] : null })),
      };
    }),
  };
}

/** The threshold sweep of a bench-prm evaluation: its headline, F1, error and correct accuracy (%) against the threshold. */
export async function benchSweepChart(ev: EvaluationRecord): Promise<{ split: string; svg: string }> {
  const m = benchMetrics(ev);
  const split = m.split ?? 'all splits';
  const series: [keyof (typeof m.sweep)[number], string][] = [
    ['f1', 'F1 (first error)'],
    ['error_acc', 'error accuracy'],
    ['correct_acc', 'correct accuracy'],
  ];
  if (m.headline.name !== 'f1') series.push(['value', m.headline.name === 'macro_f1' ? 'step macro F1' : 'PRMScore']);
  const values = m.sweep.flatMap((p) => series.filter(([k]) => p[k] !== null).map(([k, label]) => ({ threshold: p.threshold, metric: label, value: 100 * (p[k] as number) })));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${m.prm ?? m.scores_file?.file ?? ''} on ${m.format === m.dataset ? m.format : `${m.format} (dataset ${m.dataset})`}, ${split}`,
    width: 520,
    height: 300,
    background: 'white',
    layer: [
      {
        data: { values },
        mark: { type: 'line' },
        encoding: {
          x: { field: 'threshold', type: 'quantitative', title: 'threshold (a step is accepted when its score is above it)', scale: { domain: [0, 1] } },
          y: { field: 'value', type: 'quantitative', title: '%', scale: { domain: [0, 100] } },
          color: { field: 'metric', type: 'nominal', title: 'metric', legend: { labelLimit: 300 } },
        },
      },
      {
        data: { values: [{ threshold: m.threshold, label: `threshold ${m.threshold} (${m.threshold_mode})` }] },
        mark: { type: 'rule', strokeDash: [4, 3], color: '#555' },
        encoding: { x: { field: 'threshold', type: 'quantitative' } },
      },
    ],
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return { split, svg: await view.toSVG() };
  } finally {
    view.finalize();
  }
}

const cell = (v: number | null | undefined): string => (v === null || v === undefined ? '' : String(v));

/** The table per split (and the mean) as CSV, fractions as stored. */
export function benchCsv(ev: EvaluationRecord): string {
  const m = benchMetrics(ev);
  const lines = ['split,rows,error_rows,correct_rows,error_acc,correct_acc,f1,macro_f1,threshold'];
  for (const [sp, s] of Object.entries(m.by_split)) {
    lines.push([sp, s.rows, s.error_rows, s.correct_rows, cell(s.error_acc), cell(s.correct_acc), cell(s.f1), cell(s.macro_f1), m.threshold].join(','));
  }
  lines.push(['mean', m.rows, '', '', cell(m.error_acc), cell(m.correct_acc), cell(m.f1), cell(m.macro_f1?.macro_f1), m.threshold].join(','));
  return lines.join('\n') + '\n';
}
