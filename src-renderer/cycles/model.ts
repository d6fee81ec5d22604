// What the Cycles screen shows, derived from a run as the core reports it (cycles.get) and the job's
// live progress: the stage table, the per-cycle chart's series, the per-difficulty table, the model
// lineage and the marks on a reflection's steps. Pure, so it is tested without a browser.
import { CYCLE_STAGES, type CycleRun, type CycleStage, type CycleStageRecord, type Reflection } from '../../src-shared/cycles';
import type { Job, ModelRecord } from '../../src-shared/domain';
import { modelLabel } from '../../src-shared/modelLabel';

/** The job states a run can be continued from (the core keeps a cycle job's checkpoint in each). */
export function canResume(jobState: string | null): boolean {
  return jobState === 'failed' || jobState === 'cancelled' || jobState === 'interrupted';
}

export function canCancel(jobState: string | null): boolean {
  return jobState === 'queued' || jobState === 'running';
}

export interface ProgressPlace {
  cycle: number;
  stage: CycleStage;
  /** what the stage is doing ("40/120 diagnosed paths"), '' when nothing more */
  detail: string;
}

/** Where a cycle job's progress message says it is: "cycle 2/3 · regenerate · 40/120 diagnosed paths". */
export function parseProgress(message: string | null | undefined): ProgressPlace | null {
  const m = /^cycle (\d+)(?:\/\d+)? · ([a-z]+)(.*)$/.exec(message ?? '');
  if (!m || !(CYCLE_STAGES as readonly string[]).includes(m[2])) return null;
  return { cycle: Number(m[1]), stage: m[2] as CycleStage, detail: m[3].replace(/^\s*·\s*/, '').replace(/^ the stage-0 policy$/, '').trim() };
}

export interface StageRow {
  cycle: number;
  stage: CycleStage;
  status: CycleStageRecord['status'];
  counts: Record<string, number>;
  /** a failed stage's error (artifacts.error), e.g. the trainer's stderr tail */
  error: string | null;
  /** ms from start to end, or to `now` while it runs; null before it starts */
  durationMs: number | null;
  /** the job is working on this stage now */
  current: boolean;
  /** the job's progress message while current */
  message: string | null;
}

const ms = (iso: string | null): number | null => (iso ? Date.parse(iso) : null);

/**
 * One row per cycle × stage, cycles in order. Cycle 0 only evaluates the stage-0 policy, so its skipped
 * stages are left out; a later cycle's skipped stage (reflect with reflection off) stays, marked skipped.
 */
export function stageRows(run: CycleRun, job: Pick<Job, 'state' | 'progress'> | null, now: number): StageRow[] {
  const active = job !== null && (job.state === 'running' || job.state === 'queued');
  const live = active ? parseProgress(job.progress.message) : null;
  // the stored stage status wins over the message: the message of the stage before can arrive after the next one started
  const storedRunning = active && run.cycles.some((c) => c.stages.some((s) => s.status === 'running'));
  const rows: StageRow[] = [];
  for (const c of [...run.cycles].sort((a, b) => a.idx - b.idx)) {
    const byStage = new Map(c.stages.map((s) => [s.stage, s]));
    for (const stage of CYCLE_STAGES) {
      const s = byStage.get(stage);
      if (c.idx === 0 && (!s || s.status === 'skipped')) continue;
      const status = s?.status ?? 'pending';
      const started = ms(s?.startedAt ?? null);
      const ended = ms(s?.endedAt ?? null);
      const isLive = live !== null && live.cycle === c.idx && live.stage === stage;
      const current = storedRunning ? status === 'running' : isLive;
      const err = s?.artifacts?.error;
      rows.push({
        cycle: c.idx,
        stage,
        status: current && status === 'pending' ? 'running' : status,
        counts: s?.counts ?? {},
        error: status === 'failed' ? (typeof err === 'string' ? err : err === undefined ? null : JSON.stringify(err)) : null,
        durationMs: started === null ? null : (ended ?? (current ? now : started)) - started,
        current,
        message: current ? (isLive ? live.detail || null : null) : null,
      });
    }
  }
  return rows;
}

/** "1.2 s", "3 min 4 s", "850 ms" */
export function formatDuration(msValue: number | null): string {
  if (msValue === null) return '';
  if (msValue < 1000) return `${Math.max(0, Math.round(msValue))} ms`;
  const s = msValue / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A stage's counts as "samples 16 · correct 9"; underscores read as spaces. */
export function formatCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([k, v]) => `${k.replace(/_/g, ' ')} ${Number.isInteger(v) ? v.toLocaleString() : v.toFixed(3)}`)
    .join(' · ');
}

export interface ChartSeries {
  labels: string[];
  /** per cycle, in percent; null where not measured (yet) */
  accuracy: (number | null)[];
  passAtK: (number | null)[];
  /** the k of pass@k, from the run's config */
  k: number | null;
  /** per-stage counts per cycle; null for cycle 0 (it trains nothing) and cycles that have not got there */
  counts: Record<'correct_paths' | 'diagnosed' | 'corrected' | 'train_examples', (number | null)[]>;
}

export const COUNT_LABELS: Record<keyof ChartSeries['counts'], string> = {
  correct_paths: 'correct paths',
  diagnosed: 'diagnosed',
  corrected: 'corrected',
  train_examples: 'train examples',
};

const pct = (x: number | null | undefined): number | null => (typeof x === 'number' ? Math.round(x * 1000) / 10 : null);

