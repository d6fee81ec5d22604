// Managing what a researcher made (manage.dependents / rename / delete) through the API on a real SQLite
// workspace: per kind, the exact rows a delete takes and what it leaves, one transaction (a failure half
// way changes nothing), refused while a job in progress uses the object, renames refused on a name in use.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../src-main/core/dispatch';
import { openWorkbench, type Workbench } from '../src-main/core/workbench';
import type { ManagePlan, ManageRenamed } from '../src-shared/manage';
import { buildManageFixture, type ManageFixture } from './helpers/manageFixture';
import { tempDir } from './helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let wb: Workbench;
let fx: ManageFixture;

const call = <T>(method: string, params: unknown): Promise<T> => dispatch(wb.handlers, method, params) as Promise<T>;
const now = new Date().toISOString();

/** Every table's row count: a delete that failed must leave each as it was. */
function counts(): Record<string, number> {
  const tables = (wb.store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((r) => r.name);
  return Object.fromEntries(tables.map((t) => [t, (wb.store.db.prepare(`SELECT count(*) AS n FROM "${t}"`).get() as { n: number }).n]));
}
const rows = (p: ManagePlan): Record<string, number> => Object.fromEntries(p.rows.map((r) => [r.what, r.count]));

beforeEach(() => {
  tmp = tempDir('steplab-manage-');
  wb = openWorkbench(join(tmp.dir, 'ws'), { create: true });
  fx = buildManageFixture(wb, tmp.dir);
});
afterEach(async () => {
  await wb.close();
  tmp.cleanup();
});

describe('manage.dependents and manage.delete, per kind', () => {
  it('a search: its tree, events, node scores, kept rollouts, label-import record and annotations; the job goes with its last search', async () => {
    const plan = await call<ManagePlan>('manage.dependents', { kind: 'search', ref: fx.s1.id });
    expect(plan).toMatchObject({ kind: 'search', id: fx.s1.id, name: `#${fx.s1.id} d-1`, blockers: [], folders: [] });
    expect(rows(plan)).toEqual({ searches: 1, 'tree nodes': 3, 'node scores': 3, 'kept rollouts': 1, 'search events': 2, 'label-import records': 1, annotations: 2, 'annotation steps': 4, 'curation edits': 1 });
    expect(plan.total).toBe(18);
    expect(plan.objects).toEqual([{ kind: 'annotationSet', id: null, name: 'setA' }]);
    const before = counts();
    const done = await call<ManagePlan>('manage.delete', { kind: 'search', ref: String(fx.s1.id), confirm: true });
    expect(done.rows).toEqual(plan.rows);
    const after = counts();
    expect(before.searches - after.searches).toBe(1);
    expect(before.tree_nodes - after.tree_nodes).toBe(3);
    expect(before.annotations - after.annotations).toBe(2);
    expect(after.jobs).toBe(before.jobs);
    // the other search of the job is left; deleting it removes the job record too
    const last = await call<ManagePlan>('manage.delete', { kind: 'search', ref: fx.s2.id, confirm: true });
    expect(rows(last)).toMatchObject({ searches: 1, 'tree nodes': 2, annotations: 1, 'job records': 1 });
    expect(wb.store.db.prepare('SELECT 1 FROM jobs WHERE id = ?').get(fx.jSearch)).toBeUndefined();
  });

  it('an annotation set: its annotations, steps and curation edits; the searches stay', async () => {
    const plan = await call<ManagePlan>('manage.dependents', { kind: 'annotationSet', ref: 'setA' });
    expect(rows(plan)).toEqual({ annotations: 2, 'annotation steps': 4, 'curation edits': 1 });
    await call('manage.delete', { kind: 'annotationSet', ref: 'setA', confirm: true });
    const sets = await call<{ name: string }[]>('annotations.sets', {});
    expect(sets.map((x) => x.name)).toEqual(['setB']);
    expect(counts().searches).toBe(2);
  });

  it('an evaluation: its items and the candidates its job generated, and the job record', async () => {
    const plan = await call<ManagePlan>('manage.dependents', { kind: 'evaluation', ref: 'bon-1' });
    expect(rows(plan)).toEqual({ evaluations: 1, 'evaluation items': 2, solutions: 2, 'solution steps': 4, 'step scores': 4, 'job records': 1 });
    await call('manage.delete', { kind: 'evaluation', ref: fx.ev, confirm: true });
    expect((await call<{ items: unknown[] }>('evaluations.list', {})).items).toEqual([]);
    expect(wb.store.db.prepare('SELECT 1 FROM jobs WHERE id = ?').get(fx.jBon)).toBeUndefined();
  });

  it('a cycle run: its cycles, stages, training rows and solutions; the model it registered stays', async () => {
    const plan = await call<ManagePlan>('manage.dependents', { kind: 'cycleRun', ref: 'run-1' });
    expect(rows(plan)).toEqual({ 'cycle runs': 1, cycles: 2, 'cycle stages': 4, 'cycle training rows': 1, solutions: 2, 'solution steps': 2, 'job records': 1 });
    expect(plan.keeps.join('\n')).toContain('pol-c1@1');
    const before = counts();
    await call('manage.delete', { kind: 'cycleRun', ref: 'run-1', confirm: true });
    const after = counts();
    expect(after.models).toBe(before.models);
    expect(after.cycle_runs).toBe(0);
    expect(after.solutions).toBe(before.solutions - 2);
  });

  it('a dataset: its own problems with all their work, its evaluations and cycle runs; a problem another dataset holds stays', async () => {
    const plan = await call<ManagePlan>('manage.dependents', { kind: 'dataset', ref: 'demo' });
    expect(rows(plan)).toEqual({
      datasets: 1,
      'dataset memberships': 4,
      problems: 3,
      evaluations: 1,
      'evaluation items': 2,
      'cycle runs': 1,
      cycles: 2,
      'cycle stages': 4,
      'cycle training rows': 1,
      solutions: 5,
      'solution steps': 8,
      'step scores': 7,
      searches: 1,
      'tree nodes': 3,
      'node scores': 3,
      'kept rollouts': 1,
      'search events': 2,
      'label-import records': 1,
      annotations: 2,
      'annotation steps': 4,
      'curation edits': 1,
      'job records': 3,
    });
    expect(plan.objects).toEqual([
      { kind: 'evaluation', id: fx.ev, name: 'bon-1' },
      { kind: 'cycleRun', id: fx.run, name: 'run-1' },
      { kind: 'annotationSet', id: null, name: 'setA' },
    ]);
    expect(plan.keeps[0]).toMatch(/^1 problem another dataset holds too/);
    const before = counts();
    await call('manage.delete', { kind: 'dataset', ref: 'demo', confirm: true });
    const after = counts();
    for (const r of plan.rows) {
      const table = { datasets: 'datasets', problems: 'problems', searches: 'searches', solutions: 'solutions', annotations: 'annotations', evaluations: 'evaluations' }[r.what];
      if (table) expect(before[table] - after[table], r.what).toBe(r.count);
    }
    expect((await call<{ items: { name: string }[] }>('datasets.list', {})).items.map((d) => d.name)).toEqual(['other']);
    // the shared problem and its search stay
    expect(wb.store.trees.getSearch(fx.s2.id).problemId).toBe(fx.p[0]);
    expect(wb.store.problems.get(fx.p[0]).id).toBe(fx.p[0]);
  });

  it('a model: its scores and verdicts, and its folder under the workspace after the commit', async () => {
    const plan = await call<ManagePlan>('manage.dependents', { kind: 'model', ref: 'judge1@1' });
    expect(rows(plan)).toEqual({ 'step scores': 1, 'node scores': 1, models: 1, 'judge verdicts': 1 });
    expect(plan.folders).toEqual([fx.judge.path]);
    expect(existsSync(fx.judge.path)).toBe(true);
    await call('manage.delete', { kind: 'model', ref: 'judge1', confirm: true });
    expect(existsSync(fx.judge.path)).toBe(false);
    expect((await call<{ name: string }[]>('models.list', {})).map((m) => m.name)).not.toContain('judge1');
  });

  it('a model whose folder is outside the workspace (a bundled one registered in place) is only unregistered', async () => {
    const plan = await call<ManagePlan>('manage.dependents', { kind: 'model', ref: fx.outside.id });
    expect(plan.folders).toEqual([]);
    expect(plan.keeps.join('\n')).toContain('only unregistered');
    await call('manage.delete', { kind: 'model', ref: fx.outside.id, confirm: true });
    expect(existsSync(fx.outside.path)).toBe(true);
  });

  it('a model with work made with it is refused, naming that work', async () => {
    const plan = await call<ManagePlan>('manage.dependents', { kind: 'model', ref: 'pol' });
    expect(plan.blockers).toEqual([
      'pol@1 is used by 5 solutions, 2 searches, evaluation "bon-1", cycle run "run-1": delete those first (a model goes only when nothing made with it is left)',
    ]);
    const before = counts();
    await expect(call('manage.delete', { kind: 'model', ref: 'pol', confirm: true })).rejects.toThrow(/^cannot delete model "pol@1": pol@1 is used by 5 solutions.*nothing was deleted$/);
    expect(counts()).toEqual(before);
    expect(existsSync(fx.pol.path)).toBe(true);
  });

  it('a delete without confirm: true is refused by the contract', async () => {
    await expect(call('manage.delete', { kind: 'search', ref: fx.s1.id })).rejects.toThrow(/confirm/);
  });
});

describe('one transaction', () => {
  it('a failure half way (a trigger on the evaluations) leaves every table as it was', async () => {
    wb.store.db.exec("CREATE TEMP TRIGGER manage_fail BEFORE DELETE ON main.evaluations BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;");
    const before = counts();
    await expect(call('manage.delete', { kind: 'dataset', ref: 'demo', confirm: true })).rejects.toThrow(/disk on fire/);
    expect(counts()).toEqual(before);
    wb.store.db.exec('DROP TRIGGER manage_fail');
  });

  it('a model folder is kept when the transaction fails', async () => {
    wb.store.db.exec("CREATE TEMP TRIGGER manage_fail BEFORE DELETE ON main.models BEGIN SELECT RAISE(ABORT, 'no'); END;");
    await expect(call('manage.delete', { kind: 'model', ref: 'judge1', confirm: true })).rejects.toThrow(/no/);
    expect(existsSync(fx.judge.path)).toBe(true);
    wb.store.db.exec('DROP TRIGGER manage_fail');
  });
});

describe('jobs in progress', () => {
  it('a job that names the dataset refuses its delete and its rename; nothing changes', async () => {
    const id = Number(
      wb.store.db
        .prepare("INSERT INTO jobs (kind, config, state, created_at, updated_at) VALUES ('search', ?, 'interrupted', ?, ?)")
        .run(JSON.stringify({ dataset: 'demo', model: 'pol', algo: 'omega' }), now, now).lastInsertRowid,
    );
    const plan = await call<ManagePlan>('manage.dependents', { kind: 'dataset', ref: 'demo' });
    expect(plan.blockers[0]).toBe(`search job ${id} (interrupted) uses dataset "demo": wait for it to end or cancel it (jobs --cancel)`);
    const before = counts();
    await expect(call('manage.delete', { kind: 'dataset', ref: 'demo', confirm: true })).rejects.toThrow(`cannot delete dataset "demo": search job ${id} (interrupted) uses dataset "demo"`);
    await expect(call('manage.rename', { kind: 'dataset', ref: 'demo', newName: 'demo2' })).rejects.toThrow(`search job ${id} (interrupted) names dataset "demo" in its settings`);
    expect(counts()).toEqual(before);
    expect(wb.store.datasets.findId('demo')).toBe(fx.demo);
  });

  it('a search whose job is still running is refused; a model a queued job names too', async () => {
    wb.store.db.prepare("UPDATE jobs SET state = 'running' WHERE id = ?").run(fx.jSearch);
    await expect(call('manage.delete', { kind: 'search', ref: fx.s1.id, confirm: true })).rejects.toThrow(`search job ${fx.jSearch} (running) uses search`);
    wb.store.db.prepare("INSERT INTO jobs (kind, config, state, created_at, updated_at) VALUES ('score', ?, 'queued', ?, ?)").run(JSON.stringify({ prm: 'judge1@1', dataset: 'other' }), now, now);
    const plan = await call<ManagePlan>('manage.dependents', { kind: 'model', ref: 'judge1' });
    expect(plan.blockers[0]).toMatch(/^score job \d+ \(queued\) uses model "judge1@1"/);
  });
});

describe('manage.rename', () => {
  it('renames each kind; the lists show the new names', async () => {
    const r = (kind: string, ref: unknown, newName: string): Promise<ManageRenamed> => call<ManageRenamed>('manage.rename', { kind, ref, newName });
    expect(await r('dataset', 'demo', 'demo-v2')).toMatchObject({ previous: 'demo', name: 'demo-v2', rows: 1 });
    expect(await r('annotationSet', 'setA', 'setA-curated')).toMatchObject({ previous: 'setA', rows: 2 });
    expect(await r('search', fx.s1.id, 'first tree')).toMatchObject({ previous: `#${fx.s1.id} d-1`, name: 'first tree', rows: 1 });
    expect(await r('evaluation', 'bon-1', 'bon-final')).toMatchObject({ rows: 1 });
    expect(await r('cycleRun', 'run-1', 'run-a')).toMatchObject({ rows: 3 });
    expect(await r('model', 'pol@1', 'policy-a')).toMatchObject({ previous: 'pol', name: 'policy-a', rows: 1 });
    expect((await call<{ items: { name: string }[] }>('datasets.list', {})).items.map((d) => d.name)).toEqual(['demo-v2', 'other']);
    expect((await call<{ name: string }[]>('annotations.sets', {})).map((d) => d.name).sort()).toEqual(['setA-curated', 'setB']);
    expect((await call<{ items: { id: number; name: string | null }[] }>('searches.list', {})).items.find((x) => x.id === fx.s1.id)?.name).toBe('first tree');
    expect((await call<{ items: { name: string }[] }>('evaluations.list', {})).items[0].name).toBe('bon-final');
    expect((await call<{ name: string }[]>('cycles.list', {}))[0].name).toBe('run-a');
    expect((await call<{ name: string }>('models.get', { name: 'policy-a' })).name).toBe('policy-a');
    // a renamed search is found by its name
    expect((await call<ManagePlan>('manage.dependents', { kind: 'search', ref: 'first tree' })).id).toBe(fx.s1.id);
  });

  it('a name in use is refused in one line and nothing changes', async () => {
    const before = counts();
    const names = () => wb.store.db.prepare('SELECT name FROM datasets ORDER BY id').all();
    const was = names();
    await expect(call('manage.rename', { kind: 'dataset', ref: 'demo', newName: 'other' })).rejects.toThrow('another dataset is named "other": choose another name; nothing was renamed');
    await expect(call('manage.rename', { kind: 'annotationSet', ref: 'setA', newName: 'setB' })).rejects.toThrow('another annotation set is named "setB"');
    await expect(call('manage.rename', { kind: 'model', ref: 'pol', newName: 'prm1' })).rejects.toThrow('another model is named "prm1"');
    await call('manage.rename', { kind: 'search', ref: fx.s1.id, newName: 'tree' });
    await expect(call('manage.rename', { kind: 'search', ref: fx.s2.id, newName: 'tree' })).rejects.toThrow('another search is named "tree"');
    await expect(call('manage.rename', { kind: 'model', ref: 'pol', newName: 'has space' })).rejects.toThrow(/letters, digits/);
    await expect(call('manage.rename', { kind: 'evaluation', ref: 'bon-1', newName: '42' })).rejects.toThrow(/digits only reads as an id/);
    expect(names()).toEqual(was);
    expect(counts()).toEqual(before);
  });

  it('an unknown target is named in one line', async () => {
    await expect(call('manage.dependents', { kind: 'dataset', ref: 'nope' })).rejects.toThrow('dataset "nope" not found');
    await expect(call('manage.rename', { kind: 'cycleRun', ref: 99, newName: 'x' })).rejects.toThrow('cycle run 99 not found');
  });
});

describe('the workspace stays whole', () => {
  it('no foreign key points at a deleted row after each kind is deleted', async () => {
    await call('manage.delete', { kind: 'annotationSet', ref: 'setB', confirm: true });
    await call('manage.delete', { kind: 'evaluation', ref: 'bon-1', confirm: true });
    await call('manage.delete', { kind: 'cycleRun', ref: 'run-1', confirm: true });
    await call('manage.delete', { kind: 'dataset', ref: 'demo', confirm: true });
    await call('manage.delete', { kind: 'model', ref: 'judge1', confirm: true });
    expect(wb.store.db.pragma('foreign_key_check')).toEqual([]);
    // what is left: the other dataset with its two problems, the shared problem's search; pol is free once its work is gone
    expect(counts()).toMatchObject({ datasets: 1, problems: 2, searches: 1, solutions: 0, evaluations: 0, cycle_runs: 0, annotations: 0 });
    await call('manage.delete', { kind: 'dataset', ref: 'other', confirm: true });
    const free = await call<ManagePlan>('manage.dependents', { kind: 'model', ref: 'pol' });
    expect(free.blockers).toEqual([]);
    await call('manage.delete', { kind: 'model', ref: 'pol', confirm: true });
    expect(existsSync(fx.pol.path)).toBe(false);
    expect(wb.store.db.pragma('foreign_key_check')).toEqual([]);
    expect(counts()).toMatchObject({ datasets: 0, problems: 0, searches: 0, tree_nodes: 0, node_scores: 0, jobs: 0 });
  });
});
