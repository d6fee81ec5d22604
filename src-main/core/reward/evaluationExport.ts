// A stored evaluation as JSON (everything: config, metrics, per-candidate scores) or CSV (the accuracy
// table in long form, one row per split, N and method, for a spreadsheet or a plotting script).
import type { Store } from '../store';
import type { EvaluationRecord } from '../../../src-shared/domain';
import type { EvaluationRecord as EvaluationRecordRow } from '../store/evaluations';
import { UserError } from '../errors';
import { accuracyChartSvg } from './chart';
import type { BonRow } from './metrics';
import { modelLabel } from '../../../src-shared/modelLabel';

/** The evaluation as the API shows it (models and dataset by name). */
export function evaluationRecord(store: Store, ev: EvaluationRecordRow): EvaluationRecord {
  const name = (id: number | null): string | null => (id === null ? null : modelLabel(store.models.get(id)));
  const dataset = ev.datasetId === null ? null : (store.datasets.nameOf(ev.datasetId) ?? null);
  return { id: ev.id, name: ev.name, createdAt: ev.createdAt, dataset, policy: name(ev.policyId), prm: name(ev.rewardId), jobId: ev.jobId, config: ev.config, metrics: ev.metrics };
}

/** Everything, with one entry per candidate (its verdict and aggregated scores). */
export function evaluationJson(store: Store, ev: EvaluationRecordRow): Record<string, unknown> {
  const r = evaluationRecord(store, ev);
  return {
    id: r.id,
    name: r.name,
    created_at: r.createdAt,
    dataset: r.dataset,
    policy: r.policy,
    prm: r.prm,
    job: r.jobId,
    config: r.config,
    metrics: r.metrics,
    items: store.evaluations.items(ev.id).map((i) => ({ problem_id: i.problemId, solution_id: i.solutionId, ...i.scores })),
  };
}

const csvCell = (v: string | number): string => (typeof v === 'number' ? String(v) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export function evaluationCsv(_store: Store, ev: EvaluationRecordRow): string {
  const splits = (ev.metrics.splits ?? {}) as Record<string, { byN: Record<string, BonRow> }>;
  const chosen = ev.metrics.chosen as string | undefined;
  const lines = ['split,n,method,accuracy,chosen'];
  for (const [split, rep] of Object.entries(splits)) {
    for (const [n, row] of Object.entries(rep.byN)) {
      for (const [method, acc] of Object.entries(row)) lines.push([split, Number(n), method, acc, method === chosen ? 1 : 0].map(csvCell).join(','));
    }
  }
  return lines.join('\n') + '\n';
}

/** The accuracy-vs-N chart of a Best-of-N evaluation (the reported split unless another is named). */
export async function evaluationChart(ev: EvaluationRecordRow, split?: string, theme?: 'light' | 'dark'): Promise<{ split: string; svg: string }> {
  const m = ev.metrics as { splits?: Record<string, { byN: Record<string, BonRow>; problems: number }>; chosen?: string; policy?: string; prm?: string };
  if (!m.splits) throw new UserError(`evaluation ${ev.id} has no accuracy table to draw`);
  const sp = split ?? Object.keys(m.splits).at(-1)!;
  const rep = m.splits[sp];
  if (!rep) throw new UserError(`evaluation ${ev.id} has no split "${sp}" (have: ${Object.keys(m.splits).join(', ')})`);
  return { split: sp, svg: await accuracyChartSvg(rep.byN, { title: `Best-of-N on ${sp} (${rep.problems} problems): ${m.policy} + ${m.prm}`, chosen: m.chosen, theme }) };
}
