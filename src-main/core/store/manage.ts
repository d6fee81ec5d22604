// Rename and delete what a researcher made (manage.* in the contract): the SQL of both. A delete is a
// closure computed from the target (the ids of every row that goes with it, table by table), counted for
// manage.dependents and deleted, children first, inside the caller's one transaction.
//
// What goes with what (see the README's "Managing what you made"):
//   dataset        its memberships; the problems in no other dataset, with everything made of them
//                  (solutions, searches, annotations, label-import records); the evaluations and cycle runs
//                  made on it. Problems another dataset holds stay, with all their work.
//   annotationSet  its annotations with their steps and curation records; the searches stay.
//   search         its tree (nodes, node scores, kept rollouts), its events, the annotations made from it,
//                  its label-import record.
//   evaluation     its items; the candidate solutions its job generated that nothing else uses.
//   cycleRun       its cycles, stages, training-set rows and every solution its cycles made; the models it
//                  registered stay (they are models: delete them under Models).
//   model          its PRM scores and judge verdicts, and its folder under the workspace's models/ (after the
//                  commit). Refused while solutions, searches, evaluations or cycle runs made with it remain.
// Every kind: refused where another object that stays needs a row that would go (an evaluation of another
// dataset holding one of its solutions); a job whose work is all gone is removed with it when it has ended
// (so running the same command again runs it, rather than finding it done). The closure is computed in
// managePlan.ts.
import type { ManageKind } from '../../../src-shared/manage';
import { MANAGE_KIND_LABEL } from '../../../src-shared/manage';
import { NotFoundError, UserError } from '../errors';
import type { DB } from './db';
import { nowIso, prep } from './db';
import { modelLabel } from '../../../src-shared/modelLabel';
import { IN, planDelete, set, type Closure, type ManageStorePlan } from './managePlan';

export type { Closure, ManageStorePlan } from './managePlan';

export interface ManageResolved {
  kind: ManageKind;
  /** the target's id; null for an annotation set */
  id: number | null;
  /** how it is named to a person */
  name: string;
  /** the rows it stands for: a model name's versions, else its one id (none for an annotation set) */
  ids: number[];
  /** the names a job's settings would call it by (dataset, set and run names, model name and name@version) */
  jobNames: string[];
}

const DIGITS = /^#?\d+$/;

export class ManageRepo {
  constructor(private readonly db: DB) {}

