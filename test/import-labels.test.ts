// import-labels, the job and the two tree formats of priority A: MM-PRM's omegaprm.py trees (fixture
// test/fixtures/labels/mmprm, written as omegaprm.py, run_data_pipeline.py and mllm_as_a_judge.py write
// them, ModalMinds/MM-PRM @ b914fd6) and Steplab's own tree JSONL. Imported, explored through the API
// (tree, path, MC, kept rollouts, judge values), curated, exported as MM-PRM's training rows and read by
// MM-PRM's own traverse.py + prm_data_format.py re-implementation; re-imported (nothing added); killed
// with SIGKILL and resumed; and refused, with the exact message and nothing written, on bad input.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_FORMATS } from '../src-shared/benchmarks';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHandlers } from '../src-main/core/api';
import { dispatch } from '../src-main/core/dispatch';
import { labelFormatNames } from '../src-main/core/data/labels/labelFormats';
import { openWorkbench } from '../src-main/core/workbench';
import { cli, runCli } from './helpers/cli';
import { internvlReads, mmprmReference, trlReads, type OmegaNode } from './helpers/consumers';
import { tempDir } from './helpers/tmp';

const FIX = join(import.meta.dirname, 'fixtures', 'labels');
const OUTPUTS = join(FIX, 'mmprm', 'outputs');
const JUDGED = join(FIX, 'mmprm', 'mllm_as_a_judge_outputs');
const IMAGES = join(FIX, 'images');
const TREE_A = 'c743583b31ea5ac5816744cc1ddd0c57.json';
const TREE_B = 'bfd154a9574a0f2a35200cc0e7e2c4dd.json';

const readJson = (p: string): any => JSON.parse(readFileSync(p, 'utf8'));
const readJsonl = (p: string): Record<string, any>[] => readFileSync(p, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('steplab-labels-');
});
afterAll(() => tmp.cleanup());

async function init(name: string): Promise<string> {
  const ws = join(tmp.dir, name);
  const r = await cli('init', ws);
  expect(r.code, r.err.join('\n')).toBe(0);
  return ws;
}

/** What a workspace holds: row counts, image files and report files (a failed import must change none). */
function state(ws: string): Record<string, unknown> {
  const db = new Database(join(ws, 'steplab.db'), { readonly: true });
  const counts: Record<string, number> = {};
  for (const t of ['problems', 'dataset_problems', 'datasets', 'images', 'searches', 'tree_nodes', 'search_events', 'node_rollouts', 'annotations', 'annotation_steps', 'solutions', 'label_imports', 'staging_labels', 'staging_images']) {
    counts[t] = (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
  }
  db.close();
  const files = (dir: string): string[] => (existsSync(dir) ? (readdirSync(dir, { recursive: true }) as string[]).sort() : []);
  return { ...counts, imageFiles: files(join(ws, 'images')), reports: files(join(ws, 'reports')) };
}

function jobRows(ws: string): number {
  const db = new Database(join(ws, 'steplab.db'), { readonly: true });
  const n = (db.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number }).n;
  db.close();
  return n;
}

async function importLabels(ws: string, path: string, ...flags: string[]): Promise<{ code: number; out: string[]; err: string[]; json: any }> {
  const r = await cli('import-labels', path, '--workspace', ws, ...flags, '--json');
  let json: any = null;
  try {
    json = JSON.parse(r.out.at(-1) ?? 'null');
  } catch {
    json = null;
  }
  return { ...r, json };
}

