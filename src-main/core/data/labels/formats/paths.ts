// Label sets of paths, one labelled step sequence per record, without a tree: each path becomes a
// solution (origin "import") and its annotation.
//
//  math-shepherd  peiyi9979/Math-Shepherd rows {input, label, task}: the question, then " Step i: ... ки"
//                 per step joined by "\n"; `label` the same text with "+" / "-" at each tag (read as
//                 1 / 0). No answer and no image in the rows.
//  trl            TRL stepwise supervision {prompt, completions, labels} (docs/source/dataset_formats.md,
//                 trl @ f2cd577), JSONL or Hugging Face Parquet; labels booleans (1 / 0) or floats in
//                 [0, 1]; an optional `images` column (paths, or Parquet image structs {bytes, path}).
//  mmprm-paths    MM-PRM traverse.py output {question, answer, image_path, process, labels}: process the
//                 nodes' steps joined by "\n\n" with "<prm>" after each node, labels the nodes' MC: one
//                 annotation step per "<prm>" (a node's several steps stay one step, as MM-PRM trains one
//                 score for the prefix that ends there).
//  mmprm          MM-PRM's training rows (prm_data_format.py, and Field data I's export) {id, image,
//                 conversations: [{from: human, value: "Question: q\nProcess: ...<prm>..."}, {from: gpt,
//                 value: [labels]}]}, with the "<image>\n" placeholders a multi-image row starts with.
//  visualprm      VisualPRM400K raw rows (InternVL visualprm_data_pieline.py @ 2410d1d) {image, question,
//                 answer, response, steps_with_score: [{step, score, num_mc_correct, num_mc_total}],
//                 num_mc_sequences, question_orig}: the problem is question_orig (question is the whole
//                 prompt), each step labelled with its score; a score that is not num_mc_correct /
//                 num_mc_total (or not 0 when no continuation was drawn, the early stop) is a warning.
import { parseMathShepherdRow } from '../../exportAnnotations';
import type { ImageSource } from '../../problemRow';
import { asObj, isObj, itemPath, keyPath, list, num01, optInt, optScalar, optStr, rest, scalar, str, strList, unit as unitValue, type Obj } from '../fields';
import { FieldError, perRecord, type LabelFormat, type LabelUnit } from '../types';
import { imageRefs } from './mmprmTree';

const MMPRM_TAG = '<prm>';
const IMAGE_TAG = '<image>';

const pathUnit = (problem: LabelUnit['problem'], steps: string[], labels: number[], provenance?: Record<string, unknown>, warnings: string[] = []): LabelUnit => ({
  problem,
  tree: null,
  paths: [{ steps, labels, ...(provenance ? { provenance } : {}) }],
  warnings,
});

const noMeta = { answerType: null, extId: null, source: null, meta: {} } as const;

// ---- math-shepherd ----

function readShepherd(value: unknown): LabelUnit {
  const o = asObj(value, '');
  str(o, 'input', '');
  str(o, 'label', '');
  let read;
  try {
    read = parseMathShepherdRow(o);
  } catch (e) {
    throw new FieldError('', (e as Error).message);
  }
  const task = optStr(o, 'task', '');
  return pathUnit({ ...noMeta, question: read.question, answer: null, images: null, source: task, meta: rest(o, ['input', 'label', 'task']) }, read.steps.map((s) => s.text), read.steps.map((s) => s.label));
}

export const mathShepherdFormat: LabelFormat = {
  name: 'math-shepherd',
  description: 'Math-Shepherd rows {input, label, task}: steps tagged "ки" in input, "+" / "-" in label',
  looksLike: (v) => (isObj(v) && typeof v.input === 'string' && typeof v.label === 'string' && v.input.includes('ки') ? 'has "input" and "label" with the step tag "ки"' : null),
  open: perRecord('math-shepherd', readShepherd),
};

// ---- trl ----

