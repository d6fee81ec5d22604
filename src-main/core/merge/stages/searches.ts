// Merge stage: searches, by problem, model, algorithm, seed and a hash of config and tree; with their
// nodes, event log (node ids remapped), node scores, kept rollouts and annotations, and what the source
// imported with import-labels.
import { UserError } from '../../errors';
import type { MergeSide } from '../../store/merge';
import { batchRef, type NewNode } from '../../store/trees';
import { treeHash, type TreeNodeRow } from '../identity';
import type { Row, SourceMerge } from '../sourceMerge';
import { mergeAnnotation } from './annotations';

function nodesOf(side: MergeSide, searchId: number): TreeNodeRow[] {
  return side.treeNodes(searchId) as unknown as TreeNodeRow[];
}

export function mergeSearches(m: SourceMerge, annotations: Map<number | null, Row[]>): void {
  type SearchRow = Row & { id: number; problem_id: number; model_id: number | null; algorithm: string; config: string; seed: number | null; stats: string };
  const targetHashes = new Map<number, string>();
  for (const row of m.s.rows('searches') as SearchRow[]) {
    const problemId = m.problem(row.problem_id);
    const modelId = m.model(row.model_id);
    const nodes = nodesOf(m.s, row.id);
    let tree: ReturnType<typeof treeHash>;
    try {
      tree = treeHash(row, nodes);
    } catch (e) {
      throw new UserError(`search ${row.id}: ${(e as Error).message}`);
    }
    const candidates = m.t.searchCandidates(problemId, row.algorithm, row.seed, modelId) as SearchRow[];
    const match = m.nth(`search ${problemId} ${modelId}`, tree.hash, candidates, (c) => {
      if (!targetHashes.has(c.id)) targetHashes.set(c.id, treeHash(c, nodesOf(m.t, c.id)).hash);
      return targetHashes.get(c.id)!;
    });
    const nodeMap = new Map<number, number>();
    const events = m.s.searchEvents(row.id);
    let searchId: number;
    if (match) {
      searchId = match.id;
      const ids = nodesOf(m.t, match.id).map((n) => n.id);
      nodes.forEach((n, i) => nodeMap.set(n.id, ids[i]));
      m.count('searches', 'skipped');
      m.count('tree_nodes', 'skipped', nodes.length);
      m.count('search_events', 'skipped', events.length);
    } else {
      const stats = { ...(JSON.parse(row.stats || '{}') as Row), mergedFrom: { workspace: m.src.ws.dir, search: row.id } };
      searchId = m.insert('searches', { ...row, problem_id: problemId, model_id: modelId, job_id: null, stats: JSON.stringify(stats) });
      const rows: NewNode[] = nodes.map((n, i) => ({
        parent: tree.parents[i] === null ? null : batchRef(tree.parents[i]!),
        depth: n.depth,
        stepText: n.step_text,
        visits: n.visits,
        rollouts: n.rollouts,
        correct: n.correct,
        mc: n.mc,
        q: n.q,
        firstError: n.first_error === 1,
        meta: n.meta === null ? undefined : (JSON.parse(n.meta) as unknown),
      }));
      const ids = m.target.trees.insertNodes(searchId, rows);
      nodes.forEach((n, i) => nodeMap.set(n.id, ids[i]));
      const remap = (v: unknown): unknown => (typeof v === 'number' ? (nodeMap.get(v) ?? v) : v);
      for (const e of events) {
        const d = JSON.parse(e.data) as unknown;
        if (d && typeof d === 'object' && !Array.isArray(d)) {
          const o = d as Row;
          for (const k of ['node', 'from', 'parent']) if (k in o) o[k] = remap(o[k]);
        }
        m.t.insertSearchEvent(searchId, e.seq, e.kind, JSON.stringify(d));
      }
      m.count('searches', 'added');
      m.count('tree_nodes', 'added', nodes.length);
      m.count('search_events', 'added', events.length);
      mergeRollouts(m, row.id, nodeMap);
    }
    m.searches.set(row.id, searchId);
    mergeNodeScores(m, row.id, nodeMap);
    for (const a of annotations.get(row.id) ?? []) mergeAnnotation(m, a, searchId, nodeMap);
  }
}

function mergeNodeScores(m: SourceMerge, srcSearch: number, nodeMap: Map<number, number>): void {
  const scores = m.s.nodeScoresOfSearch(srcSearch);
  for (const sc of scores) {
    const node = nodeMap.get(sc.node_id)!;
    const modelId = m.model(sc.model_id)!;
    const have = m.t.nodeScore(modelId, node);
    if (!have) {
      m.t.insertNodeScore(node, modelId, sc.score);
      m.count('node_scores', 'added');
    } else {
      if (have.score !== sc.score) m.conflict('node_scores', `tree node ${node}: the target's score ${have.score} by model ${modelId} kept (source: ${sc.score})`);
      m.count('node_scores', 'skipped');
    }
  }
}

/** The rollout texts kept with the nodes of a search copied into the target. */
function mergeRollouts(m: SourceMerge, srcSearch: number, nodeMap: Map<number, number>): void {
  if (!m.sourceHas('node_rollouts')) return;
  const rows = m.s.rolloutsOfSearch(srcSearch);
  for (const r of rows) m.t.insertRollout(nodeMap.get(r.node_id)!, r.correct, r.incorrect);
}

/** What the source imported with import-labels, so re-importing those files into the target adds nothing. */
export function mergeLabelImports(m: SourceMerge): void {
  if (!m.sourceHas('label_imports')) return;
  const rows = m.s.labelImports();
  for (const r of rows) m.t.insertLabelImport(r.hash, r.format, m.problem(r.problem_id), r.search_id === null ? null : (m.searches.get(r.search_id) ?? null), r.created_at);
}