describe('mmprm-tree: MM-PRM omegaprm.py trees', () => {
  let ws: string;
  let api: ReturnType<typeof createApiHandlers>;
  let close: () => Promise<void>;
  const call = (m: string, input: unknown): Promise<any> => dispatch(api, m, input);

  beforeAll(async () => {
    ws = await init('mmprm');
    const r = await importLabels(ws, OUTPUTS, '--dataset', 'k12', '--image-root', IMAGES);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.out[0]).toBe(`format mmprm-tree (detected: outputs/${TREE_B} has "question", "mc_value" and "children")`);
    // tree A: 10 nodes, 7 paths (20 steps); tree B: 6 nodes, 4 paths (11 steps)
    expect(r.json).toEqual({ problems: 2, searches: 2, nodes: 16, annotations: 11, labelled_steps: 31, annotation_set: 'outputs', skipped: 0 });
    const wb = openWorkbench(ws);
    api = createApiHandlers(wb.store, wb.runner);
    close = () => wb.close();
  });
  afterAll(async () => close());

  const treeA = async (): Promise<{ search: any; nodes: any[]; rollouts: Record<string, any> }> => {
    const list = await call('searches.list', {});
    const s = list.items.find((x: any) => x.stats.imported.file === `outputs/${TREE_A}`);
    return call('searches.tree', { id: s.id });
  };

  it('keeps the problem as the seed named it: id, question, answer, the image found under --image-root', async () => {
    const { items } = await call('problems.list', { dataset: 'k12' });
    expect(items.map((p: any) => [p.extId, p.answer, p.answerType, p.images.map((i: any) => i.hash)])).toEqual([
      ['k12-0002', 'B', 'choice', [sha(join(IMAGES, 'k12', 'geo_0002.png'))]],
      ['k12-0001', '70', 'number', [sha(join(IMAGES, 'k12', 'geo_0001.png'))]],
    ]);
  });

  it('serves the tree: MC, visits, multi-step nodes, first errors, complete solutions, provenance', async () => {
    const { search, nodes } = await treeA();
    const a = readJson(join(OUTPUTS, TREE_A));
    expect(search).toMatchObject({ algorithm: 'omegaprm', status: 'imported', modelId: null });
    expect(search.stats.provenance).toBe(`imported from mmprm-tree \`outputs/${TREE_A}\``);
    const byText = (steps: string[]): any => nodes.find((n) => JSON.stringify(n.meta.steps) === JSON.stringify(steps));
    const root = nodes.find((n) => n.parentId === null);
    expect(root).toMatchObject({ mc: 0.25, visits: 3, rollouts: 4, correct: 1, depth: 0, stepText: '' });
    const b1 = a.children[1];
    const n1 = byText(b1.partial_solution);
    expect(n1).toMatchObject({ parentId: root.id, mc: 0.25, visits: 1, depth: 2, stepText: b1.partial_solution.join('\n\n'), firstError: false });
    const b2 = byText(b1.children[1].partial_solution);
    expect(b2).toMatchObject({ parentId: n1.id, mc: 0, depth: 3, firstError: true, rollouts: 1, correct: 0 });
    // a correct rollout kept as a child: MC 1 without rollouts of its own, a complete solution
    expect(byText(a.children[0].partial_solution)).toMatchObject({ mc: 1, rollouts: 0, meta: { terminal: true } });
    expect(nodes).toHaveLength(10);
  });

  it('keeps the rollout texts: in searches.tree, searches.nodeRollouts and the explorer columns', async () => {
    const { search, nodes, rollouts } = await treeA();
    const a = readJson(join(OUTPUTS, TREE_A));
    const root = nodes.find((n) => n.parentId === null);
    expect(rollouts[String(root.id)]).toEqual({ correct: a.correct_rollouts, incorrect: a.incorrect_rollouts });
    const b1 = nodes.find((n) => JSON.stringify(n.meta.steps) === JSON.stringify(a.children[1].partial_solution));
    expect(await call('searches.nodeRollouts', { nodeId: b1.id })).toEqual({ nodeId: b1.id, correct: a.children[1].correct_rollouts, incorrect: a.children[1].incorrect_rollouts });
    const cols = await call('searches.treeColumns', { id: search.id });
    const at = cols.columns.id.indexOf(b1.id);
    expect([cols.extras.keptCorrect[at], cols.extras.keptIncorrect[at]]).toEqual([1, 1]);
    expect(cols.extras.judge).toBeNull();
    // a node whose producer kept none answers empty lists
    const leaf = nodes.find((n) => n.rollouts === 0);
    expect(await call('searches.nodeRollouts', { nodeId: leaf.id })).toEqual({ nodeId: leaf.id, correct: [], incorrect: [] });
  });

  it("shows the judge's view beside MC (mllm_as_a_judge.py): the same problem, a second tree", async () => {
    const r = await importLabels(ws, JUDGED, '--dataset', 'k12', '--image-root', IMAGES);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.json).toEqual({ problems: 0, searches: 1, nodes: 10, annotations: 7, labelled_steps: 20, annotation_set: 'mllm_as_a_judge_outputs', skipped: 0 });
    const list = await call('searches.list', {});
    const s = list.items.find((x: any) => x.stats.imported.file === 'mllm_as_a_judge_outputs/k12-0001.json');
    const j = readJson(join(JUDGED, 'k12-0001.json'));
    const { nodes } = await call('searches.tree', { id: s.id });
    const first = nodes.find((n: any) => JSON.stringify(n.meta.steps) === JSON.stringify(j.children[0].partial_solution));
    expect(first.meta.judge).toEqual({ yes: j.children[0].logprob_yes, no: j.children[0].logprob_no, score: j.children[0].llm_as_a_judge });
    const cols = await call('searches.treeColumns', { id: s.id });
    expect(cols.extras.judge.score[cols.columns.id.indexOf(first.id)]).toBe(j.children[0].llm_as_a_judge);
    // the root has no judge value
    expect(cols.extras.judge.score[cols.columns.parentId.indexOf(null)]).toBeNull();
    expect(s.problemId).toBe(list.items.find((x: any) => x.stats.imported.file === `outputs/${TREE_A}`).problemId);
  });

  it('gives the paths of each tree as annotations, labelled with each node\'s MC', async () => {
    const { search } = await treeA();
    const anns = await call('annotations.forSearch', { searchId: search.id });
    const a = readJson(join(OUTPUTS, TREE_A));
    const b1 = a.children[1];
    const neg = anns.find((x: any) => x.steps.map((s: any) => s.text).join('|') === [...b1.partial_solution, ...b1.children[1].partial_solution].join('|'));
    expect(neg.steps.map((s: any) => s.softLabel)).toEqual([0.25, 0.25, 0]);
    expect(neg).toMatchObject({ setName: 'outputs', provenance: { imported: `imported from mmprm-tree \`outputs/${TREE_A}\``, format: 'mmprm-tree', firstError: 2 } });
    expect(anns).toHaveLength(7);
  });

  it("exports as MM-PRM's training rows exactly as traverse.py + prm_data_format.py make them from the same files", async () => {
    const out = join(tmp.dir, 'mmprm-rows.jsonl');
    const r = await cli('export', 'annotations', '--workspace', ws, '--dataset', 'k12', '--set', 'outputs', '--format', 'mmprm', '--out', out, '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    const ours = readJsonl(out);
    for (const row of ours) internvlReads(row);
    const roots: OmegaNode[] = [TREE_B, TREE_A].map((f) => readJson(join(OUTPUTS, f)));
    // random.sample(positive, n) with n = len(positive) keeps every positive: compare as sets
    const theirs = mmprmReference(roots, (pos, n) => pos.slice(0, n));
    const key = (row: Record<string, any>): string => JSON.stringify(row.conversations);
    expect(ours.map(key).sort()).toEqual(theirs.map(key).sort());
  });

  it('curation applies: a relabelled step is what TRL reads back', async () => {
    const { search } = await treeA();
    const [first] = await call('annotations.forSearch', { searchId: search.id });
    await call('annotations.edit', { annotationId: first.id, stepIdx: 0, action: 'relabel', value: 0, author: 'test' });
    const out = join(tmp.dir, 'trl.jsonl');
    const r = await cli('export', 'annotations', '--workspace', ws, '--dataset', 'k12', '--set', 'outputs', '--format', 'trl', '--out', out, '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    const rows = readJsonl(out);
    const row = rows.find((x) => JSON.stringify(x.completions) === JSON.stringify(first.steps.map((s: any) => s.text)))!;
    expect(trlReads(row)).toEqual([0, ...first.steps.slice(1).map((s: any) => (s.softLabel > 0 ? 1 : 0))]);
    expect(rows).toHaveLength(11);
  });

  it('re-importing the same files adds nothing', async () => {
    const before = state(ws);
    const r = await importLabels(ws, OUTPUTS, '--dataset', 'k12', '--image-root', IMAGES);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.json).toEqual({ problems: 0, searches: 0, nodes: 0, annotations: 0, labelled_steps: 0, annotation_set: 'outputs', skipped: 0 });
    expect(state(ws)).toEqual(before);
  });
});

