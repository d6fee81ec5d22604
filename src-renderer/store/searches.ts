// Searches and the tree open in the explorer (nodes, every PRM's node scores), and the selected node.
import type { StateCreator } from 'zustand/vanilla';
import type { Api } from '../../src-shared/api';
import type { AnnotationRecord, NodeDisagreement, NodePrmScores, SearchSummary, TreeNode } from '../../src-shared/domain';
import { describeError } from '../errors';
import type { AppState } from '.';

export interface SearchesSlice {
  searches: SearchSummary[];
  searchesTotal: number;
  searchesLoaded: boolean;
  searchesError: string | null;
  tree: { search: SearchSummary; nodes: TreeNode[]; prm: NodePrmScores[] } | null;
  treeError: string | null;
  selectedNode: number | null;
  /** the open search's annotations, curation applied */
  annotations: AnnotationRecord[];
  curationError: string | null;
  /** relabels that can be undone (each undo appends the edit that restores the label before) */
  undoStack: { annotationId: number; stepIdx: number; previous: number }[];
  /** registered PRMs (name@version) and the disagreement queue of the one chosen */
  prms: string[];
  disagreements: { prm: string; scoredNodes: number; items: NodeDisagreement[] } | null;
  disagreementsError: string | null;
  loadSearches(): Promise<void>;
  loadDisagreements(prm: string): Promise<void>;
  relabel(annotationId: number, stepIdx: number, value: number): Promise<void>;
  setPathState(annotationId: number, action: 'accept' | 'reject'): Promise<void>;
  undo(): Promise<void>;
  /** opens a search, optionally with one of its nodes selected */
  openSearch(id: number, node?: number): Promise<void>;
  selectNode(id: number | null): void;
}

export const createSearchesSlice =
  (api: Api): StateCreator<AppState, [], [], SearchesSlice> =>
  (set, get) => ({
    searches: [],
    searchesTotal: 0,
    searchesLoaded: false,
    searchesError: null,
    tree: null,
    treeError: null,
    selectedNode: null,
    annotations: [],
    curationError: null,
    undoStack: [],
    prms: [],
    disagreements: null,
    disagreementsError: null,
    async loadSearches() {
      try {
        const [page, models] = await Promise.all([api['searches.list']({ offset: 0, limit: 200 }), api['models.list']({})]);
        const prms = models.filter((m) => m.role === 'prm').map((m) => `${m.name}@${m.version}`);
        set({ searches: page.items, searchesTotal: page.total, searchesLoaded: true, searchesError: null, prms });
      } catch (e) {
        set({ searchesError: describeError(e) });
      }
    },
    async loadDisagreements(prm) {
      try {
        set({ disagreements: await api['curation.disagreements']({ prm, limit: 100 }), disagreementsError: null });
      } catch (e) {
        set({ disagreementsError: describeError(e) });
      }
    },
    async openSearch(id, node) {
      try {
        const [tree, annotations] = await Promise.all([api['searches.tree']({ id }), api['annotations.forSearch']({ searchId: id })]);
        set({ tree, annotations, treeError: null, selectedNode: node ?? null, undoStack: [], curationError: null });
      } catch (e) {
        set({ treeError: describeError(e) });
      }
    },
    selectNode(id) {
      set({ selectedNode: id });
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
