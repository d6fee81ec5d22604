import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../src-main/core/errors';
import { Store } from '../src-main/core/store';
import { latestSchemaVersion, loadMigrations, migrate, openDatabase } from '../src-main/core/store/db';
import { batchRef, SUBTREE_SQL } from '../src-main/core/store/trees';
import { tempDir } from './helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let store: Store;
beforeEach(() => {
  tmp = tempDir();
  store = Store.open(join(tmp.dir, 'ws'), { create: true });
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

const problem = (q: string, answer = '4') => ({ question: q, answer, answerType: 'number' as const, source: 'test', tags: ['t'], imageHashes: [], meta: { k: 1 } });

describe('migrations', () => {
  it('creates a workspace from empty with every table, WAL and foreign keys on', () => {
    expect(existsSync(join(tmp.dir, 'ws', 'steplab.db'))).toBe(true);
    expect(existsSync(join(tmp.dir, 'ws', 'images'))).toBe(true);
    expect(store.schemaVersion).toBe(latestSchemaVersion());
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    const tables = (store.db.prepare("SELECT name FROM sqlite_master WHERE type='table'").all() as { name: string }[]).map((t) => t.name);
    for (const t of ['problems', 'images', 'datasets', 'dataset_problems', 'models', 'solutions', 'steps', 'searches', 'tree_nodes', 'search_events', 'annotations', 'annotation_steps', 'curation_edits', 'evaluations', 'evaluation_items', 'cycles', 'cycle_stages', 'jobs']) {
      expect(tables).toContain(t);
    }
  });

  it('is idempotent: reopening applies nothing twice', () => {
    store.close();
    const again = Store.open(join(tmp.dir, 'ws'));
    expect(again.schemaVersion).toBe(latestSchemaVersion());
    again.close();
  });

  it('applies only pending migrations in order', () => {
    const db = openDatabase(join(tmp.dir, 'plain.db'));
    const ms = [
      { version: 1, name: '001_a.sql', sql: 'CREATE TABLE a (x INTEGER);' },
      { version: 2, name: '002_b.sql', sql: 'CREATE TABLE b (y INTEGER);' },
    ];
    expect(migrate(db, ms.slice(0, 1))).toBe(1);
    expect(migrate(db, ms)).toBe(2);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    db.close();
  });

  it('a failed migration leaves the schema version where it was', () => {
    const db = openDatabase(join(tmp.dir, 'bad.db'));
    const ms = [{ version: 1, name: '001_bad.sql', sql: 'CREATE TABLE a (x INTEGER); CREATE TABLE a (x INTEGER);' }];
    expect(() => migrate(db, ms)).toThrow(/already exists/);
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'a'").get()).toEqual({ n: 0 });
    db.close();
  });

  it('refuses a workspace written by a newer schema with a clear message', () => {
    store.db.pragma(`user_version = ${latestSchemaVersion() + 5}`);
    store.close();
    expect(() => Store.open(join(tmp.dir, 'ws'))).toThrow(UserError);
    expect(() => Store.open(join(tmp.dir, 'ws'))).toThrow(/schema version \d+, but this Steplab knows versions up to \d+: open it with a newer Steplab/);
  });

  it('refuses to open a folder that is not a workspace unless asked to create it', () => {
    expect(() => Store.open(join(tmp.dir, 'nothing'))).toThrow(/is not a Steplab workspace .*steplab init/);
  });

  it("refuses another program's SQLite file named steplab.db and leaves it as it was", () => {
    const dir = join(tmp.dir, 'other');
    mkdirSync(dir);
    const other = openDatabase(join(dir, 'steplab.db'));
    other.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me')");
    other.close();
    expect(() => Store.open(dir)).toThrow(`${dir}: its steplab.db is not a Steplab database (it has 1 tables and no Steplab schema version); it was left as it was`);
    const again = openDatabase(join(dir, 'steplab.db'), { readonly: true });
    expect(again.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([{ name: 'notes' }]);
    expect(again.pragma('user_version', { simple: true })).toBe(0);
    again.close();
    expect(existsSync(join(dir, 'images'))).toBe(false);
  });

  it('008 gives every dataset membership the extra fields its problem showed until then', () => {
    const dir = join(tmp.dir, 'seven');
    mkdirSync(dir);
    const db = openDatabase(join(dir, 'steplab.db'));
    migrate(db, loadMigrations().filter((m) => m.version <= 7));
    db.prepare("INSERT INTO problems (fingerprint, question, answer, answer_type, meta, created_at) VALUES ('f1', 'Q?', '1', 'number', '{\"precision\":2}', 't')").run();
    db.prepare("INSERT INTO datasets (name, created_at, updated_at) VALUES ('a', 't', 't'), ('b', 't', 't')").run();
    db.prepare("INSERT INTO dataset_problems (dataset_id, problem_id, ext_id, split, position) VALUES (1, 1, 'x', NULL, 0), (2, 1, 'y', 'test', 0)").run();
    expect(migrate(db, loadMigrations())).toBe(latestSchemaVersion());
    expect(db.prepare('SELECT dataset_id, meta FROM dataset_problems ORDER BY dataset_id').all()).toEqual([
      { dataset_id: 1, meta: '{"precision":2}' },
      { dataset_id: 2, meta: '{"precision":2}' },
    ]);
    db.close();
  });

  it('migration files are numbered without gaps', () => {
    const ms = loadMigrations();
    ms.forEach((m, i) => expect(m.version).toBe(i + 1));
  });
});

describe('problems and datasets', () => {
  it('dedupes problems by content and keeps dataset membership with ext id and split', () => {
    const a = store.problems.upsert(problem('2+2?'));
    const b = store.problems.upsert(problem('2+2?'));
    expect(a.created).toBe(true);
    expect(b).toEqual({ id: a.id, created: false });
    const ds = store.datasets.getOrCreate('d');
    expect(store.datasets.addMember(ds, a.id, 'p1', 'train')).toBe('added');
    expect(store.datasets.addMember(ds, a.id, 'p1', 'train')).toBe('present');
    const c = store.problems.upsert(problem('3+3?', '6'));
    expect(() => store.datasets.addMember(ds, c.id, 'p1', 'train')).toThrow(/id "p1" is already in this dataset/);
    expect(store.datasets.addMember(ds, c.id, 'p2', 'test')).toBe('added');
    const d = store.datasets.get('d');
    expect(d.problemCount).toBe(2);
    expect(d.splits).toEqual({ train: 1, test: 1 });
    const page = store.problems.listInDataset(ds, { split: 'test' });
    expect(page.total).toBe(1);
    expect(page.items[0]).toMatchObject({ extId: 'p2', split: 'test', question: '3+3?', meta: { k: 1 }, tags: ['t'] });
    expect(store.problems.listInDataset(ds, { search: '3+3' }).total).toBe(1);
    expect(store.problems.listInDataset(ds, { search: '100%' }).total).toBe(0);
    expect([...store.problems.iterateDataset(ds)].map((p) => p.extId)).toEqual(['p1', 'p2']);
    expect([...store.problems.iterateDataset(ds, { limit: 1 })].length).toBe(1);
  });

  it('names the known datasets when one is missing', () => {
    store.datasets.getOrCreate('alpha');
    expect(() => store.datasets.requireId('beta')).toThrow('dataset "beta" not found (have: alpha)');
  });

  it('stores images once and attaches them to problems in order', () => {
    const img = { hash: 'a'.repeat(64), mime: 'image/png', width: 2, height: 3, bytes: 10 };
    const img2 = { ...img, hash: 'b'.repeat(64) };
    expect(store.images.insert(img)).toBe(true);
    expect(store.images.insert(img)).toBe(false);
    store.images.insert(img2);
    const p = store.problems.upsert({ ...problem('look'), imageHashes: [img2.hash, img.hash] });
    expect(store.problems.get(p.id).images.map((i) => i.hash)).toEqual([img2.hash, img.hash]);
    expect(() => store.problems.upsert({ ...problem('x'), imageHashes: ['c'.repeat(64)] })).toThrow(/FOREIGN KEY/);
  });
});

describe('models, solutions, evaluations, cycles', () => {
  it('versions models by name', () => {
    const m1 = store.models.register({ name: 'tiny-policy', role: 'policy', family: 'llama', path: '/m', manifest: { a: 1 } });
    const m2 = store.models.register({ name: 'tiny-policy', role: 'policy', family: 'llama', path: '/m2', manifest: { a: 2 }, provenance: { parent: m1.id } });
    expect([m1.version, m2.version]).toEqual([1, 2]);
    expect(store.models.byName('tiny-policy').id).toBe(m2.id);
    expect(store.models.byName('tiny-policy@1').id).toBe(m1.id);
    expect(() => store.models.byName('nope')).toThrow('model "nope" is not registered');
  });

  it('stores solutions with steps, scores and ORM verdicts', () => {
    const p = store.problems.upsert(problem('q'));
    const [id] = store.solutions.insertMany([{ problemId: p.id, modelId: null, finalAnswer: '4', verdict: 'correct', provider: 'cpu', steps: [{ text: 'a' }, { text: 'b', goldLabel: 0 }] }]);
    const prm = store.models.register({ name: 'prm', role: 'prm', family: 'f', path: '/p', manifest: {} });
    const prm2 = store.models.register({ name: 'prm2', role: 'prm', family: 'f', path: '/p2', manifest: {} });
    store.scores.setStepScores(prm.id, [{ solutionId: id, scores: [0.9, 0.1] }]);
    store.scores.setStepScores(prm2.id, [{ solutionId: id, scores: [0.5, 0.4] }]);
    store.scores.setStepScores(prm.id, [{ solutionId: id, scores: [0.8, 0.2] }]); // rescoring replaces
    store.solutions.setOrm(id, { status: 'WRONG', error_step: 2 });
    const s = store.solutions.get(id);
    expect(s.steps.map((x) => [x.text, x.goldLabel])).toEqual([['a', null], ['b', 0]]);
    expect(store.scores.stepScores(prm.id, [id, 999])).toEqual(new Map([[id, [0.8, 0.2]]]));
    expect(store.scores.stepScoresOf(id)).toEqual(new Map([[prm.id, [0.8, 0.2]], [prm2.id, [0.5, 0.4]]]));
    expect(s.orm).toEqual({ status: 'WRONG', error_step: 2 });
    expect(store.solutions.forProblem(p.id)).toHaveLength(1);
  });

  it('stores evaluations with per-candidate scores', () => {
    const p = store.problems.upsert(problem('q'));
    const [sid] = store.solutions.insertMany([{ problemId: p.id, modelId: null, finalAnswer: '4', verdict: 'correct', steps: [] }]);
    const e = store.evaluations.create({ name: 'bon', datasetId: null, policyId: null, rewardId: null, config: { n: 16 } });
    store.evaluations.addItems(e, [{ problemId: p.id, solutionId: sid, scores: { min: 0.5 } }]);
    store.evaluations.setMetrics(e, { accuracy: 1 });
    expect(store.evaluations.get(e)).toMatchObject({ name: 'bon', config: { n: 16 }, metrics: { accuracy: 1 } });
    expect(store.evaluations.items(e)).toEqual([{ problemId: p.id, solutionId: sid, scores: { min: 0.5 } }]);
  });

  it('creates cycles with every stage pending and records stage transitions', () => {
    const c = store.cycles.create({ name: 'run', parentModelId: null, config: {} });
    const c2 = store.cycles.create({ name: 'run', parentModelId: null, config: {} });
    store.cycles.setStage(c, 'infer', { status: 'running' });
    store.cycles.setStage(c, 'infer', { status: 'done', counts: { samples: 8 } });
    const rec = store.cycles.get(c);
    expect(rec.stages[0]).toMatchObject({ stage: 'infer', status: 'done', counts: { samples: 8 } });
    expect(rec.stages[0].startedAt).not.toBeNull();
    expect(rec.stages[0].endedAt).not.toBeNull();
    expect(rec.stages.slice(1).every((s) => s.status === 'pending')).toBe(true);
    expect(store.cycles.get(c2).idx).toBe(1);
  });
});

describe('trees', () => {
  it('inserts a batch with in-batch parents and answers children, subtree and path through the index', () => {
    const p = store.problems.upsert(problem('q'));
    const s = store.trees.createSearch({ problemId: p.id, modelId: null, algorithm: 'omegaprm', config: {}, seed: 1 });
    // root -> a -> (a1, a2), root -> b
    const ids = store.trees.insertNodes(s, [
      { parent: null, depth: 0, stepText: '' },
      { parent: batchRef(0), depth: 1, stepText: 'a', rollouts: 4, correct: 2, mc: 0.5 },
      { parent: batchRef(1), depth: 2, stepText: 'a1', mc: 0 , firstError: true },
      { parent: batchRef(1), depth: 2, stepText: 'a2', mc: 1 },
      { parent: batchRef(0), depth: 1, stepText: 'b' },
    ]);
    expect(store.trees.nodeCount(s)).toBe(5);
    expect(store.trees.roots(s).map((n) => n.id)).toEqual([ids[0]]);
    expect(store.trees.children(s, ids[1]).map((n) => n.stepText)).toEqual(['a1', 'a2']);
    expect(store.trees.subtree(ids[1]).map((n) => n.stepText)).toEqual(['a', 'a1', 'a2']);
    expect(store.trees.path(ids[2]).map((n) => n.stepText)).toEqual(['', 'a', 'a1']);
    expect(store.trees.node(ids[2]).firstError).toBe(true);
    store.trees.updateNodeStats(ids[4], { visits: 1, rollouts: 8, correct: 8, mc: 1, q: 0.9 });
    expect(store.trees.node(ids[4])).toMatchObject({ visits: 1, rollouts: 8, correct: 8, mc: 1, q: 0.9 });
    // a batch that refers forward is a bug, and nothing of it is kept
    expect(() => store.trees.insertNodes(s, [{ parent: batchRef(1), depth: 1, stepText: 'x' }, { parent: null, depth: 0, stepText: '' }])).toThrow(/comes after it/);
    expect(store.trees.nodeCount(s)).toBe(5);
    store.trees.appendEvents(s, [{ kind: 'select', data: { node: ids[1], q: 0.4, u: 0.1 } }, { kind: 'rollout', data: { n: 4 } }]);
    store.trees.appendEvents(s, [{ kind: 'probe', data: { mc: 0 } }]);
    expect(store.trees.events(s).map((e) => [e.seq, e.kind])).toEqual([[0, 'select'], [1, 'rollout'], [2, 'probe']]);
  });

  it('subtree and children queries use the parent index, not a table scan', () => {
    const plan = (sql: string) => (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(1, 1) as { detail: string }[]).map((r) => r.detail).join(' | ');
    expect(plan('SELECT * FROM tree_nodes WHERE search_id = ? AND parent_id = ?')).toMatch(/USING INDEX tree_nodes_by_parent/);
    const sub = (store.db.prepare(`EXPLAIN QUERY PLAN ${SUBTREE_SQL}`).all({ id: 1, searchId: 1 }) as { detail: string }[]).map((r) => r.detail);
    expect(sub.filter((d) => /^SCAN (t|n|tree_nodes)\b/.test(d))).toEqual([]);
    expect(sub).toContain('SEARCH t USING COVERING INDEX tree_nodes_by_parent (search_id=? AND parent_id=?)');
    expect(sub.some((d) => /^SEARCH n USING INTEGER PRIMARY KEY/.test(d))).toBe(true);
  });
});

describe('annotations and curation', () => {
  it('keeps the original labels and applies curation edits on top', () => {
    const p = store.problems.upsert(problem('q'));
    const [a] = store.annotations.insertMany([{ problemId: p.id, steps: [{ text: 's1', softLabel: 0.75 }, { text: 's2', softLabel: 0 }] }]);
    store.annotations.edit(a, { stepIdx: 1, action: 'relabel', value: 0.5 });
    store.annotations.edit(a, { stepIdx: 0, action: 'comment', comment: 'fine' });
    let ann = store.annotations.get(a);
    expect(ann.steps[1]).toMatchObject({ originalSoft: 0, originalHard: 0, softLabel: 0.5, hardLabel: 1, edited: true });
    expect(ann.steps[0].comments).toEqual(['fine']);
    store.annotations.edit(a, { action: 'reject' });
    expect(store.annotations.get(a).rejected).toBe(true);
    store.annotations.edit(a, { action: 'accept' });
    ann = store.annotations.get(a);
    expect([ann.rejected, ann.accepted]).toEqual([false, true]);
    const raw = store.db.prepare('SELECT soft_label FROM annotation_steps WHERE annotation_id = ? ORDER BY idx').all(a);
    expect(raw).toEqual([{ soft_label: 0.75 }, { soft_label: 0 }]);
    expect(() => store.annotations.edit(a, { stepIdx: 0, action: 'relabel', value: 2 })).toThrow('relabel needs a value in [0, 1]');
    expect(() => store.annotations.insertMany([{ problemId: p.id, steps: [{ text: 'x', softLabel: 1.5 }] }])).toThrow(/not in \[0, 1\]/);
  });
});

describe('jobs repository', () => {
  it('claims once, checkpoints, and marks jobs of dead owners interrupted', () => {
    const j = store.jobs.create('import', { a: 1 });
    expect(store.jobs.claim(j.id, 111)).toBe(true);
    expect(store.jobs.claim(j.id, 222)).toBe(false);
    store.jobs.setProgress(j.id, { done: 5, total: 10, message: null }, { line: 5 });
    expect(store.jobs.checkpoint(j.id)).toEqual({ line: 5 });
    expect(store.jobs.markOrphansInterrupted((pid) => pid !== 111)).toEqual([j.id]);
    expect(store.jobs.get(j.id).state).toBe('interrupted');
    expect(store.jobs.pending().map((x) => x.id)).toEqual([j.id]);
    expect(store.jobs.claim(j.id, 333)).toBe(true);
    expect(store.jobs.get(j.id).attempts).toBe(2);
    store.jobs.requestCancel(j.id);
    expect(store.jobs.cancelRequested(j.id)).toBe(true);
    store.jobs.finish(j.id, 'cancelled', null, 'cancelled');
    expect(store.jobs.get(j.id)).toMatchObject({ state: 'cancelled', error: 'cancelled' });
    const q = store.jobs.create('import', {});
    expect(store.jobs.requestCancel(q.id).state).toBe('cancelled');
  });
});
