// Size caps of an import: a question, an answer, an image file and an image's pixels (its header's width ×
// height, read before any decode), one JSONL line's length and one item's length in a file that is a JSON
// array (or one JSON document), each checked while it is read and before it is parsed (a longer one is
// counted to its end but never held whole). Each refusal names the size, the cap and the flag that raises it.
import { statSync } from 'node:fs';
import type { ImportLimits } from '../../../src-shared/jobConfigs';
import { UserError } from '../errors';

export interface Limits {
  questionBytes: number;
  answerBytes: number;
  imageBytes: number;
  /** million pixels */
  imageMpx: number;
  /** one JSONL line, before it is parsed (see defaultLineBytes) */
  lineBytes: number;
  /** one item of a JSON array, or a file that is one JSON document, before it is parsed (the same default) */
  itemBytes: number;
}

/** The line (and item) cap when none is given: 8 MB, or the question and answer caps plus 1 MB when that is more. */
export const LINE_BYTES = 8 * 1024 * 1024;
export const LINE_MARGIN = 1024 * 1024;
export function defaultLineBytes(questionBytes: number, answerBytes: number): number {
  return Math.max(LINE_BYTES, questionBytes + answerBytes + LINE_MARGIN);
}

export const DEFAULT_LIMITS: Readonly<Limits> = {
  questionBytes: 1024 * 1024,
  answerBytes: 64 * 1024,
  imageBytes: 64 * 1024 * 1024,
  imageMpx: 100,
  lineBytes: LINE_BYTES,
  itemBytes: LINE_BYTES,
};

export const LIMIT_FLAGS: Readonly<Record<keyof Limits, string>> = {
  questionBytes: '--max-question-bytes',
  answerBytes: '--max-answer-bytes',
  imageBytes: '--max-image-bytes',
  imageMpx: '--max-image-mpx',
  lineBytes: '--max-line-bytes',
  itemBytes: '--max-item-bytes',
};

export function limitsOf(given: ImportLimits | undefined): Limits {
  const l: Limits = { ...DEFAULT_LIMITS, ...Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined)) };
  if (given?.lineBytes === undefined) l.lineBytes = defaultLineBytes(l.questionBytes, l.answerBytes);
  if (given?.itemBytes === undefined) l.itemBytes = defaultLineBytes(l.questionBytes, l.answerBytes);
  return l;
}

/** The refusal of a line over the line cap (`bytes`: its whole length, counted without holding it). */
export function lineTooLong(bytes: number, limits: Pick<Limits, 'lineBytes'>): string {
  return `the line is ${formatBytes(bytes)} long (${count(bytes)} bytes; limit ${formatBytes(limits.lineBytes)}); split it or raise the limit with ${LIMIT_FLAGS.lineBytes} <bytes>`;
}

/** The refusal of an item of a JSON array over the item cap (`bytes`: its whole length, counted without holding it). */
export function itemTooLong(bytes: number, limits: Pick<Limits, 'itemBytes'>): string {
  return `the item is ${formatBytes(bytes)} long (${count(bytes)} bytes; limit ${formatBytes(limits.itemBytes)}); split it or raise the limit with ${LIMIT_FLAGS.itemBytes} <bytes>`;
}

/** The refusal of a file that is one JSON document over the item cap (`bytes`: its length, decompressed). */
export function documentTooLong(bytes: number, limits: Pick<Limits, 'itemBytes'>): string {
  return `the JSON document is ${formatBytes(bytes)} long (${count(bytes)} bytes; limit ${formatBytes(limits.itemBytes)}); raise the limit with ${LIMIT_FLAGS.itemBytes} <bytes>`;
}

/** A byte count as people read it: 1 MB, 64 KB, 1.5 MB (binary multiples), or bytes under 1 KB. */
export function formatBytes(n: number): string {
  const units: [number, string][] = [
    [1024 ** 3, 'GB'],
    [1024 ** 2, 'MB'],
    [1024, 'KB'],
  ];
  for (const [size, unit] of units) {
    if (n >= size) {
      const v = n / size;
      return `${Number.isInteger(v) ? v : v.toFixed(1)} ${unit}`;
    }
  }
  return `${n} bytes`;
}

const count = (n: number): string => n.toLocaleString('en-US');

/**
 * Refuses a question or answer longer than its cap (UTF-8 bytes); `name` is the field as the row spells it.
 * A solution step (`score --rollouts`) is held to the answer cap; `what` names it ("step 2 of solution 1").
 */
export function checkTextSize(kind: 'question' | 'answer' | 'step', name: string, text: string, limits: Limits, what: string = `the ${kind}`): void {
  const cap = kind === 'question' ? limits.questionBytes : limits.answerBytes;
  // a string of n UTF-16 units is at most 3n UTF-8 bytes: most texts need no count
  if (text.length * 3 <= cap) return;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= cap) return;
  throw new UserError(
    `field "${name}": ${what} is too long (${count(bytes)} bytes; limit ${formatBytes(cap)}); shorten it or raise the limit with ${LIMIT_FLAGS[kind === 'question' ? 'questionBytes' : 'answerBytes']} <bytes>`,
  );
}

function tooLargeBytes(label: string, bytes: number, limits: Limits): UserError {
  return new UserError(`image "${label}" is too large (${count(bytes)} bytes; limit ${formatBytes(limits.imageBytes)}); shrink it or raise the limit with ${LIMIT_FLAGS.imageBytes} <bytes>`);
}

/** Refuses image bytes (a file read, a data URL, a Parquet cell) over the file-size cap. */
export function checkImageBytes(label: string, bytes: number, limits: Limits): void {
  if (bytes > limits.imageBytes) throw tooLargeBytes(label, bytes, limits);
}

/** Refuses an image file over the file-size cap before it is read. */
export function checkImageFileSize(path: string, label: string, limits: Limits): void {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return; // the read names what is wrong
  }
  checkImageBytes(label, size, limits);
}

/** Refuses an image whose header says it has more pixels than the cap. */
export function checkImagePixels(label: string, width: number, height: number, limits: Limits): void {
  if (width * height <= limits.imageMpx * 1_000_000) return;
  throw new UserError(`image "${label}" is too large (${width}×${height} px; limit ${limits.imageMpx} Mpx); resize it or raise the limit with ${LIMIT_FLAGS.imageMpx} <n>`);
}