export function chartSeries(run: CycleRun): ChartSeries {
  const cycles = [...run.cycles].sort((a, b) => a.idx - b.idx);
  const k = (run.config.evaluate as { samples?: unknown } | undefined)?.samples;
  const count = (key: keyof ChartSeries['counts']) => cycles.map((c) => (c.idx === 0 ? null : typeof c.metrics[key] === 'number' ? (c.metrics[key] as number) : null));
  return {
    labels: cycles.map((c) => (c.idx === 0 ? 'cycle 0 (base)' : `cycle ${c.idx}`)),
    accuracy: cycles.map((c) => pct(c.metrics.test_accuracy)),
    passAtK: cycles.map((c) => pct(c.metrics.pass_at_k)),
    k: typeof k === 'number' ? k : null,
    counts: { correct_paths: count('correct_paths'), diagnosed: count('diagnosed'), corrected: count('corrected'), train_examples: count('train_examples') },
  };
}

export interface DifficultyTable {
  cycles: number[];
  rows: { difficulty: string; cells: ({ n: number; accuracy: number } | null)[] }[];
}

/** Accuracy per difficulty (rows) and cycle (columns); difficulties in numeric order when they are numbers. */
export function difficultyTable(run: CycleRun): DifficultyTable {
  const cycles = [...run.cycles].sort((a, b) => a.idx - b.idx).filter((c) => c.metrics.by_difficulty && Object.keys(c.metrics.by_difficulty).length > 0);
  const keys = new Set<string>();
  for (const c of cycles) for (const d of Object.keys(c.metrics.by_difficulty ?? {})) keys.add(d);
  const sorted = [...keys].sort((a, b) => {
    const x = Number(a);
    const y = Number(b);
    return Number.isFinite(x) && Number.isFinite(y) ? x - y : a.localeCompare(b);
  });
  return {
    cycles: cycles.map((c) => c.idx),
    rows: sorted.map((d) => ({ difficulty: d, cells: cycles.map((c) => c.metrics.by_difficulty?.[d] ?? null) })),
  };
}

export interface LineageNode {
  cycle: number;
  /** name@version, null until the cycle registered its model */
  model: string | null;
  parent: string | null;
  trainExamples: number | null;
  trainingDataHash: string | null;
  /** 0..1 */
  testAccuracy: number | null;
  /** against the previous cycle, in points */
  delta: number | null;
  /** against the base on the same held-out problems, in points, with the paired 95% bootstrap interval */
  vsBase: { diff: number; lo: number; hi: number; problems: number } | null;
  status: CycleRun['cycles'][number]['status'];
}


/** base → c1 → c2 …: each model with what it was trained on (build stage, else the model's provenance) and its accuracy. */
export function lineage(run: CycleRun, models: readonly ModelRecord[]): LineageNode[] {
  const byLabel = new Map(models.map((m) => [modelLabel(m), m]));
  const cycles = [...run.cycles].sort((a, b) => a.idx - b.idx);
  let prev: number | null = null;
  return cycles.map((c) => {
    const build = c.stages.find((s) => s.stage === 'build');
    const prov = (c.model ? byLabel.get(c.model)?.provenance : null) as { trainingDataHash?: unknown; trainExamples?: unknown } | null | undefined;
    const hash = build?.artifacts?.trainingDataHash ?? prov?.trainingDataHash;
    const examples = build?.counts?.train_examples ?? prov?.trainExamples ?? (c.idx > 0 ? c.metrics.train_examples : undefined);
    const acc = typeof c.metrics.test_accuracy === 'number' ? c.metrics.test_accuracy : null;
    const node: LineageNode = {
      cycle: c.idx,
      model: c.model ?? (c.idx === 0 ? run.baseModel : null),
      parent: c.idx === 0 ? null : c.parentModel,
      trainExamples: c.idx > 0 && typeof examples === 'number' ? examples : null,
      trainingDataHash: c.idx > 0 && typeof hash === 'string' ? hash : null,
      testAccuracy: acc,
      delta: acc !== null && prev !== null ? Math.round((acc - prev) * 1000) / 10 : null,
      vsBase: c.metrics.vs_base ? { diff: pct(c.metrics.vs_base.diff)!, lo: pct(c.metrics.vs_base.lo)!, hi: pct(c.metrics.vs_base.hi)!, problems: c.metrics.vs_base.problems } : null,
      status: c.status,
    };
    if (acc !== null) prev = acc;
    return node;
  });
}

export type StepMark = 'flagged' | 'gold' | 'flagged gold';

/** The wrong solution's marks: the ORM's flagged step (1-based errorStep) and the gold first error (0-based). */
export function stepMarks(r: Pick<Reflection, 'steps' | 'goldFirstError' | 'verdict'>): (StepMark | null)[] {
  const flagged = r.verdict.ok && r.verdict.status === 'WRONG' && r.verdict.errorStep !== null ? r.verdict.errorStep - 1 : null;
  return r.steps.map((_, i) => {
    const f = i === flagged;
    const g = i === r.goldFirstError;
    return f && g ? 'flagged gold' : f ? 'flagged' : g ? 'gold' : null;
  });
}

export const OUTCOME_LABELS: Record<Reflection['outcome'], string> = {
  corrected: 'corrected',
  'not-corrected': 'not corrected',
  unparsed: 'ORM output unparsed',
  'judged-correct': 'ORM judged it correct',
};

/** The run's cycles that can have reflections (1…n). */
export function reflectionCycles(run: CycleRun): number[] {
  return run.cycles.map((c) => c.idx).filter((i) => i > 0).sort((a, b) => a - b);
}
