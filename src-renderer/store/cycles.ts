// MathSE cycle runs: the list, the open run kept live from its job's events, the models for its lineage,
// its training-loss curves, and one page of its reflections.
import type { StateCreator } from 'zustand/vanilla';
import type { Api } from '../../src-shared/api';
import type { CycleRun, Reflection } from '../../src-shared/cycles';
import type { Job } from '../../src-shared/domain';
import type { JobMetric } from '../../src-shared/events';
import { parseProgress } from '../cycles/model';
import { describeError } from '../errors';
import { shownRun } from './selectors';
import type { AppState } from '.';

export const REFLECTIONS_PAGE = 25;

export interface ReflectionQuery {
  run: number;
  cycle?: number;
  outcome?: Reflection['outcome'];
  offset: number;
}

export interface ReflectionPage {
  query: ReflectionQuery;
  total: number;
  items: Reflection[];
}

export interface CyclesSlice {
  /** newest first */
  cycleRuns: CycleRun[];
  cycleRunsLoaded: boolean;
  cycleRunsError: string | null;
  /** training loss per cycle of a run's job: "loss c1" -> [step, loss][] */
  cycleLoss: { jobId: number; series: Record<string, [number, number][]> } | null;
  /** a job started from the launch form whose run is not listed yet: it is opened once it is */
  pendingCycleJob: number | null;
  reflectionPage: ReflectionPage | null;
  reflectionsLoading: boolean;
  reflectionsError: string | null;
  loadCycleRuns(): Promise<void>;
  /** re-reads one run (its stages and metrics) */
  refreshCycleRun(id: number): Promise<void>;
  /** shows a run in the Cycles view (#/cycles/<id>) */
  openCycleRun(id: number): void;
  loadCycleLoss(jobId: number): Promise<void>;
  /** a point of a job's loss curve as the trainer reports it (a metric event): added to the curve shown */
  onJobMetric(e: JobMetric): void;
  /** starts a run; rejects with the core's one-line reason (bad config, a dataset without the eval split …) */
  startCycles(config: Record<string, unknown>): Promise<Job>;
  loadReflections(query: ReflectionQuery): Promise<void>;
  /** a cycle job's event (from applyJob): refreshes its run when a stage starts or ends */
  onCycleJob(job: Job, before: Job | undefined): void;
}

type Series = Record<string, [number, number][]>;

/** Two sets of curves as one: a step told in both keeps b's value; each curve ordered by step. */
function mergeSeries(a: Series, b: Series): Series {
  const out: Series = { ...a };
  for (const [name, points] of Object.entries(b)) {
    const byStep = new Map((out[name] ?? []).map(([step, v]) => [step, v]));
    for (const [step, v] of points) byStep.set(step, v);
    out[name] = [...byStep.entries()].sort((x, y) => x[0] - y[0]);
  }
  return out;
}


/** Where a job stands, as far as its run's stage table is concerned. */
const stageKey = (j: Job | undefined): string => {
  if (!j) return '';
  const p = parseProgress(j.progress.message);
  return `${j.state}|${j.progress.done}|${p ? `${p.cycle}.${p.stage}` : ''}`;
};

export const createCyclesSlice =
  (api: Api): StateCreator<AppState, [], [], CyclesSlice> =>
  (set, get) => {
    // the latest reflections request: an older reply that arrives later is dropped
    let reflectionsAsked: ReflectionQuery | null = null;
    return {
      cycleRuns: [],
      cycleRunsLoaded: false,
      cycleRunsError: null,
      cycleLoss: null,
      pendingCycleJob: null,
      reflectionPage: null,
      reflectionsLoading: false,
      reflectionsError: null,
      async loadCycleRuns() {
        try {
          const runs = await api['cycles.list']({});
          const pending = get().pendingCycleJob;
          const started = pending === null ? undefined : runs.find((r) => r.jobId === pending);
          set({ cycleRuns: runs, cycleRunsLoaded: true, cycleRunsError: null, ...(started ? { pendingCycleJob: null, cycleRun: started.id } : {}) });
        } catch (e) {
          set({ cycleRunsError: describeError(e) });
        }
      },
      async refreshCycleRun(id) {
        try {
          const run = await api['cycles.get']({ id });
          set((s) => ({ cycleRuns: s.cycleRuns.some((r) => r.id === id) ? s.cycleRuns.map((r) => (r.id === id ? run : r)) : [run, ...s.cycleRuns], cycleRunsError: null }));
        } catch (e) {
          set({ cycleRunsError: describeError(e) });
        }
      },
      openCycleRun(id) {
        set({ view: 'cycles', cycleRun: id, focus: undefined });
      },
      async loadCycleLoss(jobId) {
        try {
          const stored = await api['jobs.metrics']({ id: jobId });
          // points told by events while the call was out (the store keeps them in batches) are kept
          set((s) => ({ cycleLoss: { jobId, series: s.cycleLoss?.jobId === jobId ? mergeSeries(stored, s.cycleLoss.series) : stored } }));
        } catch {
          // a job without metrics (or one that is gone) has no curve: the chart is left out
          set({ cycleLoss: { jobId, series: {} } });
        }
      },
      onJobMetric(e) {
        set((s) => (s.cycleLoss?.jobId === e.jobId ? { cycleLoss: { jobId: e.jobId, series: mergeSeries(s.cycleLoss.series, { [e.name]: [[e.step, e.value]] }) } } : {}));
      },
      async startCycles(config) {
        const job = await api['cycles.start']({ config });
        set({ pendingCycleJob: job.id });
        get().applyJob(job);
        await get().loadCycleRuns();
        return job;
      },
      async loadReflections(query) {
        reflectionsAsked = query;
        set({ reflectionsLoading: true });
        try {
          const page = await api['cycles.reflections']({ ...query, limit: REFLECTIONS_PAGE });
          if (reflectionsAsked !== query) return;
          set({ reflectionPage: { query, total: page.total, items: page.items }, reflectionsLoading: false, reflectionsError: null });
        } catch (e) {
          if (reflectionsAsked !== query) return;
          set({ reflectionsLoading: false, reflectionsError: describeError(e) });
        }
      },
      onCycleJob(job, before) {
        const s = get();
        const run = s.cycleRuns.find((r) => r.jobId === job.id);
        if (!run) {
          // a run started here or elsewhere (the CLI against the same workspace): its row appears once the job made it
          if (job.state === 'running' || job.state === 'done' || job.state === 'failed') void s.loadCycleRuns();
          return;
        }
        if (stageKey(job) !== stageKey(before)) {
          void s.refreshCycleRun(run.id);
          // the page of reflections of a run that just diagnosed or regenerated is out of date
          const page = s.reflectionPage;
          if (page && page.query.run === run.id && parseProgress(before?.progress.message)?.stage === 'regenerate') void s.loadReflections(page.query);
        }
        const shown = shownRun(s);
        if (shown?.id === run.id) {
          const place = parseProgress(job.progress.message);
          const finished = job.state !== before?.state && job.state !== 'running' && job.state !== 'queued';
          // the curve grows from the job's metric events while it trains; it is read whole once the job stops
          if (finished) void s.loadCycleLoss(job.id);
          if (place?.stage === 'register' || finished) void s.loadModels();
        }
      },
    };
  };
