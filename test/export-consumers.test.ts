// Each export read by a small TypeScript re-implementation of its consumer's reading logic, written here
// from the consumer's own code (named per reader; read with the project's fetch tool, not copied), on a
// workspace with real search trees (multi-step nodes, a one-image, a two-image and a text-only problem),
// curation edits and a question holding Math-Shepherd's tag. Every test asserts that the consumer
// accepts every row AND reads the labels the researcher meant (curated, else MC > threshold).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportAnnotations, type ExportAnnotationsOptions } from '../src-main/core/data/exportAnnotations';
import { exportProblems } from '../src-main/core/data/exportProblems';
import { importJob } from '../src-main/core/data/importProblems';
import { storeSearch } from '../src-main/core/jobs/kinds/search';
import type { SearchNode } from '../src-main/core/search/types';
import { Store } from '../src-main/core/store';
import type { Problem } from '../src-shared/domain';
import { internvlReads, mmprmReference, openrlhfReads, type OmegaNode, processbenchPredict, prm800kSchemaOk, pyInt, trlPrm800kReads, trlReads, trlShepherdReads } from './helpers/consumers';
import { runJob } from './helpers/runJob';
import { tempDir } from './helpers/tmp';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const readJsonl = (p: string): Record<string, any>[] => readFileSync(p, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

// ---------------------------------------------------------------------------------------------------
// The workspace: three problems with search trees, as searchJob stores them.

let tmp: { dir: string; cleanup(): void };
let store: Store;
let out: string;
let img: Record<string, Buffer>;
let problems: Record<string, Problem>;
const nodes: Record<string, SearchNode[]> = {};

const node = (id: number, parentId: number | null, steps: string[], mc: number | null, terminal = false): SearchNode => ({
  id,
  parentId,
  steps,
  depth: 0,
  visits: 1,
  rollouts: terminal ? 0 : 4,
  correct: 0,
  mc,
  q: null,
  firstError: false,
  terminal,
});

// one image; multi-step nodes; a duplicate negative, a too-short negative, 2 negatives > 1 positive
nodes.one = [
  node(0, null, [], 0.5),
  node(1, 0, ['The square has side 4 because the grid shows four units.', 'Its area is side times side.'], 0.5),
  node(2, 1, ['So the area is 4 * 4 = 16 square units in total.', 'Answer: 16'], 1, true),
  node(3, 1, ['So the area is 4 + 4 = 8 square units in total here.'], 0),
  node(4, 0, ['The square has side 5 since I count five units across.'], 0),
  node(5, 0, ['The square has side 5 since I count five units across.'], 0),
  node(6, 0, ['No.'], 0),
];
// two images; 1 negative < 3 positives: the positives are down-sampled to one
nodes.two = [
  node(0, null, [], 0.25),
  node(1, 0, ['First I read both figures and note the left one has three dots.'], 0.5),
  node(2, 1, ['Then the right one has three dots as well, so they match.', 'Answer: 3'], 1, true),
  node(3, 1, ['Then the right one has four dots which makes them differ.'], 0),
  node(4, 0, ['Counting every dot in both figures together gives six, three each.', 'Answer: 3'], 1, true),
  node(5, 0, ['The figures look equal at first sight so the count is three each.', 'Answer: 3'], 1, true),
];
// no image; root MC 1: MM-PRM skips the tree, the other formats still export its paths
nodes.plain = [node(0, null, [], 1), node(1, 0, ['Six times seven is forty-two as the table shows us today.', 'Answer: 42'], 1, true)];

const searchIds: Record<string, number> = {};

beforeEach(async () => {
  tmp = tempDir('steplab-consumers-');
  out = join(tmp.dir, 'out');
  const data = join(tmp.dir, 'data');
  mkdirSync(data, { recursive: true });
  img = {
    a: await sharp({ create: { width: 20, height: 10, channels: 3, background: '#f00' } }).png().toBuffer(),
    b: await sharp({ create: { width: 16, height: 16, channels: 3, background: '#0f0' } }).png().toBuffer(),
  };
  writeFileSync(join(data, 'a.png'), img.a);
  writeFileSync(join(data, 'b.png'), img.b);
  const rows = [
    { id: 'one', question: 'What is the area of the shaded square?', answer: '16', image: 'a.png', source: 'mm-k12' },
    { id: 'two', question: 'How many dots does each figure have?', answer: '3', images: ['a.png', 'b.png'] },
    { id: 'plain', question: 'Compute 6 * 7.', answer: '42' },
    { id: 'tag', question: 'Что значит ки?', answer: '1' },
  ];
  writeFileSync(join(data, 'p.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  store = Store.open(join(tmp.dir, 'ws'), { create: true });
  await runJob(store, importJob, { path: join(data, 'p.jsonl'), dataset: 'd', skipBad: false });
  problems = Object.fromEntries(store.problems.listInDataset(store.datasets.requireId('d')).items.map((p) => [p.extId, p]));
  for (const name of ['one', 'two', 'plain'] as const) {
    searchIds[name] = storeSearch(store, {
      problemId: problems[name].id,
      modelId: null,
      algorithm: 'omega',
      config: {},
      seed: 1,
      jobId: null,
      result: { nodes: nodes[name], events: [], stats: { policyCalls: 0, rollouts: 0, tokens: 0, selections: 0, nodes: nodes[name].length, stop: 'done' } },
      delimiter: '\n\n',
      setName: 'omega',
      // the plain tree's root MC is 1: MM-PRM's rule extracts nothing from it, every path does
      annotationMode: name === 'plain' ? 'all-paths' : 'mmprm',
      k: 4,
      model: 'tiny-policy',
    }).searchId;
  }
});

afterEach(() => {
  store.close();
  tmp.cleanup();
});

const run = (format: ExportAnnotationsOptions['format'], opts: Partial<ExportAnnotationsOptions> = {}) =>
  exportAnnotations(store, { dataset: 'd', setName: 'omega', format, out: join(out, `${format}.jsonl`), ...opts });

/** The annotation of a problem whose first step starts with `start`. */
function annotationOf(problem: string, start: string) {
  const a = store.annotations.forDataset(store.datasets.requireId('d'), { setName: 'omega' }).find((x) => x.problemId === problems[problem].id && x.steps[0].text.startsWith(start));
  if (!a) throw new Error(`no annotation of ${problem} starting "${start}"`);
  return a;
}

/** The omegaprm.py JSON of a stored search tree, image_path as the export names the problem's images. */
function omegaTree(name: string, imagePath: unknown): OmegaNode {
  const list = nodes[name];
  const build = (n: SearchNode): OmegaNode => ({ partial_solution: n.steps, mc_value: n.mc!, children: list.filter((c) => c.parentId === n.id).map(build) });
  const root = list.find((n) => n.parentId === null)!;
  return { question: problems[name].question, answer: problems[name].answer, image_path: imagePath, mc_value: root.mc!, children: list.filter((c) => c.parentId === root.id).map(build) };
}

const hashA = () => `images/${sha(img.a)}.png`;
const hashB = () => `images/${sha(img.b)}.png`;

describe('mmprm: what MM-PRM traverse.py + prm_data_format.py write from the same trees, read by InternVL', () => {
  it('equal as parsed JSON (one <prm> per node, node MC, ≤ 10 words and duplicates dropped); <image> once per image for two', async () => {
    const r = await run('mmprm');
    const rows = readJsonl(r.path);
    // one: 2 negatives (a duplicate and a 1-word path dropped) + 1 positive; two: 1 negative + 1 of 3 positives; plain: root MC 1, skipped
    expect(r).toMatchObject({ written: 5, images: 2 });
    for (const row of rows) internvlReads(row);
    // the single-image tree: exactly upstream's rows (positives fewer than negatives: no random draw)
    const ref = mmprmReference([omegaTree('one', hashA())], () => {
      throw new Error('no down-sampling expected');
    });
    expect(rows.slice(0, 3)).toEqual(ref);
    expect(rows[0].conversations[0].value).toBe(
      'Question: What is the area of the shaded square?\nProcess: The square has side 4 because the grid shows four units.\n\nIts area is side times side.<prm>\n\nSo the area is 4 + 4 = 8 square units in total here.<prm>',
    );
    expect(rows[0].conversations[1].value).toEqual([0.5, 0]);
    // the two-image tree: upstream's rows but for the placeholders it leaves to the loader (that rejects a list without them)
    const two = rows.slice(3).map((row) => ({ ...row, id: row.id - 3, conversations: [{ ...row.conversations[0], value: row.conversations[0].value.replace(/^(<image>\n){2}/, '') }, row.conversations[1]] }));
    expect(rows[3].conversations[0].value.startsWith('<image>\n<image>\nQuestion: ')).toBe(true);
    expect(rows[3].image).toEqual([hashA(), hashB()]);
    const refTwo = mmprmReference([omegaTree('two', [hashA(), hashB()])], (pos, n) => pos.filter((p) => two.some((t) => t.conversations[0].value.endsWith(p.process))).slice(0, n));
    expect(two).toEqual(refTwo);
    expect(() => internvlReads({ ...refTwo[0] })).toThrow('0 <image> for 2 images');
  });

  it('down-sampling is seeded: the same seed, the same rows; the count as upstream', async () => {
    const a = readJsonl((await run('mmprm', { seed: 7, out: join(out, 'a.jsonl') })).path);
    const b = readJsonl((await run('mmprm', { seed: 7, out: join(out, 'b.jsonl') })).path);
    expect(a).toEqual(b);
    const chosen = new Set<string>();
    for (let seed = 0; seed < 12; seed++) chosen.add(readJsonl((await run('mmprm', { seed, out: join(out, `s${seed}.jsonl`) })).path)[4].conversations[0].value);
    // every seed keeps one positive of the three, and the seeds do not all keep the same one
    expect(chosen.size).toBeGreaterThan(1);
  });

  it('--min-words and --per-step', async () => {
    const all = readJsonl((await run('mmprm', { minWords: 0, out: join(out, 'm0.jsonl') })).path);
    expect(all.some((r) => r.conversations[0].value.endsWith('No.<prm>'))).toBe(true);
    const per = readJsonl((await run('mmprm', { perStep: true, out: join(out, 'per.jsonl') })).path);
    for (const row of per) expect(internvlReads(row)).toHaveLength(row.conversations[0].value.split('<prm>').length - 1);
    const multi = per.find((r) => Array.isArray(r.image))!;
    expect(multi.conversations[0].value.startsWith('<image>\n<image>\nQuestion: ')).toBe(true);
  });

  it('curated: a rejected path is left out; a relabelled step sets its node to the lowest label', async () => {
    store.annotations.edit(annotationOf('one', 'The square has side 5').id, { action: 'reject' });
    const pathToAnswer = store.annotations.forSearch(searchIds.one).find((x) => x.steps.length === 4)!;
    store.annotations.edit(pathToAnswer.id, { stepIdx: 1, action: 'relabel', value: 0.2 });
    const rows = readJsonl((await run('mmprm')).path);
    for (const row of rows) internvlReads(row);
    const one = rows.filter((r) => r.image === hashA());
    // 1 negative left, so upstream's rule keeps 1 positive
    expect(one.map((r) => r.conversations[1].value)).toEqual([
      [0.5, 0],
      [0.2, 1],
    ]);
    expect(one.some((r) => r.conversations[0].value.includes('side 5'))).toBe(false);
    const orig = readJsonl((await run('mmprm', { labels: 'original', out: join(out, 'o.jsonl') })).path);
    expect(orig.filter((r) => r.image === hashA()).map((r) => r.conversations[1].value)).toEqual([
      [0.5, 0],
      [0.5, 1],
    ]);
  });

  it('refuses a step holding <prm> in one line, writing nothing', async () => {
    const a = store.annotations.forSearch(searchIds.one)[0];
    store.annotations.edit(a.id, { stepIdx: 0, action: 'text', text: 'odd <prm> step with enough words to pass the filter here' });
    await expect(run('mmprm', { perStep: true })).rejects.toThrow(`annotation ${a.id} (problem "one"), step 1: contains "<prm>"`);
    expect(existsSync(out)).toBe(false);
  });
});

describe('trl: PRMTrainer.tokenize_row reads the labels meant', () => {
  it('booleans by default; int(label) equals the curated or MC > 0 label for every step', async () => {
    const a = annotationOf('one', 'The square has side 4');
    store.annotations.edit(a.id, { stepIdx: 0, action: 'relabel', value: 0 });
    const r = await run('trl');
    const rows = readJsonl(r.path);
    const anns = store.annotations.forDataset(store.datasets.requireId('d'), { setName: 'omega' });
    expect(rows).toHaveLength(anns.length);
    rows.forEach((row, i) => expect(trlReads(row)).toEqual(anns[i].steps.map((s) => (s.edited ? s.hardLabel : s.softLabel > 0 ? 1 : 0))));
    expect(rows.find((x) => x.images?.length === 2)!.images).toEqual([hashA(), hashB()]);
    // the curated 0 wins over MC 0.5
    expect(trlReads(rows[anns.findIndex((x) => x.id === a.id)])[0]).toBe(0);
  });

  it('--soft-labels writes the MCs, which int() would misread: why they are not the default', async () => {
    const rows = readJsonl((await run('trl', { softLabels: true })).path);
    const soft = rows.flatMap((r) => r.labels as number[]);
    const goodButCastBad = soft.filter((l) => l > 0 && pyInt(l) === 0).length;
    expect(goodButCastBad).toBeGreaterThan(0);
  });

  it('--label-threshold: MC > x', async () => {
    const rows = readJsonl((await run('trl', { labelThreshold: 0.5 })).path);
    const anns = store.annotations.forDataset(store.datasets.requireId('d'), { setName: 'omega' });
    rows.forEach((row, i) => expect(trlReads(row)).toEqual(anns[i].steps.map((s) => (s.softLabel > 0.5 ? 1 : 0))));
  });
});

describe("math-shepherd: TRL's math_shepherd converter", () => {
  it('keeps every row with its task column and reads the meant labels and steps', async () => {
    const r = await run('math-shepherd');
    const rows = readJsonl(r.path);
    const anns = store.annotations.forDataset(store.datasets.requireId('d'), { setName: 'omega' });
    rows.forEach((row, i) => {
      const read = trlShepherdReads(row);
      expect(read.prompt).toBe(store.problems.get(anns[i].problemId).question);
      expect(read.labels.map(Number)).toEqual(anns[i].steps.map((s) => (s.softLabel > 0 ? 1 : 0)));
      expect(read.completions).toEqual(anns[i].steps.map((s, k) => `Step ${k + 1}: ${s.text}`));
    });
    expect(rows[0].task).toBe('mm-k12');
    const { task: _task, ...noTask } = rows[0];
    expect(() => trlShepherdReads(noTask)).toThrow('column "task" missing');
  });

  it('refuses a question holding ки, or one the converter would misread, in one line; nothing written', async () => {
    store.annotations.insertMany([{ problemId: problems.tag.id, setName: 'omega', steps: [{ text: 'It is a step tag.', softLabel: 1 }] }]);
    const path = join(out, 'math-shepherd.jsonl');
    await expect(run('math-shepherd')).rejects.toThrow(/^annotation \d+ \(problem "tag"\), question: contains "ки", which Math-Shepherd readers take for a step tag; remove it/);
    expect(existsSync(path)).toBe(false);
    // with that path rejected, a question starting as one of the converter's known-bad prompts is refused too
    const [tagged] = store.annotations.forDataset(store.datasets.requireId('d'), { setName: 'omega' }).filter((x) => x.problemId === problems.tag.id);
    store.annotations.edit(tagged.id, { action: 'reject' });
    store.db.prepare('UPDATE problems SET question = ? WHERE id = ?').run('Parker has 6 bags of 7 apples. How many apples?', problems.plain.id);
    await expect(run('math-shepherd')).rejects.toThrow(/\(problem "plain"\), question: starts with "Parker", which TRL's math_shepherd converter treats as a known upstream error/);
    expect(existsSync(path)).toBe(false);
  });
});

describe("prm800k: the README's schema and TRL's prm800k converter", () => {
  it('phase-2 fields, "# Answer", and the converter reads the meant labels up to the first error', async () => {
    const rows = readJsonl((await run('prm800k')).path);
    const anns = store.annotations.forDataset(store.datasets.requireId('d'), { setName: 'omega' });
    rows.forEach((row, i) => {
      prm800kSchemaOk(row);
      const labels = anns[i].steps.map((s) => s.softLabel > 0);
      const bad = labels.indexOf(false);
      const trl = trlPrm800kReads(row);
      if (bad < 0) {
        expect(trl).toEqual([{ completions: row.question.pre_generated_steps, labels }]);
        expect(row.label.finish_reason).toBe('solution');
      } else {
        expect(trl.map((t) => t.labels)).toEqual([labels.slice(0, bad + 1), labels.slice(0, bad)]);
      }
    });
    const solved = rows.find((r) => r.question.problem === problems.plain.question)!;
    expect(solved.question.pre_generated_steps.at(-1)).toBe('# Answer\n\n42');
    expect(solved.question.pre_generated_answer).toBe('42');
    const { labeler: _l, ...missing } = rows[0];
    expect(() => trlPrm800kReads({ ...missing, labeler: 'x', steplab: {} })).toThrow('steplab');
  });
});

describe('openrlhf: ProcessRewardDataset', () => {
  it('one placeholder per step, a reward token (or a float) per step as meant', async () => {
    const anns = store.annotations.forDataset(store.datasets.requireId('d'), { setName: 'omega' });
    const hard = readJsonl((await run('openrlhf')).path);
    hard.forEach((row, i) => expect(openrlhfReads(row, 'ки', ['+', '-'])).toEqual(anns[i].steps.map((s) => (s.softLabel > 0 ? '+' : '-'))));
    const soft = readJsonl((await run('openrlhf', { softLabels: true, placeholderToken: '<step>', rewardTokens: ['Yes', 'No'], out: join(out, 's.jsonl') })).path);
    soft.forEach((row, i) => expect(openrlhfReads(row, '<step>', ['Yes', 'No'])).toEqual(anns[i].steps.map((s) => s.softLabel)));
    expect(hard[0].input.startsWith(`${problems.one.question}\n`)).toBe(true);
  });

  it('refuses a placeholder found in a question (the count would shift the labels)', async () => {
    store.annotations.insertMany([{ problemId: problems.tag.id, setName: 'omega', steps: [{ text: 'A step.', softLabel: 1 }] }]);
    await expect(run('openrlhf')).rejects.toThrow(/^annotation \d+ \(problem "tag"\), question: contains the placeholder token "ки"; choose another --placeholder-token/);
    expect((await run('openrlhf', { placeholderToken: '<step>' })).written).toBeGreaterThan(0);
    await expect(run('openrlhf', { rewardTokens: ['+', '+'] })).rejects.toThrow('--reward-tokens must be two different tokens');
  });
});

describe('processbench: run_eval_prm_rlhflow', () => {
  it('label = first bad step or -1; an oracle PRM scores F1 100', async () => {
    const a = annotationOf('two', 'First I read');
    store.annotations.edit(a.id, { stepIdx: 0, action: 'relabel', value: 0 });
    const rows = readJsonl((await run('processbench')).path);
    const anns = store.annotations.forDataset(store.datasets.requireId('d'), { setName: 'omega' });
    const match = rows.map((row, i) => {
      expect(Object.keys(row).sort()).toEqual(['final_answer_correct', 'generator', 'id', 'label', 'problem', 'steps']);
      const good = anns[i].steps.map((s) => (s.edited ? s.hardLabel === 1 : s.softLabel > 0));
      expect(row.label).toBe(good.indexOf(false));
      return { label: row.label, match: processbenchPredict(row, (k) => good[k]) === row.label };
    });
    const acc = (l: typeof match) => (100 * l.filter((m) => m.match).length) / l.length;
    expect(acc(match.filter((m) => m.label !== -1))).toBe(100);
    expect(acc(match.filter((m) => m.label === -1))).toBe(100);
    const curated = rows.find((r) => r.id === `omega-${a.id}`)!;
    expect(curated.label).toBe(0);
    const plain = rows.find((r) => r.problem === problems.plain.question)!;
    expect(plain).toMatchObject({ generator: 'tiny-policy', final_answer_correct: true, label: -1 });
  });
});

describe("mmprm-seed: MM-PRM's run_data_pipeline.py input", () => {
  it('a JSON array of {id, question, correct_answer, image_path} with absolute image paths; two images refused', async () => {
    const path = join(out, 'seed.json');
    await expect(exportProblems(store, { dataset: 'd', format: 'mmprm-seed', out: path })).rejects.toThrow(
      `problem "two": has 2 images and MM-PRM's seed holds one image_path per question`,
    );
    expect(existsSync(out)).toBe(false);
    store.db.prepare('DELETE FROM dataset_problems WHERE problem_id = ?').run(problems.two.id);
    const r = await exportProblems(store, { dataset: 'd', format: 'mmprm-seed', out: path });
    expect(r).toMatchObject({ written: 3, images: 1 });
    // run_data_pipeline.py: json.load, then question['question'], ['image_path'], ['correct_answer'], ['id'];
    // llm_utils.py opens 'file://' + image_path when it is set
    const seed = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>[];
    for (const q of seed) {
      expect(Object.keys(q)).toEqual(['id', 'question', 'correct_answer', 'image_path']);
      if (q.image_path) {
        expect(isAbsolute(q.image_path as string)).toBe(true);
        expect(readFileSync(q.image_path as string)).toEqual(img.a);
      }
    }
    expect(seed[0]).toEqual({ id: 'one', question: problems.one.question, correct_answer: '16', image_path: join(out, hashA()) });
    expect(seed.find((q) => q.id === 'plain')!.image_path).toBeNull();
    expect(readdirSync(out).sort()).toEqual(['images', 'seed.json']);
  });
});