describe('problems: matched by the documented rule', () => {
  it("a seed imported first (steplab import) is the trees' problem; one file's problem in another dataset joins it", async () => {
    const ws = await init('seeded');
    const seed = join(tmp.dir, 'seed.json');
    const a = readJson(join(OUTPUTS, TREE_A));
    writeFileSync(seed, JSON.stringify([{ id: 'k12-0001', question: a.question, correct_answer: a.answer, image_path: 'k12/geo_0001.png' }]));
    expect((await cli('import', seed, '--workspace', ws, '--dataset', 'seed', '--image-root', IMAGES)).code).toBe(0);
    const r = await importLabels(ws, OUTPUTS, '--dataset', 'seed', '--image-root', IMAGES);
    expect(r.json).toMatchObject({ problems: 1, searches: 2 });
    expect(state(ws)).toMatchObject({ problems: 2, dataset_problems: 2 });
    // the same trees into a second dataset: both problems join it, no tree is imported twice
    const again = await importLabels(ws, OUTPUTS, '--dataset', 'other', '--image-root', IMAGES);
    expect(again.json).toMatchObject({ problems: 2, searches: 0, annotations: 0 });
    expect(state(ws)).toMatchObject({ problems: 2, dataset_problems: 4, searches: 2 });
  });
});

