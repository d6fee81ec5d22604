// The records of a label import: a file or every file under a folder, each read as JSONL (a record per
// line: jsonl.ts readLines), a JSON array (a record per item, streamed: the array is never held whole;
// jsonArray.ts), one JSON document (MM-PRM's per-question trees, llm-reasoners logs; refused unread over
// the item cap), or Parquet rows; `.gz` files are decompressed as they are read. Each record carries the
// position after it, so an import resumes at the next record. A line or item over its cap (limits.ts) comes
// back as an error record, never held whole.
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { UserError } from '../../errors';
import { jsonSafe } from '../problemRow';
import { documentTooLong, itemTooLong, lineTooLong, type Limits } from '../limits';
import { readJsonArray } from '../jsonArray';
import { fileBlocks, readLines } from '../jsonl';

export interface InputFile {
  abs: string;
  /** how messages name it: the file's name, or the folder's name and the path under it */
  display: string;
  size: number;
  mtimeMs: number;
}

export interface Inputs {
  /** the folder whose files are read, or the file's folder: image paths stay inside it */
  baseDir: string;
  files: InputFile[];
  folder: boolean;
}

const READABLE = /\.(json|jsonl|ndjson|parquet|gz)$/i;

/** The file, or the files under the folder (sorted by path; hidden files and other extensions left out). */
export function listInputs(path: string): Inputs {
  const abs = resolve(path);
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new UserError(`${path}: no such file or folder`);
  }
  const file = (p: string, display: string): InputFile => {
    const s = statSync(p);
    return { abs: p, display, size: s.size, mtimeMs: s.mtimeMs };
  };
  if (st.isFile()) return { baseDir: dirname(abs), files: [file(abs, basename(abs))], folder: false };
  if (!st.isDirectory()) throw new UserError(`${path}: not a file or a folder`);
  const names = readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && READABLE.test(e.name))
    .map((e) => relative(abs, join(e.parentPath, e.name)))
    .filter((rel) => !rel.split(sep).some((part) => part.startsWith('.')))
    .sort();
  if (names.length === 0) throw new UserError(`${path}: no .json, .jsonl, .gz or .parquet files in this folder`);
  const top = basename(abs);
  return { baseDir: abs, files: names.map((rel) => file(join(abs, rel), `${top}/${rel.split(sep).join('/')}`)), folder: true };
}

export type Container = 'jsonl' | 'array' | 'doc' | 'parquet';

/** Where to go on inside a file: a byte offset (plain JSONL and arrays) or a count of records read. */
export type Inner = { offset: number; no: number } | { no: number };

export interface FileRecord {
  /** line, item or row number (1-based); 0 for a whole-file document */
  no: number;
  value?: unknown;
  /** set when the record is not JSON */
  error?: string;
  text: string;
  /** where to resume after this record */
  after: Inner;
}

const isGz = (f: InputFile): boolean => /\.gz$/i.test(f.abs);

