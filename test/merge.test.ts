// `steplab merge`: two shards of a search run in two workspaces, merged into a third, equal one unsharded
// search with the same seed, node for node and annotation for annotation (compared by content and tree
// position, never by ids); merging again adds nothing; node scores, curation edits, images and datasets
// come along; a model of the same name with other content is a reported conflict; bad input is one line
// before any work with the target left byte-identical; a source that fails half-way leaves the target as it was.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imagePath } from '../src-main/core/data/images';
import { Store } from '../src-main/core/store';
import { latestSchemaVersion, loadMigrations, migrate } from '../src-main/core/store/db';
import { problemFingerprint } from '../src-main/core/store/problems';
import { cli } from './helpers/cli';
import { tempDir } from './helpers/tmp';

const ROOT = join(import.meta.dirname, '..');
const POLICY = join(ROOT, 'models', 'tiny-policy');
const PRM = join(ROOT, 'models', 'tiny-prm');
let tmp: ReturnType<typeof tempDir>;
let data: string;
let pics: string;
let cfg: string;
let mcCfg: string;
const ws = (name: string): string => join(tmp.dir, name);

async function ok(...args: string[]): Promise<string[]> {
  const r = await cli(...args);
  expect(r.code, `${args.join(' ')}\n${r.err.join('\n')}`).toBe(0);
  return r.out;
}

/** A workspace with the test problems imported as "demo" and the tiny policy registered. */
async function workspace(name: string): Promise<string> {
  const dir = ws(name);
  await ok('init', dir);
  await ok('import', data, '--workspace', dir, '--dataset', 'demo');
  await ok('models', 'register', POLICY, '--workspace', dir);
  return dir;
}

/** An OmegaPRM and a Math-Shepherd search of the "demo" problems (small budgets), one annotation set. */
async function search(dir: string, ...extra: string[]): Promise<number[]> {
  const ids: number[] = [];
  for (const [algo, config] of [['omega', cfg], ['mc', mcCfg]]) {
    const out = await ok('search', '--workspace', dir, '--dataset', 'demo', '--model', 'tiny-policy', '--algo', algo, '--config', config, '--seed', '5', '--all-paths', '--annotation-set', 'run', '--json', ...extra);
    ids.push(...JSON.parse(out.at(-1)!).search_ids);
  }
  return ids;
}

async function merge(...args: string[]): Promise<Record<string, any>> {
  const out = await ok('merge', ...args, '--json');
  expect(out).toHaveLength(1);
  return JSON.parse(out[0]);
}

function open(dir: string): Database.Database {
  return new Database(join(dir, 'steplab.db'), { readonly: true });
}

const fileHash = (f: string): string => createHash('sha256').update(readFileSync(f)).digest('hex');

/** Row counts of every table. */
function rowCounts(dir: string): Record<string, number> {
  const db = open(dir);
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    return Object.fromEntries(tables.map((t) => [t, (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]));
  } finally {
    db.close();
  }
}

/**
 * Searches and annotations by content: each node as (problem fingerprint, algorithm, seed, path of step texts
 * from the root, visits, rollouts, correct, mc, q, first error); each event with its node references
 * turned into paths; each annotation as (problem, set, steps with labels). Sorted, so ids and order do not count.
 */
function contents(dir: string): { nodes: string[]; events: string[]; annotations: string[]; searches: number } {
  const db = open(dir);
  try {
    const searches = db.prepare('SELECT s.id, s.algorithm, s.seed, p.fingerprint FROM searches s JOIN problems p ON p.id = s.problem_id ORDER BY s.id').all() as { id: number; algorithm: string; seed: number; fingerprint: string }[];
    const nodes: string[] = [];
    const events: string[] = [];
    for (const s of searches) {
      const rows = db.prepare('SELECT * FROM tree_nodes WHERE search_id = ? ORDER BY id').all(s.id) as { id: number; parent_id: number | null; step_text: string; visits: number; rollouts: number; correct: number; mc: number | null; q: number | null; first_error: number }[];
      const path = new Map<number, string>();
      for (const n of rows) {
        const p = `${n.parent_id === null ? '' : path.get(n.parent_id)! + ' | '}${n.step_text}`;
        path.set(n.id, p);
        nodes.push(JSON.stringify([s.fingerprint, s.algorithm, s.seed, p, n.visits, n.rollouts, n.correct, n.mc, n.q, n.first_error]));
      }
      const evs = (db.prepare('SELECT seq, kind, data FROM search_events WHERE search_id = ? ORDER BY seq').all(s.id) as { seq: number; kind: string; data: string }[]).map((e) => {
        const d = JSON.parse(e.data);
        for (const k of ['node', 'from', 'parent']) if (typeof d[k] === 'number') d[k] = path.get(d[k]) ?? `missing ${d[k]}`;
        return [e.seq, e.kind, d];
      });
      events.push(JSON.stringify([s.fingerprint, evs]));
    }
    const annotations = (db.prepare('SELECT a.id, a.set_name, p.fingerprint FROM annotations a JOIN problems p ON p.id = a.problem_id').all() as { id: number; set_name: string; fingerprint: string }[]).map((a) =>
      JSON.stringify([a.fingerprint, a.set_name, db.prepare('SELECT idx, text, soft_label, hard_label FROM annotation_steps WHERE annotation_id = ? ORDER BY idx').all(a.id)]),
    );
    return { nodes: nodes.sort(), events: events.sort(), annotations: annotations.sort(), searches: searches.length };
  } finally {
    db.close();
  }
}

