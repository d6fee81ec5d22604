// Imports a step-level benchmark file (ProcessBench, VisualProcessBench, PRMBench) into a dataset: each
// row's problem joins the dataset (found by content fingerprint, so rows of the same problem share it;
// its id in the dataset is the first such row's id and its split that row's), and each row becomes one
// solution with its steps, its gold step labels and its row id (settings.benchmark), written by the
// row's generator / policy_model (origin). The whole file is read and checked first (rows, labels,
// images); then one transaction writes everything, so a refused or failed file leaves the workspace as
// it was. Importing the same file again adds nothing: a row whose id the dataset already holds with the
// same steps and labels is counted present, and one held with other steps or labels is refused.
import { existsSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { BenchFormat } from '../../../../src-shared/benchmarks';
import { UserError } from '../../errors';
import type { Store } from '../../store';
import type { NewSolution, Solution } from '../../store/solutions';
import { ImagePaths } from '../imagePaths';
import { checkImageRoot } from '../imageRoot';
import { checkTextSize, limitsOf, type Limits } from '../limits';
import type { ImportLimits } from '../../../../src-shared/jobConfigs';
import { imageLabel, imagePath, prepareImage, readImageRef, writeImageFile, type PreparedImage } from '../images';
import { FORMAT_NAMES, readBenchmarkRecords, type ParsedBenchRow } from './common';
import { parsePrmBenchRow } from './prmbench';
import { parseProcessBenchRow } from './processbench';
import { parseVisualProcessBenchRow } from './visualprocessbench';

export interface BenchmarkImportOptions {
  path: string;
  dataset: string;
  format: BenchFormat;
  /** the split the file's rows go to (default: the file's name without its extension) */
  split?: string;
  /** where VisualProcessBench's image paths are (imageRoot.ts); default: the file's folder */
  imageRoot?: string;
  /** read images outside the file's folder and imageRoot (imagePaths.ts) */
  allowOutside?: boolean;
  /** size caps other than the defaults (limits.ts) */
  limits?: ImportLimits;
}

export interface BenchmarkImportReport {
  format: BenchFormat;
  dataset: string;
  file: string;
  split: string;
  rows: number;
  added: number;
  /** rows the dataset already held with the same steps and labels */
  present: number;
  /** PRMBench: rows whose key an earlier row of the file had (mr_eval keeps the first) */
  duplicates: number;
  /** problems new to the workspace, and problems the rows share with earlier rows or imports */
  problems: { created: number; existing: number };
  images: number;
}

/** What a stored row holds in its solution's settings. */
export interface StoredBenchmarkRow {
  dataset: string;
  format: BenchFormat;
  id: string;
  split: string;
  file: string;
  index: number;
  label: number;
  [extra: string]: unknown;
}

export function storedBenchmark(s: Pick<Solution, 'settings'>): StoredBenchmarkRow | null {
  const b = (s.settings as { benchmark?: StoredBenchmarkRow }).benchmark;
  return b && typeof b.id === 'string' && typeof b.format === 'string' ? b : null;
}

// the split a file names: `gsm8k.json` -> gsm8k; the hub's Parquet shards `gsm8k-00000-of-00001.parquet` -> gsm8k
const stemOf = (name: string): string => name.replace(/\.(jsonl|json|ndjson|parquet)$/i, '').replace(/-\d{5}-of-\d{5}$/, '');

/** Reads and checks every row of a benchmark file (nothing is written); `limits`: the line and item caps (limits.ts). */
export async function parseBenchmarkFile(path: string, format: BenchFormat, split: string | undefined, limits: Pick<Limits, 'lineBytes' | 'itemBytes'>): Promise<{ rows: ParsedBenchRow[]; duplicates: number; split: string }> {
  const name = basename(path);
  const sp = split ?? stemOf(name);
  const rows: ParsedBenchRow[] = [];
  const seen = new Map<string, string>();
  let duplicates = 0;
  let index = -1;
  for await (const r of readBenchmarkRecords(path, limits)) {
    index += 1;
    const made =
      format === 'processbench'
        ? [parseProcessBenchRow(r.value, r.where, index, sp)]
        : format === 'visualprocessbench'
          ? [parseVisualProcessBenchRow(r.value, r.where, index, sp, stemOf(name))]
          : parsePrmBenchRow(r.value, r.where, index, sp);
    for (const row of made) {
      const first = seen.get(row.id);
      if (first !== undefined) {
        if (format === 'prmbench') {
          duplicates++;
          continue;
        }
        throw new UserError(`${row.where}: id "${row.id}" is already used by ${first}`);
      }
      seen.set(row.id, row.where);
      rows.push(row);
    }
  }
  if (index < 0) throw new UserError(`${name}: no rows`);
  return { rows, duplicates, split: sp };
}

const sameRow = (s: Solution, r: ParsedBenchRow): boolean =>
  s.steps.length === r.steps.length && s.steps.every((st, i) => st.text === r.steps[i] && st.goldLabel === r.gold[i]);

/**
 * A benchmark's file, or a folder of its split files: each .json / .jsonl / .ndjson / .parquet file under
 * the folder is one split, named after the file (ProcessBench's gsm8k.json, math.json, ...), imported in
 * name order, each whole or not at all (a re-run adds nothing twice). `split` names one file's split only.
 */
export async function importBenchmarkPath(store: Store, opts: BenchmarkImportOptions): Promise<BenchmarkImportReport[]> {
  const full = resolve(opts.path);
  const files = existsSync(full) && statSync(full).isDirectory() ? readdirSync(full).filter((f) => /\.(jsonl|json|ndjson|parquet)$/i.test(f)).sort().map((f) => join(full, f)) : [full];
  if (files.length === 0) throw new UserError(`${opts.path}: a folder with no .json or .jsonl files; give the benchmark's file, or the folder that holds its split files`);
  if (files.length > 1 && opts.split) throw new UserError(`--split names one file's split; ${opts.path} holds ${files.length} files, each imported as the split of its file name (leave --split out, or give one file)`);
  const reports: BenchmarkImportReport[] = [];
  for (const file of files) reports.push(await importBenchmark(store, { ...opts, path: file }));
  return reports;
}

export async function importBenchmark(store: Store, opts: BenchmarkImportOptions): Promise<BenchmarkImportReport> {
  const path = resolve(opts.path);
  const name = basename(path);
  if (!existsSync(path)) throw new UserError(`file not found: ${opts.path}`);
  const { rows, duplicates, split } = await parseBenchmarkFile(path, opts.format, opts.split, limitsOf(opts.limits));

  // rows the dataset already holds, by id
  const held = new Map<string, Solution>();
  for (const s of store.solutions.benchmarkRows(opts.dataset)) {
    const b = storedBenchmark(s);
    if (b) held.set(b.id, s);
  }
  const todo: ParsedBenchRow[] = [];
  let present = 0;
  for (const r of rows) {
    const s = held.get(r.id);
    if (!s) {
      todo.push(r);
      continue;
    }
    const b = storedBenchmark(s)!;
    if (b.format !== opts.format) throw new UserError(`${r.where}: id "${r.id}" is already in dataset "${opts.dataset}" as a ${FORMAT_NAMES[b.format]} row`);
    if (!sameRow(s, r)) throw new UserError(`${r.where}: id "${r.id}" is already in dataset "${opts.dataset}" with other steps or labels`);
    present++;
  }

  // pictures: read, checked and hashed before anything is written
  const resolver = new ImagePaths(dirname(path), opts.imageRoot === undefined ? null : checkImageRoot(opts.imageRoot), opts.allowOutside ?? false);
  const limits = limitsOf(opts.limits);
  const images = new Map<string, PreparedImage>();
  const hashesOf = new Map<ParsedBenchRow, string[]>();
  for (const r of todo) {
    const hashes: string[] = [];
    try {
      checkTextSize('question', 'question', r.question, limits);
      checkTextSize('answer', 'answer', r.answer, limits);
    } catch (e) {
      if (e instanceof UserError) throw new UserError(`${r.where}: ${e.message}`);
      throw e;
    }
    for (const ref of r.images) {
      let img: PreparedImage;
      try {
        img = await prepareImage(readImageRef(ref, dirname(path), (p) => resolver.locate(p), limits), imageLabel(ref), limits);
      } catch (e) {
        // named by its field, as the other imports name theirs
        if (e instanceof UserError) throw new UserError(`${r.where}: field "${r.imageField ?? 'image'}": ${e.message}`);
        throw e;
      }
      images.set(img.ref.hash, img);
      hashes.push(img.ref.hash);
    }
    hashesOf.set(r, hashes);
  }

  const written: string[] = [];
  let newImages = 0;
  const problems = { created: 0, existing: 0 };
  try {
    for (const img of images.values()) if (writeImageFile(store.paths.imagesDir, img)) written.push(imagePath(store.paths.imagesDir, img.ref));
    store.transaction(() => {
      const datasetId = store.datasets.getOrCreate(opts.dataset);
      for (const img of images.values()) if (store.images.insert(img.ref)) newImages++;
      const seenProblems = new Set<number>();
      const solutions: NewSolution[] = [];
      for (const r of todo) {
        const { id: problemId, created } = store.problems.upsert({ question: r.question, answer: r.answer, answerType: r.answerType, source: opts.format, tags: [], imageHashes: hashesOf.get(r)!, meta: {} });
        if (!seenProblems.has(problemId)) {
          seenProblems.add(problemId);
          if (created) problems.created++;
          else problems.existing++;
        }
        if (store.datasets.memberExtId(datasetId, problemId) === undefined) {
          try {
            store.datasets.addMember(datasetId, problemId, r.id, r.split);
          } catch (e) {
            if (e instanceof UserError) throw new UserError(`${r.where}: ${e.message}`);
            throw e;
          }
        }
        const benchmark: StoredBenchmarkRow = { dataset: opts.dataset, format: opts.format, id: r.id, split: r.split, file: name, index: r.index, label: r.label, ...r.extra };
        solutions.push({ problemId, modelId: null, origin: r.origin, finalAnswer: null, verdict: r.verdict, settings: { benchmark }, steps: r.steps.map((text, i) => ({ text, goldLabel: r.gold[i] })) });
      }
      store.solutions.insertMany(solutions);
      if (todo.length > 0) store.datasets.bumpVersion(datasetId);
    });
  } catch (e) {
    for (const f of written) if (existsSync(f)) unlinkSync(f);
    throw e;
  }
  return { format: opts.format, dataset: opts.dataset, file: name, split, rows: rows.length, added: todo.length, present, duplicates, problems, images: newImages };
}