/** The first bytes of a file, decompressed when it is gzip. */
function head(f: InputFile, n = 65536): Buffer {
  const fd = openSync(f.abs, 'r');
  try {
    const buf = Buffer.alloc(Math.min(n, Math.max(f.size, 1)));
    const got = readSync(fd, buf, 0, buf.length, 0);
    const b = buf.subarray(0, got);
    if (!isGz(f)) return b;
    try {
      // a partial gzip stream: decompress what is there
      return gunzipSync(b, { finishFlush: 2 /* Z_SYNC_FLUSH */ });
    } catch {
      return Buffer.alloc(0);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * How a file is read: Parquet by its magic, a JSON array when it starts with `[`, JSONL when its first
 * line is a whole JSON value and more follows, else one JSON document (a pretty-printed tree).
 */
export function containerOf(f: InputFile): Container {
  if (/\.parquet$/i.test(f.abs)) return 'parquet';
  const b = head(f);
  if (b.subarray(0, 4).toString('latin1') === 'PAR1') return 'parquet';
  let text = b.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const t = text.trimStart();
  if (t.startsWith('[')) return 'array';
  if (/\.(jsonl|ndjson)(\.gz)?$/i.test(f.abs)) return 'jsonl';
  const nl = t.indexOf('\n');
  if (nl < 0) return 'doc';
  try {
    JSON.parse(t.slice(0, nl));
  } catch {
    return 'doc';
  }
  return t.slice(nl).trim() === '' ? 'doc' : 'jsonl';
}

/** What a record is called in messages. */
export const unitWord: Record<Container, string | null> = { jsonl: 'line', array: 'item', doc: null, parquet: 'row' };

function parse(text: string, no: number, after: Inner): FileRecord {
  try {
    return { no, value: JSON.parse(text), text, after };
  } catch (e) {
    return { no, error: `not valid JSON (${(e as Error).message})`, text, after };
  }
}

/**
 * JSONL lines (jsonl.ts readLines); blank lines are counted, not yielded. Plain files resume at a byte
 * offset, gzip ones by skipping lines. A line longer than `lineBytes` is not held: past the cap it is only
 * counted to its newline, and comes back as an error record (limits.ts lineTooLong).
 */
async function* jsonlRecords(f: InputFile, from: Inner | null, lineBytes: number): AsyncGenerator<FileRecord> {
  const gz = isGz(f);
  const at = !gz && from && 'offset' in from ? from : null;
  const skip = from && !at ? from.no : 0;
  for await (const l of readLines(f.abs, { offset: at?.offset ?? 0, line: at?.no ?? 0, maxLineBytes: lineBytes, gzip: gz, name: f.display })) {
    if (l.line <= skip) continue;
    const after: Inner = gz ? { no: l.line } : { offset: l.endOffset, no: l.line };
    if (l.tooLong !== undefined) yield { no: l.line, error: lineTooLong(l.tooLong, { lineBytes }), text: '', after };
    else yield parse(l.text, l.line, after);
  }
}

/**
 * The items of a top-level JSON array, one at a time (jsonArray.ts readJsonArray: memory holds one item).
 * Plain files resume at the byte offset after an item, gzip ones by skipping items. An item longer than
 * `itemBytes` is not held, and comes back as an error record (limits.ts itemTooLong).
 */
async function* arrayRecords(f: InputFile, from: Inner | null, itemBytes: number): AsyncGenerator<FileRecord> {
  const gz = isGz(f);
  const at = !gz && from && 'offset' in from ? from : null;
  const skip = from && !at ? from.no : 0;
  for await (const item of readJsonArray(f.abs, { offset: at?.offset ?? 0, index: at?.no ?? 0, skip, maxItemBytes: itemBytes, gzip: gz, name: f.display })) {
    const after: Inner = gz ? { no: item.index } : { offset: item.endOffset, no: item.index };
    if (item.tooLong !== undefined) yield { no: item.index, error: itemTooLong(item.tooLong, { itemBytes }), text: '', after };
    else yield parse(item.text, item.index, after);
  }
}

/** A file that is one JSON document (a tree): read whole, so refused unread when over `itemBytes`. */
async function* docRecords(f: InputFile, from: Inner | null, itemBytes: number): AsyncGenerator<FileRecord> {
  if (from && from.no >= 1) return;
  const tooLong = (bytes: number): FileRecord => ({ no: 0, error: documentTooLong(bytes, { itemBytes }), text: '', after: { no: 1 } });
  if (!isGz(f) && f.size > itemBytes) {
    yield tooLong(f.size);
    return;
  }
  // decompressed as it is read: a gzip file's length is known only at its end, and nothing past the cap is kept
  const kept: Buffer[] = [];
  let bytes = 0;
  for await (const block of fileBlocks(f.abs, { gzip: isGz(f), name: f.display })) {
    bytes += block.length;
    if (bytes <= itemBytes) kept.push(block);
    else kept.length = 0;
  }
  if (bytes > itemBytes) {
    yield tooLong(bytes);
    return;
  }
  let text = Buffer.concat(kept).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  yield parse(text, 0, { no: 1 });
}

const PARQUET_READ_ROWS = 2000;

async function* parquetRecords(f: InputFile, from: Inner | null): AsyncGenerator<FileRecord> {
  const file = await asyncBufferFromFile(f.abs);
  let metadata;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (e) {
    throw new UserError(`${f.display}: not a readable Parquet file (${(e as Error).message})`);
  }
  const total = Number(metadata.num_rows);
  const bounds: number[] = [];
  let at = 0;
  for (const g of metadata.row_groups) bounds.push((at += Number(g.num_rows)));
  let start = from?.no ?? 0;
  while (start < total) {
    const end = Math.min(bounds.find((b) => b > start) ?? total, start + PARQUET_READ_ROWS);
    let rows: Record<string, unknown>[];
    try {
      // utf8: false keeps binary columns (image bytes) as bytes; string columns still come back as text
      rows = await parquetReadObjects({ file, metadata, rowStart: start, rowEnd: end, utf8: false, useOffsetIndex: true });
    } catch (e) {
      throw new UserError(`${f.display}: cannot read rows ${start + 1}-${end} (${(e as Error).message})`);
    }
    for (let i = 0; i < rows.length; i++) {
      const no = start + i + 1;
      yield { no, value: rows[i], text: JSON.stringify(jsonSafe(rows[i])), after: { no } };
    }
    start = end;
  }
}

/**
 * The records of a file from a position on (null: its start). `limits`: the line cap of JSONL and the item
 * cap of an array's items or a whole document (limits.ts; absent: none).
 */
export function fileRecords(f: InputFile, container: Container, from: Inner | null, limits?: Partial<Pick<Limits, 'lineBytes' | 'itemBytes'>>): AsyncGenerator<FileRecord> {
  switch (container) {
    case 'jsonl':
      return jsonlRecords(f, from, limits?.lineBytes ?? Infinity);
    case 'array':
      return arrayRecords(f, from, limits?.itemBytes ?? Infinity);
    case 'doc':
      return docRecords(f, from, limits?.itemBytes ?? Infinity);
    case 'parquet':
      return parquetRecords(f, from);
  }
}

/** A record's place for messages: `trees.jsonl line 3`, `paths.json item 12`, `outputs/ab12.json`. */
export function recordWhere(f: InputFile, container: Container, no: number): string {
  const word = unitWord[container];
  return word && no > 0 ? `${f.display} ${word} ${no}` : f.display;
}
