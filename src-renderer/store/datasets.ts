// The workspace's datasets, as the core last listed them.
import type { StateCreator } from 'zustand/vanilla';
import type { Api } from '../../src-shared/api';
import type { Dataset } from '../../src-shared/domain';
import { describeError } from '../errors';
import type { AppState } from '.';

export interface DatasetsSlice {
  datasets: Dataset[];
  datasetsLoaded: boolean;
  datasetsError: string | null;
  loadDatasets(): Promise<void>;
}

export const createDatasetsSlice =
  (api: Api): StateCreator<AppState, [], [], DatasetsSlice> =>
  (set) => ({
    datasets: [],
    datasetsLoaded: false,
    datasetsError: null,
    async loadDatasets() {
      try {
        set({ datasets: await api['datasets.list']({}), datasetsLoaded: true, datasetsError: null });
      } catch (e) {
        set({ datasetsError: describeError(e) });
      }
    },
  });
