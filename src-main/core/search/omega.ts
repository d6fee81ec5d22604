// OmegaPRM (Luo et al. 2024) as MM-PRM runs it: a pool of (state, wrong rollout) pairs, selection by
// Q + U, and a binary search of the selected rollout for its first wrong step. Every prefix the search
// estimates becomes a node of a prefix tree; the policy is reached only through the port.
import { binarySearchFirstError } from './binarySearch';
import { rootBatch, type OmegaConfig } from './config';
import { qValue, uValue, wordCount } from './formulas';
import { SearchRun, type SearchOptions } from './searchRun';
import { streamKeyOf } from './tree';
import type { RolloutResult, SearchNode, SearchPorts, SearchResult } from './types';

interface PoolEntry {
  /** the state the rollout was drawn from */
  node: number;
  /** the rollout's index in that state's batch */
  rolloutIndex: number;
  steps: readonly string[];
  words: number;
}

/**
 * Runs one search on one question.
 *
 * - Root: one batch (k rollouts, or the question filter's batch when enabled, which then is the root's
 *   estimate). MC(root) of 0 or 1 leaves nothing to split: stop 'done' (or 'filtered' with the filter).
 * - Pool: the distinct wrong rollouts of every estimated state with 0 < MC < 1 (MM-PRM's pool), each
 *   scored when selecting by Q from the state's MC and the rollout's length in words, plus U from
 *   N(state) and the visits summed over the tree (= selections so far, as each adds one visit).
 *   The highest score wins; an exact tie goes to the entry pooled first.
 * - A selection removes the pair, adds 1 to N(state), and binary-searches the rollout's steps. A probed
 *   prefix that already has a node reuses its MC; a new one gets k rollouts; the full rollout is a
 *   complete wrong solution, a terminal node with MC 0 and no rollouts (MM-PRM's `left == right ==
 *   length - 1` case). A probe with MC > 0 is a new state: its wrong rollouts join the pool. The prefix
 *   ending at the first wrong step found is marked `firstError`.
 * - With keepCorrectRollouts, every correct rollout of every estimate becomes a terminal node (the
 *   complete solution) with MC = 1 and no rollouts of its own, unless that prefix has a node already.
 * - Stops, checked before each selection: pool empty ('pool-empty'), maxSearchCount selections made
 *   ('search-limit'), or less than one batch of k left in the budget ('rollout-budget'). A probe whose
 *   batch would cross the budget is not rolled out: the binary search ends there, its earlier probes
 *   stay in the tree, no first error is marked, and the search stops ('rollout-budget'). So the
 *   rollouts never exceed the budget, and the unused rest is less than one batch when it stops so.
 */
export async function runOmega(config: OmegaConfig, ports: SearchPorts, opts: SearchOptions = {}): Promise<SearchResult> {
  const run = new SearchRun(ports, opts, config.rolloutBudget);
  const { tree } = run;
  const k = config.rolloutsPerState;
  const pool: PoolEntry[] = [];

  const refreshQ = (node: SearchNode): void => {
    let q: number | null = null;
    for (const e of pool) if (e.node === node.id) q = Math.max(q ?? -Infinity, qValue(node.mc ?? 0, e.words, config));
    if (q !== null) node.q = q;
  };

  const harvest = (node: SearchNode, results: readonly RolloutResult[]): void => {
    const prefix = tree.prefixOf(node.id);
    if (config.keepCorrectRollouts) {
      for (const r of results) {
        if (!r.correct || r.steps.length === 0) continue;
        const full = [...prefix, ...r.steps];
        if (!tree.find(full)) tree.add(full, { rollouts: 0, correct: 0, mc: 1, terminal: true });
      }
    }
    const mc = node.mc ?? 0;
    if (mc <= 0 || mc >= 1) return;
    const seen = new Set<string>();
    results.forEach((r, i) => {
      const key = streamKeyOf(r.steps);
      if (r.correct || r.steps.length === 0 || seen.has(key)) return;
      seen.add(key);
      pool.push({ node: node.id, rolloutIndex: i, steps: r.steps, words: wordCount(r.steps) });
    });
    refreshQ(node);
  };

  const root = tree.root;
  const first = rootBatch(config);
  if (!run.affordable(first)) return run.finish('rollout-budget');
  harvest(root, await run.rollOut(root, first));
  if (root.mc === 0 || root.mc === 1) return run.finish(config.questionFilter.enabled ? 'filtered' : 'done');

  for (;;) {
    run.throwIfAborted();
    if (pool.length === 0) return run.finish('pool-empty');
    if (run.counts.selections >= config.maxSearchCount) return run.finish('search-limit');
    if (!run.affordable(k)) return run.finish('rollout-budget');

    const totalVisits = run.counts.selections;
    let pick = 0;
    let pickQ = 0;
    let pickU = 0;
    let pickScore = Number.NEGATIVE_INFINITY;
    pool.forEach((e, i) => {
      const state = tree.nodes[e.node];
      const q = qValue(state.mc ?? 0, e.words, config);
      const u = uValue(totalVisits, state.visits, config.cPuct);
      // strict > keeps the earliest pooled entry on an exact tie
      if (q + u > pickScore) [pick, pickQ, pickU, pickScore] = [i, q, u, q + u];
    });
    const poolSize = pool.length;
    const [entry] = pool.splice(pick, 1);
    const state = tree.nodes[entry.node];
    state.visits += 1;
    run.counts.selections += 1;
    refreshQ(state);
    run.emit({ kind: 'select', node: state.id, rolloutIndex: entry.rolloutIndex, q: pickQ, u: pickU, score: pickScore, poolSize });

    const base = tree.prefixOf(state.id);
    const search = await binarySearchFirstError(entry.steps, async (length, part) => {
      const prefix = [...base, ...part];
      let node = tree.find(prefix);
      if (!node) {
        if (length === entry.steps.length) {
          node = tree.add(prefix, { rollouts: 0, correct: 0, mc: 0, terminal: true });
        } else {
          if (!run.affordable(k)) return null;
          node = tree.add(prefix, { rollouts: 0, correct: 0, mc: null, terminal: false });
          harvest(node, await run.rollOut(node, k));
        }
      }
      const mc = node.mc;
      if (mc === null) throw new Error(`omega: node ${node.id} has no MC`);
      run.emit({ kind: 'probe', node: node.id, from: state.id, depth: node.depth, mc, direction: mc > 0 ? 'right' : 'left' });
      return mc;
    });
    if (search.firstError !== null) {
      const node = tree.find([...base, ...entry.steps.slice(0, search.firstError + 1)]);
      if (!node) throw new Error('omega: first-error prefix has no node');
      if (!node.firstError) {
        node.firstError = true;
        run.emit({ kind: 'first-error', node: node.id, depth: node.depth });
      }
    }
    if (search.stopped) return run.finish('rollout-budget');
  }
}
