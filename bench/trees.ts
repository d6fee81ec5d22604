// Tree-node insert throughput: the batched repository path against one row per autocommit.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { Store } from '../src-main/core/store';
import { batchRef, type NewNode } from '../src-main/core/store/trees';
import { tempDir } from '../test/helpers/tmp';
import { median, report, time, type BenchResult } from './util';

/** A tree shaped like a search: each node has up to 4 children, step texts of realistic length. */
function makeNodes(n: number): NewNode[] {
  const nodes: NewNode[] = [{ parent: null, depth: 0, stepText: '' }];
  for (let i = 1; i < n; i++) {
    const parent = Math.floor((i - 1) / 4);
    nodes.push({
      parent: batchRef(parent),
      depth: (nodes[parent].depth ?? 0) + 1,
      stepText: `Step ${i}: 7 + ${i % 10} = ${7 + (i % 10)}`,
      visits: i % 7,
      rollouts: 16,
      correct: i % 17,
      mc: (i % 17) / 16,
      q: 0.5,
      firstError: i % 13 === 0,
    });
  }
  return nodes;
}

export function benchTrees(opts: { nodes?: number; naiveRows?: number; repeats?: number } = {}): BenchResult[] {
  const total = opts.nodes ?? 200_000;
  const naiveRows = opts.naiveRows ?? 5_000;
  const repeats = opts.repeats ?? 3;
  const tmp = tempDir('steplab-bench-');
  try {
    const store = Store.open(join(tmp.dir, 'ws'), { create: true });
    const p = store.problems.upsert({ question: 'q', answer: '1', answerType: 'number', source: null, tags: [], imageHashes: [], meta: {} });
    const nodes = makeNodes(total);
    const batched: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const s = store.trees.createSearch({ problemId: p.id, modelId: null, algorithm: 'bench', config: {}, seed: r });
      const { ms } = time(() => store.trees.insertNodes(s, nodes));
      batched.push(total / (ms / 1000));
    }
    const naive: number[] = [];
    const stmt = store.db.prepare(
      'INSERT INTO tree_nodes (search_id, parent_id, depth, step_text, visits, rollouts, correct, mc, q, first_error, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (let r = 0; r < repeats; r++) {
      const s = store.trees.createSearch({ problemId: p.id, modelId: null, algorithm: 'bench-naive', config: {}, seed: r });
      const ids: number[] = [];
      const { ms } = time(() => {
        for (let i = 0; i < naiveRows; i++) {
          const n = nodes[i];
          const parent = n.parent === null ? null : ids[-1 - n.parent];
          ids.push(Number(stmt.run(s, parent, n.depth, n.stepText, n.visits ?? 0, n.rollouts ?? 0, n.correct ?? 0, n.mc ?? null, n.q ?? null, n.firstError ? 1 : 0, null).lastInsertRowid));
        }
      });
      naive.push(naiveRows / (ms / 1000));
    }
    // what a script of one's own would do: a plain connection to the workspace file, default pragmas
    // (the file stays in WAL mode; synchronous is FULL by default), one autocommit per row
    const plain: number[] = [];
    const db = new Database(store.paths.dbFile);
    const plainStmt = db.prepare(
      'INSERT INTO tree_nodes (search_id, parent_id, depth, step_text, visits, rollouts, correct, mc, q, first_error, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const plainRows = Math.min(naiveRows, 2000);
    for (let r = 0; r < repeats; r++) {
      const s = store.trees.createSearch({ problemId: p.id, modelId: null, algorithm: 'bench-plain', config: {}, seed: r });
      const ids: number[] = [];
      const { ms } = time(() => {
        for (let i = 0; i < plainRows; i++) {
          const n = nodes[i];
          const parent = n.parent === null ? null : ids[-1 - n.parent];
          ids.push(Number(plainStmt.run(s, parent, n.depth, n.stepText, n.visits ?? 0, n.rollouts ?? 0, n.correct ?? 0, n.mc ?? null, n.q ?? null, n.firstError ? 1 : 0, null).lastInsertRowid));
        }
      });
      plain.push(plainRows / (ms / 1000));
    }
    db.close();
    store.close();
    const name = `tree-node insert (${total.toLocaleString()} nodes, batched transaction)`;
    return [
      { name, unit: 'rows/s', value: median(batched), baseline: median(naive), baselineName: "one row per autocommit on Steplab's connection (WAL, synchronous=NORMAL)", goal: '>= 300k rows/s and >= 20x' },
      { name, unit: 'rows/s', value: median(batched), baseline: median(plain), baselineName: 'one row per autocommit on a default connection (synchronous=FULL)', goal: '>= 20x' },
    ];
  } finally {
    tmp.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) for (const r of benchTrees()) console.log(report(r));
