// A search replayed from its event log: one step per selection, rollout batch, binary-search probe and
// first error found, each with a caption, the node it touched, and the nodes that existed after it.
// Node creations ('add' events) join the step they belong to; logs recorded before creations were logged
// fall back to when a node is first named (and, for nodes never named, to the search's own creation order).
import type { TreeNode } from '../../src-shared/domain';

export interface EventRecord {
  seq: number;
  kind: string;
  data: unknown;
}

export interface ReplayStep {
  seq: number;
  kind: string;
  /** the node the event touched */
  node: number | null;
  /** nodes created with this step */
  added: number[];
  caption: string;
}

export interface Replay {
  steps: ReplayStep[];
  /** the step after which each node exists (the root: -1, before the first) */
  appearsAt: Map<number, number>;
  /** the step after which each node's MC is known (its first rollout batch, or its creation for a complete solution) */
  estimatedAt: Map<number, number>;
  /** the log names no node creations (recorded by an older version): appearance is inferred */
  legacy: boolean;
}

export interface ReplayFrame {
  k: number;
  step: ReplayStep;
  exists: Set<number>;
  estimated: Set<number>;
  /** the node the step touched, when it is in the tree */
  touched: number | null;
}

type Data = Record<string, unknown>;
const num = (d: Data, key: string): number | null => (typeof d[key] === 'number' && Number.isFinite(d[key]) ? (d[key] as number) : null);
const fixed = (v: number | null, digits = 2): string => (v === null ? '?' : v.toFixed(digits));
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The caption of one event (without what its node creations add). */
export function eventCaption(kind: string, data: unknown, isNew = false): string {
  const d = (data && typeof data === 'object' ? data : {}) as Data;
  const node = num(d, 'node');
  const nodeName = `${isNew ? 'new node' : 'node'} ${node ?? '?'}`;
  switch (kind) {
    case 'select': {
      const pool = num(d, 'poolSize');
      return `selection: node ${node ?? '?'} (Q=${fixed(num(d, 'q'))}, U=${fixed(num(d, 'u'))}: the highest Q+U${pool === null ? '' : ` of ${plural(pool, 'pooled rollout')}`})`;
    }
    case 'rollout': {
      const n = num(d, 'n');
      const correct = num(d, 'correct');
      const mc = n && correct !== null ? ` (MC ${fixed(correct / n)})` : '';
      return `rollouts ×${n ?? '?'} from ${nodeName}: ${correct ?? '?'} correct${mc}`;
    }
    case 'probe': {
      const mc = num(d, 'mc');
      const where = d.direction === 'right' ? 'the first error lies later, search right' : d.direction === 'left' ? 'the first error is here or earlier, search left' : 'no direction recorded';
      return `binary search probe: step ${num(d, 'depth') ?? '?'} (${nodeName}), MC ${fixed(mc)} → ${where}`;
    }
    case 'first-error':
      return `first error found: step ${num(d, 'depth') ?? '?'} (node ${node ?? '?'}) is marked as the first wrong step`;
    case 'add':
      return `${nodeName} added at step ${num(d, 'depth') ?? '?'}${d.terminal ? ' (a complete solution)' : ''}`;
    default:
      return `${kind}${node === null ? '' : `: node ${node}`}`;
  }
}

/** What a step's other node creations add to its caption: kept complete solutions, or new nodes. */
function addedCaption(others: number[], byId: Map<number, TreeNode>): string {
  if (others.length === 0) return '';
  const solutions = others.filter((id) => {
    const n = byId.get(id);
    return n && n.rollouts === 0 && n.mc === 1;
  }).length;
  const rest = others.length - solutions;
  const parts: string[] = [];
  if (solutions) parts.push(solutions === 1 ? '1 correct rollout kept as a complete solution' : `${solutions} correct rollouts kept as complete solutions`);
  if (rest) parts.push(`${plural(rest, 'new node')}`);
  return `; ${parts.join(', ')}`;
}

const nodeOf = (e: EventRecord): number | null => {
  const d = e.data && typeof e.data === 'object' ? (e.data as Data) : {};
  return num(d, 'node');
};

