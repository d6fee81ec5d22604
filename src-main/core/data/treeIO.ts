// Search trees as JSONL: for each search a header line, its nodes (parents before children) and its
// event log. import-labels reads the same format back (`steplab-tree`, data/labels/formats/steplabTree.ts).
import { JsonlWriter } from './jsonl';
import type { Store } from '../store';
import { problemFingerprint } from './fingerprint';

interface SearchLine {
  type: 'search';
  search: number;
  problem: { ext_id: string; fingerprint: string; question: string; answer: string; answer_type: string };
  algorithm: string;
  config: unknown;
  seed: number | null;
  status: string;
  stats: Record<string, unknown>;
}
interface NodeLine {
  type: 'node';
  search: number;
  id: number;
  parent: number | null;
  depth: number;
  step_text: string;
  visits: number;
  rollouts: number;
  correct: number;
  mc: number | null;
  q: number | null;
  first_error: boolean;
  meta: unknown;
}
interface EventLine {
  type: 'event';
  search: number;
  seq: number;
  kind: string;
  data: unknown;
}

export async function exportTrees(store: Store, opts: { dataset: string; split?: string; limit?: number; setName?: string; out: string }): Promise<{ written: number; nodes: number; path: string }> {
  const datasetId = store.datasets.requireId(opts.dataset);
  const searches = store.labels.datasetSearches(datasetId, { split: opts.split, limit: opts.limit, setName: opts.setName });
  const writer = await JsonlWriter.create(opts.out);
  let nodes = 0;
  try {
    for (const { id, extId: ext_id } of searches) {
      const s = store.trees.getSearch(id);
      const p = store.problems.get(s.problemId);
      const fingerprint = problemFingerprint({ question: p.question, answer: p.answer, answerType: p.answerType, imageHashes: p.images.map((i) => i.hash) });
      await writer.write({ type: 'search', search: id, problem: { ext_id, fingerprint, question: p.question, answer: p.answer, answer_type: p.answerType }, algorithm: s.algorithm, config: s.config, seed: s.seed, status: s.status, stats: s.stats } satisfies SearchLine);
      for (const n of store.trees.nodes(id)) {
        nodes++;
        await writer.write({ type: 'node', search: id, id: n.id, parent: n.parentId, depth: n.depth, step_text: n.stepText, visits: n.visits, rollouts: n.rollouts, correct: n.correct, mc: n.mc, q: n.q, first_error: n.firstError, meta: n.meta } satisfies NodeLine);
      }
      for (const e of store.trees.events(id)) await writer.write({ type: 'event', search: id, seq: e.seq, kind: e.kind, data: e.data } satisfies EventLine);
    }
    await writer.close();
  } catch (e) {
    await writer.abort();
    throw e;
  }
  return { written: searches.length, nodes, path: writer.path };
}