describe('merge carries what import-labels keeps', () => {
  it('kept rollouts and the imported-unit hashes go with their trees: the merged workspace re-imports nothing', async () => {
    const a = await init('merge-a');
    expect((await importLabels(a, OUTPUTS, '--dataset', 'k12', '--image-root', IMAGES)).code).toBe(0);
    const into = join(tmp.dir, 'merge-into');
    const m = await cli('merge', a, '--into', into, '--json');
    expect(m.code, m.err.join('\n')).toBe(0);
    expect(JSON.parse(m.out[0]).not_merged.map((x: { table: string }) => x.table)).toEqual(['jobs']);
    expect(state(into)).toMatchObject({ searches: 2, tree_nodes: 16, node_rollouts: (state(a) as any).node_rollouts, label_imports: 2 });
    const r = await importLabels(into, OUTPUTS, '--dataset', 'k12', '--image-root', IMAGES);
    expect(r.json).toEqual({ problems: 0, searches: 0, nodes: 0, annotations: 0, labelled_steps: 0, annotation_set: 'outputs', skipped: 0 });
  });
});

describe('steplab-tree: Steplab tree JSONL (import-trees)', () => {
  it('exports and re-imports into a fresh workspace: problems added from the header, trees equal, detected from the content', async () => {
    const ws = await init('trees-src');
    expect((await importLabels(ws, OUTPUTS, '--dataset', 'k12', '--image-root', IMAGES)).code).toBe(0);
    const trees = join(tmp.dir, 'trees.jsonl');
    expect((await cli('export', 'annotations', '--workspace', ws, '--dataset', 'k12', '--format', 'tree', '--out', trees)).code).toBe(0);
    const ws2 = await init('trees-dst');
    const r = await importLabels(ws2, trees, '--dataset', 'copy');
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.out[0]).toBe('format steplab-tree (detected: trees.jsonl line 1 has "type": "search" with a problem fingerprint)');
    expect(r.json).toEqual({ problems: 2, searches: 2, nodes: 16, annotations: 11, labelled_steps: 31, annotation_set: 'trees', skipped: 0 });
    const back = join(tmp.dir, 'trees2.jsonl');
    expect((await cli('export', 'annotations', '--workspace', ws2, '--dataset', 'copy', '--format', 'tree', '--out', back)).code).toBe(0);
    const strip = (f: string) => readJsonl(f).map(({ search: _s, id: _i, parent: _p, stats: _st, data: _d, problem, ...rest }) => ({ ...rest, ...(problem ? { q: problem.question, a: problem.answer } : {}) }));
    expect(strip(back)).toEqual(strip(trees));
    // the problems came without images (the tree file has none): their fingerprints differ, the text is the same
    expect((await importLabels(ws2, trees, '--dataset', 'copy')).json).toMatchObject({ searches: 0, problems: 0 });
  });

  it('import-trees (the alias) needs the problems in the workspace and keeps its output', async () => {
    const ws = await init('alias-src');
    expect((await importLabels(ws, OUTPUTS, '--dataset', 'k12', '--image-root', IMAGES)).code).toBe(0);
    const trees = join(tmp.dir, 'alias.jsonl');
    expect((await cli('export', 'annotations', '--workspace', ws, '--dataset', 'k12', '--format', 'tree', '--out', trees)).code).toBe(0);
    const fresh = await init('alias-fresh');
    const before = state(fresh);
    const refused = await cli('import-trees', trees, '--workspace', fresh, '--json');
    expect(refused.code).toBe(1);
    expect(refused.err).toEqual([`error: alias.jsonl line 1: problem "k12-0002" is not in this workspace; import its dataset first, or name a --dataset to add it to`]);
    expect(state(fresh)).toEqual(before);
    expect(jobRows(fresh)).toBe(0);
    const ws2 = await init('alias-dst');
    expect((await importLabels(ws2, OUTPUTS, '--dataset', 'k12', '--image-root', IMAGES, '--set', 'first')).code).toBe(0);
    const r = await cli('import-trees', trees, '--workspace', ws2, '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(JSON.parse(r.out[0])).toEqual({ searches: 2, nodes: 16, skipped: 0 });
    expect(JSON.parse((await cli('import-trees', trees, '--workspace', ws2, '--json')).out[0])).toEqual({ searches: 0, nodes: 0, skipped: 2 });
  });
});

