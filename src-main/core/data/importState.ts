// What an import keeps between its two phases (importProblems.ts stages, importPublish.ts publishes): the
// checkpoint, a staged problem, and the report of bad rows.
import { closeSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ImportReport, ProblemFormat } from '../../../src-shared/domain';
import type { Store } from '../store';
import type { ParsedRow } from './problemRow';
import type { Position } from './readers/source';

/** How many bad rows the job result lists (the report file has them all). */
export const MAX_BAD_LINES = 100;

export type BadLine = { line: number; message: string };

export interface Checkpoint {
  v: 1;
  phase: 'staging' | 'published';
  format: ProblemFormat;
  file: { size: number; mtimeMs: number };
  pos: Position;
  staged: number;
  skipped: number;
  badLines: BadLine[];
  /** size of the partial error report covered by this checkpoint */
  reportBytes: number;
  result: ImportReport | null;
}

/** A problem as staged: everything publish needs, with images already stored as files. */
export type StagedProblem = Omit<ParsedRow, 'id' | 'images' | 'imageField'> & {
  extId: string;
  imageHashes: string[];
  /** the row had no id: extId was derived from the content */
  derived?: true;
};

export function reportPaths(store: Store, inputPath: string, jobId: number): { final: string; partial: string } {
  const final = join(store.paths.dir, 'reports', `${basename(inputPath)}.import-errors.jsonl`);
  return { final, partial: `${final}.job${jobId}.partial` };
}

/** Appends lines to a file and returns its new size. */
export function appendLines(path: string, lines: string[]): number {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'a');
  try {
    if (lines.length) writeSync(fd, lines.join(''));
  } finally {
    closeSync(fd);
  }
  return statSync(path).size;
}