/** Builds the replay of a search from its event log and its tree. */
export function buildReplay(events: readonly EventRecord[], nodes: readonly TreeNode[]): Replay {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const sorted = [...events].sort((a, b) => a.seq - b.seq);
  const legacy = !sorted.some((e) => e.kind === 'add');
  const steps: ReplayStep[] = [];
  const appearsAt = new Map<number, number>();
  const estimatedAt = new Map<number, number>();
  const root = nodes.find((n) => n.parentId === null);
  if (root) appearsAt.set(root.id, -1);

  // an 'add' belongs to the next event when that event is about the new node (a probe's or a prefix's
  // rollouts), else to the step before it (correct rollouts kept after their batch)
  let pending: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i];
    if (e.kind === 'add') {
      const id = nodeOf(e);
      if (id === null) continue;
      let j = i + 1;
      while (j < sorted.length && sorted[j].kind === 'add') j++;
      const next = sorted[j];
      if (steps.length > 0 && (!next || nodeOf(next) !== id)) steps[steps.length - 1].added.push(id);
      else pending.push(id);
      continue;
    }
    steps.push({ seq: e.seq, kind: e.kind, node: nodeOf(e), added: pending, caption: '' });
    pending = [];
  }
  if (pending.length && steps.length) steps[steps.length - 1].added.push(...pending);

  const bySeq = new Map(sorted.map((e) => [e.seq, e]));
  steps.forEach((s, k) => {
    for (const id of s.added) if (!appearsAt.has(id)) appearsAt.set(id, k);
    if (s.node !== null && s.kind === 'rollout' && !estimatedAt.has(s.node)) estimatedAt.set(s.node, k);
    const isNew = s.node !== null && s.added.includes(s.node);
    s.caption = eventCaption(s.kind, bySeq.get(s.seq)!.data, isNew) + addedCaption(s.added.filter((id) => id !== s.node), byId);
  });

  if (legacy && steps.length) inferAppearance(steps, sorted, nodes, appearsAt);
  const last = Math.max(0, steps.length - 1);
  for (const n of nodes) {
    if (!appearsAt.has(n.id)) appearsAt.set(n.id, last);
    // a complete solution's MC is its own verdict, known when it appears
    if (!estimatedAt.has(n.id) && n.mc !== null) estimatedAt.set(n.id, n.rollouts === 0 ? appearsAt.get(n.id)! : last);
  }
  return { steps, appearsAt, estimatedAt, legacy };
}

/**
 * An old log: a node appears when an event first names it (as its node or the state a probe started
 * from); a node never named appears once a node the search created after it has appeared (the search's
 * own ids, kept in each node's meta, are its creation order).
 */
function inferAppearance(steps: ReplayStep[], sorted: EventRecord[], nodes: readonly TreeNode[], appearsAt: Map<number, number>): void {
  const bySeq = new Map(sorted.map((e) => [e.seq, e]));
  steps.forEach((s, k) => {
    const d = (bySeq.get(s.seq)?.data ?? {}) as Data;
    for (const key of ['node', 'from']) {
      const id = num(d, key);
      if (id !== null && !appearsAt.has(id)) appearsAt.set(id, k);
    }
  });
  const created = new Map<number, number>();
  for (const n of nodes) {
    const s = (n.meta as { searchNode?: unknown } | null)?.searchNode;
    if (typeof s === 'number') created.set(n.id, s);
  }
  if (created.size === 0) return;
  // the highest creation id seen by each step
  const seenBy: number[] = [];
  let max = -1;
  const named = [...appearsAt].filter(([id]) => created.has(id)).sort((a, b) => a[1] - b[1]);
  let i = 0;
  for (let k = 0; k < steps.length; k++) {
    while (i < named.length && named[i][1] <= k) max = Math.max(max, created.get(named[i++][0])!);
    seenBy.push(max);
  }
  for (const n of nodes) {
    if (appearsAt.has(n.id) || !created.has(n.id)) continue;
    const k = seenBy.findIndex((m) => m >= created.get(n.id)!);
    if (k >= 0) appearsAt.set(n.id, k);
  }
}

/** The nodes that exist after step k (the root always does). */
export function nodesAt(replay: Replay, k: number): Set<number> {
  const out = new Set<number>();
  for (const [id, at] of replay.appearsAt) if (at <= k) out.add(id);
  return out;
}

/** The tree as it stood after step k: which nodes exist, which have an MC, and the node the step touched. */
export function replayFrame(replay: Replay, k: number): ReplayFrame {
  const at = Math.max(0, Math.min(replay.steps.length - 1, Math.floor(k)));
  const step = replay.steps[at];
  const exists = nodesAt(replay, at);
  const estimated = new Set<number>();
  for (const [id, e] of replay.estimatedAt) if (e <= at) estimated.add(id);
  return { k: at, step, exists, estimated, touched: step && step.node !== null && replay.appearsAt.has(step.node) ? step.node : null };
}
