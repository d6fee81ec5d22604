// What the three step-level benchmark readers share: the file (a JSON array or JSON lines, told apart by
// its first character, or Parquet, told by its PAR1 magic: the Hugging Face hub's conversion of a
// dataset), the row each reader makes, and the naming of a file of another benchmark.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { basename } from 'node:path';
import type { AnswerType, Verdict } from '../../../../src-shared/domain';
import type { BenchFormat } from '../../../../src-shared/benchmarks';
import { UserError } from '../../errors';
import { lineTooLong } from '../limits';

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

/** The records of a benchmark file: Parquet rows, or readRecords' JSON. */
export async function readBenchmarkRecords(path: string, lineBytes?: number): Promise<{ where: string; value: unknown }[]> {
  if (!startsWithPar1(path)) return readRecords(path, lineBytes);
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
  return rows.map((value, i) => ({ where: `${name} row ${i + 1}`, value: plain(value) }));
}

/**
 * The records of a JSON array or JSON-lines file, each with where it is. A benchmark file is read whole (its
 * rows are held together anyway); a JSON line over `lineBytes` (limits.ts) is still refused before it is parsed.
 */
export function readRecords(path: string, lineBytes?: number): { where: string; value: unknown }[] {
  const name = basename(path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`${name}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trimStart().startsWith('[')) {
    let arr: unknown;
    try {
      arr = JSON.parse(text);
    } catch (e) {
      throw new UserError(`${name}: not valid JSON (${(e as Error).message})`);
    }
    return (arr as unknown[]).map((value, i) => ({ where: `${name} item ${i + 1}`, value }));
  }
  const out: { where: string; value: unknown }[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    if (lineBytes !== undefined && line.length > lineBytes / 3) {
      const bytes = Buffer.byteLength(line.endsWith('\r') ? line.slice(0, -1) : line, 'utf8');
      if (bytes > lineBytes) throw new UserError(`${name} line ${i + 1}: ${lineTooLong(bytes, { lineBytes })}`);
    }
    try {
      out.push({ where: `${name} line ${i + 1}`, value: JSON.parse(line) });
    } catch (e) {
      throw new UserError(`${name} line ${i + 1}: not valid JSON (${(e as Error).message})`);
    }
  });
  return out;
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
