// Stored evaluations (Best-of-N runs): the list, the one open, and its accuracy-vs-N chart.
import type { StateCreator } from 'zustand/vanilla';
import type { Api } from '../../src-shared/api';
import type { EvaluationRecord, EvaluationSummary } from '../../src-shared/domain';
import { describeError } from '../errors';
import type { AppState } from '.';

export interface EvaluationsSlice {
  evaluations: EvaluationSummary[];
  evaluationsLoaded: boolean;
  evaluationsError: string | null;
  evaluation: EvaluationRecord | null;
  evaluationChart: { split: string; svg: string } | null;
  evaluationError: string | null;
  loadEvaluations(): Promise<void>;
  openEvaluation(id: number, split?: string): Promise<void>;
}

export const createEvaluationsSlice =
  (api: Api): StateCreator<AppState, [], [], EvaluationsSlice> =>
  (set) => ({
    evaluations: [],
    evaluationsLoaded: false,
    evaluationsError: null,
    evaluation: null,
    evaluationChart: null,
    evaluationError: null,
    async loadEvaluations() {
      try {
        set({ evaluations: await api['evaluations.list']({}), evaluationsLoaded: true, evaluationsError: null });
      } catch (e) {
        set({ evaluationsError: describeError(e) });
      }
    },
    async openEvaluation(id, split) {
      try {
        const [evaluation, chart] = await Promise.all([api['evaluations.get']({ id }), api['evaluations.chart']({ id, ...(split ? { split } : {}) })]);
        set({ evaluation, evaluationChart: chart, evaluationError: null });
      } catch (e) {
        set({ evaluationError: describeError(e) });
      }
    },
  });
