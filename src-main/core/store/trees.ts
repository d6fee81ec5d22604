// Searches and their trees. A tree can hold millions of nodes per workspace: inserts are batched in one
// transaction with one prepared statement, and every read goes through the (search_id, parent_id) index.
import { NotFoundError } from '../errors';
import type { Statement } from 'better-sqlite3';
import type { DB } from './db';
import { nowIso } from './db';
import { fromJson, toJson } from './json';
import type { TreeNode } from '../../../src-shared/domain';

export interface NewNode {
  /** index into the same batch (negative: -1 - i) or an existing node id; null for a root */
  parent: number | null;
  depth: number;
  stepText: string;
  visits?: number;
  rollouts?: number;
  correct?: number;
  mc?: number | null;
  q?: number | null;
  firstError?: boolean;
  meta?: unknown;
}


/** A tree by field: element i of every array is the i-th node (id order); firstError is 0 or 1. */
export interface TreeColumns {
  id: number[];
  parentId: (number | null)[];
  depth: number[];
  stepText: string[];
  visits: number[];
  rollouts: number[];
  correct: number[];
  mc: (number | null)[];
  q: (number | null)[];
  firstError: number[];
  /** the node's id in the search that made it (its creation order), when the search recorded it */
  searchNode: (number | null)[];
}

/** A tree_nodes row as SQLite returns it (snake_case columns, first_error 0/1, meta as JSON text): hydrated into a TreeNode. */
export interface NodeRow {
  id: number;
  search_id: number;
  parent_id: number | null;
  depth: number;
  step_text: string;
  visits: number;
  rollouts: number;
  correct: number;
  mc: number | null;
  q: number | null;
  first_error: number;
  meta: string | null;
}

export interface SearchRecord {
  id: number;
  problemId: number;
  modelId: number | null;
  algorithm: string;
  config: unknown;
  seed: number | null;
  status: string;
  stats: Record<string, unknown>;
  jobId: number | null;
  createdAt: string;
  /** the name given to it (manage.rename), null until one is */
  name: string | null;
}

export const SUBTREE_SQL = `WITH RECURSIVE sub(id) AS (
     SELECT @id
     UNION ALL
     SELECT t.id FROM sub CROSS JOIN tree_nodes t ON t.search_id = @searchId AND t.parent_id = sub.id
   )
   SELECT n.* FROM sub CROSS JOIN tree_nodes n ON n.id = sub.id ORDER BY n.depth, n.id`;

const NODES_PER_STATEMENT = 64;

/** Refers to the i-th node of the same insertNodes batch. */
export const batchRef = (i: number): number => -1 - i;

type NodeStats = Pick<NewNode, 'visits' | 'rollouts' | 'correct' | 'mc' | 'q' | 'firstError'>;
/** A node's search statistics as a NewNode carries them (a search's result or an imported tree). */
export const nodeStats = (n: NodeStats): NodeStats => ({ visits: n.visits, rollouts: n.rollouts, correct: n.correct, mc: n.mc, q: n.q, firstError: n.firstError });

export class TreesRepo {
  constructor(private readonly db: DB) {}

