// Streaming reader for files that are one JSON array (MM-PRM's seed file, a benchmark's split, a rollout
// file, a label file of items). The bytes are scanned for the item boundaries only — the commas at depth 1
// outside strings, escapes and nesting followed — and each item's text is handed back to be parsed on its
// own, so memory holds one block plus one item, never the whole file. With `maxItemBytes`, an item longer
// than that stops being kept once it passes the cap: it is counted to its end and yielded as `tooLong`
// (its length) with empty text. Every item carries the byte offset just past it: a job that stores
// { offset, index } resumes with `readJsonArray(path, { offset, index })` at exactly the next item.
import { basename } from 'node:path';
import { UserError } from '../errors';
import { fileBlocks } from './jsonl';

export interface ArrayItem {
  /** 1-based position of the item in the array */
  index: number;
  /** the item's JSON text (UTF-8 decoded, without the whitespace around it); '' when `tooLong` */
  text: string;
  /** byte offset just after the item's comma (at the closing ']' for the last item) */
  endOffset: number;
  /** set (the item's length in bytes) when the item is over `maxItemBytes`; `text` is then '' */
  tooLong?: number;
}

export interface ReadArrayOptions {
  /** byte offset to start at: 0 or an `endOffset` of an earlier read */
  offset?: number;
  /** number of the last item before `offset` (0 at the start of the file) */
  index?: number;
  /** items to pass over, unyielded, from `offset` on (a gzip file, or a position saved as a count) */
  skip?: number;
  /** a longer item is not held: it is yielded with `tooLong` and empty text */
  maxItemBytes?: number;
  /** read block size in bytes */
  blockSize?: number;
  /** the file is gzip-compressed (then `offset` must be 0) */
  gzip?: boolean;
  /** how messages name the file (default: its base name) */
  name?: string;
}

const SPACE = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
/** UTF-8's byte-order mark, skipped at the start of a file */
const BOM = [0xef, 0xbb, 0xbf];
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** Yields the items of a file that is one JSON array, from a byte offset on. */
export async function* readJsonArray(path: string, opts: ReadArrayOptions = {}): AsyncGenerator<ArrayItem> {
  const name = opts.name ?? basename(path);
  const start = opts.offset ?? 0;
  const cap = opts.maxItemBytes ?? Infinity;
  let index = opts.index ?? 0;
  let skip = opts.skip ?? 0;
  // before the first item the scanner expects '['; after a resume it is inside the array, between items
  let started = start > 0;
  let depth = started ? 1 : 0;
  let inString = false;
  let escape = false;
  // the item being read: its pieces (while under the cap), its length so far, and the whitespace at its end
  let collecting = false;
  let kept: Buffer[] = [];
  let length = 0;
  let trailing = 0;
  let over = false;
  let done = false;
  let pos = start; // file offset of the first byte of the current block

  const finish = (endOffset: number): ArrayItem | null => {
    const bytes = length - trailing;
    let item: ArrayItem | null = null;
    index += 1;
    if (skip > 0) skip -= 1;
    else if (over || bytes > cap) item = { index, text: '', endOffset, tooLong: bytes };
    else item = { index, text: (kept.length === 1 ? kept[0] : Buffer.concat(kept)).toString('utf8', 0, bytes), endOffset };
    kept = [];
    length = 0;
    trailing = 0;
    over = false;
    collecting = false;
    return item;
  };

  for await (const block of fileBlocks(path, { start, blockSize: opts.blockSize, gzip: opts.gzip, name })) {
    if (done) {
      afterEnd(block, 0);
      pos += block.length;
      continue;
    }
    let i = 0;
    let from = 0; // where the current item's bytes in this block begin
    for (; i < block.length; i++) {
      const c = block[i];
      if (inString) {
        if (escape) escape = false;
        else if (c === BACKSLASH) escape = true;
        else if (c === QUOTE) inString = false;
        continue;
      }
      if (!started) {
        if (c === OPEN_BRACKET) {
          started = true;
          depth = 1;
        } else if (!SPACE(c) && !(pos + i < 3 && c === BOM[pos + i])) throw new UserError(`${name}: not a JSON array`);
        continue;
      }
      if (!collecting) {
        if (SPACE(c) || c === COMMA) continue;
        if (c === CLOSE_BRACKET) {
          done = true;
          i += 1;
          break;
        }
        collecting = true;
        from = i;
      }
      if (c === QUOTE) inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth += 1;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth -= 1;
        if (depth === 0) {
          if (c !== CLOSE_BRACKET) throw new UserError(`${name} item ${index + 1}: not valid JSON (a "}" at byte ${pos + i} closes more than the item opened)`);
          // the array's closing bracket right after its last item
          take(block, from, i);
          const item = finish(pos + i);
          done = true;
          if (item) yield item;
          i += 1;
          break;
        }
      } else if (c === COMMA && depth === 1) {
        take(block, from, i);
        const item = finish(pos + i + 1);
        if (item) yield item;
        continue;
      }
      if (SPACE(c)) trailing += 1;
      else trailing = 0;
    }
    if (done) {
      afterEnd(block, i);
      pos += block.length;
      continue;
    }
    if (collecting) {
      take(block, from, block.length, true);
      if (!over && length - trailing > cap) {
        // past the cap: count the rest of the item, keep none of it
        over = true;
        kept = [];
      }
    }
    pos += block.length;
  }
  if (!done) throw new UserError(`${name}: the JSON array ends before its closing "]"`);

  /** After the closing ']' only whitespace may follow: a second array or stray text would be lost unread. */
  function afterEnd(block: Buffer, from: number): void {
    for (let k = from; k < block.length; k++) {
      if (!SPACE(block[k])) throw new UserError(`${name}: text after the array's closing "]" (byte ${pos + k}); a file holds one JSON array`);
    }
  }

  /** Adds block[from, to) to the item; `copy` when the block goes on being read (a slice would pin it). */
  function take(block: Buffer, from: number, to: number, copy = false): void {
    length += to - from;
    if (over) return;
    kept.push(copy ? Buffer.from(block.subarray(from, to)) : block.subarray(from, to));
  }
}
