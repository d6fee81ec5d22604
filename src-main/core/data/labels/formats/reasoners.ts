// `reasoners-tree`: llm-reasoners' TreeLog (maitrix-org/llm-reasoners @ f94e5ac,
// reasoners/visualization/tree_log.py and tree_snapshot.py), the JSON its TreeLogEncoder writes, plain
// or gzipped as visualizer_client.py sends it: {"logs": [snapshot, ...]}, one snapshot per MCTS
// iteration, each {"nodes": {id: {id, data, selected_edge, convert_images}}, "edges": {id: {id, source,
// target, data, convert_images}}}; an edge's data is {Q, reward, ...reward details} (MCTS) or {reward,
// action} (beam search, DFS).
//
// The last snapshot is the tree; each earlier one adds replay events: an `iteration` event naming the
// node its selected edges lead to, then an `add` event per node that appeared. A node's step text is its
// edge's `action` when it has one, else its data's `question` and `answer` (RAP's sub-question and
// sub-answer) or the first of `step`, `text`, `answer`, `action`, `state`, else its data as JSON; Q and
// reward go to the node (q, meta). A TreeLog carries no question and no step labels: the question is
// read from a `question` (and an optional `answer`) beside "logs", or from the root node's data; the
// nodes have no MC, so the tree gives no annotations (explore and replay it; label it with a search).
import { asObj, isObj, keyPath, list, need, optScalar, rest, type Obj } from '../fields';
import { FieldError, perRecord, type LabelFormat, type LabelNode, type LabelUnit } from '../types';

interface Snapshot {
  nodes: Map<string, Obj>;
  /** by node: its parent, the data of the edge leading to it and that edge's id */
  parent: Map<string, { source: string; edge: Obj; edgeId: string }>;
  children: Map<string, string[]>;
  root: string;
}

function snapshot(raw: unknown, path: string): Snapshot {
  const s = asObj(raw, path);
  const nodesObj = asObj(need(s, 'nodes', path), keyPath(path, 'nodes'));
  const edgesObj = asObj(need(s, 'edges', path), keyPath(path, 'edges'));
  const nodes = new Map<string, Obj>();
  for (const [k, v] of Object.entries(nodesObj)) nodes.set(String(asObj(v, keyPath(path, `nodes.${k}`)).id ?? k), v as Obj);
  const parent = new Map<string, { source: string; edge: Obj; edgeId: string }>();
  const children = new Map<string, string[]>();
  const edges = Object.entries(edgesObj).map(([k, v]) => ({ k, e: asObj(v, keyPath(path, `edges.${k}`)) }));
  edges.sort((a, b) => Number(a.e.id ?? a.k) - Number(b.e.id ?? b.k));
  for (const { k, e } of edges) {
    const ep = keyPath(path, `edges.${k}`);
    const source = String(need(e, 'source', ep));
    const target = String(need(e, 'target', ep));
    if (!nodes.has(source) || !nodes.has(target)) throw new FieldError(ep, `joins node ${nodes.has(source) ? target : source}, which the snapshot does not have`);
    if (parent.has(target)) throw new FieldError(ep, `node ${target} has two parents`);
    parent.set(target, { source, edge: isObj(e.data) ? e.data : {}, edgeId: String(e.id ?? k) });
    children.set(source, [...(children.get(source) ?? []), target]);
  }
  const roots = [...nodes.keys()].filter((id) => !parent.has(id));
  if (roots.length !== 1) throw new FieldError(path, `has ${roots.length} nodes without a parent edge; a tree has one root`);
  return { nodes, parent, children, root: roots[0] };
}

function stepText(data: Obj, edge: Obj): string {
  if (typeof edge.action === 'string') return edge.action;
  if (typeof data.question === 'string' && typeof data.answer === 'string') return `${data.question}\n${data.answer}`;
  for (const k of ['step', 'text', 'answer', 'action', 'state']) if (typeof data[k] === 'string') return data[k] as string;
  return JSON.stringify(data);
}

