// Exports a dataset's problems as JSONL in the import format, so that importing the file gives the same
// problems back: `id` (the ext id), `question`, `answer`, `answer_type`, `images` (paths relative to the
// file, the files copied to <out folder>/images/<hash>.<ext>), `source`, `split`, `tags` when not empty,
// then every `meta` field unchanged (the extra fields of this dataset's row: each dataset keeps its own).
// An `answer_type` in meta is a value Steplab did not know on import (MathVista's `integer`): it is written
// instead of the inferred type, so the file reads as the source did and imports again as the same problem.
// Written to a temporary file, renamed over `out` at the end.
import { dirname, resolve } from 'node:path';
import type { Problem } from '../../../src-shared/domain';
import type { Store } from '../store';
import { ImageExporter } from './images';
import { JsonlWriter } from './jsonl';
import { FIELD_ALIASES } from './problemRow';

export interface ExportProblemsOptions {
  dataset: string;
  split?: string;
  limit?: number;
  /** the JSONL file to write */
  out: string;
  /** the only problem export format; accepted for the API's sake */
  format?: 'jsonl';
}

export interface ExportProblemsResult {
  written: number;
  /** distinct images referenced (and copied beside the file) */
  images: number;
  path: string;
}

const canon = (f: keyof typeof FIELD_ALIASES): string => FIELD_ALIASES[f].names[0];

/**
 * The import-format row of a problem. The modelled fields win over a `meta` field of the same name, but
 * for `answer_type`, which meta holds only when the source's value was not one of Steplab's.
 */
export function problemToRow(p: Problem, imagePaths: string[]): Record<string, unknown> {
  const typeKey = canon('answerType');
  const row: Record<string, unknown> = {
    [canon('id')]: p.extId,
    [canon('question')]: p.question,
    [canon('answer')]: p.answer,
    [typeKey]: Object.hasOwn(p.meta, typeKey) ? p.meta[typeKey] : p.answerType,
  };
  if (imagePaths.length) row[canon('images')] = imagePaths;
  if (p.source !== null) row[canon('source')] = p.source;
  if (p.split !== null) row[canon('split')] = p.split;
  if (p.tags.length) row[canon('tags')] = p.tags;
  for (const [k, v] of Object.entries(p.meta)) if (!Object.hasOwn(row, k)) row[k] = v;
  return row;
}

export async function exportProblems(store: Store, opts: ExportProblemsOptions): Promise<ExportProblemsResult> {
  const datasetId = store.datasets.requireId(opts.dataset);
  const out = resolve(opts.out);
  const outDir = dirname(out);
  const writer = await JsonlWriter.create(out);
  const images = new ImageExporter(store.paths.imagesDir, outDir);
  try {
    for (const p of store.problems.iterateDataset(datasetId, { split: opts.split, limit: opts.limit })) {
      const paths = await images.paths(p.images);
      await writer.write(problemToRow(p, paths));
    }
    await writer.close();
  } catch (e) {
    await writer.abort();
    throw e;
  }
  return { written: writer.count, images: images.count, path: writer.path };
}
