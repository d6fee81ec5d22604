// Exports a dataset's problems as JSONL in the import format, so that importing the file gives the same
// problems back: `id` (the ext id), `question`, `answer`, `answer_type`, `images` (paths relative to the
// file, the files copied to <out folder>/images/<hash>.<ext>), `source`, `split`, `tags` when not empty,
// then every `meta` field unchanged (the extra fields of this dataset's row: each dataset keeps its own).
// An `answer_type` in meta is a value Steplab did not know on import (MathVista's `integer`): it is written
// instead of the inferred type, so the file reads as the source did and imports again as the same problem.
// Written to a temporary file, renamed over `out` at the end.
//
// `mmprm-seed` writes MM-PRM's seed instead (the README's input to data_pipeline/run_data_pipeline.py): one
// JSON array of {id, question, correct_answer, image_path}, so that Steplab's problems go back into
// MM-PRM's own pipeline. image_path is the ABSOLUTE path of the image copied beside the file, because
// MM-PRM's llm_utils.py opens 'file://' + image_path (a relative path would be read as a URL host);
// null for a problem without an image. MM-PRM's seed holds one image per question: a problem with two or
// more is refused before anything is written.
import { randomBytes } from 'node:crypto';
import { writeFile, rename, rm, mkdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Problem, ProblemExportFormat } from '../../../src-shared/domain';
import { UserError } from '../errors';
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
  /** jsonl (default): the import format; mmprm-seed: MM-PRM's seed JSON array */
  format?: ProblemExportFormat;
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

/** MM-PRM's seed entry of a problem, its image already copied to `imagePath` (absolute), or null without one. */
export function problemToSeed(p: Problem, imagePath: string | null): { id: string; question: string; correct_answer: string; image_path: string | null } {
  return { id: p.extId, question: p.question, correct_answer: p.answer, image_path: imagePath };
}

async function exportSeed(store: Store, datasetId: number, opts: ExportProblemsOptions): Promise<ExportProblemsResult> {
  const problems = [...store.problems.iterateDataset(datasetId, { split: opts.split, limit: opts.limit })];
  const multi = problems.find((p) => p.images.length > 1);
  if (multi) throw new UserError(`problem "${multi.extId}": has ${multi.images.length} images and MM-PRM's seed holds one image_path per question; leave it out (--split, --limit or another dataset) or export --format jsonl`);
  const out = resolve(opts.out);
  if ((await stat(out).catch(() => null))?.isDirectory()) throw new UserError(`"${opts.out}" is a folder: give a file name such as seed.json`);
  await mkdir(dirname(out), { recursive: true });
  const images = new ImageExporter(store.paths.imagesDir, dirname(out));
  const seed = [];
  for (const p of problems) {
    const [rel] = await images.paths(p.images);
    seed.push(problemToSeed(p, rel === undefined ? null : join(dirname(out), rel)));
  }
  const tmp = `${out}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    // indented as MM-PRM's own scripts dump their JSON
    await writeFile(tmp, JSON.stringify(seed, null, 4) + '\n');
    await rename(tmp, out);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return { written: seed.length, images: images.count, path: out };
}

export async function exportProblems(store: Store, opts: ExportProblemsOptions): Promise<ExportProblemsResult> {
  const datasetId = store.datasets.requireId(opts.dataset);
  if ((opts.format ?? 'jsonl') === 'mmprm-seed') return exportSeed(store, datasetId, opts);
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
