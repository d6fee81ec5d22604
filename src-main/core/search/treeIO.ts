// Search trees as JSONL: for each search a header line, its nodes (parents before children) and its
// event log. `importTrees` reads the same format back into a workspace whose problems match.
import { createHash } from 'node:crypto';
import { JsonlWriter, parseJsonLine, readLines } from '../data/jsonl';
import { UserError } from '../errors';
import type { Store } from '../store';
import { problemFingerprint } from '../store/problems';
import { batchRef, type NewNode } from '../store/trees';

interface SearchLine {
  type: 'search';
  search: number;
  problem: { ext_id: string; fingerprint: string; question: string; answer: string };
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
  // setName: only the searches whose annotations went into that set
  const searches = store.db
    .prepare(
      `SELECT s.id, d.ext_id FROM searches s JOIN dataset_problems d ON d.problem_id = s.problem_id AND d.dataset_id = @datasetId
       WHERE (@split IS NULL OR d.split = @split)
         AND (@setName IS NULL OR EXISTS (SELECT 1 FROM annotations a WHERE a.search_id = s.id AND a.set_name = @setName))
       ORDER BY d.position, s.id LIMIT @limit`,
    )
    .all({ datasetId, split: opts.split ?? null, setName: opts.setName ?? null, limit: opts.limit ?? -1 }) as { id: number; ext_id: string }[];
  const writer = await JsonlWriter.create(opts.out);
  let nodes = 0;
  try {
    for (const { id, ext_id } of searches) {
      const s = store.trees.getSearch(id);
      const p = store.problems.get(s.problemId);
      const fingerprint = problemFingerprint({ question: p.question, answer: p.answer, answerType: p.answerType, imageHashes: p.images.map((i) => i.hash) });
      await writer.write({ type: 'search', search: id, problem: { ext_id, fingerprint, question: p.question, answer: p.answer }, algorithm: s.algorithm, config: s.config, seed: s.seed, status: s.status, stats: s.stats } satisfies SearchLine);
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

/** Re-imports exported trees. A search already imported (same content) is skipped. All or nothing. */
export async function importTrees(store: Store, file: string): Promise<{ searches: number; nodes: number; skipped: number }> {
  const blocks: { line: number; header: SearchLine; nodes: NodeLine[]; events: EventLine[]; hash: ReturnType<typeof createHash> }[] = [];
  for await (const { line, text } of readLines(file)) {
    const row = parseJsonLine(text, line) as SearchLine | NodeLine | EventLine;
    const cur = blocks[blocks.length - 1];
    if (row.type === 'search') {
      if (!row.problem?.fingerprint) throw new UserError(`line ${line}: field "problem.fingerprint": required`);
      blocks.push({ line, header: row, nodes: [], events: [], hash: createHash('sha256').update(text) });
    } else if (row.type === 'node' || row.type === 'event') {
      if (!cur || cur.header.search !== row.search) throw new UserError(`line ${line}: ${row.type} of search ${row.search} outside its search block`);
      (row.type === 'node' ? cur.nodes : cur.events).push(row as never);
      cur.hash.update(text);
    } else {
      throw new UserError(`line ${line}: field "type": must be search, node or event`);
    }
  }
  let searches = 0;
  let nodes = 0;
  let skipped = 0;
  store.transaction(() => {
    for (const b of blocks) {
      const digest = b.hash.digest('hex');
      const problem = store.db.prepare('SELECT id FROM problems WHERE fingerprint = ?').get(b.header.problem.fingerprint) as { id: number } | undefined;
      if (!problem) throw new UserError(`line ${b.line}: problem "${b.header.problem.ext_id}" is not in this workspace; import its dataset first`);
      if (store.db.prepare("SELECT 1 FROM searches WHERE json_extract(stats, '$.importHash') = ?").get(digest)) {
        skipped++;
        continue;
      }
      const searchId = store.trees.createSearch({ problemId: problem.id, modelId: null, algorithm: b.header.algorithm, config: b.header.config, seed: b.header.seed });
      const index = new Map<number, number>();
      const rows: NewNode[] = b.nodes.map((n, i) => {
        if (n.parent !== null && !index.has(n.parent)) throw new UserError(`line ${b.line}: node ${n.id} of search ${b.header.search} comes before its parent ${n.parent}`);
        index.set(n.id, i);
        return { parent: n.parent === null ? null : batchRef(index.get(n.parent)!), depth: n.depth, stepText: n.step_text, visits: n.visits, rollouts: n.rollouts, correct: n.correct, mc: n.mc, q: n.q, firstError: n.first_error, meta: n.meta ?? undefined };
      });
      const ids = store.trees.insertNodes(searchId, rows);
      const idOf = (old: unknown): unknown => (typeof old === 'number' && index.has(old) ? ids[index.get(old)!] : old);
      store.trees.appendEvents(
        searchId,
        b.events.map((e) => {
          const d = { ...(e.data as Record<string, unknown>) };
          if ('node' in d) d.node = idOf(d.node);
          if ('from' in d) d.from = idOf(d.from);
          if ('parent' in d) d.parent = idOf(d.parent);
          return { kind: e.kind, data: d };
        }),
      );
      store.trees.finishSearch(searchId, b.header.status, { ...b.header.stats, importHash: digest, importedFrom: b.header.search });
      searches++;
      nodes += ids.length;
    }
  });
  return { searches, nodes, skipped };
}
