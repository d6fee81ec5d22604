// Read-side of cycle runs for the API and the CLI: run summaries with lineage and metrics, the
// reflection browser's diagnosed paths, and a cycle's training set exported for other trainers.
import type { CycleMetrics, CycleRun, OrmVerdictRecord, Reflection } from '../../../src-shared/cycles';
import { UserError } from '../errors';
import type { Store } from '../store';
import type { CycleRecord, CycleRunRecord } from '../store/cycles';
import type { Solution } from '../store/solutions';
import { loadExamples, type WrittenSet, writeTrainingSet } from './trainingSet';
import { modelLabel } from '../../../src-shared/modelLabel';

function labelOf(store: Store, id: number | null): string | null {
  return id === null ? null : modelLabel(store.models.get(id));
}

function cycleSummary(store: Store, run: CycleRunRecord, c: CycleRecord): CycleRun['cycles'][number] {
  return {
    id: c.id,
    idx: c.idx,
    status: c.status,
    parentModel: labelOf(store, c.idx === 0 ? run.baseModelId : (c.parentModelId ?? run.baseModelId)),
    model: labelOf(store, c.modelId),
    metrics: c.metrics as Partial<CycleMetrics>,
    stages: c.stages,
  };
}

export function runView(store: Store, run: CycleRunRecord): CycleRun {
  const job = run.jobId ? store.jobs.get(run.jobId) : null;
  const ds = store.datasets.nameOf(run.datasetId);
  return {
    id: run.id,
    name: run.name,
    dataset: ds ?? '?',
    baseModel: labelOf(store, run.baseModelId) ?? '?',
    config: run.config,
    jobId: run.jobId,
    jobState: job?.state ?? null,
    createdAt: run.createdAt,
    cycles: store.cycles.forRun(run.id).map((c) => cycleSummary(store, run, c)),
  };
}

export function listRuns(store: Store): CycleRun[] {
  return store.cycles.runs().map((r) => runView(store, r));
}

function steps(s: Solution): Reflection['steps'] {
  return s.steps.map((x) => ({ text: x.text, goldLabel: x.goldLabel }));
}

const NO_VERDICT: OrmVerdictRecord = { ok: false, status: null, errorStep: null, errorAnalysis: '', improvementSuggestion: '', reason: 'not judged', raw: '' };

/** The ORM-judged wrong paths of a run (optionally one cycle and one outcome), newest cycle first. */
export function reflections(store: Store, q: { run: number; cycle?: number; outcome?: Reflection['outcome']; offset: number; limit: number }): { total: number; items: Reflection[] } {
  const run = store.cycles.run(q.run);
  const cycles = store.cycles.forRun(run.id).filter((c) => c.idx > 0 && (q.cycle === undefined || c.idx === q.cycle));
  const kept = new Set<number>();
  for (const c of cycles) for (const e of store.cycles.examples(c.id)) if (e.source === 'corrected') kept.add(e.solutionId);
  const all: Reflection[] = [];
  for (const c of [...cycles].sort((a, b) => b.idx - a.idx)) {
    for (const id of store.solutions.judgedSampleIds(c.id)) {
      const s = store.solutions.get(id);
      const v = (s.orm as OrmVerdictRecord | null) ?? NO_VERDICT;
      const regens = store.solutions.children(s.id).map((r) => {
        const settings = r.settings as { prefixSteps?: number; reflection?: string | null };
        return {
          solutionId: r.id,
          prefixSteps: settings.prefixSteps ?? 0,
          reflection: settings.reflection ?? null,
          steps: steps(r),
          verdict: r.verdict,
          recheck: (r.orm as OrmVerdictRecord | null) ?? null,
          kept: kept.has(r.id),
        };
      });
      const outcome: Reflection['outcome'] = !v.ok ? 'unparsed' : v.status === 'CORRECT' ? 'judged-correct' : regens.some((r) => r.kept) ? 'corrected' : 'not-corrected';
      if (q.outcome && q.outcome !== outcome) continue;
      const fe = s.steps.findIndex((x) => x.goldLabel === 0);
      all.push({
        cycle: c.idx,
        solutionId: s.id,
        problemId: s.problemId,
        question: store.problems.get(s.problemId).question,
        steps: steps(s),
        goldFirstError: fe >= 0 ? fe : null,
        verdict: v,
        regenerations: regens,
        outcome,
      });
    }
  }
  return { total: all.length, items: all.slice(q.offset, q.offset + q.limit) };
}

/** Writes one cycle's training set (exactly the rows it was fine-tuned on) for another trainer. */
export function exportCycleTrainingSet(store: Store, runId: number, idx: number, format: 'sharegpt' | 'trl', out: string): WrittenSet {
  const run = store.cycles.run(runId);
  const c = store.cycles.byRunIdx(run.id, idx);
  if (!c || idx === 0) throw new UserError(`run ${run.name} has no cycle ${idx}${idx === 0 ? ' with a training set (cycle 0 is the stage-0 policy)' : ''}`);
  const rows = loadExamples(store, c.id);
  if (rows.length === 0) throw new UserError(`cycle ${idx} of run ${run.name} has no training set yet (its build stage is ${c.stages.find((s) => s.stage === 'build')?.status})`);
  return writeTrainingSet(store, rows, out, format);
}