  createSearch(s: { problemId: number; modelId: number | null; algorithm: string; config: unknown; seed: number | null; jobId?: number | null }): number {
    return Number(
      this.db
        .prepare('INSERT INTO searches (problem_id, model_id, algorithm, config, seed, job_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(s.problemId, s.modelId, s.algorithm, toJson(s.config), s.seed, s.jobId ?? null, nowIso()).lastInsertRowid,
    );
  }

  /** The searches of a dataset's problems (of one split, or all with null), in dataset order. */
  searchIdsOfDataset(datasetId: number, split: string | null): number[] {
    return (
      this.db.prepare(
        `SELECT s.id FROM searches s JOIN dataset_problems d ON d.problem_id = s.problem_id AND d.dataset_id = ?
         WHERE (? IS NULL OR d.split = ?) ORDER BY d.position, s.id`,
      ).all(datasetId, split, split) as { id: number }[]
    ).map((r) => r.id);
  }

  getSearch(id: number): SearchRecord {
    const r = this.db.prepare('SELECT * FROM searches WHERE id = ?').get(id) as
      | { id: number; problem_id: number; model_id: number | null; algorithm: string; config: string; seed: number | null; status: string; stats: string; job_id: number | null; created_at: string; name: string | null }
      | undefined;
    if (!r) throw new NotFoundError(`search ${id} not found`);
    return {
      id: r.id,
      problemId: r.problem_id,
      modelId: r.model_id,
      algorithm: r.algorithm,
      config: fromJson(r.config, {}),
      seed: r.seed,
      status: r.status,
      stats: fromJson(r.stats, {}),
      jobId: r.job_id,
      createdAt: r.created_at,
      name: r.name ?? null,
    };
  }

  listSearches(q: { problemId?: number; jobId?: number; offset?: number; limit?: number } = {}): { total: number; items: SearchRecord[] } {
    const conds = [q.problemId === undefined ? '' : 'problem_id = @problemId', q.jobId === undefined ? '' : 'job_id = @jobId'].filter(Boolean);
    const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
    const params = { problemId: q.problemId ?? null, jobId: q.jobId ?? null, offset: q.offset ?? 0, limit: q.limit ?? -1 };
    const total = (this.db.prepare(`SELECT count(*) AS n FROM searches ${where}`).get(params) as { n: number }).n;
    const ids = this.db.prepare(`SELECT id FROM searches ${where} ORDER BY id DESC LIMIT @limit OFFSET @offset`).all(params) as { id: number }[];
    return { total, items: ids.map((r) => this.getSearch(r.id)) };
  }

  finishSearch(id: number, status: string, stats: Record<string, unknown>): void {
    this.db.prepare('UPDATE searches SET status = ?, stats = ? WHERE id = ?').run(status, toJson(stats), id);
  }

  /**
   * Inserts a batch of nodes in one transaction; returns their ids in order. Ids are assigned here (the
   * write lock is held for the whole transaction) so rows go in through multi-row statements: the
   * per-statement overhead, not SQLite, is what limits single-row inserts.
   */
  insertNodes(searchId: number, nodes: NewNode[]): number[] {
    const ids: number[] = new Array(nodes.length);
    this.db.transaction(() => {
      const base = (this.db.prepare('SELECT coalesce(max(id), 0) AS m FROM tree_nodes').get() as { m: number }).m + 1;
      for (let i = 0; i < nodes.length; i++) ids[i] = base + i;
      const full = this.multiInsert(NODES_PER_STATEMENT);
      const params: unknown[] = [];
      const flush = (count: number): void => {
        if (count === 0) return;
        (count === NODES_PER_STATEMENT ? full : this.multiInsert(count)).run(params);
        params.length = 0;
      };
      let pending = 0;
      for (let i = 0; i < nodes.length; i++) {
        const n = nodes[i];
        let parent = n.parent;
        if (parent !== null && parent < 0) {
          const j = -1 - parent;
          if (j >= i) throw new Error(`node ${i} refers to batch node ${j}, which comes after it`);
          parent = ids[j];
        }
        params.push(
          ids[i],
          searchId,
          parent,
          n.depth,
          n.stepText,
          n.visits ?? 0,
          n.rollouts ?? 0,
          n.correct ?? 0,
          n.mc ?? null,
          n.q ?? null,
          n.firstError ? 1 : 0,
          n.meta === undefined ? null : toJson(n.meta),
        );
        if (++pending === NODES_PER_STATEMENT) {
          flush(pending);
          pending = 0;
        }
      }
      flush(pending);
    })();
    return ids;
  }

  private readonly statements = new Map<number, Statement>();
  private multiInsert(rows: number): Statement {
    let st = this.statements.get(rows);
    if (!st) {
      st = this.db.prepare(
        `INSERT INTO tree_nodes (id, search_id, parent_id, depth, step_text, visits, rollouts, correct, mc, q, first_error, meta) VALUES ${Array(rows).fill('(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      );
      this.statements.set(rows, st);
    }
    return st;
  }

  updateNodeStats(id: number, s: { visits: number; rollouts: number; correct: number; mc: number | null; q: number | null; firstError?: boolean }): void {
    this.db
      .prepare('UPDATE tree_nodes SET visits = ?, rollouts = ?, correct = ?, mc = ?, q = ?, first_error = coalesce(?, first_error) WHERE id = ?')
      .run(s.visits, s.rollouts, s.correct, s.mc, s.q, s.firstError === undefined ? null : s.firstError ? 1 : 0, id);
  }

  node(id: number): TreeNode {
    const r = this.db.prepare('SELECT * FROM tree_nodes WHERE id = ?').get(id) as NodeRow | undefined;
    if (!r) throw new NotFoundError(`tree node ${id} not found`);
    return hydrate(r);
  }

  roots(searchId: number): TreeNode[] {
    return (this.db.prepare('SELECT * FROM tree_nodes WHERE search_id = ? AND parent_id IS NULL ORDER BY id').all(searchId) as NodeRow[]).map(hydrate);
  }

  children(searchId: number, nodeId: number): TreeNode[] {
    return (this.db.prepare('SELECT * FROM tree_nodes WHERE search_id = ? AND parent_id = ? ORDER BY id').all(searchId, nodeId) as NodeRow[]).map(hydrate);
  }

  nodeCount(searchId: number): number {
    return (this.db.prepare('SELECT count(*) AS n FROM tree_nodes WHERE search_id = ?').get(searchId) as { n: number }).n;
  }

  nodes(searchId: number): TreeNode[] {
    return (this.db.prepare('SELECT * FROM tree_nodes WHERE search_id = ? ORDER BY id').all(searchId) as NodeRow[]).map(hydrate);
  }

  /**
   * A search's nodes as columns (one array per field, in id order) for the tree explorer: read as raw rows,
   * with only the search's own node id taken out of the meta JSON (by SQLite), so a 10,000-node tree
   * crosses the API in a third of the bytes and with no per-node object to build or check.
   */
  columns(searchId: number): TreeColumns {
    const rows = this.db
      .prepare(`SELECT id, parent_id, depth, step_text, visits, rollouts, correct, mc, q, first_error, json_extract(meta, '$.searchNode') FROM tree_nodes WHERE search_id = ? ORDER BY id`)
      .raw(true)
      .all(searchId) as [number, number | null, number, string, number, number, number, number | null, number | null, number, unknown][];
    const n = rows.length;
    const c: TreeColumns = {
      id: new Array(n),
      parentId: new Array(n),
      depth: new Array(n),
      stepText: new Array(n),
      visits: new Array(n),
      rollouts: new Array(n),
      correct: new Array(n),
      mc: new Array(n),
      q: new Array(n),
      firstError: new Array(n),
      searchNode: new Array(n),
    };
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      c.id[i] = r[0];
      c.parentId[i] = r[1];
      c.depth[i] = r[2];
      c.stepText[i] = r[3];
      c.visits[i] = r[4];
      c.rollouts[i] = r[5];
      c.correct[i] = r[6];
      c.mc[i] = r[7];
      c.q[i] = r[8];
      c.firstError[i] = r[9];
      c.searchNode[i] = typeof r[10] === 'number' ? r[10] : null;
    }
    return c;
  }

  /** The node and all its descendants, walking the parent index (no table scan). */
  subtree(nodeId: number): TreeNode[] {
    const searchId = this.node(nodeId).searchId;
    // CROSS JOIN fixes the join order, so each step is an index lookup by (search_id, parent_id)
    return (this.db.prepare(SUBTREE_SQL).all({ id: nodeId, searchId }) as NodeRow[]).map(hydrate);
  }

  /** Root-to-node path. */
  path(nodeId: number): TreeNode[] {
    return (
      this.db
        .prepare(
          `WITH RECURSIVE up(id, parent_id, d) AS (
             SELECT id, parent_id, 0 FROM tree_nodes WHERE id = ?
             UNION ALL SELECT t.id, t.parent_id, up.d + 1 FROM tree_nodes t JOIN up ON t.id = up.parent_id
           )
           SELECT n.* FROM tree_nodes n JOIN up ON n.id = up.id ORDER BY up.d DESC`,
        )
        .all(nodeId) as NodeRow[]
    ).map(hydrate);
  }

  appendEvents(searchId: number, events: { kind: string; data: unknown }[]): void {
    const next = (this.db.prepare('SELECT coalesce(max(seq), -1) + 1 AS s FROM search_events WHERE search_id = ?').get(searchId) as { s: number }).s;
    const stmt = this.db.prepare('INSERT INTO search_events (search_id, seq, kind, data) VALUES (?, ?, ?, ?)');
    this.db.transaction(() => events.forEach((e, i) => stmt.run(searchId, next + i, e.kind, toJson(e.data))))();
  }

  events(searchId: number): { seq: number; kind: string; data: unknown }[] {
    return (this.db.prepare('SELECT seq, kind, data FROM search_events WHERE search_id = ? ORDER BY seq').all(searchId) as { seq: number; kind: string; data: string }[]).map(
      (e) => ({ seq: e.seq, kind: e.kind, data: fromJson<unknown>(e.data, null) }),
    );
  }
}

function hydrate(r: NodeRow): TreeNode {
  return {
    id: r.id,
    searchId: r.search_id,
    parentId: r.parent_id,
    depth: r.depth,
    stepText: r.step_text,
    visits: r.visits,
    rollouts: r.rollouts,
    correct: r.correct,
    mc: r.mc,
    q: r.q,
    firstError: r.first_error === 1,
    meta: fromJson<unknown>(r.meta, null),
  };
}

/**
 * Every node's whole step prefix: its ancestors' steps, then its own (meta.steps when the search stored
 * them, else its text split by `delimiter`, or whole when none is given).
 */
export function nodePrefixes(nodes: readonly { id: number; parentId: number | null; stepText: string; meta: unknown }[], delimiter?: string): Map<number, string[]> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const out = new Map<number, string[]>();
  const own = (n: (typeof nodes)[number]): string[] => {
    const m = n.meta as { steps?: unknown } | null;
    if (m && Array.isArray(m.steps) && m.steps.every((x) => typeof x === 'string')) return m.steps as string[];
    if (n.stepText === '') return [];
    return delimiter === undefined ? [n.stepText] : n.stepText.split(delimiter);
  };
  const prefix = (n: (typeof nodes)[number]): string[] => {
    const hit = out.get(n.id);
    if (hit) return hit;
    const parent = n.parentId === null ? undefined : byId.get(n.parentId);
    const p = [...(parent ? prefix(parent) : []), ...own(n)];
    out.set(n.id, p);
    return p;
  };
  nodes.forEach(prefix);
  return out;
}