/** Solutions by content: problem, model, verdict, answer, steps. */
function solutions(dir: string): string[] {
  const db = open(dir);
  try {
    return (db.prepare('SELECT s.id, p.fingerprint, m.name, s.verdict, s.final_answer, s.created_at FROM solutions s JOIN problems p ON p.id = s.problem_id JOIN models m ON m.id = s.model_id').all() as { id: number }[])
      .map(({ id, ...s }) => JSON.stringify([s, db.prepare('SELECT idx, text, gold_label FROM steps WHERE solution_id = ? ORDER BY idx').all(id)]))
      .sort();
  } finally {
    db.close();
  }
}

let A: string;
let B: string;
let C: string;
let T: string;
let shardIds: number[][];

beforeAll(async () => {
  tmp = tempDir('steplab-merge-');
  const all = readFileSync(join(ROOT, 'models', 'demo-data', 'problems.jsonl'), 'utf8').split('\n').filter(Boolean);
  data = join(tmp.dir, 'demo.jsonl');
  writeFileSync(data, all.filter((l) => !JSON.parse(l).image).slice(0, 5).join('\n') + '\n');
  // two picture problems for a second dataset (not searched): images travel with a merge
  mkdirSync(join(tmp.dir, 'images'));
  const withImage = all.filter((l) => JSON.parse(l).image).slice(0, 2);
  for (const l of withImage) cpSync(join(ROOT, 'models', 'demo-data', JSON.parse(l).image), join(tmp.dir, JSON.parse(l).image));
  pics = join(tmp.dir, 'pics.jsonl');
  writeFileSync(pics, withImage.join('\n') + '\n');
  cfg = join(tmp.dir, 'small.json');
  writeFileSync(cfg, JSON.stringify({ rolloutsPerState: 8, maxSearchCount: 4, rolloutBudget: 64, lengthScale: 50 }));
  mcCfg = join(tmp.dir, 'mc.json');
  writeFileSync(mcCfg, JSON.stringify({ samplesPerSolution: 2, k: 4 }));

  [A, B, C] = [await workspace('shard1'), await workspace('shard2'), await workspace('whole')];
  shardIds = [await search(A, '--shard', '1/2'), await search(B, '--shard', '2/2')];
  await search(C);
  await ok('import', pics, '--workspace', A, '--dataset', 'pics');
  // sampled solutions in shard 1 (2 problems x 2)
  await ok('generate', '--workspace', A, '--dataset', 'demo', '--model', 'tiny-policy', '--n', '2', '--limit', '2', '--seed', '1');
  T = ws('merged');
}, 600_000);
afterAll(() => tmp.cleanup());

