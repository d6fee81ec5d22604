// Stored evaluations (Best-of-N runs): the list, the one open, and its accuracy-vs-N chart.
import type { StateCreator } from 'zustand/vanilla';
import type { Api, Input, Output } from '../../src-shared/api';
import type { EvaluationRecord, EvaluationSummary, ScoredSolution } from '../../src-shared/domain';
import { describeError } from '../errors';
import type { AppState } from '.';

/** how many of the newest evaluations the store keeps (the palette's recent ones, the one opened by default) */
const NEWEST = 100;

export interface EvaluationsSlice {
  /** the newest NEWEST evaluations (the list view pages through all of them) */
  evaluations: EvaluationSummary[];
  evaluationsTotal: number;
  /** moves on every reload: the list view starts its pages again */
  evaluationsVersion: number;
  evaluationsLoaded: boolean;
  evaluationsError: string | null;
  evaluation: EvaluationRecord | null;
  evaluationChart: { split: string; svg: string } | null;
  evaluationError: string | null;
  /** the problems of the open evaluation, with their candidates' solution ids */
  evaluationProblems: { problemId: number; candidates: number; correct: number; solutionIds: number[]; extId?: string | null }[];
  loadEvaluations(): Promise<void>;
  /** a problem's candidates with their step scores (not kept in the store: the heatmap holds them) */
  fetchSolutions(problemId: number, ids: number[]): Promise<ScoredSolution[]>;
  /** a page of a bench-prm evaluation's rows (not kept in the store: the row browser holds them) */
  fetchBenchRows(q: Input<'evaluations.benchRows'>): Promise<Output<'evaluations.benchRows'>>;
  /** opens an evaluation (the route follows); theme: the chart's colours, the UI's */
  openEvaluation(id: number, split?: string, theme?: 'light' | 'dark'): Promise<void>;
}

export const createEvaluationsSlice =
  (api: Api): StateCreator<AppState, [], [], EvaluationsSlice> =>
  (set, get) => ({
    evaluations: [],
    evaluationsTotal: 0,
    evaluationsVersion: 0,
    evaluationsLoaded: false,
    evaluationsError: null,
    evaluation: null,
    evaluationChart: null,
    evaluationError: null,
    evaluationProblems: [],
    fetchSolutions: (problemId, ids) => api['solutions.forProblem']({ problemId, ids }),
    fetchBenchRows: (q) => api['evaluations.benchRows'](q),
    async loadEvaluations() {
      try {
        const page = await api['evaluations.list']({ offset: 0, limit: NEWEST });
        set({ evaluations: page.items, evaluationsTotal: page.total, evaluationsVersion: get().evaluationsVersion + 1, evaluationsLoaded: true, evaluationsError: null });
      } catch (e) {
        set({ evaluationsError: describeError(e) });
      }
    },
    async openEvaluation(id, split, theme) {
      set({ evaluationId: id });
      try {
        const [evaluation, chart, problems] = await Promise.all([
          api['evaluations.get']({ id }),
          api['evaluations.chart']({ id, ...(split ? { split } : {}), ...(theme ? { theme } : {}) }),
          api['evaluations.problems']({ id }),
        ]);
        set({ evaluation, evaluationChart: chart, evaluationProblems: problems, evaluationError: null });
      } catch (e) {
        set({ evaluationError: describeError(e) });
      }
    },
  });