/** Images as a dataset row holds them: a path, a Parquet image struct {bytes, path}, or a list of these. */
function trlImages(o: Obj, key: string): ImageSource[] | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  const one = (x: unknown, p: string): ImageSource => {
    if (typeof x === 'string' && x.trim() !== '') return { kind: 'ref', ref: x };
    if (isObj(x)) {
      const bytes = x.bytes;
      const path = typeof x.path === 'string' ? x.path : '';
      if (bytes instanceof Uint8Array && bytes.length > 0) return { kind: 'bytes', bytes, label: path || p };
      if (path) return { kind: 'ref', ref: path };
    }
    throw new FieldError(p, 'must be an image: a path or an image struct {bytes, path}');
  };
  if (Array.isArray(v)) return v.map((x, i) => one(x, keyPath('', `${key}[${i}]`)));
  return [one(v, key)];
}

function readTrl(value: unknown): LabelUnit {
  const o = asObj(value, '');
  const prompt = str(o, 'prompt', '', { nonEmpty: true });
  const completions = strList(o, 'completions', '');
  const raw = list(o, 'labels', '');
  if (raw.length !== completions.length) throw new FieldError('', `field "labels": ${raw.length} labels for ${completions.length} completions`);
  const labels = raw.map((l, i) => (typeof l === 'boolean' ? (l ? 1 : 0) : unitValue(l, `labels[${i}]`, '')));
  const images = trlImages(o, 'images');
  return pathUnit({ ...noMeta, question: prompt, answer: null, images, imageField: 'images', meta: rest(o, ['prompt', 'completions', 'labels', 'images']) }, completions, labels);
}

export const trlFormat: LabelFormat = {
  name: 'trl',
  description: 'TRL stepwise supervision {prompt, completions, labels} (+ images), JSONL or Hugging Face Parquet',
  looksLike: (v) => (isObj(v) && 'prompt' in v && Array.isArray(v.completions) && ('labels' in v) ? 'has "prompt", "completions" and "labels"' : null),
  open: perRecord('trl', readTrl),
};

// ---- MM-PRM paths and rows ----

/** traverse.py's process text: one step per "<prm>", each the node's steps joined by "\n\n". */
export function prmSteps(process: string, key: string, path: string): string[] {
  const parts = process.split(MMPRM_TAG);
  const tail = parts.pop()!;
  if (tail.trim() !== '') throw new FieldError(path, `field "${key}": text after the last "${MMPRM_TAG}" (every step ends with one)`);
  if (parts.length === 0) throw new FieldError(path, `field "${key}": no "${MMPRM_TAG}" step tag`);
  return parts.map((p) => p.trim());
}

function prmLabels(o: Obj, key: string, path: string, steps: number, what: string): number[] {
  const labels = list(o, key, path).map((l, i) => unitValue(l, `${key}[${i}]`, path));
  if (labels.length !== steps) throw new FieldError(path, `field "${key}": ${labels.length} labels for ${steps} "${MMPRM_TAG}" steps in ${what}`);
  return labels;
}

function readMmprmPath(value: unknown): LabelUnit {
  const o = asObj(value, '');
  const question = str(o, 'question', '', { nonEmpty: true });
  const steps = prmSteps(str(o, 'process', ''), 'process', '');
  const labels = prmLabels(o, 'labels', '', steps.length, '"process"');
  return pathUnit({ ...noMeta, question, answer: optScalar(o, 'answer', ''), images: imageRefs(o, 'image_path', ''), imageField: 'image_path', meta: rest(o, ['question', 'answer', 'image_path', 'process', 'labels']) }, steps, labels);
}

export const mmprmPathsFormat: LabelFormat = {
  name: 'mmprm-paths',
  description: "MM-PRM traverse.py paths {question, answer, image_path, process, labels} (its JSON array, read an item at a time, or JSONL)",
  looksLike: (v) => (isObj(v) && typeof v.process === 'string' && Array.isArray(v.labels) && 'question' in v ? 'has "question", "process" and "labels"' : null),
  open: perRecord('mmprm-paths', readMmprmPath),
};

