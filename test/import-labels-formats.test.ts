// import-labels, the formats of priority B, each on a fixture written from its upstream writer's code or
// taken from upstream's own samples (test/fixtures/labels/README.md names each file's source and commit):
// imported (format detected from the content), explored through the API, curated, exported in another
// format and read by the consumer logic of Field data I (test/helpers/consumers.ts), re-imported with
// nothing added, and refused with the exact message and nothing written on a bad record.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHandlers } from '../src-main/core/api';
import { dispatch } from '../src-main/core/dispatch';
import { openWorkbench, type Workbench } from '../src-main/core/workbench';
import { buildReplay } from '../src-renderer/tree/replay';
import { cli } from './helpers/cli';
import { internvlReads, prm800kSchemaOk, trlPrm800kReads, trlReads, trlShepherdReads } from './helpers/consumers';
import { writeParquet } from './helpers/parquet';
import { tempDir } from './helpers/tmp';

const FIX = join(import.meta.dirname, 'fixtures', 'labels');
const IMAGES = join(FIX, 'images');
const readJsonl = (p: string): Record<string, any>[] => readFileSync(p, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let tmp: ReturnType<typeof tempDir>;
const open: Workbench[] = [];
beforeAll(() => {
  tmp = tempDir('steplab-label-formats-');
});
afterAll(async () => {
  for (const wb of open) await wb.close();
  tmp.cleanup();
});

interface Imported {
  ws: string;
  format: string;
  json: Record<string, unknown>;
  call(method: string, input: unknown): Promise<any>;
}

/** A fresh workspace with one fixture imported; the API behind it. */
async function imported(name: string, path: string, ...flags: string[]): Promise<Imported> {
  const ws = join(tmp.dir, name);
  expect((await cli('init', ws)).code).toBe(0);
  const r = await cli('import-labels', path, '--workspace', ws, '--dataset', 'd', ...flags, '--json');
  expect(r.code, r.err.join('\n')).toBe(0);
  const wb = openWorkbench(ws);
  open.push(wb);
  const api = createApiHandlers(wb.store, wb.runner);
  return { ws, format: r.out[0], json: JSON.parse(r.out.at(-1)!), call: (m, input) => dispatch(api, m, input) };
}

async function exportRows(ws: string, format: string, ...flags: string[]): Promise<Record<string, any>[]> {
  const out = join(tmp.dir, `${ws.split('/').pop()}-${format}-${flags.join('')}.jsonl`);
  const r = await cli('export', 'annotations', '--workspace', ws, '--dataset', 'd', '--format', format, '--out', out, ...flags);
  expect(r.code, r.err.join('\n')).toBe(0);
  return readJsonl(out);
}

async function reimportAddsNothing(x: Imported, path: string, ...flags: string[]): Promise<void> {
  const r = await cli('import-labels', path, '--workspace', x.ws, '--dataset', 'd', ...flags, '--json');
  expect(r.code, r.err.join('\n')).toBe(0);
  expect(JSON.parse(r.out.at(-1)!)).toEqual({ problems: 0, searches: 0, nodes: 0, annotations: 0, labelled_steps: 0, annotation_set: x.json.annotation_set, skipped: 0 });
}

const texts = (a: { steps: { text: string }[] }): string => a.steps.map((s) => s.text).join('|');

/** Curation applies to an imported set: the first step of its first path relabelled, then read back by TRL's tokenize_row. */
async function curatedReadBack(x: Imported): Promise<void> {
  const db = new Database(join(x.ws, 'steplab.db'), { readonly: true });
  const { id } = db.prepare('SELECT min(id) AS id FROM annotations').get() as { id: number };
  db.close();
  const before = (await x.call('annotations.edit', { annotationId: id, action: 'comment', comment: 'looked at', author: 't' })) as { steps: { text: string; softLabel: number }[] };
  const flipped = before.steps[0].softLabel > 0 ? 0 : 1;
  await x.call('annotations.edit', { annotationId: id, stepIdx: 0, action: 'relabel', value: flipped, author: 't' });
  const rows = await exportRows(x.ws, 'trl');
  const row = rows.find((r) => r.completions.join('|') === texts(before))!;
  expect(trlReads(row)[0]).toBe(flipped);
}

describe('math-shepherd: the Math-Shepherd sample rows (openr preprocess/tests/samples_math-shepherd.jsonl)', () => {
  const file = join(FIX, 'public', 'math-shepherd.jsonl');
  let x: Imported;
  beforeAll(async () => {
    x = await imported('shepherd', file);
  });

  it('imports each row as a labelled path (a solution and its annotation), no answer, the task as source', async () => {
    expect(x.format).toBe('format math-shepherd (detected: math-shepherd.jsonl line 1 has "input" and "label" with the step tag "ки")');
    expect(x.json).toEqual({ problems: 7, searches: 0, nodes: 0, annotations: 7, labelled_steps: 25, annotation_set: 'math-shepherd', skipped: 0 });
    const { items } = await x.call('problems.list', { dataset: 'd' });
    expect(items[0]).toMatchObject({ answer: '', source: 'GSM8K', question: expect.stringMatching(/^Janet pays \$40\/hour/) });
    expect(items[0].solutions).toBe(1);
  });

  it("exports back as Math-Shepherd rows that TRL's converter reads as it reads the original", async () => {
    const rows = await exportRows(x.ws, 'math-shepherd');
    const original = readJsonl(file);
    expect(rows.map(trlShepherdReads)).toEqual(original.map(trlShepherdReads));
    await reimportAddsNothing(x, file);
  });

  it('curated: a relabel is what TRL reads; the heatmap shows the labels by MC', async () => {
    const [sets] = await x.call('annotations.sets', {});
    expect(sets).toMatchObject({ name: 'math-shepherd', annotations: 7, searches: 0 });
    const { items } = await x.call('problems.list', { dataset: 'd' });
    const heat = await x.call('heatmap.dataset', { dataset: 'd', source: 'mc' });
    const first = readJsonl(file)[0];
    expect(heat.rows[0].scores).toEqual(trlShepherdReads(first).labels.map((l) => (l ? 1 : 0)));
    const sol = (await x.call('solutions.forProblem', { problemId: items[0].id }))[0];
    expect(sol.origin).toBe('import');
    const db = new Database(join(x.ws, 'steplab.db'), { readonly: true });
    const ann = db.prepare('SELECT id FROM annotations WHERE solution_id = ?').get(sol.id) as { id: number };
    db.close();
    await x.call('annotations.edit', { annotationId: ann.id, stepIdx: 4, action: 'relabel', value: 1, author: 't' });
    const rows = await exportRows(x.ws, 'trl');
    expect(trlReads(rows[0])).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('trl: TRL stepwise rows (the Math-Shepherd sample through TRL\'s math_shepherd.py), JSONL and Parquet', () => {
  const file = join(FIX, 'trl', 'math_shepherd.jsonl');

  it('JSONL: imports, exports as Math-Shepherd rows that TRL reads back to the same rows', async () => {
    const x = await imported('trl', file);
    expect(x.format).toBe('format trl (detected: math_shepherd.jsonl line 1 has "prompt", "completions" and "labels")');
    expect(x.json).toEqual({ problems: 7, searches: 0, nodes: 0, annotations: 7, labelled_steps: 25, annotation_set: 'math_shepherd', skipped: 0 });
    const rows = await exportRows(x.ws, 'math-shepherd');
    expect(rows.map(trlShepherdReads)).toEqual(readJsonl(file));
    await reimportAddsNothing(x, file);
    await curatedReadBack(x);
  });

  it('the same problem from two files is one problem: TRL rows after their Math-Shepherd originals add no problem', async () => {
    const x = await imported('trl-after-shepherd', join(FIX, 'public', 'math-shepherd.jsonl'));
    const r = await cli('import-labels', file, '--workspace', x.ws, '--dataset', 'd', '--json');
    expect(JSON.parse(r.out.at(-1)!)).toEqual({ problems: 0, searches: 0, nodes: 0, annotations: 7, labelled_steps: 25, annotation_set: 'math_shepherd', skipped: 0 });
  });

  it('Hugging Face Parquet with an image struct column (bytes kept as bytes): the images are stored and exported', async () => {
    const png = readFileSync(join(IMAGES, 'k12', 'geo_0001.png'));
    const rows = readJsonl(file).slice(0, 3).map((r, i): Record<string, any> => ({ ...r, images: i === 0 ? [{ bytes: new Uint8Array(png), path: 'geo_0001.png' }] : [] }));
    const pq = join(tmp.dir, 'train-00000-of-00001.parquet');
    writeParquet(
      pq,
      [
        { name: 'prompt', leaf: 'string' },
        { name: 'completions', list: { name: 'element', leaf: 'string' } },
        { name: 'labels', list: { name: 'element', leaf: 'boolean' } },
        { name: 'images', list: { name: 'element', group: [{ name: 'bytes', leaf: 'binary' }, { name: 'path', leaf: 'string' }] } },
      ],
      rows,
    );
    const x = await imported('trl-parquet', pq);
    expect(x.format).toBe('format trl (detected: train-00000-of-00001.parquet row 1 has "prompt", "completions" and "labels")');
    expect(x.json).toEqual({ problems: 3, searches: 0, nodes: 0, annotations: 3, labelled_steps: 10, annotation_set: 'train-00000-of-00001', skipped: 0 });
    const { items } = await x.call('problems.list', { dataset: 'd' });
    expect(items.map((p: any) => p.images.map((i: any) => i.hash))).toEqual([[sha(png)], [], []]);
    const out = await exportRows(x.ws, 'trl');
    expect(out.map(trlReads)).toEqual(rows.map((r) => r.labels.map((l: boolean) => (l ? 1 : 0))));
    expect(out[0].images).toEqual([`images/${sha(png)}.png`]);
    await reimportAddsNothing(x, pq);
    await curatedReadBack(x);
  });
});

describe('prm800k: phase 1 and phase 2 rows (openr preprocess/tests/samples_prm800k.jsonl)', () => {
  const file = join(FIX, 'public', 'prm800k.jsonl');
  let x: Imported;
  beforeAll(async () => {
    x = await imported('prm800k', file);
  });

  it('a row is a tree of rated completions; its paths are those of TRL\'s prm800k.py', async () => {
    expect(x.format).toBe('format prm800k (detected: prm800k.jsonl line 1 has "question.problem" and "label.steps")');
    expect(x.json).toEqual({ problems: 6, searches: 6, nodes: 81, annotations: 37, labelled_steps: 220, annotation_set: 'prm800k', skipped: 0 });
    const original = readJsonl(file);
    // TRL reads a rating as rating == 1: the same with --label-threshold 0.5 (neutral is 0.5 here)
    const rows = await exportRows(x.ws, 'trl', '--label-threshold', '0.5');
    const ours = rows.map((r) => JSON.stringify([r.completions, r.labels])).sort();
    const theirs = original.flatMap((r) => trlPrm800kReads(r)).filter((r) => r.completions.length > 0).map((r) => JSON.stringify([r.completions, r.labels])).sort();
    expect(ours).toEqual(theirs);
  });

  it('explored: the tree holds every rated completion, the chosen path continues, neutral is 0.5', async () => {
    const { items } = await x.call('searches.list', {});
    const s = items.at(-1);
    expect(s).toMatchObject({ algorithm: 'human', stats: { labeler: 'e90a38f3-3135-4465-87af-3e6322e3d772', finish_reason: 'solution' } });
    const { nodes } = await x.call('searches.tree', { id: s.id });
    const first = readJsonl(file)[0].label.steps;
    const second = nodes.filter((n: any) => n.meta.step === 1 && !n.meta.human);
    expect(second.map((n: any) => n.stepText)).toEqual(first[1].completions.map((c: any) => c.text));
    expect(second.map((n: any) => n.mc)).toEqual(first[1].completions.map((c: any) => ({ 1: 1, 0: 0.5, [-1]: 0 })[c.rating as 1]));
    const human = nodes.find((n: any) => n.meta.human === true);
    expect(human).toMatchObject({ stepText: first[1].human_completion.text, mc: 1 });
  });

  it('exports back as PRM800K rows that match its README schema; re-import adds nothing', async () => {
    for (const row of await exportRows(x.ws, 'prm800k')) prm800kSchemaOk(row);
    await reimportAddsNothing(x, file);
    await curatedReadBack(x);
  });
});

describe('openr-omega: OpenR omegaPRM_v2 output (pruned from openr preprocess/tests/samples_math-aps*.jsonl)', () => {
  it('tree layout: nodes hold their new text, steps split on "\\n\\n", MC per node; exported as MM-PRM rows InternVL reads', async () => {
    const file = join(FIX, 'openr', 'math-aps-tree.jsonl');
    const x = await imported('openr-tree', file);
    expect(x.format).toBe('format openr-omega (detected: math-aps-tree.jsonl line 1 has "reasoning_steps")');
    expect(x.json).toEqual({ problems: 1, searches: 1, nodes: 9, annotations: 5, labelled_steps: 33, annotation_set: 'math-aps-tree', skipped: 0 });
    const src = readJsonl(file)[0];
    const [s] = (await x.call('searches.list', {})).items;
    const { nodes } = await x.call('searches.tree', { id: s.id });
    const mid = src.reasoning_steps.children[2];
    const n = nodes.find((y: any) => y.stepText === mid.text);
    expect(n).toMatchObject({ mc: 0.1875, meta: { steps: mid.text.split('\n\n').filter((t: string) => t.trim() !== '') } });
    expect(nodes.find((y: any) => y.parentId === null)).toMatchObject({ mc: 0.25, stepText: '' });
    expect((await x.call('problems.list', { dataset: 'd' })).items[0]).toMatchObject({ extId: '1', answer: '\\frac{11}{36}', answerType: 'fraction' });
    const rows = await exportRows(x.ws, 'mmprm');
    for (const row of rows) expect(internvlReads(row).every((l) => l >= 0 && l <= 1)).toBe(true);
    expect(rows.length).toBeGreaterThan(0);
    await reimportAddsNothing(x, file);
    await curatedReadBack(x);
  });

  it('flat layout: the tree rebuilt from the prefixes (a child extends its parent)', async () => {
    const file = join(FIX, 'openr', 'math-aps.jsonl');
    const x = await imported('openr-flat', file);
    expect(x.json).toEqual({ problems: 1, searches: 1, nodes: 8, annotations: 6, labelled_steps: 196, annotation_set: 'math-aps', skipped: 0 });
    const src = readJsonl(file)[0].reasoning_steps;
    const [s] = (await x.call('searches.list', {})).items;
    const { nodes } = await x.call('searches.tree', { id: s.id });
    const bySearchNode = new Map(nodes.map((n: any) => [n.meta.searchNode, n]));
    // entries 5, 6 and 7 extend entry 4 (its prefix plus their own text)
    for (const i of [5, 6, 7]) {
      const n: any = bySearchNode.get(i);
      expect((bySearchNode.get(4) as any).id).toBe(n.parentId);
      expect(n.stepText).toBe(src[i].solution_prefix.slice(src[4].solution_prefix.length).trim());
      expect(n.mc).toBe(src[i].mc_value);
    }
    await reimportAddsNothing(x, file);
    await curatedReadBack(x);
  });
});

describe('visualprm: VisualPRM400K raw rows (written as visualprm_data_pieline.py writes them)', () => {
  const file = join(FIX, 'visualprm', 'visualprm_raw.jsonl');
  it('each row a path labelled by its scores; the continuation counts kept; question_orig is the problem', async () => {
    const x = await imported('visualprm', file, '--image-root', IMAGES);
    expect(x.format).toBe('format visualprm (detected: visualprm_raw.jsonl line 1 has "steps_with_score")');
    expect(x.json).toEqual({ problems: 2, searches: 0, nodes: 0, annotations: 3, labelled_steps: 11, annotation_set: 'visualprm_raw', skipped: 0 });
    const src = readJsonl(file);
    const { items } = await x.call('problems.list', { dataset: 'd' });
    expect(items[0]).toMatchObject({ question: src[0].question_orig, answer: '70', meta: { prompt: src[0].question } });
    const rows = await exportRows(x.ws, 'trl', '--soft-labels');
    expect(rows.map((r) => r.labels)).toEqual(src.map((r) => r.steps_with_score.map((s: any) => s.score)));
    expect(rows[1].labels).toEqual([0.75, 0, 0, 0]);
    await reimportAddsNothing(x, file, '--image-root', IMAGES);
    await curatedReadBack(x);
  });

  it('a score that is not num_mc_correct / num_mc_total is a warning in the report', async () => {
    const rows = readJsonl(file);
    rows[0].steps_with_score[1].score = 0.5;
    const bad = join(tmp.dir, 'vp', 'visualprm_raw.jsonl');
    mkdirSync(join(tmp.dir, 'vp'), { recursive: true });
    writeFileSync(bad, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const x = await imported('visualprm-warn', bad, '--image-root', IMAGES);
    expect(x.json).toMatchObject({ annotations: 3, skipped: 0 });
    expect(readJsonl(join(x.ws, 'reports', 'visualprm_raw.import-labels.jsonl'))).toEqual([
      { where: 'visualprm_raw.jsonl line 1', level: 'warning', message: 'visualprm_raw.jsonl line 1: steps_with_score[1]: score 0.5 but 14 of 16 continuations correct' },
    ]);
  });
});

describe('mmprm-paths and mmprm: MM-PRM traverse.py output and prm_data_format.py rows (of the mmprm fixture trees)', () => {
  const paths = join(FIX, 'mmprm-paths', 'output_file.json');
  const rowsFile = join(FIX, 'mmprm-paths', 'prm_train.jsonl');
  const conv = (r: Record<string, any>): string => JSON.stringify(r.conversations);

  it('traverse.py\'s JSON array, read an item at a time: exported per step, the rows are prm_data_format.py\'s', async () => {
    const x = await imported('mmprm-paths', paths, '--image-root', IMAGES);
    expect(x.format).toBe('format mmprm-paths (detected: output_file.json item 1 has "question", "process" and "labels")');
    expect(x.json).toEqual({ problems: 2, searches: 0, nodes: 0, annotations: 11, labelled_steps: 18, annotation_set: 'output_file', skipped: 0 });
    const rows = await exportRows(x.ws, 'mmprm', '--per-step');
    for (const r of rows) internvlReads(r);
    expect(rows.map(conv).sort()).toEqual(readJsonl(rowsFile).map(conv).sort());
    await reimportAddsNothing(x, paths, '--image-root', IMAGES);
    await curatedReadBack(x);
  });

  it('the rows themselves import to the same paths, and are the same problems', async () => {
    const x = await imported('mmprm-rows', rowsFile, '--image-root', IMAGES);
    expect(x.format).toBe('format mmprm (detected: prm_train.jsonl line 1 has "conversations" with a gpt turn of labels)');
    expect(x.json).toEqual({ problems: 2, searches: 0, nodes: 0, annotations: 11, labelled_steps: 18, annotation_set: 'prm_train', skipped: 0 });
    const rows = await exportRows(x.ws, 'mmprm', '--per-step');
    expect(rows.map(conv).sort()).toEqual(readJsonl(rowsFile).map(conv).sort());
    await curatedReadBack(x);
    const more = await cli('import-labels', paths, '--workspace', x.ws, '--dataset', 'd', '--image-root', IMAGES, '--json');
    expect(JSON.parse(more.out.at(-1)!)).toMatchObject({ problems: 0, annotations: 11 });
  });
});

describe('reasoners-tree: llm-reasoners TreeLog (written as tree_log.py and TreeLogEncoder write it), plain and gzip', () => {
  it('the last snapshot is the tree (Q, step text from the node data), the earlier ones its replay; no labels, no annotations', async () => {
    const file = join(FIX, 'reasoners', 'gsm8k-0.json');
    const x = await imported('reasoners', file);
    expect(x.format).toBe('format reasoners-tree (detected: gsm8k-0.json has "logs" of tree snapshots)');
    expect(x.json).toEqual({ problems: 1, searches: 1, nodes: 5, annotations: 0, labelled_steps: 0, annotation_set: 'gsm8k-0', skipped: 0 });
    const [s] = (await x.call('searches.list', {})).items;
    expect(s.algorithm).toBe('mcts');
    const { nodes } = await x.call('searches.tree', { id: s.id });
    const n3 = nodes.find((n: any) => n.meta.reasonersId === '3');
    expect(n3).toMatchObject({ q: 0.93, stepText: 'Now we can answer the question: how many apples does Tom have?\nTom has 8 apples. The answer is 8.', mc: null, depth: 2 });
    const events = await x.call('searches.events', { id: s.id });
    const replay = buildReplay(events, nodes);
    expect(replay.steps.map((st) => st.kind)).toEqual(['iteration', 'iteration', 'iteration']);
    // iteration 0 made nodes 1 and 2, iteration 1 node 3, iteration 2 node 4
    const id = (r: string): number => nodes.find((n: any) => n.meta.reasonersId === r).id;
    expect(replay.steps.map((st) => st.added.sort())).toEqual([[id('1'), id('2')].sort(), [id('3')], [id('4')]]);
    expect(replay.steps.map((st) => st.node)).toEqual([id('1'), id('3'), id('4')]);
    await reimportAddsNothing(x, file);
    // a TreeLog has no step labels: no annotation to curate (a search over its problem labels it)
    expect(await x.call('annotations.sets', {})).toEqual([]);
    const gz = await cli('import-labels', join(FIX, 'reasoners', 'gsm8k-0.json.gz'), '--workspace', x.ws, '--dataset', 'd', '--json');
    expect(gz.code, gz.err.join('\n')).toBe(0);
    expect(JSON.parse(gz.out.at(-1)!)).toMatchObject({ problems: 0, searches: 1, nodes: 5 });
  });
});

describe('bad records of these formats: the line, the JSON path, nothing written', () => {
  let ws: string;
  beforeAll(async () => {
    ws = join(tmp.dir, 'bad');
    expect((await cli('init', ws)).code).toBe(0);
  });
  const counts = (): Record<string, number> => {
    const db = new Database(join(ws, 'steplab.db'), { readonly: true });
    const out: Record<string, number> = {};
    for (const t of ['problems', 'searches', 'annotations', 'solutions', 'label_imports', 'staging_labels']) out[t] = (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    db.close();
    return out;
  };
  const write = (name: string, rows: unknown[]): string => {
    const p = join(tmp.dir, name);
    writeFileSync(p, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    return p;
  };
  async function refused(path: string, message: string, ...flags: string[]): Promise<void> {
    const before = counts();
    const r = await cli('import-labels', path, '--workspace', ws, '--dataset', 'd', ...flags);
    expect(r.err).toEqual([`error: ${message}`]);
    expect(counts()).toEqual(before);
  }

  it('another format than --format', async () => {
    await refused(join(FIX, 'openr', 'math-aps-tree.jsonl'), 'math-aps-tree.jsonl: --format mmprm-tree, but line 1 looks like openr-omega (has "reasoning_steps")', '--format', 'mmprm-tree');
  });

  it('step and label counts that differ', async () => {
    await refused(write('t.jsonl', [{ prompt: 'q', completions: ['a', 'b', 'c'], labels: [true, false] }]), 't.jsonl line 1: field "labels": 2 labels for 3 completions');
    const p = readJsonl(join(FIX, 'mmprm-paths', 'prm_train.jsonl'))[0];
    p.conversations[1].value.push(1);
    await refused(write('c.jsonl', [p]), `c.jsonl line 1: conversations[1]: field "value": ${p.conversations[1].value.length} labels for ${p.conversations[1].value.length - 1} "<prm>" steps in the human turn`);
    const shep = readJsonl(join(FIX, 'public', 'math-shepherd.jsonl'))[0];
    shep.label = shep.label.replace(/ \+\n/, ' \n');
    await refused(write('s.jsonl', [shep]), 's.jsonl line 1: field "label": no + or - for step 1');
  });

  it('a flat OpenR prefix that extends no earlier one; a PRM800K rating that is not one', async () => {
    const flat = readJsonl(join(FIX, 'openr', 'math-aps.jsonl'))[0];
    flat.reasoning_steps[3].solution_prefix = 'Something else entirely.';
    await refused(write('f.jsonl', [flat]), "f.jsonl line 1: reasoning_steps[3]: field \"solution_prefix\": extends no earlier prefix (a child's prefix extends its parent's)");
    const row = readJsonl(join(FIX, 'public', 'prm800k.jsonl'))[0];
    row.label.steps[1].completions[2].rating = 2;
    await refused(write('p.jsonl', [row]), 'p.jsonl line 1: label.steps[1].completions[2]: field "rating": must be -1, 0, 1 or null (got 2)');
  });

  it('a TreeLog without a question; a VisualPRM score outside [0, 1]', async () => {
    const log = JSON.parse(readFileSync(join(FIX, 'reasoners', 'gsm8k-0.json'), 'utf8'));
    delete log.question;
    const p = join(tmp.dir, 'log.json');
    writeFileSync(p, JSON.stringify(log, null, 2));
    await refused(p, 'log.json: no question: llm-reasoners logs do not carry the problem; add "question" (and "answer") beside "logs", or in the root node\'s data');
    const v = readJsonl(join(FIX, 'visualprm', 'visualprm_raw.jsonl'));
    v[2].steps_with_score[0].score = 1.25;
    await refused(write('v.jsonl', v), 'v.jsonl line 3: steps_with_score[0]: field "score": must be in [0, 1] (got 1.25)', '--image-root', IMAGES);
  });
});
