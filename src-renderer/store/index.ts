// The renderer's one store: slices spread into a vanilla zustand store, read in React through useApp.
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Api } from '../../src-shared/api';
import type { Connection } from '../transport';
import { createCurationSlice, type CurationSlice } from './curation';
import { createCyclesSlice, type CyclesSlice } from './cycles';
import { createDatasetsSlice, type DatasetsSlice } from './datasets';
import { createEvaluationsSlice, type EvaluationsSlice } from './evaluations';
import { createJobsSlice, type JobsSlice } from './jobs';
import { createManageSlice, type ManageSlice } from './manage';
import { createModelsSlice, type ModelsSlice } from './models';
import { createSearchesSlice, type SearchesSlice } from './searches';
import type { ThemeChoice } from '../theme';
import type { Route } from './route';
import { createViewSlice, type ViewSlice } from './view';
import { createWorkspaceSlice, type WorkspaceSlice } from './workspace';

export type AppState = WorkspaceSlice & DatasetsSlice & JobsSlice & EvaluationsSlice & SearchesSlice & CurationSlice & CyclesSlice & ManageSlice & ModelsSlice & ViewSlice;
export type AppStore = StoreApi<AppState>;

export function createAppStore(api: Api, route: Route, themeChoice?: ThemeChoice): AppStore {
  return createStore<AppState>()((...a) => ({
    ...createWorkspaceSlice(api)(...a),
    ...createDatasetsSlice(api)(...a),
    ...createJobsSlice(api)(...a),
    ...createEvaluationsSlice(api)(...a),
    ...createSearchesSlice(api)(...a),
    ...createCurationSlice(api)(...a),
    ...createCyclesSlice(api)(...a),
    ...createManageSlice(api)(...a),
    ...createModelsSlice(api)(...a),
    ...createViewSlice(route, themeChoice)(...a),
  }));
}

/** Loads everything the views show; run at start and after the link to the core comes back. */
export async function refreshAll(store: AppStore): Promise<void> {
  const s = store.getState();
  await Promise.all([s.loadWorkspace(), s.loadDatasets(), s.loadJobs(), s.loadEvaluations(), s.loadCycleRuns(), s.loadCurator()]);
}

export interface AppContextValue {
  store: AppStore;
  connection: Connection;
}

export const AppContext = createContext<AppContextValue | null>(null);

function useAppContext(): AppContextValue {
  const ctx = useContext(AppContext);
  if (!ctx) throw new Error('AppContext is missing: render the app inside <AppContext.Provider>');
  return ctx;
}

export function useApp<T>(selector: (s: AppState) => T): T {
  return useStore(useAppContext().store, selector);
}

/** The store itself, for handlers that read the latest state when they run. */
export function useAppStore(): AppStore {
  return useAppContext().store;
}

export function useConnection(): Connection {
  return useAppContext().connection;
}
