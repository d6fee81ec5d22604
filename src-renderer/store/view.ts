// Which view is open and what each view has selected (the route, kept in the URL); the theme choice; the command palette.
import type { StateCreator } from 'zustand/vanilla';
import { saveThemeChoice, type ThemeChoice } from '../theme';
import type { AppState } from '.';
import type { Route, View } from './route';

export interface ViewSlice extends Route {
  themeChoice: ThemeChoice;
  paletteOpen: boolean;
  /** set by the command palette to open the workspace picker (the picker clears it) */
  pickerRequested: boolean;
  go(view: View, dataset?: string | null): void;
  /** opens a whole route (the Problems view's heatmap or a problem); other views keep the dataset */
  navigate(route: Route): void;
  setThemeChoice(choice: ThemeChoice): void;
  setPaletteOpen(open: boolean): void;
  requestPicker(requested: boolean): void;
}

export const createViewSlice =
  (initial: Route, themeChoice: ThemeChoice = 'system'): StateCreator<AppState, [], [], ViewSlice> =>
  (set) => ({
    ...initial,
    themeChoice,
    paletteOpen: false,
    pickerRequested: false,
    setThemeChoice(choice) {
      saveThemeChoice(choice);
      set({ themeChoice: choice });
    },
    setPaletteOpen(open) {
      set({ paletteOpen: open });
    },
    requestPicker(requested) {
      set({ pickerRequested: requested });
    },
    go(view, dataset) {
      // each view keeps its own selection (the open search, evaluation, job) for when it is shown again
      set((s) => ({ view, dataset: dataset === undefined ? s.dataset : dataset, focus: undefined, cycleRun: s.cycleRun }));
    },
    navigate(route) {
      set((s) => ({
        view: route.view,
        dataset: route.view === 'problems' ? route.dataset : s.dataset,
        focus: route.focus,
        cycleRun: route.view === 'cycles' ? route.cycleRun : s.cycleRun,
        ...(route.view === 'searches' ? { search: route.search, node: route.node } : {}),
        ...(route.view === 'evaluations' ? { evaluationId: route.evaluationId } : {}),
        ...(route.view === 'jobs' ? { jobId: route.jobId } : {}),
      }));
    },
  });
