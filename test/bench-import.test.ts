// benchmarks.import through the contract (the in-process door): ProcessBench (a JSON array and a JSON-lines
// split), VisualProcessBench with its pictures under --image-root, PRMBench as mr_eval's task.py loads it;
// rows that share a problem share it, importing again adds nothing, and a file of the wrong kind, a row
// held with other steps, or a missing picture is refused with one line naming it, nothing changed.
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Store } from '../src-main/core/store';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalDoor, type LocalDoor } from '../src-main/core/door';
import { tempDir } from './helpers/tmp';

const FIX = join(import.meta.dirname, 'fixtures', 'benchmarks');
let tmp: ReturnType<typeof tempDir>;
let door: LocalDoor;

beforeAll(() => {
  tmp = tempDir('steplab-bench-import-');
  door = openLocalDoor(join(tmp.dir, 'ws'), { create: true });
});
afterAll(async () => {
  await door?.close();
  tmp?.cleanup();
});

const store = () => door.workbench.store;
const rowsOf = (dataset: string): Record<string, any>[] =>
  store()
    .solutions.benchmarkRows(dataset)
    .map((s) => ({ ...(s.settings as { benchmark: Record<string, unknown> }).benchmark, origin: s.origin, verdict: s.verdict, problemId: s.problemId, steps: s.steps.map((x) => [x.text, x.goldLabel]) }));
