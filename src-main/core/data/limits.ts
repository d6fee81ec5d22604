// Size caps of an import: a question, an answer, an image file and an image's pixels (its header's width ×
// height, read before any decode). Each refusal names the size, the cap and the flag that raises it.
import { statSync } from 'node:fs';
import type { ImportLimits } from '../../../src-shared/jobConfigs';
import { UserError } from '../errors';

export interface Limits {
  questionBytes: number;
  answerBytes: number;
  imageBytes: number;
  /** million pixels */
  imageMpx: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = {
  questionBytes: 1024 * 1024,
  answerBytes: 64 * 1024,
  imageBytes: 64 * 1024 * 1024,
  imageMpx: 100,
};

export const LIMIT_FLAGS: Readonly<Record<keyof Limits, string>> = {
  questionBytes: '--max-question-bytes',
  answerBytes: '--max-answer-bytes',
  imageBytes: '--max-image-bytes',
  imageMpx: '--max-image-mpx',
};

export function limitsOf(given: ImportLimits | undefined): Limits {
  return { ...DEFAULT_LIMITS, ...Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined)) };
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

/** Refuses a question or answer longer than its cap (UTF-8 bytes); `name` is the field as the row spells it. */
export function checkTextSize(kind: 'question' | 'answer', name: string, text: string, limits: Limits): void {
  const cap = kind === 'question' ? limits.questionBytes : limits.answerBytes;
  // a string of n UTF-16 units is at most 3n UTF-8 bytes: most texts need no count
  if (text.length * 3 <= cap) return;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= cap) return;
  throw new UserError(
    `field "${name}": the ${kind} is too long (${count(bytes)} bytes; limit ${formatBytes(cap)}); shorten it or raise the limit with ${LIMIT_FLAGS[kind === 'question' ? 'questionBytes' : 'answerBytes']} <bytes>`,
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
