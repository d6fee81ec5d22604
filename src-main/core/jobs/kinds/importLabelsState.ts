// What an import-labels job keeps between staging (importLabels.ts) and publishing (importLabelsPublish.ts):
// its checkpoint, a staged marker for a unit imported before, the default set name, and the report of bad
// units and warnings.
import { closeSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { ImportLabelsReport } from '../../../../src-shared/domain';
import type { Store } from '../../store';
import type { StagedUnit } from '../../data/labels/publish';
import type { Inner } from '../../data/labels/sources';

/** How many bad units the job result lists (the report file has them all). */
export const MAX_BAD = 100;

export type Bad = { where: string; message: string };
export type ReportLine = Bad & { level: 'error' | 'warning' };

export interface Position {
  file: number;
  inner: Inner | null;
}

export interface Checkpoint {
  v: 1;
  phase: 'staging' | 'published';
  format: string;
  detected: string | null;
  setName: string;
  /** the files read and their sizes and times: a resumed import refuses files that changed */
  filesKey: string;
  files: number;
  pos: Position;
  seq: number;
  skipped: number;
  unchanged: number;
  warnings: number;
  badLines: Bad[];
  reportBytes: number;
  result: ImportLabelsReport | null;
}

/** A staged unit whose content was imported before: only its problem's membership is published. */
export interface ImportedMarker {
  imported: number;
  where: string;
  problem: StagedUnit['problem'];
}

/** The default annotation set: the file's or folder's name without its extensions. */
export function defaultSetName(path: string): string {
  const name = basename(resolve(path)).replace(/(\.(jsonl|ndjson|json|parquet|gz))+$/i, '');
  return name === '' ? 'imported' : name;
}

export function reportPaths(store: Store, setName: string, jobId: number): { final: string; partial: string } {
  const final = join(store.paths.dir, 'reports', `${setName.replace(/[^A-Za-z0-9._-]+/g, '_')}.import-labels.jsonl`);
  return { final, partial: `${final}.job${jobId}.partial` };
}

export function appendLines(path: string, lines: readonly ReportLine[], size: number): number {
  if (lines.length === 0) return size;
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'a');
  try {
    writeSync(fd, lines.map((l) => JSON.stringify(l) + '\n').join(''));
  } finally {
    closeSync(fd);
  }
  return statSync(path).size;
}
