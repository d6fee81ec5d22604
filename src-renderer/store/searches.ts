// Searches and the tree open in the explorer (nodes, every PRM's node scores, gold labels where the problem
// has them, the problem itself); the selected node is the route's (view slice: search, node). The open
// search's event log (for its replay), and a second search of the same problem to compare it with. An
// imported tree's extras (kept rollout counts, a judge's view) come with it; a node's kept rollout texts
// only when asked for.
import type { StateCreator } from 'zustand/vanilla';
import type { Api, Input, Output } from '../../src-shared/api';
import type { NodeDisagreement, NodePrmScores, SearchSummary, TreeNode } from '../../src-shared/domain';
import { describeError } from '../errors';
import { extrasFromColumns, nodesFromColumns, type NodeExtra } from '../tree/columns';
import type { AppState } from '.';

export type OpenTree = {
  search: SearchSummary;
  nodes: TreeNode[];
  prm: NodePrmScores[];
  /** an imported tree's kept rollout counts and judge values by node id; absent (or empty) for Steplab's own searches */
  extras?: ReadonlyMap<number, NodeExtra>;
  /** the tree has judge values (MM-PRM's mllm_as_a_judge.py) */
  judged?: boolean;
};
export type NodeRolloutTexts = Output<'searches.nodeRollouts'>;
export type QueueFilters = Pick<Input<'curation.disagreements'>, 'stepKind' | 'problemId' | 'minGap'>;
export type SearchComparison = Output<'searches.compare'>;
export type SearchGold = Output<'searches.gold'>;
export type ProblemDetail = Output<'problems.detail'>;

/** Gold per node id: the label of its last step, whether its prefix is right, whether it holds its path's gold first error. */
export interface NodeGold {
  last: 0 | 1 | null;
  prefixOk: boolean | null;
  firstError: boolean;
}

export function goldByNode(g: SearchGold | null): Map<number, NodeGold> {
  const out = new Map<number, NodeGold>();
  if (!g) return out;
  const first = new Set(g.goldFirstErrors);
  g.ids.forEach((id, i) => out.set(id, { last: g.last[i], prefixOk: g.prefixOk[i], firstError: first.has(id) }));
  return out;
}

/** What a search is called in the UI: its problem's dataset id (the row id when the problem is in no dataset). */
export function searchTitle(s: Pick<SearchSummary, 'extId' | 'problemId'> & { name?: string | null }): string {
  const ref = s.extId ?? `problem row ${s.problemId}`;
  return s.name ? `${s.name} (${ref})` : ref;
}

export const ALGORITHM_LABEL: Record<string, string> = { omegaprm: 'OmegaPRM', 'math-shepherd': 'Math-Shepherd MC' };
export const algorithmLabel = (a: string): string => ALGORITHM_LABEL[a] ?? a;

export interface SearchesSlice {
  searches: SearchSummary[];
  searchesTotal: number;
  searchesLoaded: boolean;
  searchesError: string | null;
  tree: OpenTree | null;
  treeError: string | null;
  /** the open search's event log, loaded when its replay is first asked for */
  treeEvents: { searchId: number; items: Output<'searches.events'> } | null;
  eventsError: string | null;
  /** other searches of the open search's problem, the ones it can be compared with */
  compareCandidates: { problemId: number; items: SearchSummary[] } | null;
  /** the open search beside a second one: their trees and the comparison of their costs and labels */
  comparison: { result: SearchComparison; trees: [OpenTree, OpenTree] } | null;
  compareError: string | null;
  /** the open search's gold labels (loaded with it; empty where its problem has none) */
  treeGold: SearchGold | null;
  /** the open search's problem (question, pictures, gold answer) */
  treeProblem: ProblemDetail | null;
  treeProblemError: string | null;
  /** the disagreement queue of the PRM chosen (the PRMs to choose from: prmLabels in selectors.ts) */
  disagreements: { prm: string; scoredNodes: number; matching?: number; items: NodeDisagreement[] } | null;
  disagreementsError: string | null;
  /** kept rollout texts of the open tree's nodes, by node id, as they were asked for */
  nodeRollouts: Readonly<Record<number, NodeRolloutTexts>>;
  nodeRolloutsError: { nodeId: number; message: string } | null;
  /** the node whose kept rollout texts are shown (asked for with Show the kept rollouts) */
  rolloutsShown: number | null;
  loadSearches(): Promise<void>;
  /** the disagreement queue of a PRM, filtered (step kind, problem, least gap) */
  loadDisagreements(prm: string, filters?: QueueFilters): Promise<void>;
  /** opens a search, optionally with one of its nodes selected (the route follows) */
  openSearch(id: number, node?: number): Promise<void>;
  /** selects a node of the open search (the route's node) */
  selectNode(id: number | null): void;
  loadEvents(searchId: number): Promise<void>;
  loadCompareCandidates(problemId: number): Promise<void>;
  /** compares the open search with another one of the same problem */
  compareWith(other: number): Promise<void>;
  closeCompare(): void;
  /** one node's kept rollout texts (searches.nodeRollouts), once: a node already loaded is not asked for again */
  loadNodeRollouts(nodeId: number): Promise<void>;
  /** shows a node's kept rollout texts, loading them the first time (null hides them) */
  showNodeRollouts(nodeId: number | null): Promise<void>;
}