function readMmprmRow(value: unknown): LabelUnit {
  const o = asObj(value, '');
  const conv = list(o, 'conversations', '');
  if (conv.length !== 2) throw new FieldError('', `field "conversations": must hold a human and a gpt turn (got ${conv.length} turns)`);
  const human = asObj(conv[0], 'conversations[0]');
  const gpt = asObj(conv[1], 'conversations[1]');
  if (human.from !== 'human') throw new FieldError('conversations[0]', 'field "from": must be "human"');
  if (gpt.from !== 'gpt') throw new FieldError('conversations[1]', 'field "from": must be "gpt"');
  let text = str(human, 'value', 'conversations[0]');
  while (text.startsWith(`${IMAGE_TAG}\n`)) text = text.slice(IMAGE_TAG.length + 1);
  const m = /^Question: ([\s\S]*?)\nProcess: ([\s\S]*)$/.exec(text);
  if (!m) throw new FieldError('conversations[0]', 'field "value": must read "Question: ...\\nProcess: ..." as prm_data_format.py writes it');
  const steps = prmSteps(m[2], 'value', 'conversations[0]');
  const labels = prmLabels(gpt, 'value', 'conversations[1]', steps.length, 'the human turn');
  const id = optScalar(o, 'id', '');
  return pathUnit({ ...noMeta, question: m[1], answer: null, images: imageRefs(o, 'image', ''), imageField: 'image', meta: rest(o, ['id', 'image', 'conversations']) }, steps, labels, id === null ? undefined : { row: id });
}

export const mmprmRowsFormat: LabelFormat = {
  name: 'mmprm',
  description: "MM-PRM's PRM training rows (prm_data_format.py; Steplab's mmprm export) {id, image, conversations: [human \"Question: ...\\nProcess: ...<prm>\", gpt [labels]]}",
  looksLike: (v) =>
    isObj(v) && Array.isArray(v.conversations) && v.conversations.length === 2 && isObj(v.conversations[1]) && v.conversations[1].from === 'gpt' && Array.isArray(v.conversations[1].value) ? 'has "conversations" with a gpt turn of labels' : null,
  open: perRecord('mmprm', readMmprmRow),
};

// ---- visualprm ----

function readVisualPrm(value: unknown): LabelUnit {
  const o = asObj(value, '');
  const prompt = str(o, 'question', '', { nonEmpty: true });
  const question = optStr(o, 'question_orig', '') ?? prompt;
  const answer = scalar(o, 'answer', '');
  const items = list(o, 'steps_with_score', '');
  if (items.length === 0) throw new FieldError('', 'field "steps_with_score": no steps');
  const warnings: string[] = [];
  const steps: string[] = [];
  const labels: number[] = [];
  const mc: { correct: number; total: number }[] = [];
  items.forEach((raw, i) => {
    const p = itemPath('steps_with_score', i);
    const s = asObj(raw, p);
    steps.push(str(s, 'step', p));
    const score = num01(s, 'score', p);
    labels.push(score);
    const correct = optInt(s, 'num_mc_correct', p);
    const total = optInt(s, 'num_mc_total', p);
    if (correct === null || total === null) return;
    mc.push({ correct, total });
    if (correct > total) warnings.push(`${p}: ${correct} correct continuations of ${total}`);
    else if (total === 0 && score !== 0) warnings.push(`${p}: score ${score} with no continuation drawn`);
    else if (total > 0 && Math.abs(score - correct / total) > 1e-9) warnings.push(`${p}: score ${score} but ${correct} of ${total} continuations correct`);
  });
  const known = ['image', 'question', 'question_orig', 'answer', 'steps_with_score', 'response', 'num_mc_sequences'];
  const meta = { ...rest(o, known), ...(o.question_orig !== undefined ? { prompt } : {}) };
  const provenance: Record<string, unknown> = { mc };
  if (typeof o.response === 'string') provenance.response = o.response;
  if (typeof o.num_mc_sequences === 'number') provenance.numMcSequences = o.num_mc_sequences;
  return pathUnit({ ...noMeta, question, answer, images: imageRefs(o, 'image', ''), imageField: 'image', meta }, steps, labels, provenance, warnings);
}

export const visualPrmFormat: LabelFormat = {
  name: 'visualprm',
  description: "VisualPRM400K raw rows (InternVL's visualprm_data_pieline.py) {image, question, answer, steps_with_score: [{step, score, num_mc_correct, num_mc_total}], question_orig}",
  looksLike: (v) => (isObj(v) && Array.isArray(v.steps_with_score) ? 'has "steps_with_score"' : null),
  open: perRecord('visualprm', readVisualPrm),
};
