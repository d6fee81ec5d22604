// The field mapping from a source row (a JSONL object, a seed-array item, a Parquet row) to a problem.
// Each problem field is read from the first of its names that the row has with a non-null value, or,
// where the user mapped it (`--field question=problem_text`, see fieldMap.ts), from that column only; every
// other field of the row (including an unused second name of a field) is kept in `meta` unchanged and
// written back on export, so fields Steplab does not model (e.g. `reference_steps`) survive a round trip.
// Field names with a null value (Parquet's empty cells) are dropped, and so is an image field holding ""
// or [] (Hugging Face's text-only rows, e.g. MathVerse's): the row has no image. An `answer_type` that is
// not one of Steplab's (MathVista's integer, float, list) stays in `meta` as it was, and the type is
// inferred from the answer, so the verifier still gets a type and export writes the source's value back.
import { AnswerType } from '../../../src-shared/domain';
import { UserError } from '../errors';
import { problemFingerprint } from './fingerprint';
import { checkTextSize, type Limits } from './limits';

export type ProblemField = 'id' | 'question' | 'answer' | 'answerType' | 'images' | 'source' | 'split' | 'tags';

export interface FieldSpec {
  /** names accepted in a source row, in priority order; the first is the one export writes */
  names: readonly string[];
  required: boolean;
  doc: string;
}

/** The documented mapping (the README's table is generated from it). */
export const FIELD_ALIASES: Readonly<Record<ProblemField, FieldSpec>> = {
  id: {
    names: ['id'],
    required: false,
    doc: 'string or number; unique within a file. When absent, the first 12 hex characters of the content fingerprint',
  },
  question: { names: ['question', 'problem', 'prompt', 'query'], required: true, doc: 'text (LaTeX allowed), not empty' },
  answer: {
    names: ['answer', 'correct_answer', 'gold', 'solution_answer'],
    required: true,
    doc: 'the gold final answer: text, or a number (stored as text)',
  },
  answerType: {
    names: ['answer_type'],
    required: false,
    doc: 'one of number, fraction, choice, expression, text; inferred from the answer when absent or another value (which is kept as it was, e.g. MathVista\'s integer, float, list)',
  },
  images: {
    names: ['images', 'image', 'image_path', 'image_paths'],
    required: false,
    doc: 'a path (relative to the file\'s folder or --image-root), a data:image/...;base64 URL, a Parquet image struct {bytes, path}, or a list of these; "", null or [] is no image',
  },
  source: { names: ['source'], required: false, doc: 'text: where the problem comes from' },
  split: { names: ['split'], required: false, doc: 'text, e.g. train or test' },
  tags: { names: ['tags'], required: false, doc: 'list of strings' },
};

export type ImageSource = { kind: 'ref'; ref: string } | { kind: 'bytes'; bytes: Uint8Array; label: string };

/** A validated source row: a problem still waiting for its images to be stored. */
export interface ParsedRow {
  /** the row's own id, or null when it has none (then one is derived from the content) */
  id: string | null;
  question: string;
  answer: string;
  answerType: AnswerType;
  source: string | null;
  split: string | null;
  tags: string[];
  images: ImageSource[];
  /** the column the images were read from, as the row spells it (for messages) */
  imageField: string | null;
  meta: Record<string, unknown>;
}

const fieldError = (name: string, what: string): UserError => new UserError(`field "${name}": ${what}`);

const ANSWER_TYPES = AnswerType.options;

/** Infers the answer type of a gold answer. A small heuristic; an explicit `answer_type` always wins. */
export function inferAnswerType(answer: string): AnswerType {
  let s = answer.trim();
  const wrapped = /^\$+([^$]*)\$+$/.exec(s) ?? /^\\\((.*)\\\)$/.exec(s) ?? /^\\boxed\{(.*)\}$/.exec(s);
  if (wrapped) s = wrapped[1].trim();
  if (s === '') return 'text';
  // integers and decimals, with optional thousands separators or exponent: 42, -3.5, 1,000, 2e-3
  if (/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(s) || /^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) return 'number';
  // a/b, \frac{a}{b} (also \dfrac, \tfrac), with integers only
  if (/^[-+]?\d+\s*\/\s*\d+$/.test(s)) return 'fraction';
  if (/^[-+]?\\[dt]?frac\s*\{\s*[-+]?\d+\s*\}\s*\{\s*[-+]?\d+\s*\}$/.test(s)) return 'fraction';
  // a single option letter: B, (C), D.
  if (/^\(?[A-H]\)?\.?$/.test(s)) return 'choice';
  // math: a LaTeX command, or operators / digits with at most short letter runs (x, 2y, sin, ln)
  if (/\\[a-zA-Z]+/.test(s)) return 'expression';
  const words = s.match(/[A-Za-z]+/g) ?? [];
  const hasOperator = /[-+*/^=<>()[\]{}]/.test(s) || /\d/.test(s);
  if (words.length > 0 && words.every((w) => w.length <= 3) && (hasOperator || words.every((w) => w.length === 1))) return 'expression';
  if (words.length === 0 && hasOperator) return 'expression';
  return 'text';
}

/** A JSON-safe copy of a value from a source row (Parquet gives bigints, bytes and dates). */
export function jsonSafe(v: unknown): unknown {
  if (v === null || v === undefined) return v ?? null;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, jsonSafe(x)]));
  return v;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Date);
}

/** Source columns chosen by the user for some fields (`--field`); the others use FIELD_ALIASES. */
export type ColumnMap = Partial<Record<ProblemField, string>>;

