// Step scores a PRM produced elsewhere (`steplab bench-prm --scores <file>`, or a scores file chosen in the
// bench-prm launch form): JSON lines, each either {"id": <row id>, "scores": [..]} or a bare array of
// numbers, the bare arrays in the imported file's row order. One form per file. Pure: the CLI reads the
// file and hashes it with node:crypto, the renderer with Web Crypto; matching the lines to the benchmark
// rows, and the refusal of a count that differs from a row's steps, is src-main/core/reward/benchRows.ts's.

export interface ScoresLine {
  /** 1-based line number in the file */
  line: number;
  /** the row id (by-id form) */
  id?: string;
  scores: number[];
}

export interface ScoresFile {
  /** the file's name, as messages and the evaluation's provenance give it */
  file: string;
  sha256: string;
  form: 'by-id' | 'ordered';
  lines: ScoresLine[];
}

/** A scores file that does not read: the message names the file and line. */
export class ScoresFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScoresFileError';
  }
}

const numbers = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/** Parses a scores file's text (its digest is the caller's); a one-line error names the file and line of the first problem. */
export function parseScoresText(text: string, file: string): Omit<ScoresFile, 'sha256'> {
  const lines: ScoresLine[] = [];
  let form: ScoresFile['form'] | null = null;
  let firstLine = 0;
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  body.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (e) {
      throw new ScoresFileError(`${file} line ${line}: not valid JSON (${(e as Error).message})`);
    }
    let here: ScoresFile['form'];
    let entry: ScoresLine;
    if (Array.isArray(v)) {
      if (!numbers(v)) throw new ScoresFileError(`${file} line ${line}: expected an array of finite numbers (one score per step)`);
      here = 'ordered';
      entry = { line, scores: v };
    } else if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>;
      const id = typeof o.id === 'number' ? String(o.id) : o.id;
      if (typeof id !== 'string' || id === '') throw new ScoresFileError(`${file} line ${line}: field "id": expected the row's id`);
      if (!numbers(o.scores)) throw new ScoresFileError(`${file} line ${line}: field "scores": expected an array of finite numbers (one score per step)`);
      here = 'by-id';
      entry = { line, id, scores: o.scores };
    } else {
      throw new ScoresFileError(`${file} line ${line}: expected {"id": <row id>, "scores": [..]} or an array of scores`);
    }
    if (form === null) [form, firstLine] = [here, line];
    else if (form !== here) {
      throw new ScoresFileError(`${file} line ${line}: ${here === 'ordered' ? 'a bare array' : 'a line with an id'} after ${form === 'ordered' ? 'bare arrays' : 'lines with ids'} (line ${firstLine}): use one form in a file`);
    }
    lines.push(entry);
  });
  if (form === null) throw new ScoresFileError(`${file}: no scores`);
  if (form === 'by-id') {
    const seen = new Map<string, number>();
    for (const l of lines) {
      const at = seen.get(l.id!);
      if (at !== undefined) throw new ScoresFileError(`${file} line ${l.line}: row "${l.id}" already has scores on line ${at}`);
      seen.set(l.id!, l.line);
    }
  }
  return { file, form, lines };
}
