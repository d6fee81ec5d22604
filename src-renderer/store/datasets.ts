// The workspace's datasets, as the core last listed them: the first PICKER_LIMIT by name (what the dataset
// pickers and the palette offer), how many there are in all, and a version that moves on every reload (the
// Datasets view pages its own table and starts again when it moves).
import type { StateCreator } from 'zustand/vanilla';
import type { Api } from '../../src-shared/api';
import type { Dataset } from '../../src-shared/domain';
import { describeError } from '../errors';
import type { AppState } from '.';

/** how many datasets the pickers and the palette offer (the Datasets view pages through all of them) */
export const PICKER_LIMIT = 1000;

export interface DatasetsSlice {
  datasets: Dataset[];
  datasetsTotal: number;
  datasetsVersion: number;
  datasetsLoaded: boolean;
  datasetsError: string | null;
  loadDatasets(): Promise<void>;
}

export const createDatasetsSlice =
  (api: Api): StateCreator<AppState, [], [], DatasetsSlice> =>
  (set, get) => ({
    datasets: [],
    datasetsTotal: 0,
    datasetsVersion: 0,
    datasetsLoaded: false,
    datasetsError: null,
    async loadDatasets() {
      try {
        const page = await api['datasets.list']({ offset: 0, limit: PICKER_LIMIT });
        set({ datasets: page.items, datasetsTotal: page.total, datasetsVersion: get().datasetsVersion + 1, datasetsLoaded: true, datasetsError: null });
      } catch (e) {
        set({ datasetsError: describeError(e) });
      }
    },
  });
