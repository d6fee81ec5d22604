// What the three step-level benchmark readers share: the file (a JSON array or JSON lines, told apart by
// its first character, or Parquet, told by its PAR1 magic: the Hugging Face hub's conversion of a
// dataset), the row each reader makes, and the naming of a file of another benchmark.
import { closeSync, openSync, readSync } from 'node:fs';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { basename } from 'node:path';
import type { AnswerType, Verdict } from '../../../../src-shared/domain';
import type { BenchFormat } from '../../../../src-shared/benchmarks';
import { UserError } from '../../errors';
import { itemTooLong, lineTooLong, type Limits } from '../limits';
import { readJsonArray } from '../jsonArray';
import { readLines } from '../jsonl';

/** One benchmark row as a reader makes it: a problem, one solution with its gold step labels, and its row id. */
export interface ParsedBenchRow {
  /** the row's id: the key of its solution in the dataset */
  id: string;
  split: string;
  /** where the row is, for messages: "gsm8k.json item 3", "test.jsonl line 12" */
  where: string;
  /** 0-based position in the file (PRMBench: of the row that made it) */
  index: number;
  question: string;
  /** the problem's gold answer; '' when the benchmark gives none (ProcessBench, PRMBench) */
  answer: string;
  answerType: AnswerType;
  /** image references as the row gives them (VisualProcessBench) */
  images: string[];
  /** the row's field the images are read from, for messages ("image"); absent when the format has none */
  imageField?: string;
  steps: string[];
  /** per step: 1 correct, 0 incorrect, null unlabelled (after ProcessBench's first error) or neutral */
  gold: (0 | 1 | null)[];
  /** the first incorrect step (0-based), -1 when none */
  label: number;
  /** who wrote the solution: the row's generator / policy_model ('import' when it names none) */
  origin: string;
  verdict: Verdict | null;
  /** the benchmark's own fields the metrics read again (kept in the solution's settings) */
  extra: Record<string, unknown>;
}

export const FORMAT_NAMES: Record<BenchFormat, string> = {
  processbench: 'ProcessBench',
  visualprocessbench: 'VisualProcessBench',
  prmbench: 'PRMBench',
};

/** The fields that mark a row of each benchmark. */
const SIGNATURES: Record<BenchFormat, readonly string[]> = {
  processbench: ['problem', 'steps', 'label'],
  visualprocessbench: ['question', 'response'],
  prmbench: ['modified_process', 'error_steps', 'classification'],
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Which benchmark a row's fields look like, if any. */
export function looksLike(row: unknown): BenchFormat | null {
  if (!isObject(row)) return null;
  for (const f of Object.keys(SIGNATURES) as BenchFormat[]) if (SIGNATURES[f].every((k) => k in row)) return f;
  return null;
}

/**
 * Refuses a row that is not of `format`, naming the file and row and, when it is one, the benchmark it
 * is from: "gsm8k.json item 1: not a ProcessBench row (no "steps", "label"): it looks like a
 * VisualProcessBench row (--format visualprocessbench)".
 */
export function requireKind(format: BenchFormat, row: unknown, where: string): Record<string, unknown> {
  if (!isObject(row)) throw new UserError(`${where}: not a ${FORMAT_NAMES[format]} row (expected a JSON object)`);
  const missing = SIGNATURES[format].filter((k) => !(k in row));
  if (missing.length === 0) return row;
  const other = looksLike(row);
  const lacks = `no ${missing.map((k) => `"${k}"`).join(', ')}`;
  if (other) throw new UserError(`${where}: not a ${FORMAT_NAMES[format]} row (${lacks}): it looks like a ${FORMAT_NAMES[other]} row (--format ${other})`);
  throw new UserError(`${where}: not a ${FORMAT_NAMES[format]} row (${lacks}; its fields: ${Object.keys(row).slice(0, 12).join(', ') || 'none'})`);
}

function startsWithPar1(path: string): boolean {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const b = Buffer.alloc(4);
    return readSync(fd, b, 0, 4, 0) === 4 && b.toString('latin1') === 'PAR1';
  } catch {
    return false;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** The records of a benchmark file, one at a time: Parquet rows, or readRecords' JSON. */
export async function* readBenchmarkRecords(path: string, limits: Pick<Limits, 'lineBytes' | 'itemBytes'>): AsyncGenerator<{ where: string; value: unknown }> {
  if (!startsWithPar1(path)) {
    yield* readRecords(path, limits);
    return;
  }
  const name = basename(path);
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({ file: await asyncBufferFromFile(path) });
  } catch (e) {
    throw new UserError(`${name}: not a readable Parquet file (${(e as Error).message})`);
  }
  // integer columns come back as BigInt: the readers take numbers
  const plain = (v: unknown): unknown =>
    typeof v === 'bigint' ? Number(v) : Array.isArray(v) ? v.map(plain) : v && typeof v === 'object' && !(v instanceof Uint8Array) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v;
  for (const [i, value] of rows.entries()) yield { where: `${name} row ${i + 1}`, value: plain(value) };
}

/**
 * The records of a JSON array or JSON-lines file (told apart by the first character), each with where it
 * is, read one at a time: an array item by item (jsonArray.ts), lines by readLines. A line over
 * `lineBytes` or an item over `itemBytes` (limits.ts) is refused before it is parsed, never held whole.
 */
export async function* readRecords(path: string, limits: Pick<Limits, 'lineBytes' | 'itemBytes'>): AsyncGenerator<{ where: string; value: unknown }> {
  const name = basename(path);
  let head: string;
  try {
    const fd = openSync(path, 'r');
    try {
      const b = Buffer.alloc(4096);
      head = b.subarray(0, readSync(fd, b, 0, b.length, 0)).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new UserError(`${name}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (head.charCodeAt(0) === 0xfeff) head = head.slice(1);
  if (head.trimStart().startsWith('[')) {
    for await (const item of readJsonArray(path, { maxItemBytes: limits.itemBytes })) {
      const where = `${name} item ${item.index}`;
      if (item.tooLong !== undefined) throw new UserError(`${where}: ${itemTooLong(item.tooLong, limits)}`);
      yield { where, value: parseAt(item.text, where) };
    }
    return;
  }
  for await (const line of readLines(path, { maxLineBytes: limits.lineBytes })) {
    const where = `${name} line ${line.line}`;
    if (line.tooLong !== undefined) throw new UserError(`${where}: ${lineTooLong(line.tooLong, limits)}`);
    yield { where, value: parseAt(line.text, where) };
  }
}

function parseAt(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError(`${where}: not valid JSON (${(e as Error).message})`);
  }
}

/** A field that must be a non-empty string. */
export function str(row: Record<string, unknown>, key: string, where: string): string {
  const v = row[key];
  if (typeof v !== 'string' || v.trim() === '') throw new UserError(`${where}: field "${key}": expected a non-empty string`);
  return v;
}

/** A field that must be a non-empty list of strings (the steps). */
export function stepList(v: unknown, key: string, where: string): string[] {
  if (!Array.isArray(v) || v.length === 0) throw new UserError(`${where}: field "${key}": expected a non-empty list of steps`);
  v.forEach((s, i) => {
    if (typeof s !== 'string') throw new UserError(`${where}: field "${key}": step ${i} is not a string`);
  });
  return v as string[];
}

/** An optional string field ('' and null read as absent). */
export function optStr(row: Record<string, unknown>, key: string): string | null {
  const v = row[key];
  return typeof v === 'string' && v.trim() !== '' ? v : null;
}
