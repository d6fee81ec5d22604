// Which view is open and which dataset the Problems view shows.
import type { StateCreator } from 'zustand/vanilla';
import type { AppState } from '.';
import type { Route, View } from './route';

export interface ViewSlice extends Route {
  go(view: View, dataset?: string | null): void;
}

export const createViewSlice =
  (initial: Route): StateCreator<AppState, [], [], ViewSlice> =>
  (set) => ({
    ...initial,
    go(view, dataset) {
      set((s) => ({ view, dataset: dataset === undefined ? s.dataset : dataset }));
    },
  });