const counts = () => {
  const db = store().db;
  const n = (t: string) => (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
  return { problems: n('problems'), solutions: n('solutions'), steps: n('steps'), datasets: n('datasets'), members: n('dataset_problems'), images: n('images') };
};
const imageFiles = (): string[] => {
  try {
    return readdirSync(store().paths.imagesDir, { recursive: true }).map(String).filter((f) => f.includes('.'));
  } catch {
    return [];
  }
};
async function refused(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('benchmarks.import: ProcessBench', () => {
  it('imports a split as one solution per row with its gold step labels, keyed by the row id', async () => {
    const r = await door.api['benchmarks.import']({ path: join(FIX, 'processbench', 'gsm8k.json'), dataset: 'pb', format: 'processbench' });
    // four rows, two problems (gsm8k-0/1 and gsm8k-2/3 share their problem text)
    expect(r).toEqual({ format: 'processbench', dataset: 'pb', file: 'gsm8k.json', split: 'gsm8k', rows: 4, added: 4, present: 0, duplicates: 0, problems: { created: 2, existing: 0 }, images: 0 });
    const rows = rowsOf('pb');
    expect(rows.map((x) => [x.id, x.split, x.label, x.origin, x.verdict, x.index])).toEqual([
      ['gsm8k-0', 'gsm8k', -1, 'Qwen2-7B-Instruct', 'correct', 0],
      ['gsm8k-1', 'gsm8k', 0, 'Meta-Llama-3-8B-Instruct', 'incorrect', 1],
      ['gsm8k-2', 'gsm8k', 1, 'Qwen2.5-Math-7B-Instruct', 'incorrect', 2],
      ['gsm8k-3', 'gsm8k', -1, 'Qwen2-7B-Instruct', 'correct', 3],
    ]);
    // label -1: every step right; label 0: the first step wrong, the rest unlabelled; label 1: right, wrong, unlabelled
    expect(rows[0].steps.map((s: unknown[]) => s[1])).toEqual([1, 1, 1]);
    expect(rows[1].steps.map((s: unknown[]) => s[1])).toEqual([0, null, null]);
    expect(rows[2].steps).toEqual([
      ['Distance is speed times time.', 1],
      ['60 * 2.5 = 120 km.', 0],
      ['So the train goes \\boxed{120} km.', null],
    ]);
    expect(rows[0].problemId).toBe(rows[1].problemId);
    expect(rows[2].problemId).toBe(rows[3].problemId);
    // no gold answer: answer '' and type text; the problem's id in the dataset is its first row's
    const p = (await door.api['problems.list']({ dataset: 'pb' })).items;
    expect(p.map((x) => [x.extId, x.split, x.answer, x.answerType, x.source])).toEqual([
      ['gsm8k-0', 'gsm8k', '', 'text', 'processbench'],
      ['gsm8k-2', 'gsm8k', '', 'text', 'processbench'],
    ]);
  });

  it('reads a JSON-lines split into the same dataset, its split named by --split', async () => {
    const r = await door.api['benchmarks.import']({ path: join(FIX, 'processbench', 'math.jsonl'), dataset: 'pb', format: 'processbench', split: 'math' });
    expect(r).toMatchObject({ split: 'math', rows: 2, added: 2, problems: { created: 2, existing: 0 } });
    expect(rowsOf('pb').map((x) => `${x.split}/${x.id}`)).toEqual(['gsm8k/gsm8k-0', 'gsm8k/gsm8k-1', 'gsm8k/gsm8k-2', 'gsm8k/gsm8k-3', 'math/math-0', 'math/math-1']);
    expect((await door.api['datasets.get']({ name: 'pb' })).splits).toEqual({ gsm8k: 2, math: 2 });
  });

  it('adds nothing when the same file is imported again', async () => {
    const before = counts();
    const version = (await door.api['datasets.get']({ name: 'pb' })).version;
    const r = await door.api['benchmarks.import']({ path: join(FIX, 'processbench', 'gsm8k.json'), dataset: 'pb', format: 'processbench' });
    expect(r).toMatchObject({ rows: 4, added: 0, present: 4, problems: { created: 0, existing: 0 } });
    expect(counts()).toEqual(before);
    expect((await door.api['datasets.get']({ name: 'pb' })).version).toBe(version);
  });

  it('refuses a file of another benchmark, naming it and the row, and writes nothing', async () => {
    const before = counts();
    expect(await refused(door.api['benchmarks.import']({ path: join(FIX, 'visualprocessbench', 'test.jsonl'), dataset: 'wrong', format: 'processbench' }))).toBe(
      'test.jsonl line 1: not a ProcessBench row (no "problem", "steps", "label"): it looks like a VisualProcessBench row (--format visualprocessbench)',
    );
    expect(await refused(door.api['benchmarks.import']({ path: join(FIX, 'processbench', 'gsm8k.json'), dataset: 'wrong', format: 'prmbench' }))).toBe(
      'gsm8k.json item 1: not a PRMBench row (no "modified_process", "error_steps", "classification"): it looks like a ProcessBench row (--format processbench)',
    );
    expect(counts()).toEqual(before);
    expect((await door.api['datasets.list']({})).items.map((d) => d.name)).toEqual(['pb']);
  });

  it('refuses a row whose id the dataset holds with other steps or labels, and a bad label, writing nothing', async () => {
    const changed = join(tmp.dir, 'gsm8k-changed.json');
    const rows = JSON.parse(readFileSync(join(FIX, 'processbench', 'gsm8k.json'), 'utf8'));
    rows.push({ ...rows[0], id: 'gsm8k-9', problem: 'A new problem: 2 + 2?', steps: ['2 + 2 = 4.'] });
    rows[2] = { ...rows[2], label: 2 };
    writeFileSync(changed, JSON.stringify(rows));
    const before = counts();
    expect(await refused(door.api['benchmarks.import']({ path: changed, dataset: 'pb', format: 'processbench', split: 'gsm8k' }))).toBe(
      'gsm8k-changed.json item 3: id "gsm8k-2" is already in dataset "pb" with other steps or labels',
    );
    rows[2] = { ...rows[2], label: 3 };
    writeFileSync(changed, JSON.stringify(rows));
    expect(await refused(door.api['benchmarks.import']({ path: changed, dataset: 'pb', format: 'processbench' }))).toBe(
      'gsm8k-changed.json item 3: field "label": 3 is neither -1 nor the index of one of its 3 steps',
    );
    expect(counts()).toEqual(before);
  });
});

describe('benchmarks.import: VisualProcessBench', () => {
  it('stores the pictures found under --image-root, neutral steps unlabelled, the policy model as origin', async () => {
    const imagesBefore = imageFiles().length;
    const r = await door.api['benchmarks.import']({ path: join(FIX, 'visualprocessbench', 'test.jsonl'), dataset: 'vpb', format: 'visualprocessbench', imageRoot: join(FIX, 'visualprocessbench') });
    expect(r).toMatchObject({ split: 'test', rows: 3, added: 3, problems: { created: 2, existing: 0 }, images: 2 });
    expect(imageFiles().length).toBe(imagesBefore + 2);
    const rows = rowsOf('vpb');
    expect(rows.map((x) => [x.id, x.label, x.origin, x.data_source])).toEqual([
      ['test-0', -1, 'InternVL2.5-8B', 'MathVerse'],
      ['test-1', 2, 'GPT-4o', 'MathVerse'],
      ['test-2', 0, 'Qwen2.5-VL-72B', 'DynaMath'],
    ]);
    expect(rows[1].steps.map((s: unknown[]) => s[1])).toEqual([1, null, 0, 0]); // 1, 0 (neutral), -1, -1
    expect(rows[0].problemId).toBe(rows[1].problemId); // same question and picture
    const p = await door.api['problems.get']({ id: rows[2].problemId as number });
    expect([p.answer, p.answerType, p.images.length]).toEqual(['B', 'choice', 1]);
  });

  it('refuses a picture of another machine without --image-root, naming the row, and writes no file', async () => {
    const before = counts();
    const files = imageFiles().length;
    const copy = join(tmp.dir, 'vpb-copy');
    cpSync(join(FIX, 'visualprocessbench'), copy, { recursive: true });
    expect(await refused(door.api['benchmarks.import']({ path: join(copy, 'test.jsonl'), dataset: 'vpb2', format: 'visualprocessbench' }))).toBe(
      'test.jsonl line 3: field "image": image "/mnt/petrel/VisualProcessBench/images/dynamath/d7.png" not found on this machine; give --image-root <dir> to look for it under <dir> by its trailing path',
    );
    expect(counts()).toEqual(before);
    expect(imageFiles().length).toBe(files);
  });

  it('a picture over a size cap is refused naming its field, as the other imports do', async () => {
    const before = counts();
    expect(await refused(door.api['benchmarks.import']({ path: join(FIX, 'visualprocessbench', 'test.jsonl'), dataset: 'vpb3', format: 'visualprocessbench', imageRoot: join(FIX, 'visualprocessbench'), limits: { imageBytes: 100 } }))).toBe(
      'test.jsonl line 1: field "image": image "images/mathverse/q1.png" is too large (135 bytes; limit 100 bytes); shrink it or raise the limit with --max-image-bytes <bytes>',
    );
    expect(counts()).toEqual(before);
  });

  it('a line over --max-line-bytes is refused before it is parsed, nothing stored; the cap raised, it is imported', async () => {
    const before = counts();
    const lines = readFileSync(join(FIX, 'visualprocessbench', 'test.jsonl'), 'utf8').split('\n');
    const opts = { path: join(FIX, 'visualprocessbench', 'test.jsonl'), dataset: 'vpb4', format: 'visualprocessbench' as const, imageRoot: join(FIX, 'visualprocessbench') };
    // the longest line, just over the cap
    const cap = Math.max(...lines.map((l) => Buffer.byteLength(l)));
    const no = lines.findIndex((l) => Buffer.byteLength(l) === cap) + 1;
    const len = cap;
    expect(await refused(door.api['benchmarks.import']({ ...opts, limits: { lineBytes: cap - 1 } }))).toBe(
      `test.jsonl line ${no}: the line is ${len} bytes long (${len.toLocaleString('en-US')} bytes; limit ${cap - 1} bytes); split it or raise the limit with --max-line-bytes <bytes>`,
    );
    expect(counts()).toEqual(before);
    expect(await door.api['benchmarks.import']({ ...opts, limits: { lineBytes: cap } })).toMatchObject({ rows: 3, added: 3 });
  });
});

describe('benchmarks.import: PRMBench', () => {
  it("makes mr_eval's rows: {classification}_{idx} with 0-based error steps, a correct twin per redundency row, the first of a repeated key", async () => {
    const r = await door.api['benchmarks.import']({ path: join(FIX, 'prmbench', 'prm800k_test_p1_4o_mixed.jsonl'), dataset: 'prmb', format: 'prmbench', split: 'test' });
    expect(r).toMatchObject({ rows: 4, added: 4, duplicates: 1, problems: { created: 2, existing: 0 } });
    const rows = rowsOf('prmb');
    expect(rows.map((x) => [x.id, x.classification, x.errorSteps, x.label, x.twin ?? null])).toEqual([
      ['correct_prm_test_p1_0', 'correct', [], -1, null],
      ['redundency_prm_test_p1_0', 'redundency', [1], 1, 'correct_prm_test_p1_0'],
      ['circular_prm_test_p1_0', 'circular', [0, 1], 0, 'correct_prm_test_p1_0'],
      ['counterfactual_prm_test_p1_1', 'counterfactual', [1, 2], 1, 'correct_prm_test_p1_1'],
    ]);
    expect(rows[0].steps.map((s: unknown[]) => s[1])).toEqual([1, 1, 1]);
    expect(rows[2].steps.map((s: unknown[]) => s[1])).toEqual([0, 0, 1]);
    // the circular row kept is the first one (three steps), not the later duplicate (two)
    expect(rows[2].steps).toHaveLength(3);
    expect(new Set(rows.slice(0, 3).map((x) => x.problemId)).size).toBe(1);
  });
});

describe('import-labels routes the benchmark formats to benchmarks.import', () => {
  it('imports a ProcessBench split from the command line; --json is the import report; again adds nothing', async () => {
    const { cli } = await import('./helpers/cli');
    const ws = join(tmp.dir, 'ws-cli');
    expect((await cli('init', ws)).code).toBe(0);
    const file = join(FIX, 'processbench', 'gsm8k.json');
    const first = await cli('import-labels', file, '--workspace', ws, '--dataset', 'pb', '--format', 'processbench', '--json');
    expect(first.code, first.err.join('\n')).toBe(0);
    const r = JSON.parse(first.out.at(-1)!) as { format: string; split: string; rows: number; added: number; present: number };
    expect(r).toMatchObject({ format: 'processbench', split: 'gsm8k', present: 0 });
    expect(r.added).toBe(r.rows);
    expect(r.rows).toBeGreaterThan(0);
    const again = await cli('import-labels', file, '--workspace', ws, '--dataset', 'pb', '--format', 'processbench');
    expect(again.out).toEqual([`imported 0 processbench rows of gsm8k.json into dataset "pb" split "gsm8k" (${r.rows} rows read, ${r.rows} imported before); problems: 0 new, 0 already there; 0 images`]);
    const bad = await cli('import-labels', file, '--workspace', ws, '--dataset', 'pb', '--format', 'processbench', '--set', 'x');
    expect(bad.code).toBe(1);
    expect(bad.err).toEqual(['error: --set and --skip-bad do not apply to --format processbench']);
  }, 300_000);

  it('imports a folder of split files, each as the split of its file name; --split with several files is refused', async () => {
    const { cli } = await import('./helpers/cli');
    const ws = join(tmp.dir, 'ws-folder');
    expect((await cli('init', ws)).code).toBe(0);
    const folder = join(FIX, 'processbench');
    const r = await cli('import-labels', folder, '--workspace', ws, '--dataset', 'pb', '--format', 'processbench', '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    const out = JSON.parse(r.out.at(-1)!) as { files: { file: string; split: string; added: number }[] };
    expect(out.files.map((f) => [f.file, f.split, f.added])).toEqual([
      ['gsm8k.json', 'gsm8k', 4],
      ['math.jsonl', 'math', 2],
    ]);
    const bad = await cli('import-labels', folder, '--workspace', ws, '--dataset', 'pb', '--format', 'processbench', '--split', 'x');
    expect(bad.code).toBe(1);
    expect(bad.err).toEqual([`error: --split names one file's split; ${folder} holds 2 files, each imported as the split of its file name (leave --split out, or give one file)`]);
  }, 300_000);

  it("reads the hub's Parquet conversion of a split as its JSON (the split named without the shard suffix)", async () => {
    const { cli } = await import('./helpers/cli');
    const { writeParquet } = await import('./helpers/parquet');
    const rows = JSON.parse(readFileSync(join(FIX, 'processbench', 'gsm8k.json'), 'utf8')) as Record<string, unknown>[];
    const dir = join(tmp.dir, 'pq');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'gsm8k-00000-of-00001.parquet');
    writeParquet(
      file,
      [
        { name: 'id', leaf: 'string' },
        { name: 'generator', leaf: 'string' },
        { name: 'problem', leaf: 'string' },
        { name: 'steps', list: { name: 'element', leaf: 'string' } },
        { name: 'final_answer_correct', leaf: 'boolean' },
        { name: 'label', leaf: 'int64' },
      ],
      rows.map((r) => ({ ...r, label: BigInt(r.label as number) })),
    );
    const ws = join(tmp.dir, 'ws-pq');
    expect((await cli('init', ws)).code).toBe(0);
    const pq = await cli('import-labels', file, '--workspace', ws, '--dataset', 'pq', '--format', 'processbench', '--json');
    expect(pq.code, pq.err.join('\n')).toBe(0);
    expect(JSON.parse(pq.out.at(-1)!)).toMatchObject({ split: 'gsm8k', rows: rows.length, added: rows.length });
    const js = await cli('import-labels', join(FIX, 'processbench', 'gsm8k.json'), '--workspace', ws, '--dataset', 'js', '--format', 'processbench', '--json');
    expect(js.code, js.err.join('\n')).toBe(0);
    const store = Store.open(ws);
    try {
      const view = (d: string) => store.solutions.benchmarkRows(d).map((s) => [s.steps.map((st) => [st.text, st.goldLabel]), s.origin]);
      expect(view('pq')).toHaveLength(rows.length);
      expect(view('pq')).toEqual(view('js'));
    } finally {
      store.close();
    }
  }, 300_000);
});
