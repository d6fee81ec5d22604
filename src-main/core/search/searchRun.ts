// What both algorithms share while they run: the prefix tree, the event log, and every policy call
// counted, checked against the abort signal and the rollout budget, and reported as a 'rollout' event.
import { PrefixTree, streamKeyOf } from './tree';
import type { RolloutResult, SearchEvent, SearchNode, SearchPorts, SearchResult, SearchStats } from './types';

export interface SearchOptions {
  /** every event, in order, as it happens (the result's `events` holds them too) */
  onEvent?(e: SearchEvent): void;
}

/** The error a search throws when its port's signal is aborted (checked before and after every policy call). */
export function abortError(): Error {
  const e = new Error('search aborted');
  e.name = 'AbortError';
  return e;
}

export class SearchRun {
  readonly events: SearchEvent[] = [];
  /** every node added is logged as an 'add' event, so the log replays the tree's growth */
  readonly tree = new PrefixTree((n) => this.emit({ kind: 'add', node: n.id, parent: n.parentId ?? 0, depth: n.depth, terminal: n.terminal }));
  readonly counts = { policyCalls: 0, rollouts: 0, tokens: 0, selections: 0 };

  constructor(
    private readonly ports: SearchPorts,
    private readonly opts: SearchOptions,
    private readonly rolloutBudget = Number.POSITIVE_INFINITY,
  ) {}

  emit(e: SearchEvent): void {
    this.events.push(e);
    this.opts.onEvent?.(e);
  }

  throwIfAborted(): void {
    if (this.ports.signal?.aborted) throw abortError();
  }

  /** Whether a batch of n rollouts stays within the budget. */
  affordable(n: number): boolean {
    return this.counts.rollouts + n <= this.rolloutBudget;
  }

  /** One policy call: n rollouts from the node's prefix, recorded on the node (rollouts, correct, MC). */
  async rollOut(node: SearchNode, n: number): Promise<RolloutResult[]> {
    this.throwIfAborted();
    if (!this.affordable(n)) throw new Error(`search: a batch of ${n} rollouts would cross the budget of ${this.rolloutBudget}`);
    const prefix = this.tree.prefixOf(node.id);
    const results = await this.ports.rollout(prefix, n, streamKeyOf(prefix));
    if (results.length !== n) throw new Error(`policy port returned ${results.length} rollouts for a batch of ${n}`);
    const correct = results.filter((r) => r.correct).length;
    const tokens = results.reduce((t, r) => t + r.tokens, 0);
    this.counts.policyCalls += 1;
    this.counts.rollouts += n;
    this.counts.tokens += tokens;
    node.rollouts += n;
    node.correct += correct;
    node.mc = node.correct / node.rollouts;
    this.emit({ kind: 'rollout', node: node.id, n, correct, tokens });
    this.throwIfAborted();
    return results;
  }

  finish(stop: SearchStats['stop']): SearchResult {
    const nodes = this.tree.nodes;
    return { nodes, events: this.events, stats: { ...this.counts, nodes: nodes.length, stop } };
  }
}