/** A small omegaprm.py tree with no image, distinct per i. */
function smallTree(i: number): Record<string, unknown> {
  const step = (t: string): string => `${t} for question ${i}, written out in words.`;
  return {
    question: `What is ${i} + ${i}?`,
    answer: String(2 * i),
    image_path: null,
    mc_value: 0.5,
    visit_count: 1,
    correct_rollouts: [[step('Add the two numbers'), `Answer: ${2 * i}`]],
    incorrect_rollouts: [[step('Multiply the two numbers'), `Answer: ${i * i + 1}`]],
    children: [
      { partial_solution: [step('Add the two numbers'), `Answer: ${2 * i}`], mc_value: 1.0, visit_count: 0, correct_rollouts: [], incorrect_rollouts: [], children: [] },
      { partial_solution: [step('Multiply the two numbers')], mc_value: 0.0, visit_count: 0, correct_rollouts: [], incorrect_rollouts: [[`Answer: ${i * i + 1}`]], children: [] },
    ],
    id: `q${i}`,
  };
}

describe('SIGKILL during an import and resume', () => {
  it('a process killed after one staged chunk resumes with the same identity and exact counts', async () => {
    const file = join(tmp.dir, 'many.jsonl');
    writeFileSync(file, Array.from({ length: 450 }, (_, i) => JSON.stringify(smallTree(i))).join('\n') + '\n');
    const clean = await init('clean');
    const ref = await importLabels(clean, file, '--dataset', 'd');
    expect(ref.json).toEqual({ problems: 450, searches: 450, nodes: 1350, annotations: 900, labelled_steps: 1350, annotation_set: 'many', skipped: 0 });

    const ws = await init('killed');
    const killed = await runCli(['import-labels', file, '--workspace', ws, '--dataset', 'd', '--json'], { STEPLAB_TEST_KILL_AFTER_COMMITS: '1' });
    expect(killed.signal).toBe('SIGKILL');
    expect(state(ws)).toMatchObject({ staging_labels: 200, searches: 0, problems: 0, label_imports: 0 });
    const resumed = await runCli(['import-labels', file, '--workspace', ws, '--dataset', 'd', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('resuming interrupted import-labels job 1 (200 units staged)');
    expect(JSON.parse(resumed.stdout.trim().split('\n').at(-1)!)).toEqual(ref.json);
    const { reports: _r, ...got } = state(ws);
    const { reports: _c, ...want } = state(clean);
    expect(got).toEqual(want);
    const jobs = JSON.parse((await runCli(['jobs', '--workspace', ws, '--json'])).stdout);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ id: 1, kind: 'import-labels', state: 'done', attempts: 2 });
  });
});

