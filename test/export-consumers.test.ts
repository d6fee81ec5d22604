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
import { storeSearch } from '../src-main/core/search/searchJob';
import type { SearchNode } from '../src-main/core/search/types';
import { Store } from '../src-main/core/store';
import type { Problem } from '../src-shared/domain';
import { runJob } from './helpers/runJob';
import { tempDir } from './helpers/tmp';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const readJsonl = (p: string): Record<string, any>[] => readFileSync(p, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

// ---------------------------------------------------------------------------------------------------
// The consumers, re-implemented.

/** Python's int() on a JSON label: bools to 0/1, floats truncated toward zero. */
const pyInt = (v: unknown): number => (typeof v === 'boolean' ? (v ? 1 : 0) : Math.trunc(v as number));

/**
 * TRL PRMTrainer.tokenize_row (trl/experimental/prm/prm_trainer.py @ f2cd577), label handling only:
 * labels = [int(label) for label in labels]; completions and labels zipped with strict=True. Returns the
 * per-step labels the trainer trains on.
 */
function trlReads(row: Record<string, any>): number[] {
  if (typeof row.prompt !== 'string') throw new Error('prompt is not a string');
  if (!Array.isArray(row.completions) || !row.completions.every((c: unknown) => typeof c === 'string')) throw new Error('completions are not strings');
  if (!Array.isArray(row.labels) || row.labels.length !== row.completions.length) throw new Error('zip(strict=True): lengths differ');
  return row.labels.map(pyInt);
}

/**
 * TRL examples/datasets/math_shepherd.py process_example + its map(remove_columns=["input", "label", "task"])
 * (@ f2cd577): "ки" swapped for "ⶻ", labels read at those indexes in `label`, the text split there, the
 * first step taken out of the prompt by splitting on "Step 1:" into exactly two parts, a list of
 * known-bad prompts losing their first label, and the lengths asserted equal.
 */
const TRL_QUIRKS = ['Mr. Rocky', 'Parker', 'What is the smallest positive', ' The Myth', 'Let $\\mathbf{a}$', 'Find the arithmetic', 'Determine an ordered pair', 'Determine the ordered pair', 'At the Quill and Scroll stationery', 'Round to the nearest', 'Calculate $\\sqrt{10p}', 'Simplify $\\sqrt{28x}'];
function trlShepherdReads(row: Record<string, any>): { prompt: string; completions: string[]; labels: boolean[] } {
  for (const col of ['input', 'label', 'task']) if (!(col in row)) throw new Error(`remove_columns: column "${col}" missing`);
  const inputs = (row.input as string).replaceAll('ки', 'ⶻ');
  const idx = [...inputs.matchAll(/ⶻ/g)].map((m) => m.index!);
  if (!idx.every((i) => row.label[i] === '+' || row.label[i] === '-')) throw new Error('a tag index is not + or -');
  let labels = idx.map((i) => row.label[i] === '+');
  const bounds = [0, ...idx];
  const parts = bounds.map((b, k) => inputs.slice(b, k + 1 < bounds.length ? bounds[k + 1] : undefined)).slice(0, -1);
  let prompt = parts[0];
  let completions = parts.slice(1);
  if (!completions.every((c) => c.startsWith('ⶻ'))) throw new Error('completion without its tag');
  completions = completions.map((c) => c.slice(1).trim());
  if (TRL_QUIRKS.some((q) => prompt.startsWith(q))) labels = labels.slice(1);
  else if (prompt.includes('Step 1:')) {
    const split = prompt.split('Step 1:');
    if (split.length !== 2) throw new Error('ValueError: too many values to unpack');
    prompt = split[0];
    completions = [('Step 1:' + split[1]).trim(), ...completions];
  } else throw new Error("Prompt can't be processed");
  if (completions.length !== labels.length) throw new Error('len(completions) != len(labels)');
  return { prompt: prompt.trim(), completions, labels };
}

/**
 * TRL examples/datasets/prm800k.py process_example + its batched map removing exactly the seven PRM800K
 * columns (@ f2cd577): a batched map that changes the row count fails when any other column is left.
 * One row per non-chosen completion (prefix + it), then the chosen trajectory.
 */
const PRM800K_COLUMNS = ['labeler', 'timestamp', 'generation', 'is_quality_control_question', 'is_initial_screening_question', 'question', 'label'];
function trlPrm800kReads(row: Record<string, any>): { completions: string[]; labels: boolean[] }[] {
  const extra = Object.keys(row).filter((k) => !PRM800K_COLUMNS.includes(k));
  if (extra.length) throw new Error(`column(s) ${extra.join(', ')} left after remove_columns: row count changes, datasets fails`);
  const out: { completions: string[]; labels: boolean[] }[] = [];
  const prev: string[] = [];
  const prevLabels: boolean[] = [];
  for (const step of row.label.steps) {
    if (step.completions === null && step.human_completion === null && step.chosen_completion === null) break;
    step.completions.forEach((c: { text: string; rating: number }, i: number) => {
      if (i !== step.chosen_completion) out.push({ completions: [...prev, c.text], labels: [...prevLabels, c.rating === 1] });
    });
    let chosen: { text: string; rating?: number };
    let label: boolean;
    if (step.chosen_completion !== null) [chosen, label] = [step.completions[step.chosen_completion], step.completions[step.chosen_completion].rating === 1];
    else if (step.human_completion !== null) [chosen, label] = [step.human_completion, true];
    else break;
    prev.push(chosen.text);
    prevLabels.push(label);
  }
  out.push({ completions: prev, labels: prevLabels });
  return out;
}

/** openai/prm800k README.md @ 7ecc794: the labelled-solution schema. */
function prm800kSchemaOk(row: Record<string, any>): void {
  const q = row.question;
  for (const k of ['problem', 'ground_truth_solution', 'ground_truth_answer', 'pre_generated_steps', 'pre_generated_answer', 'pre_generated_verifier_score']) if (!(k in q)) throw new Error(`question.${k} missing`);
  if (!['found_error', 'solution', 'bad_problem', 'give_up'].includes(row.label.finish_reason)) throw new Error('finish_reason');
  if (!('total_time' in row.label)) throw new Error('label.total_time missing');
  for (const s of row.label.steps) for (const c of s.completions) if (![-1, 0, 1].includes(c.rating)) throw new Error('rating');
  // the trajectory as the README reconstructs it, up to a null chosen_completion
  const last = row.label.steps[row.label.steps.length - 1];
  if (row.label.finish_reason === 'found_error' && last.chosen_completion !== null) throw new Error('found_error without a null chosen_completion');
  if (row.label.finish_reason === 'solution' && !/\n\n# Answer\n\n|^# Answer\n\n/.test(q.pre_generated_steps.at(-1))) throw new Error('solution without "# Answer"');
}

/**
 * MM-PRM's InternVL loader (internvl/train/internvl_chat_finetune.py __getitem__, multi_modal_get_item,
 * multi_modal_multi_image_get_item; internvl/train/dataset.py preprocess_internvl2_5 @ b914fd6): a string
 * image gets "<image>\n" prepended when its text has none; a list needs one placeholder per image (the
 * meaning check asks for exactly as many); targets at the <prm> tokens are set from the label list, which
 * needs as many labels as tags. Returns the label read at each tag.
 */
function internvlReads(row: Record<string, any>): number[] {
  const human = { ...row.conversations[0] };
  const gpt = row.conversations[1];
  if (human.from !== 'human' || gpt.from !== 'gpt') throw new Error('conversation roles');
  const images = row.image === undefined || row.image.length === 0 ? 0 : Array.isArray(row.image) ? row.image.length : 1;
  if (images > 0 && !Array.isArray(row.image) && !human.value.includes('<image>')) human.value = '<image>\n' + human.value;
  const placeholders = human.value.split('<image>').length - 1;
  if (placeholders !== images) throw new Error(`${placeholders} <image> for ${images} images`);
  const tags = human.value.split('<prm>').length - 1;
  if (!Array.isArray(gpt.value) || gpt.value.length !== tags) throw new Error(`${tags} <prm> for ${gpt.value.length} labels`);
  return gpt.value;
}

/** An MM-PRM tree as data_pipeline/omegaprm.py writes it. */
interface OmegaNode {
  partial_solution?: string[];
  mc_value: number;
  children: OmegaNode[];
  question?: string;
  answer?: string;
  image_path?: unknown;
}

/**
 * MM-PRM data_pipeline/traverse.py traverse() and its main loop's root filter, then prm_data_format.py's
 * row (@ b914fd6). `sample` stands for random.sample(positive, n).
 */
function mmprmReference(roots: OmegaNode[], sample: (positive: Record<string, any>[], n: number) => Record<string, any>[]): Record<string, any>[] {
  const items: Record<string, any>[] = [];
  for (const root of roots) {
    if (root.mc_value === 0 || root.mc_value === 1) continue;
    const positive: Record<string, any>[] = [];
    const negative: Record<string, any>[] = [];
    const tooShort = (s: string): boolean => s.split(' ').length <= 10;
    const dfs = (node: OmegaNode, prefix: string, labels: number[]): void => {
      prefix = prefix + node.partial_solution!.map((s) => s.trim()).join('\n\n') + '<prm>' + '\n\n';
      labels = [...labels, node.mc_value];
      const item = { question: root.question, answer: root.answer, image_path: root.image_path, process: prefix.trim(), labels };
      if (node.mc_value <= 0) {
        if (!tooShort(prefix)) negative.push(item);
        return;
      }
      if (node.children.length) for (const c of node.children) dfs(c, prefix, labels);
      else if (!tooShort(prefix)) positive.push(item);
    };
    for (const c of root.children) dfs(c, '', []);
    const dedupe = (l: Record<string, any>[]) => [...new Map(l.map((x) => [x.process, x])).entries()].map(([, x]) => l.find((y) => y.process === x.process)!);
    const neg = dedupe(negative);
    const pos = dedupe(positive);
    items.push(...neg, ...(pos.length < neg.length ? pos : sample(pos, neg.length)));
  }
  return items.map((it, idx) => ({ id: idx, image: it.image_path, conversations: [{ from: 'human', value: `Question: ${it.question}\nProcess: ${it.process}` }, { from: 'gpt', value: it.labels }] }));
}

/**
 * OpenRLHF ProcessRewardDataset.__getitem__ (openrlhf/datasets/process_reward_dataset.py at 04898500, the
 * last commit before PRM training was removed) with train_prm's defaults --input_key input --label_key
 * label: string labels must be reward tokens, float labels need two reward tokens (PRMLoss); labels are
 * put at the placeholder positions, label[:placeholders], which needs one label per placeholder.
 */
function openrlhfReads(row: Record<string, any>, placeholder: string, rewardTokens: string[]): (string | number)[] {
  const input = row.input;
  const labels = row.label;
  if (typeof input !== 'string') throw new Error('input_key "input" missing');
  if (!Array.isArray(labels)) throw new Error('labels should be a list of strings or numbers');
  if (typeof labels[0] === 'string') {
    for (const l of labels) if (!rewardTokens.includes(l)) throw new Error(`label should be in reward tokens, got ${l}`);
  } else if (rewardTokens.length !== 2) throw new Error('reward_token_ids should have 2 tokens for soft labels');
  const placeholders = input.split(placeholder).length - 1;
  if (labels.length !== placeholders) throw new Error(`${placeholders} placeholders for ${labels.length} labels`);
  return labels.slice(0, placeholders);
}

/**
 * QwenLM/ProcessBench code/run_eval_prm_rlhflow.py single_process (@ e802463): the first step the PRM does
 * not accept, else -1; here the PRM is an oracle that accepts exactly the steps meant to be good.
 */
function processbenchPredict(row: Record<string, any>, accepts: (step: number) => boolean): number {
  for (let i = 0; i < row.steps.length; i++) if (!accepts(i)) return i;
  return -1;
}

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

// what the researcher means by each exported path: the step labels, curated else MC > 0
const meant = (problem: string, start: string) => annotationOf(problem, start).steps.map((s) => (s.edited ? s.hardLabel : s.softLabel > 0 ? 1 : 0));

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
    const good = annotationOf('one', 'The square has side 4');
    const pathToAnswer = store.annotations.forSearch(searchIds.one).find((x) => x.steps.length === 4)!;
    store.annotations.edit(pathToAnswer.id, { stepIdx: 1, action: 'relabel', value: 0.2 });
    expect(good).toBeDefined();
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
