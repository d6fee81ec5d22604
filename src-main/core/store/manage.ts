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
// (so running the same command again runs it, rather than finding it done).
import type { ManageKind, ManageObject } from '../../../src-shared/manage';
import { MANAGE_KIND_LABEL } from '../../../src-shared/manage';
import { NotFoundError, UserError } from '../errors';
import type { DB } from './db';
import { nowIso, prep } from './db';
import { modelLabel } from '../../../src-shared/modelLabel';

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

/** Every id that goes, by table. */
interface Closure {
  datasets: number[];
  problems: number[];
  solutions: number[];
  searches: number[];
  annotations: number[];
  evaluations: number[];
  cycleRuns: number[];
  cycles: number[];
  models: number[];
  jobs: number[];
}

export interface ManageStorePlan {
  target: ManageResolved;
  rows: { what: string; count: number }[];
  total: number;
  objects: ManageObject[];
  keeps: string[];
  blockers: string[];
  /** model folders (absolute paths) this delete unregisters */
  modelPaths: string[];
  /** the jobs that made rows that go (a job still running there blocks the delete) */
  makers: number[];
  closure: Closure;
}

const set = (ids: Iterable<number>): string => JSON.stringify([...new Set(ids)]);
const IN = (col: string, param: string): string => `${col} IN (SELECT value FROM json_each(@${param}))`;
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
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

  private ids(sql: string, params: Record<string, unknown> | unknown[] = {}): number[] {
    return (prep(this.db, sql).all(params) as { id: number }[]).map((r) => r.id);
  }

  private count(sql: string, params: Record<string, unknown>): number {
    return (prep(this.db, sql).get(params) as { n: number }).n;
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
    const c: Closure = { datasets: [], problems: [], solutions: [], searches: [], annotations: [], evaluations: [], cycleRuns: [], cycles: [], models: [], jobs: [] };
    const keeps: string[] = [];
    const blockers: string[] = [];
    const modelPaths: string[] = [];
    if (t.kind === 'dataset') c.datasets = t.ids;
    if (t.kind === 'search') c.searches = t.ids;
    if (t.kind === 'evaluation') c.evaluations = t.ids;
    if (t.kind === 'cycleRun') c.cycleRuns = t.ids;
    if (t.kind === 'model') c.models = t.ids;
    if (t.kind === 'annotationSet') c.annotations = this.ids('SELECT id FROM annotations WHERE set_name = ?', [t.name]);

    const D = set(c.datasets);
    if (c.datasets.length) {
      c.evaluations.push(...this.ids(`SELECT id FROM evaluations WHERE ${IN('dataset_id', 'D')}`, { D }));
      c.cycleRuns.push(...this.ids(`SELECT id FROM cycle_runs WHERE ${IN('dataset_id', 'D')}`, { D }));
      c.problems = this.ids(
        `SELECT DISTINCT m.problem_id AS id FROM dataset_problems m WHERE ${IN('m.dataset_id', 'D')}
           AND NOT EXISTS (SELECT 1 FROM dataset_problems o WHERE o.problem_id = m.problem_id AND o.dataset_id NOT IN (SELECT value FROM json_each(@D)))`,
        { D },
      );
      const shared = this.count(
        `SELECT count(DISTINCT m.problem_id) AS n FROM dataset_problems m WHERE ${IN('m.dataset_id', 'D')}
           AND EXISTS (SELECT 1 FROM dataset_problems o WHERE o.problem_id = m.problem_id AND o.dataset_id NOT IN (SELECT value FROM json_each(@D)))`,
        { D },
      );
      if (shared) keeps.push(`${plural(shared, 'problem')} another dataset holds too, with their solutions, searches and annotations`);
      if (c.problems.length) keeps.push('image files stay in the workspace\'s image store (shared by content)');
    }
    const R = set(c.cycleRuns);
    c.cycles = this.ids(`SELECT id FROM cycles WHERE ${IN('run_id', 'R')}`, { R });
    const C = set(c.cycles);
    const P = set(c.problems);
    const E = set(c.evaluations);
    c.searches.push(...this.ids(`SELECT id FROM searches WHERE ${IN('problem_id', 'P')}`, { P }));
    const solutions = new Set<number>([
      ...this.ids(`SELECT id FROM solutions WHERE ${IN('cycle_id', 'C')}`, { C }),
      ...this.ids(`SELECT id FROM solutions WHERE ${IN('problem_id', 'P')}`, { P }),
    ]);
    // an evaluation's candidates: those its job generated, unless something that stays uses them
    const evalJobs = this.ids(`SELECT DISTINCT job_id AS id FROM evaluations WHERE ${IN('id', 'E')} AND job_id IS NOT NULL`, { E });
    if (evalJobs.length) {
      const J = set(evalJobs);
      const mine = this.ids(`SELECT id FROM solutions WHERE ${IN('job_id', 'J')}`, { J });
      const free = new Set(
        this.ids(
          `SELECT s.id FROM solutions s WHERE ${IN('s.job_id', 'J')}
             AND NOT EXISTS (SELECT 1 FROM evaluation_items e WHERE e.solution_id = s.id AND e.evaluation_id NOT IN (SELECT value FROM json_each(@E)))
             AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.solution_id = s.id)
             AND NOT EXISTS (SELECT 1 FROM cycle_examples x WHERE x.solution_id = s.id AND x.cycle_id NOT IN (SELECT value FROM json_each(@C)))
             AND NOT EXISTS (SELECT 1 FROM solutions p WHERE p.parent_solution_id = s.id)`,
          { J, E, C },
        ),
      );
      for (const id of free) solutions.add(id);
      const kept = mine.filter((id) => !solutions.has(id)).length;
      if (kept) keeps.push(`${plural(kept, 'candidate solution')} its job generated, which another evaluation, an annotation or a cycle uses`);
    }
    c.solutions = [...solutions];
    const S = set(c.solutions);
    const SR = set(c.searches);
    c.annotations.push(
      ...this.ids(`SELECT id FROM annotations WHERE ${IN('search_id', 'SR')} OR ${IN('solution_id', 'S')} OR ${IN('problem_id', 'P')}`, { SR, S, P }),
    );
    c.annotations = [...new Set(c.annotations)];
    const A = set(c.annotations);

    // another object that stays and needs a row that would go
    for (const r of prep(
        this.db,
        `SELECT v.id, v.name, count(*) AS n FROM evaluation_items e JOIN evaluations v ON v.id = e.evaluation_id
         WHERE (${IN('e.solution_id', 'S')} OR ${IN('e.problem_id', 'P')}) AND e.evaluation_id NOT IN (SELECT value FROM json_each(@E)) GROUP BY v.id`,
      )
      .all({ S, P, E }) as { id: number; name: string; n: number }[]) {
      blockers.push(`evaluation "${r.name}" (#${r.id}) uses ${plural(r.n, 'candidate')} that would go: delete it first`);
    }
    for (const r of prep(
        this.db,
        `SELECT coalesce(cr.name, cy.name) AS name, count(*) AS n FROM cycle_examples x JOIN cycles cy ON cy.id = x.cycle_id LEFT JOIN cycle_runs cr ON cr.id = cy.run_id
         WHERE ${IN('x.solution_id', 'S')} AND x.cycle_id NOT IN (SELECT value FROM json_each(@C)) GROUP BY coalesce(cr.name, cy.name)`,
      )
      .all({ S, C }) as { name: string; n: number }[]) {
      blockers.push(`cycle run "${r.name}" trained on ${plural(r.n, 'solution')} that would go: delete it first`);
    }
    const M = set(c.models);
    if (c.models.length) {
      const uses: string[] = [];
      const n = (sql: string): number => this.count(sql, { M });
      const sol = n(`SELECT count(*) AS n FROM solutions WHERE ${IN('model_id', 'M')}`);
      const sea = n(`SELECT count(*) AS n FROM searches WHERE ${IN('model_id', 'M')}`);
      if (sol) uses.push(plural(sol, 'solution'));
      if (sea) uses.push(plural(sea, 'search', 'searches'));
      const evals = prep(this.db, `SELECT id, name FROM evaluations WHERE ${IN('policy_id', 'M')} OR ${IN('reward_id', 'M')} ORDER BY id`).all({ M }) as { id: number; name: string }[];
      if (evals.length) uses.push(`${evals.length === 1 ? 'evaluation' : 'evaluations'} ${evals.map((e) => `"${e.name}"`).join(', ')}`);
      const runs = prep(
          this.db,
          `SELECT DISTINCT coalesce(r.name, cy.name) AS name FROM cycles cy LEFT JOIN cycle_runs r ON r.id = cy.run_id WHERE ${IN('cy.parent_model_id', 'M')} OR ${IN('cy.model_id', 'M')}
           UNION SELECT name FROM cycle_runs WHERE ${IN('base_model_id', 'M')}`,
        )
        .all({ M }) as { name: string }[];
      if (runs.length) uses.push(`${runs.length === 1 ? 'cycle run' : 'cycle runs'} ${runs.map((r) => `"${r.name}"`).join(', ')}`);
      if (uses.length) blockers.push(`${t.name} is used by ${uses.join(', ')}: delete those first (a model goes only when nothing made with it is left)`);
      for (const r of prep(this.db, `SELECT path, endpoint FROM models WHERE ${IN('id', 'M')}`).all({ M }) as { path: string; endpoint: string | null }[]) {
        if (!r.endpoint) modelPaths.push(r.path);
      }
    }

    // the jobs that made what goes; those that have ended and keep nothing else are removed too
    const makers = this.ids(
      `SELECT job_id AS id FROM solutions WHERE ${IN('id', 'S')} AND job_id IS NOT NULL
       UNION SELECT job_id FROM searches WHERE ${IN('id', 'SR')} AND job_id IS NOT NULL
       UNION SELECT job_id FROM evaluations WHERE ${IN('id', 'E')} AND job_id IS NOT NULL
       UNION SELECT job_id FROM cycle_runs WHERE ${IN('id', 'R')} AND job_id IS NOT NULL
       UNION SELECT job_id FROM cycles WHERE ${IN('id', 'C')} AND job_id IS NOT NULL`,
      { S, SR, E, R, C },
    );
    const MK = set(makers);
    c.jobs = this.ids(
      `SELECT j.id FROM jobs j WHERE ${IN('j.id', 'MK')} AND j.state IN ('done', 'failed', 'cancelled')
         AND NOT EXISTS (SELECT 1 FROM solutions x WHERE x.job_id = j.id AND x.id NOT IN (SELECT value FROM json_each(@S)))
         AND NOT EXISTS (SELECT 1 FROM searches x WHERE x.job_id = j.id AND x.id NOT IN (SELECT value FROM json_each(@SR)))
         AND NOT EXISTS (SELECT 1 FROM evaluations x WHERE x.job_id = j.id AND x.id NOT IN (SELECT value FROM json_each(@E)))
         AND NOT EXISTS (SELECT 1 FROM cycle_runs x WHERE x.job_id = j.id AND x.id NOT IN (SELECT value FROM json_each(@R)))
         AND NOT EXISTS (SELECT 1 FROM cycles x WHERE x.job_id = j.id AND x.id NOT IN (SELECT value FROM json_each(@C)))`,
      { MK, S, SR, E, R, C },
    );
    const JB = set(c.jobs);

    if (t.kind === 'cycleRun') {
      const made = prep(this.db, `SELECT DISTINCT m.name || '@' || m.version AS name FROM cycles cy JOIN models m ON m.id = cy.model_id WHERE ${IN('cy.id', 'C')} AND cy.idx > 0`).all({ C }) as { name: string }[];
      if (made.length) keeps.push(`the ${made.length === 1 ? 'model' : 'models'} it registered (${made.map((m) => m.name).join(', ')}): delete them under Models`);
    }
    if (t.kind === 'annotationSet') {
      const trained = prep(this.db, "SELECT name || '@' || version AS name FROM models WHERE json_extract(provenance, '$.annotationSet') = ?").all(t.name) as { name: string }[];
      if (trained.length) keeps.push(`${trained.map((m) => m.name).join(', ')}, trained on it, ${trained.length === 1 ? 'stays' : 'stay'} registered`);
    }

    const q = (sql: string): number => this.count(sql, { D, P, S, SR, A, E, R, C, M, JB });
    const rows: { what: string; count: number }[] = [
      { what: 'datasets', count: q(`SELECT count(*) AS n FROM datasets WHERE ${IN('id', 'D')}`) },
      { what: 'dataset memberships', count: q(`SELECT count(*) AS n FROM dataset_problems WHERE ${IN('dataset_id', 'D')}`) },
      { what: 'problems', count: c.problems.length },
      { what: 'problem images', count: q(`SELECT count(*) AS n FROM problem_images WHERE ${IN('problem_id', 'P')}`) },
      { what: 'evaluations', count: c.evaluations.length },
      { what: 'evaluation items', count: q(`SELECT count(*) AS n FROM evaluation_items WHERE ${IN('evaluation_id', 'E')} OR ${IN('solution_id', 'S')} OR ${IN('problem_id', 'P')}`) },
      { what: 'cycle runs', count: c.cycleRuns.length },
      { what: 'cycles', count: c.cycles.length },
      { what: 'cycle stages', count: q(`SELECT count(*) AS n FROM cycle_stages WHERE ${IN('cycle_id', 'C')}`) },
      { what: 'cycle training rows', count: q(`SELECT count(*) AS n FROM cycle_examples WHERE ${IN('cycle_id', 'C')} OR ${IN('solution_id', 'S')}`) },
      { what: 'solutions', count: c.solutions.length },
      { what: 'solution steps', count: q(`SELECT count(*) AS n FROM steps WHERE ${IN('solution_id', 'S')}`) },
      { what: 'step scores', count: q(`SELECT count(*) AS n FROM step_scores WHERE ${IN('solution_id', 'S')} OR ${IN('model_id', 'M')}`) },
      { what: 'searches', count: c.searches.length },
      { what: 'tree nodes', count: q(`SELECT count(*) AS n FROM tree_nodes WHERE ${IN('search_id', 'SR')}`) },
      { what: 'node scores', count: q(`SELECT count(*) AS n FROM node_scores ns WHERE ${IN('ns.model_id', 'M')} OR ns.node_id IN (SELECT id FROM tree_nodes WHERE ${IN('search_id', 'SR')})`) },
      { what: 'kept rollouts', count: q(`SELECT count(*) AS n FROM node_rollouts WHERE node_id IN (SELECT id FROM tree_nodes WHERE ${IN('search_id', 'SR')})`) },
      { what: 'search events', count: q(`SELECT count(*) AS n FROM search_events WHERE ${IN('search_id', 'SR')}`) },
      { what: 'label-import records', count: q(`SELECT count(*) AS n FROM label_imports WHERE ${IN('search_id', 'SR')} OR ${IN('problem_id', 'P')}`) },
      { what: 'annotations', count: c.annotations.length },
      { what: 'annotation steps', count: q(`SELECT count(*) AS n FROM annotation_steps WHERE ${IN('annotation_id', 'A')}`) },
      { what: 'curation edits', count: q(`SELECT count(*) AS n FROM curation_edits WHERE ${IN('annotation_id', 'A')}`) },
      { what: 'models', count: c.models.length },
      { what: 'judge verdicts', count: q(`SELECT count(*) AS n FROM judge_verdicts WHERE ${IN('model_id', 'M')}`) },
      { what: 'job records', count: c.jobs.length },
    ].filter((r) => r.count > 0);

    const objects: ManageObject[] = [];
    const named = (kind: ManageKind, sql: string, ids: number[]): void => {
      for (const r of prep(this.db, sql).all({ X: set(ids) }) as { id: number; name: string }[]) {
        if (!(kind === t.kind && t.ids.includes(r.id))) objects.push({ kind, id: r.id, name: r.name });
      }
    };
    named('evaluation', `SELECT id, name FROM evaluations WHERE ${IN('id', 'X')} ORDER BY id`, c.evaluations);
    named('cycleRun', `SELECT id, name FROM cycle_runs WHERE ${IN('id', 'X')} ORDER BY id`, c.cycleRuns);
    if (t.kind !== 'annotationSet') {
      // annotation sets left empty go as a whole
      for (const r of prep(
          this.db,
          `SELECT set_name AS name FROM annotations WHERE ${IN('id', 'A')} GROUP BY set_name
           HAVING count(*) = (SELECT count(*) FROM annotations b WHERE b.set_name = annotations.set_name) ORDER BY set_name`,
        )
        .all({ A }) as { name: string }[]) {
        objects.push({ kind: 'annotationSet', id: null, name: r.name });
      }
    }
    return { target: t, rows, total: rows.reduce((s, r) => s + r.count, 0), objects, keeps, blockers, modelPaths, makers, closure: c };
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
