// The records of a label import: a file or every file under a folder, each read as JSONL (a record per
// line), a JSON array (a record per item, streamed: the array is never held whole), one JSON document
// (MM-PRM's per-question trees, llm-reasoners logs), or Parquet rows; `.gz` files are decompressed as
// they are read. Each record carries the position after it, so an import resumes at the next record.
import { closeSync, createReadStream, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { gunzipSync, createGunzip } from 'node:zlib';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { UserError } from '../../errors';
import { jsonSafe } from '../problemRow';
import { lineTooLong, type Limits } from '../limits';

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

async function* bytes(f: InputFile, offset: number): AsyncGenerator<Buffer> {
  const raw = createReadStream(f.abs, { start: isGz(f) ? 0 : offset, highWaterMark: 256 * 1024 });
  const stream = isGz(f) ? raw.pipe(createGunzip()) : raw;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) yield chunk;
  } finally {
    raw.destroy();
  }
}

/**
 * JSONL lines; blank lines are counted, not yielded. Plain files resume at a byte offset, gzip ones by
 * skipping lines. A line longer than `limits.lineBytes` is not held: past the cap it is only counted to
 * its newline, and comes back as an error record (limits.ts lineTooLong).
 */
async function* jsonlRecords(f: InputFile, from: Inner | null, limits?: Pick<Limits, 'lineBytes'>): AsyncGenerator<FileRecord> {
  const cap = limits?.lineBytes ?? Infinity;
  const gz = isGz(f);
  const startOffset = !gz && from && 'offset' in from ? from.offset : 0;
  const skip = gz && from ? from.no : 0;
  let line = from?.no ?? 0;
  if (gz) line = 0;
  let pos = startOffset;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  // bytes of the current line once it passed the cap (nothing of it is kept then); -1 while under
  let overBytes = -1;
  // whether the last byte taken into the current line (kept or counted) is a '\r'
  let lastCR = false;
  const long = (bytes: number, end: number): FileRecord | null => {
    line += 1;
    if (line <= skip) return null;
    return { no: line, error: lineTooLong(bytes, limits!), text: '', after: gz ? { no: line } : { offset: end, no: line } };
  };
  const emit = (b: Buffer, end: number): FileRecord | null => {
    let n = b.length;
    if (n > 0 && b[n - 1] === 0x0d) n -= 1;
    if (n > cap) return long(n, end);
    line += 1;
    let text = b.toString('utf8', 0, n);
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (line <= skip || text.trim() === '') return null;
    return parse(text, line, gz ? { no: line } : { offset: end, no: line });
  };
  for await (const block of bytes(f, startOffset)) {
    let at = 0;
    for (;;) {
      const nl = block.indexOf(0x0a, at);
      if (nl < 0) break;
      const piece = block.subarray(at, nl);
      let r: FileRecord | null;
      if (overBytes >= 0) {
        const n = overBytes + piece.length - ((piece.length > 0 ? piece[piece.length - 1] === 0x0d : lastCR) ? 1 : 0);
        r = long(n, pos + nl + 1);
        overBytes = -1;
      } else {
        r = emit(pending.length ? Buffer.concat([...pending, piece]) : piece, pos + nl + 1);
      }
      pending = [];
      pendingBytes = 0;
      lastCR = false;
      if (r) yield r;
      at = nl + 1;
    }
    if (at < block.length) {
      const rest = block.length - at;
      lastCR = block[block.length - 1] === 0x0d;
      if (overBytes >= 0) overBytes += rest;
      else if (pendingBytes + rest > cap + 1) {
        // over the cap (one byte kept in hand for a '\r'): count the rest of the line, keep none of it
        overBytes = pendingBytes + rest;
        pending = [];
        pendingBytes = 0;
      } else {
        pending.push(Buffer.from(block.subarray(at)));
        pendingBytes += rest;
      }
    }
    pos += block.length;
  }
  if (overBytes >= 0) {
    const r = long(overBytes - (lastCR ? 1 : 0), pos);
    if (r) yield r;
  } else if (pending.length) {
    const r = emit(Buffer.concat(pending), pos);
    if (r) yield r;
  }
}

