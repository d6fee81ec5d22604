// What an import refuses before a job is made, from the file itself: a path that is not there or is a
// folder, an empty file, text that is not UTF-8 (UTF-16 and UTF-32 named as such), a compressed or other
// binary file. The format is then read from the content, never from the extension: Parquet by its PAR1
// magic, MM-PRM's seed by a JSON array's `[`, else JSONL. Each refusal is one line naming the file.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { ProblemFormat } from '../../../src-shared/domain';
import { UserError } from '../errors';

/** Bytes read from the start of the file to tell its encoding and format. */
const HEAD_BYTES = 64 * 1024;

const COMPRESSED: { magic: number[]; name: string; undo: (f: string) => string }[] = [
  { magic: [0x1f, 0x8b], name: 'gzip-compressed', undo: (f) => `gzip -dc ${f} > ${f}.unpacked` },
  { magic: [0x50, 0x4b, 0x03, 0x04], name: 'a zip archive', undo: (f) => `unzip ${f}` },
  { magic: [0x42, 0x5a, 0x68], name: 'bzip2-compressed', undo: (f) => `bzip2 -dc ${f} > ${f}.unpacked` },
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], name: 'xz-compressed', undo: (f) => `xz -dc ${f} > ${f}.unpacked` },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], name: 'zstd-compressed', undo: (f) => `zstd -dc ${f} > ${f}.unpacked` },
];

function startsWith(buf: Buffer, magic: number[]): boolean {
  return buf.length >= magic.length && magic.every((b, i) => buf[i] === b);
}

/** UTF-16 without a byte-order mark: most odd (LE) or even (BE) bytes of ASCII-range text are NUL. */
function utf16WithoutBom(buf: Buffer): 'little-endian' | 'big-endian' | null {
  const n = Math.min(buf.length, 4096) & ~1;
  if (n < 4) return null;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < n; i += 2) {
    if (buf[i] === 0) evenNul++;
    if (buf[i + 1] === 0) oddNul++;
  }
  const pairs = n / 2;
  if (oddNul > 0.6 * pairs && evenNul < 0.1 * pairs) return 'little-endian';
  if (evenNul > 0.6 * pairs && oddNul < 0.1 * pairs) return 'big-endian';
  return null;
}

/** The first bytes as hex, for a message about a binary file. */
function hexHead(buf: Buffer): string {
  return [...buf.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

/**
 * Checks an input file before an import job is made and returns its format: the one given (after checking
 * that the content agrees) or the one its content shows. Throws a one-line UserError otherwise.
 */
export function inspectProblemFile(path: string, given?: ProblemFormat): ProblemFormat {
  const name = basename(path);
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new UserError(`${path} is a folder, not a file: give the problems file itself`);
    if (!st.isFile()) throw new UserError(`${path} is not a regular file`);
    size = st.size;
  } catch (e) {
    if (e instanceof UserError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(`file not found: ${path}`);
    throw e;
  }
  if (size === 0) throw new UserError(`${name} is empty (0 bytes): there is nothing to import`);
  const head = Buffer.alloc(Math.min(size, HEAD_BYTES));
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const isParquet = startsWith(head, [0x50, 0x41, 0x52, 0x31]); // PAR1
  if (isParquet) {
    if (given !== undefined && given !== 'parquet') throw new UserError(`${name} is a Parquet file, not ${given}: leave out --format (it is read from the content) or give --format parquet`);
    return 'parquet';
  }
  if (given === 'parquet') throw new UserError(`${name} is not a Parquet file (it does not start with the PAR1 magic bytes): leave out --format, it is read from the content`);

  const utf8From = (encoding: string): string =>
    `${name} is ${encoding} text; Steplab reads UTF-8: convert it (for example: iconv -f ${encoding.split(' ')[0]} -t UTF-8 ${name} > ${name.replace(/(\.[^.]*)?$/, '.utf8$1')}) and import that`;
  if (startsWith(head, [0x00, 0x00, 0xfe, 0xff])) throw new UserError(utf8From('UTF-32BE (big-endian)'));
  if (startsWith(head, [0xff, 0xfe, 0x00, 0x00])) throw new UserError(utf8From('UTF-32LE (little-endian)'));
  if (startsWith(head, [0xff, 0xfe])) throw new UserError(utf8From('UTF-16LE (little-endian)'));
  if (startsWith(head, [0xfe, 0xff])) throw new UserError(utf8From('UTF-16BE (big-endian)'));
  const bomless = utf16WithoutBom(head);
  if (bomless) throw new UserError(utf8From(bomless === 'little-endian' ? 'UTF-16LE (little-endian, no byte-order mark)' : 'UTF-16BE (big-endian, no byte-order mark)'));
  for (const c of COMPRESSED) {
    if (startsWith(head, c.magic)) throw new UserError(`${name} is ${c.name}, not text: unpack it first (${c.undo(name)}) and import the file inside`);
  }
  const nul = head.indexOf(0);
  if (nul >= 0) {
    throw new UserError(`${name} is binary, not text (a NUL byte at offset ${nul}; it starts with ${hexHead(head)}): Steplab imports JSONL, MM-PRM's seed JSON array or Parquet`);
  }
  // a multi-byte character cut by the end of the head is not an error: decode it as a stream
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: head.length < size });
  } catch {
    const at = firstInvalidUtf8(head);
    throw new UserError(
      `${name} is not UTF-8 text (byte 0x${head[at].toString(16).padStart(2, '0')} at offset ${at} is not valid UTF-8; Latin-1 or Windows-1252?): convert it (for example: iconv -f WINDOWS-1252 -t UTF-8 ${name} > ${name.replace(/(\.[^.]*)?$/, '.utf8$1')}) and import that`,
    );
  }
  let text = head.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const first = text.trimStart();
  if (first === '' && size <= HEAD_BYTES) throw new UserError(`${name} holds only blank lines: there is nothing to import`);
  const detected: ProblemFormat = first.startsWith('[') ? 'mmprm-seed' : 'jsonl';
  return given ?? detected;
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(buf: Buffer): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i];
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len === 0) return i;
    if (i + len > buf.length) return i;
    for (let k = 1; k < len; k++) if ((buf[i + k] & 0xc0) !== 0x80) return i;
    i += len;
  }
  return 0;
}