describe('steplab merge', () => {
  it('two shards merged equal one unsharded search, node for node, and the sources are not touched', async () => {
    expect(shardIds[0].length).toBeGreaterThan(0);
    expect(shardIds[1].length).toBeGreaterThan(0);
    const srcHashes = [A, B].map((d) => fileHash(join(d, 'steplab.db')));
    const r = await merge(A, B, '--into', T);
    expect(r.created).toBe(true);
    expect(r.conflicts).toEqual([]);
    expect(r.added).toMatchObject({ problems: 7, images: 2, datasets: 2, dataset_members: 7, models: 1, searches: 10, solutions: 4 });
    // the second shard's problems and policy were already there from the first
    expect(r.skipped).toMatchObject({ problems: 5, models: 1, datasets: 1, dataset_members: 5 });
    expect(r.not_merged.map((x: { table: string }) => x.table)).toContain('jobs');
    expect([A, B].map((d) => fileHash(join(d, 'steplab.db')))).toEqual(srcHashes);

    const merged = contents(T);
    const whole = contents(C);
    expect(merged.searches).toBe(10);
    expect(merged.nodes.length).toBeGreaterThan(5);
    expect(merged.nodes).toEqual(whole.nodes);
    expect(merged.events).toEqual(whole.events);
    expect(merged.annotations.length).toBeGreaterThan(0);
    expect(merged.annotations).toEqual(whole.annotations);
    expect(solutions(T)).toEqual(solutions(A));

    // annotation provenance points at the merged search and its nodes
    const st = Store.open(T);
    try {
      for (const a of st.annotations.forSet('run')) {
        const prov = a.provenance as { search: number; nodes: number[]; model: string };
        expect(prov.search).toBe(a.searchId);
        expect(prov.model).toBe('tiny-policy@1');
        const path = st.trees.path(prov.nodes.at(-1)!);
        expect(path[0].searchId).toBe(a.searchId);
      }
      // the dataset as imported: same ext ids, splits and order as the whole workspace's
      const list = (s: Store) => s.problems.listInDataset(s.datasets.requireId('demo')).items.map((p) => [p.extId, p.split]).sort();
      const c = Store.open(C);
      try {
        expect(list(st)).toEqual(list(c));
      } finally {
        c.close();
      }
      // images: records and files
      const ds = st.datasets.get('pics');
      expect(ds.imageCount).toBe(2);
      for (const p of st.problems.listInDataset(ds.id).items) {
        for (const img of p.images) expect(fileHash(imagePath(st.paths.imagesDir, img))).toBe(fileHash(imagePath(join(A, 'images'), img)));
      }
      // the model's folder was copied into the target and its provenance says where from
      const m = st.models.byName('tiny-policy');
      expect(m.path.startsWith(join(T, 'models'))).toBe(true);
      expect(existsSync(join(m.path, 'manifest.json'))).toBe(true);
      expect((m.provenance as { mergedFrom: { workspace: string } }).mergedFrom.workspace).toBe(A);
    } finally {
      st.close();
    }
  });

  it('merging the same sources again adds nothing', async () => {
    const before = rowCounts(T);
    const r = await merge(A, B, A, '--into', T);
    expect(r.created).toBe(false);
    expect(Object.values(r.added).every((n) => n === 0), JSON.stringify(r.added)).toBe(true);
    expect(r.conflicts).toEqual([]);
    expect(rowCounts(T)).toEqual(before);
  });

  it('node scores and curation edits come along, ids remapped; a second merge adds only what is new', async () => {
    // in shard 1: a PRM's node scores and curation (a relabel, a bulk reject undone, a comment)
    await ok('models', 'register', PRM, '--workspace', A);
    const st = Store.open(A);
    let want: { path: string[]; score: number }[];
    let curated: { steps: string[]; soft: number[]; rejected: boolean; edits: number }[];
    try {
      const prm = st.models.byName('tiny-prm');
      const nodes = st.trees.nodes(shardIds[0][0]);
      st.scores.setNodeScores(prm.id, nodes.map((n, i) => [n.id, (i + 1) / (nodes.length + 1)] as const));
      const sol = (st.db.prepare('SELECT id FROM solutions ORDER BY id LIMIT 1').get() as { id: number }).id;
      st.scores.setStepScores(prm.id, [{ solutionId: sol, scores: st.solutions.get(sol).steps.map((_, i) => 0.5 + i / 100) }]);
      const anns = st.annotations.forSet('run');
      expect(anns.length).toBeGreaterThan(1);
      st.annotations.edit(anns[0].id, { action: 'relabel', stepIdx: 0, value: 0.125, author: 'tester' });
      const bulk = st.annotations.editMany([{ annotationId: anns[0].id, action: 'reject' }, { annotationId: anns[1].id, action: 'reject' }], { author: 'tester' });
      st.annotations.setUndone(bulk.batch, true);
      st.annotations.edit(anns[1].id, { action: 'comment', comment: 'looks off', author: 'tester' });
      const pathOf = (id: number) => st.trees.path(id).map((n) => n.stepText);
      want = nodes.map((n, i) => ({ path: pathOf(n.id), score: (i + 1) / (nodes.length + 1) }));
      curated = [anns[0].id, anns[1].id].map((id) => st.annotations.get(id)).map((a) => ({ steps: a.steps.map((s) => s.text), soft: a.steps.map((s) => s.softLabel), rejected: a.rejected, edits: a.history.length }));
    } finally {
      st.close();
    }
    const r = await merge(A, '--into', T);
    expect(r.added).toMatchObject({ models: 1, node_scores: want.length, curation_edits: 4, searches: 0, annotations: 0, tree_nodes: 0, solutions: 0, step_scores: expect.any(Number) });
    expect(r.added.step_scores).toBeGreaterThan(0);
    const t = Store.open(T);
    try {
      const prm = t.models.byName('tiny-prm');
      const id = t.db.prepare('SELECT id FROM searches ORDER BY id').all() as { id: number }[];
      const got: { path: string[]; score: number }[] = [];
      for (const { id: sid } of id) {
        for (const [node, score] of t.scores.nodeScores(prm.id, sid)) got.push({ path: t.trees.path(node).map((n) => n.stepText), score });
      }
      expect(got.sort((a, b) => a.score - b.score)).toEqual(want);
      const all = t.annotations.forSet('run');
      for (const c of curated) {
        const a = all.find((x) => JSON.stringify(x.steps.map((s) => s.text)) === JSON.stringify(c.steps))!;
        expect({ steps: a.steps.map((s) => s.text), soft: a.steps.map((s) => s.softLabel), rejected: a.rejected, edits: a.history.length }).toEqual(c);
      }
      // step scores on the same solution (by its step texts), by the merged PRM
      const stepScores = (db: Database.Database) => db.prepare("SELECT st.text, sc.score FROM step_scores sc JOIN models m ON m.id = sc.model_id AND m.name = 'tiny-prm' JOIN steps st ON st.solution_id = sc.solution_id AND st.idx = sc.idx ORDER BY sc.score").all();
      const a = open(A);
      try {
        expect(stepScores(t.db)).toEqual(stepScores(a));
      } finally {
        a.close();
      }
      // the bulk reject is still one batch in the target, and undone there too
      const batches = t.db.prepare("SELECT batch, count(*) AS n, count(undone_at) AS undone FROM curation_edits WHERE action = 'reject' GROUP BY batch").all();
      expect(batches).toEqual([{ batch: expect.any(Number), n: 2, undone: 2 }]);
    } finally {
      t.close();
    }
    const again = await merge(A, '--into', T);
    expect(Object.values(again.added).every((n) => n === 0), JSON.stringify(again.added)).toBe(true);
  });

  it('a model of the same name with another manifest is a conflict, registered as the next version', async () => {
    const folder = join(tmp.dir, 'policy-variant');
    cpSync(POLICY, folder, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'));
    manifest.parameters.temperature = 0.5;
    writeFileSync(join(folder, 'manifest.json'), JSON.stringify(manifest, null, 2));
    const D = ws('variant');
    await ok('init', D);
    await ok('import', data, '--workspace', D, '--dataset', 'demo');
    await ok('models', 'register', folder, '--workspace', D);
    const r = await merge(D, '--into', T);
    expect(r.added.models).toBe(1);
    expect(r.added.problems).toBe(0);
    expect(r.conflicts).toEqual([{ source: D, kind: 'models', message: 'model "tiny-policy@1" differs from the target\'s "tiny-policy" (manifest, files); added as "tiny-policy@2"' }]);
    const text = await cli('merge', D, '--into', T);
    expect(text.code).toBe(0);
    expect(text.out[0]).toBe(`merged 1 workspace into ${T}`);
    expect(text.out[1]).toMatch(/^kind +added +skipped/);
    const st = Store.open(T);
    try {
      expect(st.models.list().map((m) => `${m.name}@${m.version}`)).toEqual(['tiny-policy@1', 'tiny-policy@2', 'tiny-prm@1']);
      expect((st.models.byName('tiny-policy@2').manifest as { parameters: { temperature: number } }).parameters.temperature).toBe(0.5);
    } finally {
      st.close();
    }
  });

  it('bad input: one line before any work, exit 1, the target byte-identical', async () => {
    const dbFile = join(T, 'steplab.db');
    const before = { hash: fileHash(dbFile), rows: rowCounts(T), files: readdirSync(T).filter((f) => !f.startsWith('steplab.db-')).sort() };
    const empty = ws('empty');
    mkdirSync(empty);
    const junk = ws('junk');
    mkdirSync(junk);
    writeFileSync(join(junk, 'steplab.db'), 'not a database');
    const newer = ws('newer');
    await ok('init', newer);
    const db = new Database(join(newer, 'steplab.db'));
    db.pragma(`user_version = ${latestSchemaVersion() + 1}`);
    db.close();
    const link = ws('link-to-merged');
    symlinkSync(T, link);
    const cases: [string[], string][] = [
      [[ws('nowhere'), '--into', T], `error: source ${ws('nowhere')} does not exist`],
      [[empty, '--into', T], `error: source ${empty} is not a Steplab workspace (no steplab.db)`],
      [[junk, '--into', T], `error: source ${junk} is not a Steplab workspace (its steplab.db is not a SQLite database)`],
      [[newer, '--into', T], `error: source ${newer} uses schema version ${latestSchemaVersion() + 1}, but this Steplab knows versions up to ${latestSchemaVersion()}: merge with a newer Steplab`],
      [[A, T, '--into', T], `error: cannot merge ${T} into itself (--into ${T} is the same workspace)`],
      [[link, '--into', T], `error: cannot merge ${link} into itself (--into ${T} is the same workspace)`],
    ];
    for (const [args, line] of cases) {
      const r = await cli('merge', ...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err, args.join(' ')).toEqual([line]);
      expect(r.out).toEqual([]);
    }
    // a bad source also stops a merge into a new folder before it is made
    const fresh = ws('never-made');
    expect((await cli('merge', A, empty, '--into', fresh)).code).toBe(1);
    expect(existsSync(fresh)).toBe(false);
    expect({ hash: fileHash(dbFile), rows: rowCounts(T), files: readdirSync(T).filter((f) => !f.startsWith('steplab.db-')).sort() }).toEqual(before);
    // --into a link to a source is merging it into itself; the source unchanged
    const srcHash = fileHash(join(A, 'steplab.db'));
    symlinkSync(A, ws('to-a'));
    const r = await cli('merge', A, '--into', ws('to-a'));
    expect(r.code).toBe(1);
    expect(r.err).toEqual([`error: cannot merge ${A} into itself (--into ${ws('to-a')} is the same workspace)`]);
    expect(fileHash(join(A, 'steplab.db'))).toBe(srcHash);
  });

  it('a source that fails half-way leaves the target as it was, copied files removed', async () => {
    // a copy of shard 1 with one tree node whose parent is gone
    const broken = ws('broken');
    cpSync(A, broken, { recursive: true });
    const db = new Database(join(broken, 'steplab.db'));
    db.pragma('foreign_keys = OFF');
    db.prepare('UPDATE tree_nodes SET parent_id = 999999 WHERE id = (SELECT max(id) FROM tree_nodes)').run();
    db.close();
    const target = ws('half');
    await merge(B, '--into', target);
    const before = { rows: rowCounts(target), models: readdirSync(join(target, 'models')).sort(), hash: fileHash(join(target, 'steplab.db')) };
    const r = await cli('merge', broken, '--into', target);
    expect(r.code).toBe(1);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(new RegExp(`^error: merging ${broken}: search \\d+: tree node \\d+: its parent 999999 is not an earlier node of the same search; nothing from it was merged$`));
    expect({ rows: rowCounts(target), models: readdirSync(join(target, 'models')).sort(), hash: fileHash(join(target, 'steplab.db')) }).toEqual(before);
    // into a new folder: the folder is not left behind
    const none = ws('half-new');
    expect((await cli('merge', broken, '--into', none)).code).toBe(1);
    expect(existsSync(none)).toBe(false);
  });

  it('equal rows within one source stay as many; a model whose folder is gone is merged and reported', async () => {
    const E = ws('twins');
    const st = Store.open(E, { create: true });
    try {
      const p = st.problems.upsert({ question: 'What is 2 + 3?', answer: '5', answerType: 'number', source: null, tags: [], imageHashes: [], meta: {} }).id;
      const m = st.models.register({ name: 'gone', role: 'policy', family: null, path: join(tmp.dir, 'no-such-model'), manifest: { name: 'gone' } });
      for (let i = 0; i < 2; i++) {
        const s = st.trees.createSearch({ problemId: p, modelId: m.id, algorithm: 'omegaprm', config: { k: 1 }, seed: 1 });
        st.trees.insertNodes(s, [{ parent: null, depth: 0, stepText: '', rollouts: 2, correct: 1, mc: 0.5 }, { parent: -1, depth: 1, stepText: '2 + 3 = 5', rollouts: 1, correct: 1, mc: 1 }]);
        st.db.prepare("INSERT INTO solutions (problem_id, model_id, final_answer, verdict, created_at) VALUES (?, ?, '5', 'correct', '2024-01-01T00:00:00.000Z')").run(p, m.id);
      }
    } finally {
      st.close();
    }
    const into = ws('twins-merged');
    const r = await merge(E, '--into', into);
    expect(r.added).toMatchObject({ problems: 1, models: 1, searches: 2, tree_nodes: 4, solutions: 2 });
    expect(r.conflicts).toEqual([{ source: E, kind: 'models', message: `model "gone@1": its folder ${join(tmp.dir, 'no-such-model')} is missing; merged with that path, it cannot run until the folder is back` }]);
    const again = await merge(E, '--into', into);
    expect(Object.values(again.added).every((n) => n === 0), JSON.stringify(again.added)).toBe(true);
    expect(again.skipped).toMatchObject({ searches: 2, solutions: 2 });
  });

  it("carries each dataset member's extra fields: filled in where the target has none, a conflict where they differ", async () => {
    const make = (name: string, meta: Record<string, unknown>): string => {
      const dir = ws(name);
      const st = Store.open(dir, { create: true });
      try {
        const p = st.problems.upsert({ question: 'What is 6 * 7?', answer: '42', answerType: 'number', source: null, tags: [], imageHashes: [], meta: {} }).id;
        st.datasets.addMember(st.datasets.getOrCreate('extra'), p, 'm1', null, meta);
      } finally {
        st.close();
      }
      return dir;
    };
    const [empty, a, b] = [make('meta-empty', {}), make('meta-a', { precision: 2 }), make('meta-b', { precision: 3 })];
    const metaIn = (dir: string): unknown => {
      const st = Store.open(dir);
      try {
        return st.problems.listInDataset(st.datasets.requireId('extra')).items.map((p) => p.meta);
      } finally {
        st.close();
      }
    };
    const fresh = ws('meta-fresh');
    await merge(b, '--into', fresh);
    expect(metaIn(fresh)).toEqual([{ precision: 3 }]);
    const into = ws('meta-merged');
    await merge(empty, '--into', into);
    const filled = await merge(a, '--into', into);
    expect(filled.added).toMatchObject({ dataset_members: 1 });
    expect(filled.conflicts).toEqual([]);
    const differs = await merge(b, '--into', into);
    expect(differs.added).toMatchObject({ dataset_members: 0 });
    expect(differs.conflicts).toEqual([{ source: b, kind: 'dataset_members', message: 'dataset "extra": problem "m1" has other extra fields in the source than in the target; kept the target\'s' }]);
    expect(metaIn(into)).toEqual([{ precision: 2 }]);
  });

  it('a source of an older schema is read through a migrated copy and left as it was', async () => {
    const old = ws('old');
    mkdirSync(old);
    const db = new Database(join(old, 'steplab.db'));
    migrate(db, loadMigrations().filter((m) => m.version <= 4));
    const q = { question: 'What is 40 + 2?', answer: '42', answerType: 'number' as const, imageHashes: [] };
    db.prepare("INSERT INTO problems (fingerprint, question, answer, answer_type, created_at) VALUES (?, ?, ?, ?, '2024-01-01T00:00:00Z')").run(problemFingerprint(q), q.question, q.answer, q.answerType);
    db.prepare("INSERT INTO datasets (name, created_at, updated_at) VALUES ('old', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')").run();
    db.prepare("INSERT INTO dataset_problems (dataset_id, problem_id, ext_id, split, position) VALUES (1, 1, 'q1', 'test', 0)").run();
    db.close();
    const hash = fileHash(join(old, 'steplab.db'));
    const r = await merge(old, '--into', T);
    expect(r.sources[0].schema_version).toBe(4);
    expect(r.added).toMatchObject({ problems: 1, datasets: 1, dataset_members: 1 });
    expect(fileHash(join(old, 'steplab.db'))).toBe(hash);
    const check = new Database(join(old, 'steplab.db'), { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(4);
    check.close();
  });
});