/**
 * The items of a top-level JSON array, one at a time: the bytes are scanned for the commas at depth 1
 * (outside strings), so memory holds one item. Plain files resume at the byte offset after an item.
 */
async function* arrayRecords(f: InputFile, from: Inner | null): AsyncGenerator<FileRecord> {
  const gz = isGz(f);
  const resumeAt = !gz && from && 'offset' in from ? from.offset : 0;
  const skip = gz && from ? from.no : 0;
  let index = gz ? 0 : (from?.no ?? 0);
  // before the first item the scanner expects '['; after a resume it is inside the array, between items
  let started = resumeAt > 0;
  let depth = started ? 1 : 0;
  let inString = false;
  let escape = false;
  let collecting = false;
  let segStart = 0;
  let item: Buffer[] = [];
  let pos = resumeAt;
  let done = false;
  let first = resumeAt === 0;
  const take = (after: number): FileRecord | null => {
    index += 1;
    const text = Buffer.concat(item).toString('utf8').trim();
    item = [];
    collecting = false;
    return index > skip ? parse(text, index, gz ? { no: index } : { offset: after, no: index }) : null;
  };
  for await (const block of bytes(f, resumeAt)) {
    let i = 0;
    if (first && block.length >= 3 && block[0] === 0xef && block[1] === 0xbb && block[2] === 0xbf) i = 3;
    first = false;
    segStart = 0;
    for (; i < block.length; i++) {
      const c = block[i];
      if (inString) {
        if (escape) escape = false;
        else if (c === 0x5c) escape = true;
        else if (c === 0x22) inString = false;
        continue;
      }
      const space = c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
      if (!started) {
        if (c === 0x5b) {
          started = true;
          depth = 1;
        } else if (!space) {
          throw new UserError(`${f.display}: not a JSON array`);
        }
        continue;
      }
      if (!collecting) {
        if (space || c === 0x2c) continue;
        if (c === 0x5d) {
          done = true;
          break;
        }
        collecting = true;
        segStart = i;
      }
      if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth += 1;
      else if (c === 0x7d || c === 0x5d) {
        depth -= 1;
        if (depth === 0) {
          // the array's closing bracket right after its last item
          item.push(block.subarray(segStart, i));
          const r = take(pos + i);
          done = true;
          if (r) yield r;
          break;
        }
      } else if (c === 0x2c && depth === 1) {
        item.push(block.subarray(segStart, i));
        const r = take(pos + i + 1);
        if (r) yield r;
      }
    }
    if (collecting && !done) item.push(Buffer.from(block.subarray(segStart)));
    pos += block.length;
    if (done) break;
  }
  if (!done) throw new UserError(`${f.display}: the JSON array ends before its closing "]"`);
}

async function* docRecords(f: InputFile, from: Inner | null): AsyncGenerator<FileRecord> {
  if (from && from.no >= 1) return;
  let buf = readFileSync(f.abs);
  if (isGz(f)) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new UserError(`${f.display}: not a readable gzip file (${(e as Error).message})`);
    }
  }
  let text = buf.toString('utf8');
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

/** The records of a file from a position on (null: its start). */
export function fileRecords(f: InputFile, container: Container, from: Inner | null, limits?: Pick<Limits, 'lineBytes'>): AsyncGenerator<FileRecord> {
  switch (container) {
    case 'jsonl':
      return jsonlRecords(f, from, limits);
    case 'array':
      return arrayRecords(f, from);
    case 'doc':
      return docRecords(f, from);
    case 'parquet':
      return parquetRecords(f, from);
  }
}

/** A record's place for messages: `trees.jsonl line 3`, `paths.json item 12`, `outputs/ab12.json`. */
export function recordWhere(f: InputFile, container: Container, no: number): string {
  const word = unitWord[container];
  return word && no > 0 ? `${f.display} ${word} ${no}` : f.display;
}
