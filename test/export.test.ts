import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportAnnotations, parseMathShepherdRow, readAnnotations } from '../src-main/core/data/exportAnnotations';
import { exportProblems } from '../src-main/core/data/exportProblems';
import { importJob } from '../src-main/core/data/importProblems';
import { Store } from '../src-main/core/store';
import type { Problem } from '../src-shared/domain';
import { runJob } from './helpers/runJob';
import { tempDir } from './helpers/tmp';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const readJsonl = (p: string): Record<string, any>[] => readFileSync(p, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

let tmp: { dir: string; cleanup(): void };
let store: Store;
let data: string;
let out: string;
const img: Record<string, Buffer> = {};
const stores: Store[] = [];

function openStore(name: string): Store {
  const s = Store.open(join(tmp.dir, name), { create: true });
  stores.push(s);
  return s;
}

async function importInto(s: Store, path: string, dataset: string) {
  return (await runJob(s, importJob, { path, dataset, skipBad: false })).result;
}

const comparable = (p: Problem) => {
  const { id: _id, ...rest } = p;
  return rest;
};
const problemsOf = (s: Store, dataset: string): Problem[] => s.problems.listInDataset(s.datasets.requireId(dataset)).items;

beforeEach(async () => {
  tmp = tempDir('steplab-export-');
  data = join(tmp.dir, 'data');
  out = join(tmp.dir, 'out');
  mkdirSync(join(data, 'figs'), { recursive: true });
  img.a = await sharp({ create: { width: 20, height: 10, channels: 3, background: '#f00' } }).png().toBuffer();
  img.b = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#0f0' } }).jpeg().toBuffer();
  img.c = await sharp({ create: { width: 6, height: 6, channels: 4, background: '#00f8' } }).webp().toBuffer();
  writeFileSync(join(data, 'figs/a.png'), img.a);
  writeFileSync(join(data, 'figs/b.jpg'), img.b);
  const rows = [
    {
      id: 'p1',
      question: 'What is $2+3$?',
      answer: '5',
      image: 'figs/a.png',
      split: 'train',
      tags: ['arith', 'easy'],
      source: 'mm-k12',
      reference_steps: ['2+3=5'],
      difficulty: { level: 2, by: 'hand' },
    },
    { id: 7, problem: 'Area of the square?', correct_answer: 16, image_path: 'figs/a.png', split: 'test' },
    { id: 'p3', prompt: 'Which option?', gold: 'B', images: [`data:image/webp;base64,${img.c.toString('base64')}`, 'figs/b.jpg'], split: 'train' },
    { query: 'Simplify 2/4', solution_answer: '\\frac{1}{2}', answer_type: 'fraction', notes: null },
    { id: 'p5', question: 'Line one\nline two: "quoted" \\(x\\)', answer: 'x^2 + 1', prompt: 'kept in meta', split: 'train' },
  ];
  writeFileSync(join(data, 'problems.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  store = openStore('ws');
  await importInto(store, join(data, 'problems.jsonl'), 'k12');
});

afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  tmp.cleanup();
});

describe('export: problems', () => {
  it('writes the import format with images beside the file', async () => {
    const r = await exportProblems(store, { dataset: 'k12', out: join(out, 'problems.jsonl') });
    expect(r).toEqual({ written: 5, images: 3, path: join(out, 'problems.jsonl') });
    const rows = readJsonl(r.path);
    expect(rows[0]).toEqual({
      id: 'p1',
      question: 'What is $2+3$?',
      answer: '5',
      answer_type: 'number',
      images: [`images/${sha(img.a)}.png`],
      source: 'mm-k12',
      split: 'train',
      tags: ['arith', 'easy'],
      reference_steps: ['2+3=5'],
      difficulty: { level: 2, by: 'hand' },
    });
    expect(rows[1]).toEqual({ id: '7', question: 'Area of the square?', answer: '16', answer_type: 'number', images: [`images/${sha(img.a)}.png`], split: 'test' });
    expect(rows[2].images).toEqual([`images/${sha(img.c)}.webp`, `images/${sha(img.b)}.jpg`]);
    expect(rows[4]).toMatchObject({ id: 'p5', question: 'Line one\nline two: "quoted" \\(x\\)', prompt: 'kept in meta' });
    expect(readdirSync(join(out, 'images')).sort()).toEqual([`${sha(img.a)}.png`, `${sha(img.b)}.jpg`, `${sha(img.c)}.webp`].sort());
    expect(readFileSync(join(out, 'images', `${sha(img.c)}.webp`))).toEqual(img.c);
    // written through a temporary file: nothing else is left in the folder
    expect(readdirSync(out).sort()).toEqual(['images', 'problems.jsonl']);
  });

  it('round-trips: import(export(import(x))) gives the same problems', async () => {
    const first = problemsOf(store, 'k12');
    const r = await exportProblems(store, { dataset: 'k12', out: join(out, 'problems.jsonl') });
    // into a fresh workspace
    const other = openStore('ws2');
    expect(await importInto(other, r.path, 'k12')).toMatchObject({ imported: 5, images: 3, skipped: 0 });
    expect(problemsOf(other, 'k12').map(comparable)).toEqual(first.map(comparable));
    // into the same workspace: the same problems, nothing new
    expect(await importInto(store, r.path, 'again')).toMatchObject({ imported: 5, images: 0 });
    expect(store.problems.count()).toBe(5);
    expect(problemsOf(store, 'again').map(comparable)).toEqual(first.map(comparable));
    // and a second export is byte-identical
    const r2 = await exportProblems(other, { dataset: 'k12', out: join(out, 'second', 'problems.jsonl') });
    expect(readFileSync(r2.path, 'utf8')).toBe(readFileSync(r.path, 'utf8'));
  });

  it('filters by split and limit', async () => {
    const r = await exportProblems(store, { dataset: 'k12', split: 'train', limit: 2, out: join(out, 'train.jsonl') });
    expect(r).toMatchObject({ written: 2, images: 3 });
    expect(readJsonl(r.path).map((x) => x.id)).toEqual(['p1', 'p3']);
  });

  it('names a missing dataset and refuses a folder as output', async () => {
    await expect(exportProblems(store, { dataset: 'nope', out: join(out, 'x.jsonl') })).rejects.toThrow('dataset "nope" not found (have: k12)');
    mkdirSync(join(out, 'dir'), { recursive: true });
    await expect(exportProblems(store, { dataset: 'k12', out: join(out, 'dir') })).rejects.toThrow('is a folder');
  });
});

describe('export: annotations', () => {
  let ids: Record<string, number>;

  beforeEach(() => {
    const [p1, p7, p3, p4, p5] = problemsOf(store, 'k12');
    const [a1, a2, a3, a4, a5] = store.annotations.insertMany([
      { problemId: p1.id, steps: [{ text: '2 + 3 = 5.', softLabel: 0.75 }, { text: 'So the answer is 5.', softLabel: 1 }] },
      {
        problemId: p7.id,
        steps: [
          { text: 'The side is 4.', softLabel: 0.5 },
          { text: 'The area is 4 + 4 = 8.', softLabel: 0 },
          { text: 'The answer is 8.', softLabel: 0 },
        ],
      },
      { problemId: p3.id, steps: [{ text: 'It is B.', softLabel: 1 }] },
      { problemId: p4.id, steps: [{ text: '2/4 = 1/2', softLabel: 0.25 }] },
      { problemId: p5.id, steps: [{ text: 'Square x:\nx^2.', softLabel: 0.5 }, { text: 'Add 1.', softLabel: 0.125 }] },
    ]);
    ids = { a1, a2, a3, a4, a5 };
    store.annotations.edit(a3, { action: 'reject' });
    store.annotations.edit(a4, { stepIdx: 0, action: 'relabel', value: 0.9 });
    store.annotations.edit(a4, { action: 'accept' });
    // rejected, then accepted again: exported
    store.annotations.edit(a5, { action: 'reject' });
    store.annotations.edit(a5, { action: 'accept' });
  });

  const hashA = () => `images/${sha(img.a)}.png`;

  it('trl: boolean labels by default (MC > 0, a curated relabel wins); read back equal', async () => {
    const r = await exportAnnotations(store, { dataset: 'k12', format: 'trl', out: join(out, 'prm.jsonl') });
    expect(r).toMatchObject({ written: 4, images: 1 });
    const rows = readJsonl(r.path);
    expect(rows[0]).toEqual({ prompt: 'What is $2+3$?', completions: ['2 + 3 = 5.', 'So the answer is 5.'], labels: [true, true], images: [hashA()] });
    expect(rows[1].labels).toEqual([true, false, false]);
    expect(rows[2]).toEqual({ prompt: 'Simplify 2/4', completions: ['2/4 = 1/2'], labels: [true] });
    expect(existsSync(join(out, hashA()))).toBe(true);
    expect((await readAnnotations(r.path, 'trl')).map((a) => a.steps.map((s) => s.label))).toEqual([[1, 1], [1, 0, 0], [1], [1, 1]]);
    // a threshold turns low MCs bad; the curated 0.9 stays good whatever the threshold (relabel wins)
    const t = await exportAnnotations(store, { dataset: 'k12', format: 'trl', labelThreshold: 0.6, out: join(out, 't.jsonl') });
    expect(readJsonl(t.path).map((x) => x.labels)).toEqual([[true, true], [false, false, false], [true], [false, false]]);
  });

  it('trl --soft-labels: the MC floats, curated; read back equal', async () => {
    const r = await exportAnnotations(store, { dataset: 'k12', format: 'trl', softLabels: true, out: join(out, 'prm.jsonl') });
    expect(r).toMatchObject({ written: 4, images: 1 });
    const rows = readJsonl(r.path);
    expect(rows[0]).toEqual({
      prompt: 'What is $2+3$?',
      completions: ['2 + 3 = 5.', 'So the answer is 5.'],
      labels: [0.75, 1],
      images: [hashA()],
    });
    expect(rows[2]).toEqual({ prompt: 'Simplify 2/4', completions: ['2/4 = 1/2'], labels: [0.9] });
    expect(await readAnnotations(r.path, 'trl')).toEqual([
      { question: 'What is $2+3$?', steps: [{ text: '2 + 3 = 5.', label: 0.75 }, { text: 'So the answer is 5.', label: 1 }], images: [hashA()] },
      {
        question: 'Area of the square?',
        steps: [
          { text: 'The side is 4.', label: 0.5 },
          { text: 'The area is 4 + 4 = 8.', label: 0 },
          { text: 'The answer is 8.', label: 0 },
        ],
        images: [hashA()],
      },
      { question: 'Simplify 2/4', steps: [{ text: '2/4 = 1/2', label: 0.9 }] },
      { question: 'Line one\nline two: "quoted" \\(x\\)', steps: [{ text: 'Square x:\nx^2.', label: 0.5 }, { text: 'Add 1.', label: 0.125 }] },
    ]);
  });

  it('math-shepherd: step tag ки and +/- hard labels; read back equal', async () => {
    const r = await exportAnnotations(store, { dataset: 'k12', format: 'math-shepherd', out: join(out, 'shepherd.jsonl') });
    expect(r).toMatchObject({ written: 4, images: 0 });
    const rows = readJsonl(r.path);
    expect(rows[1]).toEqual({
      input: 'Area of the square? Step 1: The side is 4. ки\nStep 2: The area is 4 + 4 = 8. ки\nStep 3: The answer is 8. ки',
      label: 'Area of the square? Step 1: The side is 4. +\nStep 2: The area is 4 + 4 = 8. -\nStep 3: The answer is 8. -',
      task: 'steplab',
    });
    expect(rows[0].task).toBe('mm-k12');
    expect(await readAnnotations(r.path, 'math-shepherd')).toEqual([
      { question: 'What is $2+3$?', steps: [{ text: '2 + 3 = 5.', label: 1 }, { text: 'So the answer is 5.', label: 1 }] },
      {
        question: 'Area of the square?',
        steps: [
          { text: 'The side is 4.', label: 1 },
          { text: 'The area is 4 + 4 = 8.', label: 0 },
          { text: 'The answer is 8.', label: 0 },
        ],
      },
      { question: 'Simplify 2/4', steps: [{ text: '2/4 = 1/2', label: 1 }] },
      { question: 'Line one\nline two: "quoted" \\(x\\)', steps: [{ text: 'Square x:\nx^2.', label: 1 }, { text: 'Add 1.', label: 1 }] },
    ]);
  });

  it('math-shepherd reader reads a row as the Math-Shepherd dataset writes it', () => {
    const row = {
      input: 'Janet has 3 apples and eats one. How many are left? Step 1: 3 - 1 = 2. ки\nStep 2: The answer is: 2 ки',
      label: 'Janet has 3 apples and eats one. How many are left? Step 1: 3 - 1 = 2. +\nStep 2: The answer is: 2 +',
      task: 'GSM8K',
    };
    expect(parseMathShepherdRow(row)).toEqual({
      question: 'Janet has 3 apples and eats one. How many are left?',
      steps: [
        { text: '3 - 1 = 2.', label: 1 },
        { text: 'The answer is: 2', label: 1 },
      ],
    });
  });

  it('mmprm --per-step: one <prm> per annotation step', async () => {
    const r = await exportAnnotations(store, { dataset: 'k12', format: 'mmprm', perStep: true, out: join(out, 'mmprm.jsonl') });
    const rows = readJsonl(r.path);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toEqual({
      id: ids.a1,
      image: hashA(),
      conversations: [
        { from: 'human', value: 'Question: What is $2+3$?\nProcess: 2 + 3 = 5.<prm>\n\nSo the answer is 5.<prm>' },
        { from: 'gpt', value: [0.75, 1] },
      ],
    });
    expect(rows[2]).toEqual({
      id: ids.a4,
      conversations: [
        { from: 'human', value: 'Question: Simplify 2/4\nProcess: 2/4 = 1/2<prm>' },
        { from: 'gpt', value: [0.9] },
      ],
    });
  });

  it('prm800k: phase-2 fields, ratings from hard labels, stopping at the first error, "# Answer" at the end', async () => {
    const r = await exportAnnotations(store, { dataset: 'k12', format: 'prm800k', out: join(out, 'prm800k.jsonl') });
    const rows = readJsonl(r.path);
    expect(rows).toHaveLength(4);
    expect(Object.keys(rows[0]).sort()).toEqual(['generation', 'is_initial_screening_question', 'is_quality_control_question', 'label', 'labeler', 'question', 'timestamp']);
    expect(rows[0].question).toEqual({
      problem: 'What is $2+3$?',
      ground_truth_solution: null,
      ground_truth_answer: '5',
      pre_generated_steps: ['2 + 3 = 5.', 'So the answer is 5.\n\n# Answer\n\n5'],
      pre_generated_answer: '5',
      pre_generated_verifier_score: null,
    });
    expect(rows[0].label).toEqual({
      steps: [
        { completions: [{ text: '2 + 3 = 5.', rating: 1, flagged: null }], human_completion: null, chosen_completion: 0 },
        { completions: [{ text: 'So the answer is 5.\n\n# Answer\n\n5', rating: 1, flagged: null }], human_completion: null, chosen_completion: 0 },
      ],
      // not from a search: no labelling time known
      total_time: null,
      finish_reason: 'solution',
    });
    // a last line that only states the answer becomes the "# Answer" block
    expect(rows[1].question.pre_generated_steps).toEqual(['The side is 4.', 'The area is 4 + 4 = 8.', '# Answer\n\n8']);
    expect(rows[1].question.pre_generated_answer).toBe('8');
    expect(rows[1].label).toEqual({
      steps: [
        { completions: [{ text: 'The side is 4.', rating: 1, flagged: null }], human_completion: null, chosen_completion: 0 },
        { completions: [{ text: 'The area is 4 + 4 = 8.', rating: -1, flagged: null }], human_completion: null, chosen_completion: null },
      ],
      total_time: null,
      finish_reason: 'found_error',
    });
    // no bad step and no final answer: labelling stopped before a solution
    expect(rows[3].label.finish_reason).toBe('give_up');
    expect(rows[3].question.pre_generated_answer).toBeNull();
  });

  it('leaves out rejected annotations in every format, and limits after leaving them out', async () => {
    for (const format of ['trl', 'mmprm', 'math-shepherd', 'prm800k', 'openrlhf', 'processbench'] as const) {
      const r = await exportAnnotations(store, { dataset: 'k12', format, perStep: true, out: join(out, `${format}.jsonl`) });
      expect(r.written).toBe(4);
      expect(readFileSync(r.path, 'utf8')).not.toContain('Which option?');
    }
    const three = await exportAnnotations(store, { dataset: 'k12', format: 'trl', limit: 3, out: join(out, 'three.jsonl') });
    expect(readJsonl(three.path).map((x) => x.prompt)).toEqual(['What is $2+3$?', 'Area of the square?', 'Simplify 2/4']);
    const test = await exportAnnotations(store, { dataset: 'k12', format: 'trl', split: 'test', out: join(out, 'test.jsonl') });
    expect(readJsonl(test.path).map((x) => x.prompt)).toEqual(['Area of the square?']);
  });

  it('refuses a step that contains the Math-Shepherd tag, leaving no file', async () => {
    const p1 = problemsOf(store, 'k12')[0];
    const [bad] = store.annotations.insertMany([{ problemId: p1.id, steps: [{ text: 'odd ки step', softLabel: 1 }] }]);
    const path = join(out, 'bad.jsonl');
    await expect(exportAnnotations(store, { dataset: 'k12', format: 'math-shepherd', out: path })).rejects.toThrow(
      `annotation ${bad}, step 1: contains the Math-Shepherd step tag "ки"`,
    );
    expect(existsSync(path)).toBe(false);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });
});