  /**
   * Runs fn in one transaction that takes the write lock at its start (BEGIN IMMEDIATE): what a delete
   * counts is what it deletes, and a job writing from another connection meanwhile waits, rather than
   * making this transaction fail on its first write.
   */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** The target of a manage call, by name or id (see ManageTarget); a one-line NotFoundError when there is none. */
  resolve(kind: ManageKind, ref: string | number): ManageResolved {
    const label = MANAGE_KIND_LABEL[kind];
    const asId = (): number | null => (typeof ref === 'number' ? ref : DIGITS.test(ref) ? Number(ref.replace('#', '')) : null);
    const byName = <T>(sql: string): T[] => (typeof ref === 'string' ? (prep(this.db, sql).all(ref) as T[]) : []);
    const missing = (): never => {
      throw new NotFoundError(`${label} ${typeof ref === 'number' ? ref : `"${ref}"`} not found`);
    };
    switch (kind) {
      case 'dataset': {
        const row =
          byName<{ id: number; name: string }>('SELECT id, name FROM datasets WHERE name = ?')[0] ??
          (asId() !== null ? (prep(this.db, 'SELECT id, name FROM datasets WHERE id = ?').get(asId()) as { id: number; name: string } | undefined) : undefined);
        if (!row) return missing();
        return { kind, id: row.id, name: row.name, ids: [row.id], jobNames: [row.name] };
      }
      case 'annotationSet': {
        const name = String(ref);
        if (!prep(this.db, 'SELECT 1 FROM annotations WHERE set_name = ? LIMIT 1').get(name)) return missing();
        return { kind, id: null, name, ids: [], jobNames: [name] };
      }
      case 'search': {
        const id = byName<{ id: number }>('SELECT id FROM searches WHERE name = ? ORDER BY id')[0]?.id ?? asId();
        const row = id === null ? undefined : (prep(this.db, 'SELECT id, name, problem_id FROM searches WHERE id = ?').get(id) as { id: number; name: string | null; problem_id: number } | undefined);
        if (!row) return missing();
        return { kind, id: row.id, name: row.name ?? `#${row.id} ${this.problemRef(row.problem_id)}`, ids: [row.id], jobNames: [] };
      }
      case 'evaluation': {
        const named = byName<{ id: number }>('SELECT id FROM evaluations WHERE name = ? ORDER BY id');
        if (named.length > 1) throw new UserError(`${named.length} evaluations are named "${ref}" (ids ${named.map((r) => r.id).join(', ')}): give the id`);
        const id = named[0]?.id ?? asId();
        const row = id === null ? undefined : (prep(this.db, 'SELECT id, name FROM evaluations WHERE id = ?').get(id) as { id: number; name: string } | undefined);
        if (!row) return missing();
        return { kind, id: row.id, name: row.name, ids: [row.id], jobNames: [] };
      }
      case 'cycleRun': {
        const row =
          byName<{ id: number; name: string }>('SELECT id, name FROM cycle_runs WHERE name = ?')[0] ??
          (asId() !== null ? (prep(this.db, 'SELECT id, name FROM cycle_runs WHERE id = ?').get(asId()) as { id: number; name: string } | undefined) : undefined);
        if (!row) return missing();
        return { kind, id: row.id, name: row.name, ids: [row.id], jobNames: [row.name] };
      }
      case 'model': {
        type Row = { id: number; name: string; version: number };
        let rows: Row[] = [];
        if (typeof ref === 'string') {
          const at = ref.lastIndexOf('@');
          rows =
            at > 0 && /^\d+$/.test(ref.slice(at + 1))
              ? (prep(this.db, 'SELECT id, name, version FROM models WHERE name = ? AND version = ?').all(ref.slice(0, at), Number(ref.slice(at + 1))) as Row[])
              : (prep(this.db, 'SELECT id, name, version FROM models WHERE name = ? ORDER BY version').all(ref) as Row[]);
        }
        if (rows.length === 0 && asId() !== null) rows = prep(this.db, 'SELECT id, name, version FROM models WHERE id = ?').all(asId()) as Row[];
        if (rows.length === 0) return missing();
        const name = rows.length === 1 ? modelLabel(rows[0]) : `${rows[0].name} (versions ${rows.map((r) => r.version).join(', ')})`;
        return { kind, id: rows.length === 1 ? rows[0].id : null, name, ids: rows.map((r) => r.id), jobNames: [rows[0].name, ...rows.map((r) => modelLabel(r))] };
      }
    }
  }

  /** A problem as a person knows it: its id in the first dataset that holds it. */
  private problemRef(problemId: number): string {
    const r = prep(this.db, 'SELECT ext_id FROM dataset_problems WHERE problem_id = ? ORDER BY dataset_id LIMIT 1').get(problemId) as { ext_id: string } | undefined;
    return r?.ext_id ?? `problem ${problemId}`;
  }

  /** What deleting the target takes with it, what stays, and what stops it (the store's part; jobs in progress are the caller's). */
  plan(t: ManageResolved): ManageStorePlan {
    return planDelete(this.db, t);
  }

