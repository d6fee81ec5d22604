// Curation of annotation labels: relabel a step (soft value or good/bad), reject or accept a path, comment,
// give a step a curated text, and do any of these to a selection of labels at once. Every user action is
// one batch of curation records in the core (annotations.editMany: one transaction), and one step of undo
// and redo here (the core marks the batch undone or in force again; originals and records stay). Also the
// solution-level conflict queue and the annotation export with its curation filter.
import type { StateCreator } from 'zustand/vanilla';
import type { Api, Input, Output } from '../../src-shared/api';
import type { AnnotationRecord, SolutionConflict } from '../../src-shared/domain';
import { describeError } from '../errors';
import type { AppState } from '.';

/** A label: one step of one annotation, as "annotationId:stepIdx". */
export type LabelKey = `${number}:${number}`;
export const labelKey = (annotationId: number, stepIdx: number): LabelKey => `${annotationId}:${stepIdx}`;
export function parseLabelKey(key: LabelKey): { annotationId: number; stepIdx: number } {
  const [a, s] = key.split(':').map(Number);
  return { annotationId: a, stepIdx: s };
}

export type EditSpec = Input<'annotations.editMany'>['edits'][number];
export type BulkAction = { kind: 'relabel'; value: number } | { kind: 'reject' } | { kind: 'accept' };
export type ExportRequest = Input<'export.annotations'>;

/** The edits one bulk action makes over the selected labels (reject/accept: once per path). */
export function bulkEdits(selection: readonly LabelKey[], action: BulkAction): EditSpec[] {
  const labels = selection.map(parseLabelKey);
  if (action.kind === 'relabel') return labels.map((l) => ({ annotationId: l.annotationId, stepIdx: l.stepIdx, action: 'relabel', value: action.value }));
  const paths = [...new Set(labels.map((l) => l.annotationId))];
  return paths.map((annotationId) => ({ annotationId, action: action.kind }));
}

/** The steps of an annotation that lie in the subtree of `node` (its own step and every later one), or none. */
export function subtreeSteps(a: AnnotationRecord, node: number): number[] {
  const nodes = (a.provenance.nodes as (number | null)[] | undefined) ?? [];
  const at = nodes.indexOf(node);
  return at < 0 ? [] : a.steps.filter((s) => s.idx >= at).map((s) => s.idx);
}

/** The step of an annotation that a tree node holds (the last place its path passes the node), or -1. */
export function stepAtNode(a: AnnotationRecord, node: number): number {
  const nodes = (a.provenance.nodes as (number | null)[] | undefined) ?? [];
  const idx = nodes.lastIndexOf(node);
  return idx >= 0 && a.steps[idx] ? idx : -1;
}

/**
 * The undo and redo stacks as the stored history has them (after a reload): every batch in force can be
 * undone, newest on top; the undone batches newer than the last one in force can be redone, the oldest
 * of them on top (the order they were undone in).
 */
export function stacksFromHistory(annotations: readonly AnnotationRecord[]): { undoStack: number[]; redoStack: number[] } {
  const inForce = new Set<number>();
  const undone = new Set<number>();
  for (const a of annotations) for (const h of a.history) (h.undone ? undone : inForce).add(h.batch);
  // a batch partly undone cannot be: every record of a batch shares its state
  const undoStack = [...inForce].sort((x, y) => x - y);
  const last = undoStack.at(-1) ?? -Infinity;
  const redoStack = [...undone].filter((b) => b > last && !inForce.has(b)).sort((x, y) => y - x);
  return { undoStack, redoStack };
}

export type CuratorInfo = Output<'curator.get'>;

