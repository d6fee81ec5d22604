// Searches and the tree open in the explorer (nodes, every PRM's node scores), and the selected node.
import type { StateCreator } from 'zustand/vanilla';
import type { Api } from '../../src-shared/api';
import type { NodeDisagreement, NodePrmScores, SearchSummary, TreeNode } from '../../src-shared/domain';
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
  /** registered PRMs (name@version) and the disagreement queue of the one chosen */
  prms: string[];
  disagreements: { prm: string; scoredNodes: number; items: NodeDisagreement[] } | null;
  disagreementsError: string | null;
  loadSearches(): Promise<void>;
  loadDisagreements(prm: string): Promise<void>;
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
        const tree = await api['searches.tree']({ id });
        set({ tree, treeError: null, selectedNode: node ?? null });
        await get().loadAnnotations(id);
      } catch (e) {
        set({ treeError: describeError(e) });
      }
    },
    selectNode(id) {
      set({ selectedNode: id });
    },
  });