describe('bad input: the message names where, and nothing is written', () => {
  let ws: string;
  beforeAll(async () => {
    ws = await init('bad');
  });

  /** A folder holding copies of the fixture trees, edited. */
  function folder(name: string, edit: (a: any) => void, withB = true): string {
    const dir = join(tmp.dir, name, 'outputs');
    mkdirSync(dir, { recursive: true });
    if (withB) cpSync(join(OUTPUTS, TREE_B), join(dir, TREE_B));
    const a = readJson(join(OUTPUTS, TREE_A));
    edit(a);
    writeFileSync(join(dir, 'ab12.json'), JSON.stringify(a, null, 4));
    return dir;
  }

  async function refused(path: string, message: string, ...flags: string[]): Promise<void> {
    const before = state(ws);
    const jobsBefore = jobRows(ws);
    const r = await cli('import-labels', path, '--workspace', ws, '--dataset', 'k12', ...flags);
    expect(r.err).toEqual([`error: ${message}`]);
    expect(r.code).toBe(1);
    expect(state(ws)).toEqual(before);
    // a refusal leaves no job row either
    expect(jobRows(ws)).toBe(jobsBefore);
  }

  it('a missing field: the file and the JSON path', async () => {
    const dir = folder('missing', (a) => delete a.children[1].children[0].mc_value);
    await refused(dir, 'outputs/ab12.json: children[1].children[0]: field "mc_value": required', '--image-root', IMAGES);
  });

  it('a wrong type, an MC outside [0, 1], steps that are not strings', async () => {
    await refused(folder('type1', (a) => (a.children[2].mc_value = 1.5)), 'outputs/ab12.json: children[2]: field "mc_value": must be in [0, 1] (got 1.5)', '--image-root', IMAGES);
    await refused(folder('type2', (a) => (a.children[0].partial_solution = 'one step')), 'outputs/ab12.json: children[0]: field "partial_solution": must be a list (got "one step")', '--image-root', IMAGES);
    await refused(folder('type3', (a) => (a.children[3].partial_solution = [3])), 'outputs/ab12.json: children[3].partial_solution[0]: must be a string (got 3)', '--image-root', IMAGES);
  });

  it('an image not found: the path and the --image-root hint', async () => {
    await refused(OUTPUTS, `outputs/${TREE_B}: field "image_path": image "/mnt/petrelfs/share/mmk12/images/k12/geo_0002.png" not found on this machine; give --image-root <dir> to look for it under <dir> by its trailing path`);
  });

  it('an image outside the imported folder: refused with the hint, read with --allow-outside', async () => {
    const dir = folder('outside', (a) => (a.image_path = '../../elsewhere/geo.png'), false);
    mkdirSync(join(tmp.dir, 'elsewhere'), { recursive: true });
    cpSync(join(IMAGES, 'k12', 'geo_0001.png'), join(tmp.dir, 'elsewhere', 'geo.png'));
    await refused(dir, `outputs/ab12.json: field "image_path": image "../../elsewhere/geo.png" is outside ${dir}; give --image-root <dir> (a folder that holds it), or --allow-outside to read it where it is`);
    const other = await init('outside-ok');
    const r = await importLabels(other, dir, '--dataset', 'k12', '--allow-outside');
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.json).toMatchObject({ searches: 1, skipped: 0 });
  });

  it('a file of another format than --format: named, with the format it looks like', async () => {
    const src = await init('other-format');
    expect((await importLabels(src, OUTPUTS, '--dataset', 'k12', '--image-root', IMAGES)).code).toBe(0);
    const trees = join(tmp.dir, 'exported.jsonl');
    expect((await cli('export', 'annotations', '--workspace', src, '--dataset', 'k12', '--format', 'tree', '--out', trees)).code).toBe(0);
    await refused(trees, 'exported.jsonl: --format mmprm-tree, but line 1 looks like steplab-tree (has "type": "search" with a problem fingerprint)', '--format', 'mmprm-tree');
    await refused(trees, `--format must be one of ${[...labelFormatNames(), ...BENCH_FORMATS].join(", ")} (got "mmprm-trees")`, '--format', 'mmprm-trees');
  });

  it('not JSON, and no format at all', async () => {
    const dir = join(tmp.dir, 'notjson');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'x.jsonl'), '{"question": "q", "answer": "1", "mc_value": 1, "children": []}\n{"question": \n');
    await refused(join(dir, 'x.jsonl'), 'x.jsonl line 2: not valid JSON (Unexpected end of JSON input)');
    writeFileSync(join(dir, 'y.jsonl'), '{"a": 1}\n{"a": 2}\n');
    await refused(join(dir, 'y.jsonl'), `y.jsonl line 1: not a label format Steplab reads (${labelFormatNames().join(', ')}; benchmarks: processbench, visualprocessbench, prmbench); name one with --format`);
    // a benchmark file without --format: named, with the flag that reads it
    writeFileSync(join(dir, 'gsm8k.json'), JSON.stringify([{ id: 'gsm8k-0', generator: 'm', problem: 'q', steps: ['a', 'b'], final_answer_correct: false, label: 1 }]));
    await refused(join(dir, 'gsm8k.json'), 'gsm8k.json item 1: looks like a processbench row (a step-level benchmark); import it with --format processbench');
  });

  it('--skip-bad imports the rest and writes a report; counts that do not add up are warnings there', async () => {
    const dir = folder('skip', (a) => delete a.children[1].children[0].mc_value);
    const warn = readJson(join(OUTPUTS, TREE_B));
    warn.children[1].correct_rollouts = [];
    writeFileSync(join(dir, TREE_B), JSON.stringify(warn, null, 4));
    const ok = await init('skip');
    const r = await importLabels(ok, dir, '--dataset', 'k12', '--image-root', IMAGES, '--skip-bad');
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.json).toEqual({ problems: 1, searches: 1, nodes: 6, annotations: 4, labelled_steps: 11, annotation_set: 'outputs', skipped: 1 });
    const report = readJsonl(join(ok, 'reports', 'outputs.import-labels.jsonl'));
    expect(report).toEqual([
      { where: 'outputs/ab12.json', level: 'error', message: 'outputs/ab12.json: children[1].children[0]: field "mc_value": required' },
      { where: `outputs/${TREE_B}`, level: 'warning', message: `outputs/${TREE_B}: children[1]: mc_value 0.5 but no correct rollout kept` },
    ]);
  });
});