export interface CurationSlice {
  /** who the curation records name (set once from the palette; the OS account by default) */
  curator: CuratorInfo | null;
  /** the palette asked for the name dialog */
  nameRequested: boolean;
  loadCurator(): Promise<void>;
  /** rejects with the core's reason (an empty name) */
  setCurator(name: string): Promise<void>;
  requestName(on: boolean): void;
  /** the open search's annotations, curation applied */
  annotations: AnnotationRecord[];
  curationError: string | null;
  /** batches that can be undone, last on top */
  undoStack: number[];
  /** batches undone that can be redone, last undone on top; a new edit clears it */
  redoStack: number[];
  /** the selected labels a bulk action applies to */
  selection: LabelKey[];
  /** a comment carried by the next edit (single or bulk), cleared after it is saved */
  curationComment: string;
  conflicts: Output<'curation.solutionConflicts'> | null;
  conflictsError: string | null;
  exportResult: Output<'export.annotations'> | null;
  exportError: string | null;
  loadAnnotations(searchId: number): Promise<void>;
  /** applies edits as one batch (one undo step); false when the core refused them (nothing changed) */
  applyEdits(edits: EditSpec[]): Promise<boolean>;
  relabel(annotationId: number, stepIdx: number, value: number): Promise<boolean>;
  setPathState(annotationId: number, action: 'accept' | 'reject'): Promise<boolean>;
  addComment(annotationId: number, stepIdx: number | null): Promise<boolean>;
  editText(annotationId: number, stepIdx: number, text: string): Promise<boolean>;
  bulk(action: BulkAction): Promise<boolean>;
  undo(): Promise<void>;
  redo(): Promise<void>;
  setCurationComment(text: string): void;
  toggleLabel(key: LabelKey): void;
  selectLabels(keys: readonly LabelKey[], on: boolean): void;
  clearSelection(): void;
  /** selects the labels at the given tree nodes, reading the annotations of their searches */
  selectNodeLabels(rows: readonly { searchId: number; nodeId: number }[]): Promise<void>;
  /** one action on the labels at these tree nodes, as one batch (one undo step) */
  actOnNodes(rows: readonly { searchId: number; nodeId: number }[], action: BulkAction): Promise<boolean>;
  /** lowShare: "scored low" is the bottom share of its problem's candidates; threshold: also under this score (optional) */
  loadConflicts(prm: string, opts?: { lowShare?: number; threshold?: number }): Promise<void>;
  exportAnnotations(req: ExportRequest): Promise<void>;
}