  /** Deletes a plan's closure, children first; the caller holds the transaction. */
  deleteClosure(c: Closure): void {
    const p = {
      D: set(c.datasets),
      P: set(c.problems),
      S: set(c.solutions),
      SR: set(c.searches),
      A: set(c.annotations),
      E: set(c.evaluations),
      R: set(c.cycleRuns),
      C: set(c.cycles),
      M: set(c.models),
      JB: set(c.jobs),
    };
    const run = (sql: string): void => {
      prep(this.db, sql).run(p);
    };
    run(`UPDATE solutions SET parent_solution_id = NULL WHERE ${IN('parent_solution_id', 'S')}`);
    run(`DELETE FROM evaluation_items WHERE ${IN('evaluation_id', 'E')} OR ${IN('solution_id', 'S')} OR ${IN('problem_id', 'P')}`);
    run(`DELETE FROM cycle_examples WHERE ${IN('cycle_id', 'C')} OR ${IN('solution_id', 'S')}`);
    run(`DELETE FROM annotations WHERE ${IN('id', 'A')}`);
    run(`DELETE FROM label_imports WHERE ${IN('search_id', 'SR')} OR ${IN('problem_id', 'P')}`);
    run(`DELETE FROM node_scores WHERE ${IN('model_id', 'M')}`);
    run(`DELETE FROM step_scores WHERE ${IN('model_id', 'M')}`);
    run(`DELETE FROM searches WHERE ${IN('id', 'SR')}`);
    run(`DELETE FROM solutions WHERE ${IN('id', 'S')}`);
    run(`DELETE FROM evaluations WHERE ${IN('id', 'E')}`);
    run(`DELETE FROM cycles WHERE ${IN('id', 'C')}`);
    run(`DELETE FROM cycle_runs WHERE ${IN('id', 'R')}`);
    run(`DELETE FROM datasets WHERE ${IN('id', 'D')}`);
    run(`DELETE FROM problems WHERE ${IN('id', 'P')}`);
    run(`DELETE FROM models WHERE ${IN('id', 'M')}`);
    run(`DELETE FROM jobs WHERE ${IN('id', 'JB')}`);
  }

  /** Whether another of the target's kind has this name (a model: any version). */
  nameInUse(t: ManageResolved, name: string): boolean {
    const other = (sql: string, ...args: unknown[]): boolean => prep(this.db, sql).get(...args) !== undefined;
    switch (t.kind) {
      case 'dataset':
        return other('SELECT 1 FROM datasets WHERE name = ? AND id <> ?', name, t.id);
      case 'annotationSet':
        return name !== t.name && other('SELECT 1 FROM annotations WHERE set_name = ? LIMIT 1', name);
      case 'search':
        return other('SELECT 1 FROM searches WHERE name = ? AND id <> ?', name, t.id);
      case 'evaluation':
        return other('SELECT 1 FROM evaluations WHERE name = ? AND id <> ?', name, t.id);
      case 'cycleRun':
        return other('SELECT 1 FROM cycle_runs WHERE name = ? AND id <> ?', name, t.id);
      case 'model':
        return other(`SELECT 1 FROM models WHERE name = ? AND name <> (SELECT name FROM models WHERE id = ?)`, name, t.ids[0]);
    }
  }

  /** Renames the target (a model: every version of its name); returns the rows changed. */
  rename(t: ManageResolved, name: string): number {
    const run = (sql: string, ...args: unknown[]): number => prep(this.db, sql).run(...args).changes;
    switch (t.kind) {
      case 'dataset':
        return run('UPDATE datasets SET name = ?, updated_at = ? WHERE id = ?', name, nowIso(), t.id);
      case 'annotationSet':
        return run('UPDATE annotations SET set_name = ? WHERE set_name = ?', name, t.name);
      case 'search':
        return run('UPDATE searches SET name = ? WHERE id = ?', name, t.id);
      case 'evaluation':
        return run('UPDATE evaluations SET name = ? WHERE id = ?', name, t.id);
      case 'cycleRun': {
        const n = run('UPDATE cycle_runs SET name = ? WHERE id = ?', name, t.id);
        return n + run('UPDATE cycles SET name = ? WHERE run_id = ?', name, t.id);
      }
      case 'model':
        return run('UPDATE models SET name = ? WHERE name = (SELECT name FROM models WHERE id = ?)', name, t.ids[0]);
    }
  }

  /** Jobs not yet ended (queued, running or interrupted), with their settings. */
  unfinishedJobs(): { id: number; kind: string; state: string; config: unknown }[] {
    return (prep(this.db, "SELECT id, kind, state, config FROM jobs WHERE state IN ('queued', 'running', 'interrupted') ORDER BY id").all() as { id: number; kind: string; state: string; config: string }[]).map(
      (r) => ({ id: r.id, kind: r.kind, state: r.state, config: safeJson(r.config) }),
    );
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