function readReasoners(value: unknown): LabelUnit {
  const o = asObj(value, '');
  const logs = list(o, 'logs', '');
  if (logs.length === 0) throw new FieldError('', 'field "logs": no snapshots');
  const snaps = logs.map((s, i) => snapshot(s, `logs[${i}]`));
  const last = snaps[snaps.length - 1];
  const rootData = isObj(last.nodes.get(last.root)!.data) ? (last.nodes.get(last.root)!.data as Obj) : {};
  const question = [o.question, rootData.question, rootData.problem, rootData.query].find((x): x is string => typeof x === 'string' && x.trim() !== '');
  if (question === undefined) throw new FieldError('', 'no question: llm-reasoners logs do not carry the problem; add "question" (and "answer") beside "logs", or in the root node\'s data');
  // the last snapshot's nodes, breadth-first from the root, children in edge order
  const ids = new Map<string, number>();
  const nodes: LabelNode[] = [];
  const queue = [last.root];
  while (queue.length) {
    const key = queue.shift()!;
    const raw = last.nodes.get(key)!;
    const data = isObj(raw.data) ? (raw.data as Obj) : {};
    const up = last.parent.get(key);
    const edge = up?.edge ?? {};
    const q = typeof edge.Q === 'number' && Number.isFinite(edge.Q) ? edge.Q : null;
    ids.set(key, nodes.length);
    nodes.push({
      id: nodes.length,
      parent: up ? ids.get(up.source)! : null,
      steps: up ? [stepText(data, edge)] : [],
      mc: null,
      visits: 0,
      rollouts: 0,
      correct: 0,
      q,
      firstError: false,
      terminal: false,
      meta: { reasonersId: key, data, ...(up ? { edge } : {}), ...(raw.selected_edge !== undefined && raw.selected_edge !== null ? { selectedEdge: raw.selected_edge } : {}) },
    });
    queue.push(...(last.children.get(key) ?? []));
  }
  if (nodes.length !== last.nodes.size) throw new FieldError(`logs[${snaps.length - 1}]`, `${last.nodes.size - nodes.length} nodes are not reachable from the root`);
  // replay: per snapshot, the node its selected edges lead to, then the nodes that appeared
  const events: { kind: string; data: Record<string, unknown> }[] = [];
  const seen = new Set<string>([last.root]);
  snaps.forEach((s, k) => {
    // down the selected edges (the MCTS trace of that iteration, or the best Q)
    let at = s.root;
    for (let guard = 0; guard < s.nodes.size; guard++) {
      const sel = s.nodes.get(at)!.selected_edge;
      if (sel === undefined || sel === null) break;
      const next = (s.children.get(at) ?? []).find((c) => s.parent.get(c)!.edgeId === String(sel));
      if (!next) break;
      at = next;
    }
    events.push({ kind: 'iteration', data: { iteration: k, node: ids.get(at) ?? null } });
    for (const key of orderOf(s)) {
      if (seen.has(key) || !ids.has(key)) continue;
      seen.add(key);
      const n = nodes[ids.get(key)!];
      events.push({ kind: 'add', data: { node: n.id, parent: n.parent, depth: depthOf(nodes, n), terminal: false } });
    }
  });
  const answer = optScalar(o, 'answer', '') ?? (typeof rootData.answer === 'string' ? rootData.answer : null);
  return {
    problem: { question, answer, answerType: null, images: null, extId: null, source: null, meta: rest(o, ['logs', 'question', 'answer']) },
    tree: { algorithm: 'mcts', config: {}, status: 'imported', stats: { snapshots: snaps.length }, nodes, events, delimiter: '\n' },
    paths: [],
    warnings: [],
  };
}

function orderOf(s: Snapshot): string[] {
  const out: string[] = [];
  const queue = [s.root];
  while (queue.length) {
    const k = queue.shift()!;
    out.push(k);
    queue.push(...(s.children.get(k) ?? []));
  }
  return out;
}

function depthOf(nodes: LabelNode[], n: LabelNode): number {
  let d = 0;
  for (let p = n.parent; p !== null; p = nodes[p].parent) d++;
  return d;
}

export const reasonersTreeFormat: LabelFormat = {
  name: 'reasoners-tree',
  description: "llm-reasoners TreeLog {\"logs\": [TreeSnapshot ...]} (plain or .gz): the last snapshot as the tree, the earlier ones as replay events",
  looksLike: (v) => (isObj(v) && Array.isArray(v.logs) && isObj(v.logs[0]) && 'nodes' in v.logs[0] && 'edges' in v.logs[0] ? 'has "logs" of tree snapshots' : null),
  open: perRecord('reasoners-tree', readReasoners),
};
