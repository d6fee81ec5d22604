// What deleting a manage target takes with it (store/manage.ts): the closure of rows that go, table by
// table, counted; the objects that go by name; what stays; and what stops it.
import type { ManageKind, ManageObject } from '../../../src-shared/manage';
import type { DB } from './db';
import { prep } from './db';
import type { ManageResolved } from './manage';

/** Every id that goes, by table. */
export interface Closure {
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

export const set = (ids: Iterable<number>): string => JSON.stringify([...new Set(ids)]);
export const IN = (col: string, param: string): string => `${col} IN (SELECT value FROM json_each(@${param}))`;
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
/** What deleting the target takes with it, what stays, and what stops it (the store's part; jobs in progress are the caller's). */
export function planDelete(db: DB, t: ManageResolved): ManageStorePlan {
  const ids = (sql: string, params: Record<string, unknown> | unknown[] = {}): number[] => (prep(db, sql).all(params) as { id: number }[]).map((r) => r.id);
  const count = (sql: string, params: Record<string, unknown>): number => (prep(db, sql).get(params) as { n: number }).n;
  const c: Closure = { datasets: [], problems: [], solutions: [], searches: [], annotations: [], evaluations: [], cycleRuns: [], cycles: [], models: [], jobs: [] };
  const keeps: string[] = [];
  const blockers: string[] = [];
  const modelPaths: string[] = [];
  if (t.kind === 'dataset') c.datasets = t.ids;
  if (t.kind === 'search') c.searches = t.ids;
  if (t.kind === 'evaluation') c.evaluations = t.ids;
  if (t.kind === 'cycleRun') c.cycleRuns = t.ids;
  if (t.kind === 'model') c.models = t.ids;
  if (t.kind === 'annotationSet') c.annotations = ids('SELECT id FROM annotations WHERE set_name = ?', [t.name]);

  const D = set(c.datasets);
  if (c.datasets.length) {
    c.evaluations.push(...ids(`SELECT id FROM evaluations WHERE ${IN('dataset_id', 'D')}`, { D }));
    c.cycleRuns.push(...ids(`SELECT id FROM cycle_runs WHERE ${IN('dataset_id', 'D')}`, { D }));
    c.problems = ids(
      `SELECT DISTINCT m.problem_id AS id FROM dataset_problems m WHERE ${IN('m.dataset_id', 'D')}
         AND NOT EXISTS (SELECT 1 FROM dataset_problems o WHERE o.problem_id = m.problem_id AND o.dataset_id NOT IN (SELECT value FROM json_each(@D)))`,
      { D },
    );
    const shared = count(
      `SELECT count(DISTINCT m.problem_id) AS n FROM dataset_problems m WHERE ${IN('m.dataset_id', 'D')}
         AND EXISTS (SELECT 1 FROM dataset_problems o WHERE o.problem_id = m.problem_id AND o.dataset_id NOT IN (SELECT value FROM json_each(@D)))`,
      { D },
    );
    if (shared) keeps.push(`${plural(shared, 'problem')} another dataset holds too, with their solutions, searches and annotations`);
    if (c.problems.length) keeps.push('image files stay in the workspace\'s image store (shared by content)');
  }
  const R = set(c.cycleRuns);
  c.cycles = ids(`SELECT id FROM cycles WHERE ${IN('run_id', 'R')}`, { R });
  const C = set(c.cycles);
  const P = set(c.problems);
  const E = set(c.evaluations);
  c.searches.push(...ids(`SELECT id FROM searches WHERE ${IN('problem_id', 'P')}`, { P }));
  const solutions = new Set<number>([
    ...ids(`SELECT id FROM solutions WHERE ${IN('cycle_id', 'C')}`, { C }),
    ...ids(`SELECT id FROM solutions WHERE ${IN('problem_id', 'P')}`, { P }),
  ]);
  // an evaluation's candidates: those its job generated, unless something that stays uses them
  const evalJobs = ids(`SELECT DISTINCT job_id AS id FROM evaluations WHERE ${IN('id', 'E')} AND job_id IS NOT NULL`, { E });
  if (evalJobs.length) {
    const J = set(evalJobs);
    const mine = ids(`SELECT id FROM solutions WHERE ${IN('job_id', 'J')}`, { J });
    const free = new Set(
      ids(
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
    ...ids(`SELECT id FROM annotations WHERE ${IN('search_id', 'SR')} OR ${IN('solution_id', 'S')} OR ${IN('problem_id', 'P')}`, { SR, S, P }),
  );
  c.annotations = [...new Set(c.annotations)];
  const A = set(c.annotations);

  // another object that stays and needs a row that would go
  for (const r of prep(
      db,
      `SELECT v.id, v.name, count(*) AS n FROM evaluation_items e JOIN evaluations v ON v.id = e.evaluation_id
       WHERE (${IN('e.solution_id', 'S')} OR ${IN('e.problem_id', 'P')}) AND e.evaluation_id NOT IN (SELECT value FROM json_each(@E)) GROUP BY v.id`,
    )
    .all({ S, P, E }) as { id: number; name: string; n: number }[]) {
    blockers.push(`evaluation "${r.name}" (#${r.id}) uses ${plural(r.n, 'candidate')} that would go: delete it first`);
  }
  for (const r of prep(
      db,
      `SELECT coalesce(cr.name, cy.name) AS name, count(*) AS n FROM cycle_examples x JOIN cycles cy ON cy.id = x.cycle_id LEFT JOIN cycle_runs cr ON cr.id = cy.run_id
       WHERE ${IN('x.solution_id', 'S')} AND x.cycle_id NOT IN (SELECT value FROM json_each(@C)) GROUP BY coalesce(cr.name, cy.name)`,
    )
    .all({ S, C }) as { name: string; n: number }[]) {
    blockers.push(`cycle run "${r.name}" trained on ${plural(r.n, 'solution')} that would go: delete it first`);
  }
  const M = set(c.models);
  if (c.models.length) {
    const uses: string[] = [];
    const n = (sql: string): number => count(sql, { M });
    const sol = n(`SELECT count(*) AS n FROM solutions WHERE ${IN('model_id', 'M')}`);
    const sea = n(`SELECT count(*) AS n FROM searches WHERE ${IN('model_id', 'M')}`);
    if (sol) uses.push(plural(sol, 'solution'));
    if (sea) uses.push(plural(sea, 'search', 'searches'));
    const evals = prep(db, `SELECT id, name FROM evaluations WHERE ${IN('policy_id', 'M')} OR ${IN('reward_id', 'M')} ORDER BY id`).all({ M }) as { id: number; name: string }[];
    if (evals.length) uses.push(`${evals.length === 1 ? 'evaluation' : 'evaluations'} ${evals.map((e) => `"${e.name}"`).join(', ')}`);
    const runs = prep(
        db,
        `SELECT DISTINCT coalesce(r.name, cy.name) AS name FROM cycles cy LEFT JOIN cycle_runs r ON r.id = cy.run_id WHERE ${IN('cy.parent_model_id', 'M')} OR ${IN('cy.model_id', 'M')}
         UNION SELECT name FROM cycle_runs WHERE ${IN('base_model_id', 'M')}`,
      )
      .all({ M }) as { name: string }[];
    if (runs.length) uses.push(`${runs.length === 1 ? 'cycle run' : 'cycle runs'} ${runs.map((r) => `"${r.name}"`).join(', ')}`);
    if (uses.length) blockers.push(`${t.name} is used by ${uses.join(', ')}: delete those first (a model goes only when nothing made with it is left)`);
    for (const r of prep(db, `SELECT path, endpoint FROM models WHERE ${IN('id', 'M')}`).all({ M }) as { path: string; endpoint: string | null }[]) {
      if (!r.endpoint) modelPaths.push(r.path);
    }
  }

  // the jobs that made what goes; those that have ended and keep nothing else are removed too
  const makers = ids(
    `SELECT job_id AS id FROM solutions WHERE ${IN('id', 'S')} AND job_id IS NOT NULL
     UNION SELECT job_id FROM searches WHERE ${IN('id', 'SR')} AND job_id IS NOT NULL
     UNION SELECT job_id FROM evaluations WHERE ${IN('id', 'E')} AND job_id IS NOT NULL
     UNION SELECT job_id FROM cycle_runs WHERE ${IN('id', 'R')} AND job_id IS NOT NULL
     UNION SELECT job_id FROM cycles WHERE ${IN('id', 'C')} AND job_id IS NOT NULL`,
    { S, SR, E, R, C },
  );
  const MK = set(makers);
  c.jobs = ids(
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
    const made = prep(db, `SELECT DISTINCT m.name || '@' || m.version AS name FROM cycles cy JOIN models m ON m.id = cy.model_id WHERE ${IN('cy.id', 'C')} AND cy.idx > 0`).all({ C }) as { name: string }[];
    if (made.length) keeps.push(`the ${made.length === 1 ? 'model' : 'models'} it registered (${made.map((m) => m.name).join(', ')}): delete them under Models`);
  }
  if (t.kind === 'annotationSet') {
    const trained = prep(db, "SELECT name || '@' || version AS name FROM models WHERE json_extract(provenance, '$.annotationSet') = ?").all(t.name) as { name: string }[];
    if (trained.length) keeps.push(`${trained.map((m) => m.name).join(', ')}, trained on it, ${trained.length === 1 ? 'stays' : 'stay'} registered`);
  }

  const q = (sql: string): number => count(sql, { D, P, S, SR, A, E, R, C, M, JB });
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
    for (const r of prep(db, sql).all({ X: set(ids) }) as { id: number; name: string }[]) {
      if (!(kind === t.kind && t.ids.includes(r.id))) objects.push({ kind, id: r.id, name: r.name });
    }
  };
  named('evaluation', `SELECT id, name FROM evaluations WHERE ${IN('id', 'X')} ORDER BY id`, c.evaluations);
  named('cycleRun', `SELECT id, name FROM cycle_runs WHERE ${IN('id', 'X')} ORDER BY id`, c.cycleRuns);
  if (t.kind !== 'annotationSet') {
    // annotation sets left empty go as a whole
    for (const r of prep(
        db,
        `SELECT set_name AS name FROM annotations WHERE ${IN('id', 'A')} GROUP BY set_name
         HAVING count(*) = (SELECT count(*) FROM annotations b WHERE b.set_name = annotations.set_name) ORDER BY set_name`,
      )
      .all({ A }) as { name: string }[]) {
      objects.push({ kind: 'annotationSet', id: null, name: r.name });
    }
  }
  return { target: t, rows, total: rows.reduce((s, r) => s + r.count, 0), objects, keeps, blockers, modelPaths, makers, closure: c };
}
