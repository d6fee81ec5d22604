// Streaming line reader for JSONL files. Reads the file in fixed-size blocks and splits on '\n' in the
// raw bytes, so memory holds one block plus the line being assembled, never the whole file. Every line
// carries the byte offset just past its newline: a job that stores { offset, line } as its checkpoint
// resumes with `readLines(path, { offset, line })` at exactly the next line. With `maxLineBytes`, a line
// longer than that stops being assembled once it passes the cap: it is counted to its newline and yielded
// as `tooLong` (its length) with empty text, so memory stays at one block plus the cap. With `gzip`, the
// file is decompressed as it is read (offsets then count decompressed bytes, and a read starts at 0).
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { UserError } from '../errors';

export interface Line {
  /** 1-based line number in the file */
  line: number;
  /** the line's text: UTF-8 decoded, without its '\n' or '\r\n', without a BOM on line 1 */
  text: string;
  /** byte offset just after this line's newline (the file's size for a last line without one) */
  endOffset: number;
  /** set (the line's length in bytes, without its newline) when the line is over `maxLineBytes`; `text` is then '' */
  tooLong?: number;
}

export interface ReadLinesOptions {
  /** byte offset to start at: 0 or an `endOffset` of an earlier read */
  offset?: number;
  /** number of the last line before `offset` (0 at the start of the file) */
  line?: number;
  /** yield blank (whitespace-only) lines too; by default they are skipped but still counted */
  includeBlank?: boolean;
  /** read block size in bytes */
  blockSize?: number;
  /** a longer line is not held: it is yielded with `tooLong` and empty text */
  maxLineBytes?: number;
  /** the file is gzip-compressed: decompress it as it is read (`offset` must then be 0) */
  gzip?: boolean;
  /** how a message names the file (default: its base name) */
  name?: string;
}

/** A file's bytes in blocks from an offset on, decompressed when `gzip` (then only from 0). */
export async function* fileBlocks(path: string, opts: { start?: number; blockSize?: number; gzip?: boolean; name?: string } = {}): AsyncGenerator<Buffer> {
  const start = opts.start ?? 0;
  if (opts.gzip && start !== 0) throw new Error('a gzip file is read from its start');
  const raw = createReadStream(path, { start, highWaterMark: opts.blockSize ?? 64 * 1024 });
  const stream = opts.gzip ? raw.pipe(createGunzip({ chunkSize: Math.max(64, opts.blockSize ?? 64 * 1024) })) : raw;
  try {
    if (!opts.gzip) {
      for await (const block of stream as AsyncIterable<Buffer>) yield block;
      return;
    }
    const it = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    for (;;) {
      let r: IteratorResult<Buffer>;
      try {
        r = await it.next();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code?.startsWith('Z_')) throw new UserError(`${opts.name ?? basename(path)}: not a readable gzip file (${(e as Error).message})`);
        throw e;
      }
      if (r.done) return;
      yield r.value;
    }
  } finally {
    raw.destroy();
    if (stream !== raw) stream.destroy();
  }
}

const NEWLINE = 0x0a;
const CR = 0x0d;

/** One line's JSON value; a one-line error naming the line when it is not JSON. */
export function parseJsonLine(text: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError(`line ${line}: not valid JSON (${(e as Error).message})`);
  }
}

