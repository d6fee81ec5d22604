// Trl and math-shepherd files read back into {question, steps: [{text, label}]} (tests and import-labels'
// math-shepherd paths use it).
import { UserError } from '../errors';
import { parseJsonLine, readLines } from './jsonl';
import { SHEPHERD_TAG, stepPrefix } from './annotationRows';

export interface ReadAnnotation {
  question: string;
  steps: { text: string; label: number }[];
  images?: string[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses one TRL stepwise-supervision row (labels may be numbers or booleans). */
export function parseTrlRow(row: unknown): ReadAnnotation {
  if (!isObj(row)) throw new UserError('not a JSON object');
  const { prompt, completions, labels, images } = row;
  if (typeof prompt !== 'string') throw new UserError('field "prompt": must be a string');
  if (!Array.isArray(completions) || !completions.every((c) => typeof c === 'string')) {
    throw new UserError('field "completions": must be a list of strings');
  }
  if (!Array.isArray(labels) || labels.length !== completions.length) {
    throw new UserError('field "labels": must be a list as long as "completions"');
  }
  const steps = completions.map((text, i) => {
    const l = labels[i];
    if (typeof l === 'boolean') return { text: text as string, label: l ? 1 : 0 };
    if (typeof l !== 'number' || !(l >= 0 && l <= 1)) throw new UserError(`field "labels": item ${i + 1} must be a number in [0, 1] or a boolean`);
    return { text: text as string, label: l };
  });
  const out: ReadAnnotation = { question: prompt, steps };
  if (images !== undefined) {
    if (!Array.isArray(images) || !images.every((x) => typeof x === 'string')) throw new UserError('field "images": must be a list of paths');
    out.images = images as string[];
  }
  return out;
}

/**
 * Parses one Math-Shepherd row. The question is the text before the first " Step 1: "; steps are the text
 * between step tags, without their "Step N: " prefix; each label (1 for "+", 0 for "-") is read from the
 * `label` string at the tag's place.
 */
export function parseMathShepherdRow(row: unknown): ReadAnnotation {
  if (!isObj(row)) throw new UserError('not a JSON object');
  const { input, label } = row;
  if (typeof input !== 'string') throw new UserError('field "input": must be a string');
  if (typeof label !== 'string') throw new UserError('field "label": must be a string');
  const tag = ` ${SHEPHERD_TAG}`;
  // every tag sits at the end of the text or before the newline that starts the next step
  const ends: number[] = [];
  for (let at = input.indexOf(tag); at >= 0; at = input.indexOf(tag, at + tag.length)) {
    const after = at + tag.length;
    if (after === input.length || input[after] === '\n') ends.push(at);
  }
  if (ends.length === 0) throw new UserError(`field "input": has no step tag "${SHEPHERD_TAG}"`);
  const first = input.indexOf(` ${stepPrefix(0)}`);
  if (first < 0 || first > ends[0]) throw new UserError(`field "input": no "${stepPrefix(0).trim()}" before the first step tag`);
  const question = input.slice(0, first);
  const steps: { text: string; label: number }[] = [];
  let start = first + 1;
  ends.forEach((end, k) => {
    let text = input.slice(start, end);
    if (text.startsWith(stepPrefix(k))) text = text.slice(stepPrefix(k).length);
    // "ки" (2 characters) becomes "+" or "-" (1): the k-th mark sits k characters earlier in `label`
    const mark = label[end + 1 - k];
    if (mark !== '+' && mark !== '-') throw new UserError(`field "label": no + or - for step ${k + 1}`);
    steps.push({ text, label: mark === '+' ? 1 : 0 });
    start = end + tag.length + 1;
  });
  return { question, steps };
}

/** Reads an exported trl or math-shepherd file back. Errors name the line. */
export async function readAnnotations(path: string, format: 'trl' | 'math-shepherd'): Promise<ReadAnnotation[]> {
  const parse = format === 'trl' ? parseTrlRow : parseMathShepherdRow;
  const out: ReadAnnotation[] = [];
  for await (const l of readLines(path)) {
    const row = parseJsonLine(l.text, l.line);
    try {
      out.push(parse(row));
    } catch (e) {
      if (e instanceof UserError) throw new UserError(`line ${l.line}: ${e.message}`);
      throw e;
    }
  }
  return out;
}
