// Searches and the tree open in the explorer (nodes, every PRM's node scores), and the selected node.
import type { StateCreator } from 'zustand/vanilla';
import type { Api } from '../../src-shared/api';
import type { NodePrmScores, SearchSummary, TreeNode } from '../../src-shared/domain';
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
  loadSearches(): Promise<void>;
  openSearch(id: number): Promise<void>;
  selectNode(id: number | null): void;
}

export const createSearchesSlice =
  (api: Api): StateCreator<AppState, [], [], SearchesSlice> =>
  (set) => ({
    searches: [],
    searchesTotal: 0,
    searchesLoaded: false,
    searchesError: null,
    tree: null,
    treeError: null,
    selectedNode: null,
    async loadSearches() {
      try {
        const page = await api['searches.list']({ offset: 0, limit: 200 });
        set({ searches: page.items, searchesTotal: page.total, searchesLoaded: true, searchesError: null });
      } catch (e) {
        set({ searchesError: describeError(e) });
      }
    },
    async openSearch(id) {
      try {
        set({ tree: await api['searches.tree']({ id }), treeError: null, selectedNode: null });
      } catch (e) {
        set({ treeError: describeError(e) });
      }
    },
    selectNode(id) {
      set({ selectedNode: id });
    },
  });