/** Yields the lines of a file from a byte offset on. Blank lines are counted but not yielded unless asked. */
export async function* readLines(path: string, opts: ReadLinesOptions = {}): AsyncGenerator<Line> {
  const start = opts.offset ?? 0;
  let lineNo = opts.line ?? 0;
  // pieces of the line being assembled (a long line can span many blocks)
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  // bytes of the current line once it passed the cap (then nothing of it is kept); -1 while under
  let overBytes = -1;
  // whether the last byte taken into the current line (kept or counted) is a '\r'
  let lastCR = false;
  const cap = opts.maxLineBytes ?? Infinity;
  let pos = start; // file offset of the first byte of the current block

  const long = (bytes: number, endOffset: number): Line => {
    lineNo += 1;
    return { line: lineNo, text: '', endOffset, tooLong: bytes };
  };

  const emit = (bytes: Buffer, endOffset: number): Line | null => {
    lineNo += 1;
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === CR) end -= 1;
    let text = bytes.toString('utf8', 0, end);
    if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (!opts.includeBlank && text.trim() === '') return null;
    return { line: lineNo, text, endOffset };
  };

  for await (const block of fileBlocks(path, { start, blockSize: opts.blockSize, gzip: opts.gzip, name: opts.name })) {
    let from = 0;
    for (;;) {
      const nl = block.indexOf(NEWLINE, from);
      if (nl < 0) break;
      const piece = block.subarray(from, nl);
      const total = (overBytes >= 0 ? overBytes : pendingBytes) + piece.length;
      // a '\r' before the newline (maybe the end of an earlier block) is not part of the line's length
      const length = total - ((piece.length > 0 ? piece[piece.length - 1] === CR : lastCR) ? 1 : 0);
      lastCR = false;
      if (length > cap) {
        pending = [];
        pendingBytes = 0;
        overBytes = -1;
        yield long(length, pos + nl + 1);
      } else {
        const bytes = pending.length ? Buffer.concat([...pending, piece]) : piece;
        pending = [];
        pendingBytes = 0;
        const l = emit(bytes, pos + nl + 1);
        if (l) yield l;
      }
      from = nl + 1;
    }
    if (from < block.length) {
      const rest = block.length - from;
      lastCR = block[block.length - 1] === CR;
      if (overBytes >= 0) overBytes += rest;
      else if (pendingBytes + rest > cap + 1) {
        // over the cap (one byte kept in hand for a '\r'): count the rest of the line, keep none of it
        overBytes = pendingBytes + rest;
        pending = [];
        pendingBytes = 0;
      } else {
        // copy: the stream may reuse or the slice may pin the whole block
        pending.push(Buffer.from(block.subarray(from)));
        pendingBytes += rest;
      }
    }
    pos += block.length;
  }
  if (overBytes >= 0) {
    yield long(overBytes - (lastCR ? 1 : 0), pos);
    overBytes = -1;
  } else if (pending.length) {
    const bytes = Buffer.concat(pending);
    pending = [];
    let length = bytes.length;
    if (length > 0 && bytes[length - 1] === CR) length -= 1;
    if (length > cap) yield long(length, pos);
    else {
      const l = emit(bytes, pos);
      if (l) yield l;
    }
  }
}

/**
 * Writes a JSONL file atomically: lines go to a temporary file beside the target, which is renamed over
 * it on close(); abort() removes the temporary file. Buffers writes into blocks.
 */
export class JsonlWriter {
  readonly path: string;
  private readonly tmp: string;
  private fh: FileHandle | null = null;
  private buf: string[] = [];
  private bufLen = 0;
  count = 0;

  private constructor(path: string) {
    this.path = resolve(path);
    this.tmp = `${this.path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  }

  static async create(path: string): Promise<JsonlWriter> {
    const w = new JsonlWriter(path);
    const st = await stat(w.path).catch(() => null);
    if (st?.isDirectory()) throw new UserError(`"${path}" is a folder: give a file name such as out.jsonl`);
    await mkdir(dirname(w.path), { recursive: true });
    w.fh = await open(w.tmp, 'w');
    return w;
  }

  async write(value: unknown): Promise<void> {
    const line = JSON.stringify(value) + '\n';
    this.buf.push(line);
    this.bufLen += line.length;
    this.count += 1;
    if (this.bufLen >= 1 << 20) await this.flush();
  }

  private async flush(): Promise<void> {
    if (!this.fh || this.buf.length === 0) return;
    await this.fh.write(this.buf.join(''));
    this.buf = [];
    this.bufLen = 0;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.fh?.close();
    this.fh = null;
    await rename(this.tmp, this.path);
  }

  async abort(): Promise<void> {
    await this.fh?.close().catch(() => undefined);
    this.fh = null;
    await rm(this.tmp, { force: true });
  }
}
