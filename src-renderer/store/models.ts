// The workspace's registered models, loaded once into the store and shared by every view that lists or
// names them (Models, the launch forms, a problem's solutions, the heatmap, the searches' PRMs, a cycle's
// lineage). Read them through the selectors in selectors.ts.
import type { StateCreator } from 'zustand/vanilla';
import type { Api } from '../../src-shared/api';
import type { ModelRecord } from '../../src-shared/domain';
import { describeError } from '../errors';
import type { AppState } from '.';

export interface ModelsSlice {
  models: ModelRecord[];
  modelsLoaded: boolean;
  modelsError: string | null;
  /** reads the list again (a view opened, a job registered a model); a failure is kept in modelsError */
  loadModels(): Promise<void>;
}

export const createModelsSlice =
  (api: Api): StateCreator<AppState, [], [], ModelsSlice> =>
  (set) => ({
    models: [],
    modelsLoaded: false,
    modelsError: null,
    async loadModels() {
      try {
        set({ models: await api['models.list']({}), modelsLoaded: true, modelsError: null });
      } catch (e) {
        set({ modelsError: describeError(e) });
      }
    },
  });