/** The names a field is read from: the mapped column alone, else the built-in aliases. */
const namesOf = (field: ProblemField, columns: ColumnMap): readonly string[] => {
  const c = columns[field];
  return c === undefined ? FIELD_ALIASES[field].names : [c];
};

/** A value that says "nothing here": null, and for images also "" and [] (a text-only row). */
function isAbsent(field: ProblemField, v: unknown): boolean {
  if (v === null || v === undefined) return true;
  return field === 'images' && (v === '' || (Array.isArray(v) && v.length === 0));
}

/** Picks the first present name of a field; returns the name and its value. */
function pick(row: Record<string, unknown>, field: ProblemField, columns: ColumnMap): { name: string; value: unknown } | undefined {
  for (const name of namesOf(field, columns)) {
    if (Object.hasOwn(row, name) && !isAbsent(field, row[name])) return { name, value: row[name] };
  }
  return undefined;
}

function scalarText(name: string, v: unknown, what: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint') return v.toString();
  throw fieldError(name, what);
}

function optionalString(row: Record<string, unknown>, field: ProblemField, columns: ColumnMap): string | null {
  const f = pick(row, field, columns);
  if (!f) return null;
  if (typeof f.value !== 'string') throw fieldError(f.name, 'must be a string');
  return f.value === '' ? null : f.value;
}

function parseImages(name: string, v: unknown): ImageSource[] {
  const bad = (): UserError =>
    fieldError(name, 'must be a path, a data:image URL, an image struct {bytes, path} or a list of these');
  const one = (x: unknown, label: string): ImageSource => {
    if (typeof x === 'string') return { kind: 'ref', ref: x };
    if (isPlainObject(x)) {
      const path = x.path;
      if (path !== null && path !== undefined && typeof path !== 'string') throw bad();
      if (x.bytes instanceof Uint8Array && x.bytes.length > 0) {
        return { kind: 'bytes', bytes: x.bytes, label: typeof path === 'string' && path !== '' ? path : label };
      }
      if (x.bytes !== null && x.bytes !== undefined && !(x.bytes instanceof Uint8Array)) throw bad();
      if (typeof path === 'string' && path !== '') return { kind: 'ref', ref: path };
      throw fieldError(name, `image ${label} has neither bytes nor a path`);
    }
    throw bad();
  };
  if (Array.isArray(v)) return v.map((x, i) => one(x, `${name}[${i}]`));
  return [one(v, name)];
}

/**
 * Validates a source row and maps it to problem fields, reading the fields in `columns` from the columns
 * named there. Errors name the field as the row spells it: `field "answer": required`.
 */
export function parseProblemRow(row: unknown, columns: ColumnMap = {}, limits?: Limits): ParsedRow {
  if (!isPlainObject(row)) throw new UserError('not a JSON object');
  // a field name whose value says nothing (null; an empty image) is dropped, not kept in meta
  const used = new Set<string>(
    (Object.keys(FIELD_ALIASES) as ProblemField[]).flatMap((field) =>
      namesOf(field, columns).filter((n) => Object.hasOwn(row, n) && isAbsent(field, row[n])),
    ),
  );
  const take = (field: ProblemField) => {
    const f = pick(row, field, columns);
    if (f) used.add(f.name);
    return f;
  };

  const q = take('question');
  if (!q) throw fieldError(namesOf('question', columns)[0], 'required');
  if (typeof q.value !== 'string') throw fieldError(q.name, 'must be a string');
  if (q.value.trim() === '') throw fieldError(q.name, 'must not be empty');
  if (limits) checkTextSize('question', q.name, q.value, limits);

  const a = take('answer');
  if (!a) throw fieldError(namesOf('answer', columns)[0], 'required');
  const answer = scalarText(a.name, a.value, 'must be a string or a number');
  if (answer.trim() === '') throw fieldError(a.name, 'must not be empty');
  if (limits) checkTextSize('answer', a.name, answer, limits);

  const idf = take('id');
  let id: string | null = null;
  if (idf) {
    id = scalarText(idf.name, idf.value, 'must be a string or a number');
    if (id.trim() === '') throw fieldError(idf.name, 'must not be empty');
  }

  // a type Steplab does not know is not taken: its column stays in meta and the type is inferred
  const t = pick(row, 'answerType', columns);
  let answerType: AnswerType;
  if (t && typeof t.value === 'string' && (ANSWER_TYPES as readonly string[]).includes(t.value)) {
    used.add(t.name);
    answerType = t.value as AnswerType;
  } else {
    answerType = inferAnswerType(answer);
  }

  const im = take('images');
  const images = im ? parseImages(im.name, im.value) : [];

  const sourceName = pick(row, 'source', columns)?.name;
  const source = optionalString(row, 'source', columns);
  if (sourceName) used.add(sourceName);
  const splitName = pick(row, 'split', columns)?.name;
  const split = optionalString(row, 'split', columns);
  if (splitName) used.add(splitName);

  const tg = take('tags');
  let tags: string[] = [];
  if (tg) {
    if (!Array.isArray(tg.value) || !tg.value.every((x) => typeof x === 'string')) throw fieldError(tg.name, 'must be a list of strings');
    tags = tg.value as string[];
  }

  const meta: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (!used.has(k)) meta[k] = jsonSafe(v);

  return { id, question: q.value, answer, answerType, source, split, tags, images, imageField: im?.name ?? null, meta };
}

/** The ext id of a row without one: the first 12 hex characters of its content fingerprint. */
export function derivedExtId(p: Pick<ParsedRow, 'question' | 'answer' | 'answerType'>, imageHashes: string[]): string {
  return problemFingerprint({ question: p.question, answer: p.answer, answerType: p.answerType, imageHashes }).slice(0, 12);
}
