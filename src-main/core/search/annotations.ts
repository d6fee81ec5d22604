// Labelled step sequences from a search tree: PRM training data by MM-PRM's `traverse.py` rules, or
// every root-to-node path; and the count of labelled prefixes that the cost comparison divides by.
import { wordCount } from './formulas';
import { fnv1a32 } from './hash';
import { streamKeyOf } from './tree';
import type { SearchNode } from './types';

export interface StepAnnotation {
  steps: string[];
  /** soft label per step: the MC of the node the step belongs to (each step of a multi-step node gets that node's MC) */
  labels: number[];
  /** hard label per step: MC > 0 */
  hard: (0 | 1)[];
  /** index of the first step with hard label 0, or null (a multi-step MC = 0 node points at its first step) */
  firstError: number | null;
  /** per step, the node it belongs to */
  nodeIds: number[];
}

export interface ExtractOptions {
  /**
   * 'mmprm': only when 0 < MC(root) < 1; a DFS where a path ends as a negative at its first node with
   * MC <= 0 and a path to a leaf is a positive. 'all-paths': one path to every node but the root.
   */
  mode: 'mmprm' | 'all-paths';
  /** drop paths of at most this many words (MM-PRM: 10, against steps of tens of words); default DEFAULT_MIN_WORDS */
  minWords?: number;
  /** down-sample positives (no step labelled 0) to the number of negatives, as MM-PRM does; deterministic */
  balance?: boolean;
}

/**
 * Demo steps are about 5 words ("7 + 3 = 10", "count = 7", "Answer: 10"), so MM-PRM's 10 would drop
 * every one- and two-step path. 2 drops only empty paths and lone fragments shorter than any real step.
 */
export const DEFAULT_MIN_WORDS = 2;

/**
 * Paths in DFS order (children by id). A node without an MC (never estimated) ends its path unlabelled:
 * neither it nor its subtree is emitted. Both modes drop paths of at most `minWords` words and repeats
 * of the same step sequence (the first kept). Balancing keeps, when there are more positives than
 * negatives, the positives whose step text hashes lowest (FNV-1a, ties by DFS order), so the choice is
 * fixed by the text and not by the order of the tree; MM-PRM samples them at random.
 */
export function extractAnnotations(nodes: readonly SearchNode[], opts: ExtractOptions): StepAnnotation[] {
  if (nodes.length === 0) return [];
  const minWords = opts.minWords ?? DEFAULT_MIN_WORDS;
  const { root, children } = shape(nodes);
  if (opts.mode === 'mmprm' && !(root.mc !== null && root.mc > 0 && root.mc < 1)) return [];

  const found: StepAnnotation[] = [];
  const walk = (node: SearchNode, path: StepAnnotation): void => {
    if (node.mc === null) return;
    const here: StepAnnotation = {
      steps: [...path.steps, ...node.steps],
      labels: [...path.labels, ...node.steps.map(() => node.mc as number)],
      hard: [...path.hard, ...node.steps.map(() => ((node.mc as number) > 0 ? 1 : 0) as 0 | 1)],
      firstError: null,
      nodeIds: [...path.nodeIds, ...node.steps.map(() => node.id)],
    };
    const next = children.get(node.id) ?? [];
    if (opts.mode === 'all-paths') {
      found.push(here);
      for (const c of next) walk(c, here);
      return;
    }
    if (node.mc <= 0 || next.length === 0) {
      found.push(here);
      return;
    }
    for (const c of next) walk(c, here);
  };
  const empty: StepAnnotation = { steps: [], labels: [], hard: [], firstError: null, nodeIds: [] };
  for (const c of children.get(root.id) ?? []) walk(c, empty);

  const seen = new Set<string>();
  const kept = found.filter((a) => {
    const key = streamKeyOf(a.steps);
    if (wordCount(a.steps) <= minWords || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  for (const a of kept) {
    const i = a.hard.indexOf(0);
    a.firstError = i < 0 ? null : i;
  }
  return opts.balance ? balance(kept) : kept;
}

function balance(paths: StepAnnotation[]): StepAnnotation[] {
  const negatives = paths.filter((a) => a.firstError !== null).length;
  const positives = paths.map((a, i) => ({ a, i })).filter(({ a }) => a.firstError === null);
  if (positives.length <= negatives) return paths;
  const ranked = positives
    .map(({ a, i }) => ({ i, h: fnv1a32(streamKeyOf(a.steps)) }))
    .sort((x, y) => x.h - y.h || x.i - y.i)
    .slice(0, negatives);
  const keep = new Set(ranked.map((r) => r.i));
  return paths.filter((a, i) => a.firstError !== null || keep.has(i));
}

/**
 * Distinct step prefixes (the root's empty one excluded) whose MC was estimated from at least k
 * rollouts: the labels a search paid for. Terminal nodes whose MC is a kept rollout's verdict have
 * no rollouts of their own and are not counted.
 */
export function labelledSteps(nodes: readonly SearchNode[], k: number): number {
  const prefixes = fullPrefixes(nodes);
  const counted = new Set<string>();
  for (const n of nodes) {
    if (n.parentId === null || n.mc === null || n.rollouts < k) continue;
    counted.add(streamKeyOf(prefixes.get(n.id) ?? []));
  }
  return counted.size;
}

/** Every node's steps from the root, by id. */
export function fullPrefixes(nodes: readonly SearchNode[]): Map<number, string[]> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const out = new Map<number, string[]>();
  const resolve = (n: SearchNode, seen: number): string[] => {
    const done = out.get(n.id);
    if (done) return done;
    if (seen > nodes.length) throw new Error(`search tree: cycle through node ${n.id}`);
    const parent = n.parentId === null ? undefined : byId.get(n.parentId);
    if (n.parentId !== null && !parent) throw new Error(`search tree: node ${n.id} has unknown parent ${n.parentId}`);
    const prefix = parent ? [...resolve(parent, seen + 1), ...n.steps] : [...n.steps];
    out.set(n.id, prefix);
    return prefix;
  };
  for (const n of nodes) resolve(n, 0);
  return out;
}

function shape(nodes: readonly SearchNode[]): { root: SearchNode; children: Map<number, SearchNode[]> } {
  const roots = nodes.filter((n) => n.parentId === null);
  if (roots.length !== 1) throw new Error(`search tree: ${roots.length} roots`);
  const children = new Map<number, SearchNode[]>();
  for (const n of [...nodes].sort((a, b) => a.id - b.id)) {
    if (n.parentId === null) continue;
    const list = children.get(n.parentId) ?? [];
    list.push(n);
    children.set(n.parentId, list);
  }
  return { root: roots[0], children };
}