export const createCurationSlice =
  (api: Api): StateCreator<AppState, [], [], CurationSlice> =>
  (set, get) => {
    /** replaces the annotations the core returned, keeping the list's order */
    const merge = (changed: AnnotationRecord[]) => (st: AppState) => {
      const byId = new Map(changed.map((a) => [a.id, a]));
      return { annotations: st.annotations.map((a) => byId.get(a.id) ?? a) };
    };
    const failed = (e: unknown): false => {
      set({ curationError: describeError(e) });
      return false;
    };
    /** the labels at some tree nodes: the step each annotation through the node holds there */
    const nodeLabelKeys = async (rows: readonly { searchId: number; nodeId: number }[]): Promise<LabelKey[]> => {
      const searches = [...new Set(rows.map((r) => r.searchId))];
      const lists = await Promise.all(searches.map((searchId) => api['annotations.forSearch']({ searchId })));
      const keys: LabelKey[] = [];
      for (const a of lists.flat()) {
        for (const r of rows) {
          if (r.searchId !== a.searchId) continue;
          const idx = stepAtNode(a, r.nodeId);
          if (idx >= 0) keys.push(labelKey(a.id, idx));
        }
      }
      return keys;
    };
    /** the search whose annotations (and undo history) are loaded, and whether an undo or redo is in flight */
    let loadedSearch: number | null = null;
    let stepping = false;
    return {
      curator: null,
      nameRequested: false,
      async loadCurator() {
        try {
          set({ curator: await api['curator.get']({}) });
        } catch {
          // the history still says who each record names; the dialog says the name cannot be read
        }
      },
      async setCurator(name) {
        set({ curator: await api['curator.set']({ name }) });
      },
      requestName(on) {
        set({ nameRequested: on });
      },
      annotations: [],
      curationError: null,
      undoStack: [],
      redoStack: [],
      selection: [],
      curationComment: '',
      conflicts: null,
      conflictsError: null,
      exportResult: null,
      exportError: null,
      async loadAnnotations(searchId) {
        // undo and redo act on this search's edits only, rebuilt from its stored history (a reload keeps them)
        const fresh = loadedSearch !== searchId;
        if (fresh) set({ undoStack: [], redoStack: [], selection: [] });
        loadedSearch = searchId;
        try {
          const annotations = await api['annotations.forSearch']({ searchId });
          if (loadedSearch === searchId) set({ annotations, curationError: null, ...(fresh ? stacksFromHistory(annotations) : {}) });
        } catch (e) {
          if (loadedSearch === searchId) set({ annotations: [], curationError: describeError(e) });
        }
      },
      async applyEdits(edits) {
        if (edits.length === 0) return failed(new Error('nothing selected: select labels first'));
        const comment = get().curationComment.trim();
        try {
          const r = await api['annotations.editMany']({ edits, comment: comment || null });
          set((st) => ({ ...merge(r.annotations)(st), undoStack: [...st.undoStack, r.batch], redoStack: [], curationComment: '', curationError: null }));
          return true;
        } catch (e) {
          return failed(e);
        }
      },
      relabel(annotationId, stepIdx, value) {
        if (!(value >= 0 && value <= 1)) return Promise.resolve(failed(new Error(`a soft label must be a number from 0 to 1 (got ${Number.isNaN(value) ? 'nothing' : value})`)));
        return get().applyEdits([{ annotationId, stepIdx, action: 'relabel', value }]);
      },
      setPathState(annotationId, action) {
        return get().applyEdits([{ annotationId, action }]);
      },
      addComment(annotationId, stepIdx) {
        const comment = get().curationComment.trim();
        if (!comment) return Promise.resolve(failed(new Error('write a comment first')));
        return get().applyEdits([{ annotationId, stepIdx, action: 'comment', comment }]);
      },
      editText(annotationId, stepIdx, text) {
        if (text.trim() === '') return Promise.resolve(failed(new Error('a step text cannot be empty')));
        return get().applyEdits([{ annotationId, stepIdx, action: 'text', text }]);
      },
      async bulk(action) {
        if (action.kind === 'relabel' && !(action.value >= 0 && action.value <= 1)) return failed(new Error(`a soft label must be a number from 0 to 1 (got ${action.value})`));
        const ok = await get().applyEdits(bulkEdits(get().selection, action));
        if (ok) set({ selection: [] });
        return ok;
      },
      async undo() {
        const batch = get().undoStack.at(-1);
        if (batch === undefined || stepping) return;
        stepping = true;
        try {
          const r = await api['annotations.undo']({ batch });
          set((st) => ({ ...merge(r.annotations)(st), undoStack: st.undoStack.slice(0, -1), redoStack: [...st.redoStack, batch], curationError: null }));
        } catch (e) {
          failed(e);
        } finally {
          stepping = false;
        }
      },
      async redo() {
        const batch = get().redoStack.at(-1);
        if (batch === undefined || stepping) return;
        stepping = true;
        try {
          const r = await api['annotations.redo']({ batch });
          set((st) => ({ ...merge(r.annotations)(st), redoStack: st.redoStack.slice(0, -1), undoStack: [...st.undoStack, batch], curationError: null }));
        } catch (e) {
          failed(e);
        } finally {
          stepping = false;
        }
      },
      setCurationComment(text) {
        set({ curationComment: text });
      },
      toggleLabel(key) {
        set((st) => ({ selection: st.selection.includes(key) ? st.selection.filter((k) => k !== key) : [...st.selection, key] }));
      },
      selectLabels(keys, on) {
        set((st) => {
          const drop = new Set(keys);
          const kept = st.selection.filter((k) => !drop.has(k));
          return { selection: on ? [...kept, ...keys] : kept };
        });
      },
      clearSelection() {
        set({ selection: [] });
      },
      async actOnNodes(rows, action) {
        try {
          const keys = await nodeLabelKeys(rows);
          if (keys.length === 0) throw new Error('no annotation path runs through the ticked rows: search with --all-paths to label every node');
          // the open search's annotations are among those the core returns: its tree and tables follow at once
          return await get().applyEdits(bulkEdits(keys, action));
        } catch (e) {
          return failed(e);
        }
      },
      async selectNodeLabels(rows) {
        try {
          const keys = await nodeLabelKeys(rows);
          if (keys.length === 0) throw new Error('no annotation path runs through the selected rows: search with --all-paths to label every node');
          get().selectLabels(keys, true);
          set({ curationError: null });
        } catch (e) {
          failed(e);
        }
      },
      async loadConflicts(prm, opts = {}) {
        try {
          set({ conflicts: await api['curation.solutionConflicts']({ prm, limit: 100, ...opts }), conflictsError: null });
        } catch (e) {
          set({ conflicts: null, conflictsError: describeError(e) });
        }
      },
      async exportAnnotations(req) {
        set({ exportResult: null, exportError: null });
        try {
          set({ exportResult: await api['export.annotations'](req) });
        } catch (e) {
          set({ exportError: describeError(e) });
        }
      },
    };
  };