/** A search's tree for the explorer, read column-wise (the compact form) and turned back into nodes. */
export async function fetchTree(api: Api, id: number): Promise<OpenTree> {
  const t = await api['searches.treeColumns']({ id });
  const extras = extrasFromColumns(t.columns, t.extras);
  return { search: t.search, nodes: nodesFromColumns(t.search.id, t.columns), prm: t.prm, ...(extras.size ? { extras, judged: Boolean(t.extras?.judge) } : {}) };
}

export const createSearchesSlice =
  (api: Api): StateCreator<AppState, [], [], SearchesSlice> =>
  (set, get) => {
    // the search (and the comparison) asked for last: a slower reply for an earlier request is dropped
    let wantedTree: number | null = null;
    let wantedCompare: number | null = null;
    // nodes whose rollout texts are on their way (a second Show while one is does not ask again)
    const rolloutsPending = new Set<number>();
    return {
      searches: [],
      searchesTotal: 0,
      searchesLoaded: false,
      searchesError: null,
      tree: null,
      treeError: null,
      treeEvents: null,
      eventsError: null,
      compareCandidates: null,
      comparison: null,
      compareError: null,
      treeGold: null,
      treeProblem: null,
      treeProblemError: null,
      disagreements: null,
      disagreementsError: null,
      nodeRollouts: {},
      nodeRolloutsError: null,
      rolloutsShown: null,
      async loadSearches() {
        try {
          // the PRMs a view picks from are the models slice's (prmLabels in selectors.ts), read again beside the list
          const [page] = await Promise.all([api['searches.list']({ offset: 0, limit: 200 }), get().loadModels()]);
          set({ searches: page.items, searchesTotal: page.total, searchesLoaded: true, searchesError: null });
        } catch (e) {
          set({ searchesError: describeError(e) });
        }
      },
      async loadDisagreements(prm, filters = {}) {
        try {
          set({ disagreements: await api['curation.disagreements']({ prm, limit: 100, ...filters }), disagreementsError: null });
        } catch (e) {
          set({ disagreementsError: describeError(e) });
        }
      },
      async openSearch(id, node) {
        wantedTree = id;
        set({ search: id, node });
        if (get().tree?.search.id === id) {
          // already open: only the node changes
          return;
        }
        try {
          const [tree, gold] = await Promise.all([fetchTree(api, id), api['searches.gold']({ id }).catch(() => null)]);
          if (wantedTree !== id) return;
          const keep = get().comparison?.trees[0].search.id === id;
          const problemChanged = get().treeProblem?.problem.id !== tree.search.problemId;
          set({ tree, treeGold: gold, treeError: null, treeEvents: null, eventsError: null, nodeRollouts: {}, nodeRolloutsError: null, rolloutsShown: null, ...(problemChanged ? { treeProblem: null, treeProblemError: null } : {}), ...(keep ? {} : { comparison: null, compareError: null }) });
          if (problemChanged) {
            api['problems.detail']({ id: tree.search.problemId }).then(
              (d) => wantedTree === id && set({ treeProblem: d, treeProblemError: null }),
              (e: unknown) => wantedTree === id && set({ treeProblemError: describeError(e) }),
            );
          }
          await get().loadAnnotations(id);
        } catch (e) {
          if (wantedTree === id) set({ treeError: describeError(e) });
        }
      },
      selectNode(id) {
        set({ node: id ?? undefined });
      },
      async loadEvents(searchId) {
        try {
          const items = await api['searches.events']({ id: searchId });
          if (get().tree?.search.id === searchId) set({ treeEvents: { searchId, items }, eventsError: null });
        } catch (e) {
          set({ eventsError: describeError(e) });
        }
      },
      async loadCompareCandidates(problemId) {
        try {
          const page = await api['searches.list']({ problemId, offset: 0, limit: 200 });
          set({ compareCandidates: { problemId, items: page.items }, compareError: null });
        } catch (e) {
          set({ compareError: describeError(e) });
        }
      },
      async compareWith(other) {
        const tree = get().tree;
        if (!tree) return;
        wantedCompare = other;
        const current = () => wantedCompare === other && get().tree?.search.id === tree.search.id;
        try {
          const [result, second] = await Promise.all([api['searches.compare']({ a: tree.search.id, b: other }), fetchTree(api, other)]);
          if (current()) set({ comparison: { result, trees: [tree, second] }, compareError: null });
        } catch (e) {
          if (current()) set({ compareError: describeError(e) });
        }
      },
      closeCompare() {
        set({ comparison: null, compareError: null });
      },
      async showNodeRollouts(nodeId) {
        set({ rolloutsShown: nodeId });
        if (nodeId !== null) await get().loadNodeRollouts(nodeId);
      },
      async loadNodeRollouts(nodeId) {
        if (get().nodeRollouts[nodeId] || rolloutsPending.has(nodeId)) return;
        const tree = get().tree;
        rolloutsPending.add(nodeId);
        try {
          const r = await api['searches.nodeRollouts']({ nodeId });
          // kept only while the tree they belong to is open
          if (get().tree === tree) set((s) => ({ nodeRollouts: { ...s.nodeRollouts, [nodeId]: r }, nodeRolloutsError: s.nodeRolloutsError?.nodeId === nodeId ? null : s.nodeRolloutsError }));
        } catch (e) {
          if (get().tree === tree) set({ nodeRolloutsError: { nodeId, message: describeError(e) } });
        } finally {
          rolloutsPending.delete(nodeId);
        }
      },
    };
  };
