// Curation of the open search's annotation labels: relabel a step, reject or accept a path, undo. Edits
// are curation records over the original labels (the core keeps the originals).
import type { StateCreator } from 'zustand/vanilla';
import type { Api } from '../../src-shared/api';
import type { AnnotationRecord } from '../../src-shared/domain';
import { describeError } from '../errors';
import type { AppState } from '.';

export interface CurationSlice {
  /** the open search's annotations, curation applied */
  annotations: AnnotationRecord[];
  curationError: string | null;
  /** relabels that can be undone (each undo appends the edit that restores the label before) */
  undoStack: { annotationId: number; stepIdx: number; previous: number }[];
  loadAnnotations(searchId: number): Promise<void>;
  relabel(annotationId: number, stepIdx: number, value: number): Promise<void>;
  setPathState(annotationId: number, action: 'accept' | 'reject'): Promise<void>;
  undo(): Promise<void>;
}

export const createCurationSlice =
  (api: Api): StateCreator<AppState, [], [], CurationSlice> =>
  (set, get) => ({
    annotations: [],
    curationError: null,
    undoStack: [],
    async loadAnnotations(searchId) {
      try {
        set({ annotations: await api['annotations.forSearch']({ searchId }), undoStack: [], curationError: null });
      } catch (e) {
        set({ annotations: [], undoStack: [], curationError: describeError(e) });
      }
    },
    async relabel(annotationId, stepIdx, value) {
      const before = get().annotations.find((a) => a.id === annotationId)?.steps[stepIdx]?.softLabel;
      try {
        const a = await api['annotations.edit']({ annotationId, stepIdx, action: 'relabel', value, comment: null });
        set((st) => ({
          annotations: st.annotations.map((x) => (x.id === a.id ? a : x)),
          undoStack: before === undefined ? st.undoStack : [...st.undoStack, { annotationId, stepIdx, previous: before }],
          curationError: null,
        }));
      } catch (e) {
        set({ curationError: describeError(e) });
      }
    },
    async setPathState(annotationId, action) {
      try {
        const a = await api['annotations.edit']({ annotationId, stepIdx: null, action, value: null, comment: null });
        set((st) => ({ annotations: st.annotations.map((x) => (x.id === a.id ? a : x)), curationError: null }));
      } catch (e) {
        set({ curationError: describeError(e) });
      }
    },
    async undo() {
      const last = get().undoStack.at(-1);
      if (!last) return;
      try {
        const a = await api['annotations.edit']({ annotationId: last.annotationId, stepIdx: last.stepIdx, action: 'relabel', value: last.previous, comment: null });
        set((st) => ({ annotations: st.annotations.map((x) => (x.id === a.id ? a : x)), undoStack: st.undoStack.slice(0, -1), curationError: null }));
      } catch (e) {
        set({ curationError: describeError(e) });
      }
    },
  });
