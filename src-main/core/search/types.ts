// The search's view of the world: it asks a policy for rollouts through a port and gets back a tree.
// No model, no database here, so the algorithms are tested with scripted rollouts.

/** One sampled continuation of a prefix to the end of a solution. */
export interface RolloutResult {
  /** the continuation's steps (without the prefix's steps) */
  steps: string[];
  /** the final answer is verified correct */
  correct: boolean;
  /** policy tokens generated for it */
  tokens: number;
}

export interface SearchPorts {
  /**
   * n rollouts continuing from `prefix` (the steps after the question). `streamKey` identifies the
   * tree node the rollouts are drawn for (its prefix); the port derives one random stream per
   * (seed, problem, streamKey, rollout index), so results do not depend on order or batching.
   */
  rollout(prefix: readonly string[], n: number, streamKey: string): Promise<RolloutResult[]>;
  signal?: AbortSignal;
}

/** A node of the search tree: a step prefix. */
export interface SearchNode {
  /** creation order, 0 = root */
  id: number;
  parentId: number | null;
  /** steps this node adds to its parent's prefix (the root has none; a node may hold several) */
  steps: string[];
  /** number of steps from the root to the end of this node */
  depth: number;
  /** times selected (OmegaPRM's N(s)) */
  visits: number;
  /** rollouts drawn from this prefix; 0 for a terminal node (a kept rollout costs no policy call of its own) */
  rollouts: number;
  correct: number;
  /** correct / rollouts; a terminal node's is its own verdict (1 or 0); null when never estimated */
  mc: number | null;
  /** OmegaPRM's Q of the node's best pooled rollout when last computed, else null */
  q: number | null;
  /** the binary search found this prefix to hold the first wrong step (MC = 0 right after a prefix with MC > 0) */
  firstError: boolean;
  /** a complete solution (a rollout kept whole) */
  terminal: boolean;
}

/**
 * select: a (state, rollout) pair popped from the pool; `rolloutIndex` is the rollout's index in the
 * state's batch, `poolSize` counts the pool before the pop. probe: one binary-search step; `from` is the
 * selected state the search started from, `depth` the probed prefix's length from the root. add: a node
 * was created (every node but the root), under `parent` as it stood then (a later, shorter prefix may
 * come between them), so a replay can tell which nodes existed after each event; `terminal` for a
 * complete solution (a kept correct rollout, or a wrong rollout probed whole).
 */
export type SearchEvent =
  | { kind: 'select'; node: number; rolloutIndex: number; q: number; u: number; score: number; poolSize: number }
  | { kind: 'rollout'; node: number; n: number; correct: number; tokens: number }
  | { kind: 'probe'; node: number; from: number; depth: number; mc: number; direction: 'right' | 'left' }
  | { kind: 'first-error'; node: number; depth: number }
  | { kind: 'add'; node: number; parent: number; depth: number; terminal: boolean };

export interface SearchStats {
  /** policy calls: one per rollout batch */
  policyCalls: number;
  rollouts: number;
  tokens: number;
  selections: number;
  nodes: number;
  /** why the search stopped */
  stop: 'search-limit' | 'rollout-budget' | 'pool-empty' | 'filtered' | 'done';
}

export interface SearchResult {
  nodes: SearchNode[];
  events: SearchEvent[];
  stats: SearchStats;
}
