// Two searches of the same problem side by side: what each cost (nodes, rollouts, policy calls, tokens,
// wall time, labelled steps) and how far their MC labels agree on the step prefixes both estimated.
import { UserError } from '../errors';
import type { Store } from '.';
import type { SearchRecord } from './trees';
import type { TreeNode } from '../../../src-shared/domain';

export interface SearchCosts {
  searchId: number;
  algorithm: string;
  nodes: number;
  /** rollouts drawn, summed over the nodes (what the tree holds, whatever its stats say) */
  rollouts: number;
  /** null where the search's stats do not record it (imported or older searches) */
  policyCalls: number | null;
  tokens: number | null;
  wallMs: number | null;
  inferenceMs: number | null;
  labelledSteps: number | null;
  firstErrors: number;
  /** tokens per labelled step, the cost measure the OmegaPRM paper compares by */
  tokensPerLabelledStep: number | null;
}

export interface SearchComparison {
  problemId: number;
  searches: [SearchRecord, SearchRecord];
  costs: [SearchCosts, SearchCosts];
  /** step prefixes (the question alone excluded) both searches estimated, and how their MC labels compare */
  shared: { prefixes: number; agree: number; meanAbsDiff: number | null };
  /** whether the two drew the same random streams (then their rollouts from a shared prefix are the same) */
  streams: { shared: boolean; detail: string };
}

const SAMPLING_KEYS = ['temperature', 'topK', 'topP', 'maxNewTokens'] as const;

/**
 * A rollout's random stream is fixed by (seed, problem, prefix, rollout index) (enginePort): two searches
 * of one problem with the same seed, the same policy and the same sampling settings draw the same
 * rollouts from every prefix both estimate, so their MC labels there agree by construction (exactly when
 * they draw as many rollouts per prefix; in their first draws otherwise).
 */
export function sharedStreams(a: SearchRecord, b: SearchRecord): { shared: boolean; detail: string } {
  if (a.seed === null || b.seed === null) return { shared: false, detail: 'a search without a recorded seed (an import): its random streams are unknown' };
  if (a.seed !== b.seed) return { shared: false, detail: `seeds ${a.seed} and ${b.seed}: independent random streams` };
  if (a.modelId !== b.modelId) return { shared: false, detail: `seed ${a.seed} for both, but different policies: different rollouts` };
  const ca = (a.config ?? {}) as Record<string, unknown>;
  const cb = (b.config ?? {}) as Record<string, unknown>;
  const differ = SAMPLING_KEYS.filter((k) => ca[k] !== cb[k]);
  if (differ.length) return { shared: false, detail: `seed ${a.seed} for both, but ${differ.join(', ')} differ: different rollouts` };
  return { shared: true, detail: `seed ${a.seed}, the same policy and sampling for both: the same random streams from every prefix` };
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The steps a node adds to its parent's prefix: the search's own list when stored, else its text. */
function stepsOf(n: TreeNode): string[] {
  const meta = n.meta as { steps?: unknown } | null;
  if (meta && Array.isArray(meta.steps) && meta.steps.every((s) => typeof s === 'string')) return meta.steps as string[];
  return n.parentId === null ? [] : [n.stepText];
}

/**
 * Each node's full step prefix as a key, for the nodes reachable from a root; a node under a missing
 * parent or in a cycle has none (such trees come from old imports, and are compared on what is whole).
 */
export function prefixKeys(nodes: readonly TreeNode[]): Map<number, string> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const prefix = new Map<number, string[] | null>();
  const resolve = (start: TreeNode): string[] | null => {
    const chain: TreeNode[] = [];
    const seen = new Set<number>();
    let base: string[] | null;
    for (let cur: TreeNode | undefined = start; ; ) {
      if (!cur) {
        base = null; // a missing parent
        break;
      }
      if (prefix.has(cur.id)) {
        base = prefix.get(cur.id)!;
        break;
      }
      if (seen.has(cur.id)) {
        base = null; // a cycle
        break;
      }
      if (cur.parentId === null) {
        prefix.set(cur.id, []);
        base = [];
        break;
      }
      seen.add(cur.id);
      chain.push(cur);
      cur = byId.get(cur.parentId);
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      base = base === null ? null : [...base, ...stepsOf(chain[i])];
      prefix.set(chain[i].id, base);
    }
    return prefix.get(start.id) ?? null;
  };
  const out = new Map<number, string>();
  for (const n of nodes) {
    const p = resolve(n);
    if (p) out.set(n.id, JSON.stringify(p));
  }
  return out;
}

function costsOf(s: SearchRecord, nodes: readonly TreeNode[]): SearchCosts {
  const tokens = num(s.stats.tokens);
  const labelledSteps = num(s.stats.labelledSteps);
  return {
    searchId: s.id,
    algorithm: s.algorithm,
    nodes: nodes.length,
    rollouts: nodes.reduce((t, n) => t + n.rollouts, 0),
    policyCalls: num(s.stats.policyCalls),
    tokens,
    wallMs: num(s.stats.wallMs),
    inferenceMs: num(s.stats.inferenceMs),
    labelledSteps,
    firstErrors: nodes.filter((n) => n.firstError).length,
    tokensPerLabelledStep: tokens !== null && labelledSteps ? tokens / labelledSteps : null,
  };
}

/** MC labels (good: MC > 0, bad: MC = 0) of the prefixes both trees estimated. */
export function sharedLabels(a: readonly TreeNode[], b: readonly TreeNode[]): SearchComparison['shared'] {
  const keysB = prefixKeys(b);
  const mcB = new Map<string, number>();
  for (const n of b) {
    const k = keysB.get(n.id);
    if (k !== undefined && n.mc !== null && n.parentId !== null) mcB.set(k, n.mc);
  }
  const keysA = prefixKeys(a);
  let prefixes = 0;
  let agree = 0;
  let diff = 0;
  for (const n of a) {
    const k = keysA.get(n.id);
    if (k === undefined || n.mc === null || n.parentId === null) continue;
    const other = mcB.get(k);
    if (other === undefined) continue;
    prefixes++;
    if (n.mc > 0 === other > 0) agree++;
    diff += Math.abs(n.mc - other);
  }
  return { prefixes, agree, meanAbsDiff: prefixes ? diff / prefixes : null };
}

/** Compares two searches; searches of different problems, or a search with itself, are refused. */
export function compareSearches(store: Store, a: number, b: number): SearchComparison {
  if (a === b) throw new UserError(`compare: search ${a} is the same search twice; pick a second search of problem ${store.trees.getSearch(a).problemId}`);
  const sa = store.trees.getSearch(a);
  const sb = store.trees.getSearch(b);
  if (sa.problemId !== sb.problemId)
    throw new UserError(`compare: search ${a} is of problem ${sa.problemId} and search ${b} of problem ${sb.problemId}; only searches of the same problem can be compared`);
  const na = store.trees.nodes(a);
  const nb = store.trees.nodes(b);
  return { problemId: sa.problemId, searches: [sa, sb], costs: [costsOf(sa, na), costsOf(sb, nb)], shared: sharedLabels(na, nb), streams: sharedStreams(sa, sb) };
}
