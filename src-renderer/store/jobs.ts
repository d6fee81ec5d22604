// Jobs of the workspace, kept live from the core's job events.
import type { StateCreator } from 'zustand/vanilla';
import type { Api, Input, Output } from '../../src-shared/api';
import type { Job } from '../../src-shared/domain';
import { jobIdOf, newerJob, reduceJob, type JobEvent } from '../../src-shared/events';
import { describeError } from '../errors';
import type { AppState } from '.';

export const JOBS_SHOWN = 200;

export interface JobsSlice {
  /** newest first */
  jobs: Job[];
  jobsLoaded: boolean;
  jobsError: string | null;
  /** jobs whose cancel this window asked for, until they stop (shown as cancelling at once) */
  cancelAsked: number[];
  loadJobs(): Promise<void>;
  /** fetches one job (a link to a job the list has not loaded, or one made outside this window) */
  loadJob(id: number): Promise<void>;
  /** merges a job the core reported (a call's result, or the row a job event left) */
  applyJob(job: Job): void;
  /** a job event from the core, reduced into the job's row (src-shared/events.ts reduceJob) */
  applyJobEvent(event: JobEvent): void;
  /** the jobs as the core had them when this window subscribed (or switched workspace), before its events */
  applyJobsSnapshot(jobs: Job[]): void;
  /** rejects with the core's error so the caller can show it beside the job */
  cancelJob(id: number): Promise<void>;
  /** continues a stopped job from its checkpoint; rejects with the core's reason where it cannot */
  resumeJob(id: number): Promise<void>;
  /** starts a job of any kind; rejects with the core's one-line reason for a bad config or a failed pre-flight */
  startJob(kind: Input<'jobs.start'>['kind'], config: Record<string, unknown>): Promise<Job>;
  /**
   * the import-labels form with a benchmark format (processbench, visualprocessbench, prmbench): the file or
   * each split file of the folder imported through benchmarks.importPath, as the CLI's import-labels
   * --format does (no job); the datasets listed again after it
   */
  importBenchmark(config: Record<string, unknown>): Promise<Output<'benchmarks.importPath'>['files']>;
}

/** The rows with the incoming ones merged in, each job's later report kept (events and list results may arrive out of order). */
export function mergeJobs(current: Job[], incoming: Job[]): Job[] {
  const byId = new Map(current.map((j) => [j.id, j]));
  for (const j of incoming) {
    const have = byId.get(j.id);
    byId.set(j.id, have ? newerJob(have, j) : j);
  }
  return [...byId.values()].sort((a, b) => b.id - a.id).slice(0, JOBS_SHOWN);
}

const FINAL = new Set<Job['state']>(['done', 'failed', 'cancelled']);

export const createJobsSlice =
  (api: Api): StateCreator<AppState, [], [], JobsSlice> =>
  (set, get) => ({
    jobs: [],
    jobsLoaded: false,
    jobsError: null,
    cancelAsked: [],
    async loadJobs() {
      try {
        const list = await api['jobs.list']({ limit: JOBS_SHOWN });
        set((s) => ({ jobs: mergeJobs(s.jobs, list), jobsLoaded: true, jobsError: null }));
      } catch (e) {
        set({ jobsError: describeError(e) });
      }
    },
    async loadJob(id) {
      try {
        get().applyJob(await api['jobs.get']({ id }));
      } catch (e) {
        set({ jobsError: describeError(e) });
      }
    },
    applyJob(job) {
      const before = get().jobs.find((j) => j.id === job.id);
      set((s) => ({ jobs: mergeJobs(s.jobs, [job]), ...(FINAL.has(job.state) && s.cancelAsked.includes(job.id) ? { cancelAsked: s.cancelAsked.filter((id) => id !== job.id) } : {}) }));
      // a finished job may have changed datasets (an import): refresh what the other views show
      if (job.state === 'done' && before?.state !== 'done') {
        void get().loadDatasets();
        void get().loadWorkspace();
        if (job.kind === 'bon') void get().loadEvaluations();
        if (job.kind === 'search' || job.kind === 'score') void get().loadSearches();
      }
      if (FINAL.has(job.state) && !before) void get().loadJobs();
      if (job.kind === 'cycle') get().onCycleJob(job, before);
    },
    applyJobEvent(event) {
      if (event.type === 'metric') return get().onJobMetric(event);
      const id = jobIdOf(event);
      const before = get().jobs.find((j) => j.id === id);
      const after = reduceJob(before, event);
      // an event of a job this window has no row for (older than the list it loaded): its row is fetched
      if (!after) return void get().loadJob(id);
      if (after !== before) get().applyJob(after);
    },
    applyJobsSnapshot(jobs) {
      set((s) => ({ jobs: mergeJobs(s.jobs, jobs), jobsLoaded: true, jobsError: null }));
    },
    async cancelJob(id) {
      set((s) => ({ cancelAsked: [...s.cancelAsked, id] }));
      try {
        get().applyJob(await api['jobs.cancel']({ id }));
      } catch (e) {
        set((s) => ({ cancelAsked: s.cancelAsked.filter((x) => x !== id) }));
        throw e;
      }
    },
    async resumeJob(id) {
      get().applyJob(await api['jobs.resume']({ id }));
    },
    async importBenchmark(config) {
      const { files } = await api['benchmarks.importPath'](config as Input<'benchmarks.importPath'>);
      void get().loadDatasets();
      return files;
    },
    async startJob(kind, config) {
      // the editor checked the JSON as it was typed against the same schema; the core parses it at the door.
      // import-labels goes through its method, as the CLI's does: it resumes an interrupted import of the same files
      const job = kind === 'import-labels' ? await api['import.labels'](config as Input<'import.labels'>) : await api['jobs.start']({ kind, config } as Input<'jobs.start'>);
      get().applyJob(job);
      return job;
    },
  });
