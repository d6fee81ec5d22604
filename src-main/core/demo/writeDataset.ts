/**
 * Writes the demo dataset as MM-K12-style files:
 *   problems.jsonl   one problem per line (train, then val, then test)
 *   images/<id>.png  the picture of each image problem
 *   stats.json       counts, difficulty histogram, image share, canonical overlap (0)
 * and, for pretraining a count classifier without an image library, raw grey-scale pixels:
 *   pixels.u8        N × size × size bytes, row-major
 *   pixel_counts.u8  N bytes, the object count (1..9) of each picture
 *   pixels.json      { shape: [N, size, size], dtype: "uint8", ... }
 * With `imageFormat: 'pixels'` (large training sets) the image problems' own pictures are written
 * as raw grey-scale pixels instead of PNGs, byte-identical to decoding the PNG (imageToPixels):
 *   problem_pixels.u8    M × 48 × 48 bytes, one picture per image row, in file order
 *   problem_pixels.json  { shape: [M, 48, 48], dtype: "uint8", ids: [...] }
 * and each image row carries `image_index` (its picture's index there) instead of `image`.
 */
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BuildDemoOptions, DEMO_SOURCE, type DemoDatasetStats, buildDemoDataset } from './dataset';
import type { DemoProblem } from './generate';
import { DEMO_IMAGE_SIZE, MAX_COUNT, renderCountImage, renderCountPixelsMany } from './image';
import { createRng, mixSeed } from '../rng';

export const PROBLEMS_FILE = 'problems.jsonl';
export const STATS_FILE = 'stats.json';
export const IMAGES_DIR = 'images';
export const PIXELS_FILE = 'pixels.u8';
export const PIXEL_COUNTS_FILE = 'pixel_counts.u8';
export const PIXELS_HEADER_FILE = 'pixels.json';
export const PROBLEM_PIXELS_FILE = 'problem_pixels.u8';
export const PROBLEM_PIXELS_HEADER_FILE = 'problem_pixels.json';

/** Pictures rendered at once; sharp runs them on libuv's thread pool. */
const RENDER_BATCH = 32;

export interface DemoRow {
  id: string;
  question: string;
  /** relative to the JSONL file; only for image problems */
  image?: string;
  answer: string;
  answer_type: 'number';
  split: string;
  source: string;
  reference_steps: { text: string; value: number }[];
  canonical: string;
  difficulty: number;
  image_count?: number;
  image_seed?: number;
  /** pixels mode only: index of the row's picture in problem_pixels.u8 (replaces `image`) */
  image_index?: number;
}

export function toRow(p: DemoProblem): DemoRow {
  const picture = p.image_count !== undefined;
  return {
    id: p.id,
    question: p.question,
    ...(picture ? { image: `${IMAGES_DIR}/${p.id}.png` } : {}),
    answer: p.answer,
    answer_type: p.answer_type,
    split: p.split ?? 'train',
    source: DEMO_SOURCE,
    reference_steps: p.reference_steps,
    canonical: p.canonical,
    difficulty: p.difficulty,
    ...(picture ? { image_count: p.image_count, image_seed: p.image_seed } : {}),
  };
}

export interface WriteDemoOptions extends BuildDemoOptions {
  /** remove an existing dataset's files (problems.jsonl, stats.json, images/demo-*.png, pixel files) first; default false */
  overwrite?: boolean;
  /** 'png' (default): images/<id>.png per image problem; 'pixels': one raw grey-scale file for all of them */
  imageFormat?: 'png' | 'pixels';
}

export interface ProblemPixelHeader {
  shape: [number, number, number];
  dtype: 'uint8';
  layout: string;
  /** row id of each picture, in order */
  ids: string[];
}

export interface WriteDemoResult {
  stats: DemoDatasetStats;
  files: { problems: string; stats: string; images: number };
  /** bytes written: JSONL, stats, all PNGs (pixels mode: the problem pixel file) */
  bytes: { problems: number; stats: number; images: number; total: number };
  timings: { buildMs: number; renderMs: number; totalMs: number };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Runs `fn` over `items`, `batch` at a time, keeping order. */
async function inBatches<T, R>(items: readonly T[], batch: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += batch) {
    out.push(...(await Promise.all(items.slice(i, i + batch).map((item, j) => fn(item, i + j)))));
  }
  return out;
}

export async function writeDemoDataset(outDir: string, opts: WriteDemoOptions): Promise<WriteDemoResult> {
  const t0 = performance.now();
  const problemsPath = join(outDir, PROBLEMS_FILE);
  const statsPath = join(outDir, STATS_FILE);
  const imagesDir = join(outDir, IMAGES_DIR);
  if (await exists(problemsPath)) {
    if (!opts.overwrite) throw new Error(`${problemsPath} exists; pass overwrite to replace the dataset`);
    for (const name of [PIXELS_FILE, PIXEL_COUNTS_FILE, PIXELS_HEADER_FILE, PROBLEM_PIXELS_FILE, PROBLEM_PIXELS_HEADER_FILE, STATS_FILE]) {
      await rm(join(outDir, name), { force: true });
    }
    if (await exists(imagesDir)) {
      for (const name of await readdir(imagesDir)) if (/^demo-.*\.png$/.test(name)) await rm(join(imagesDir, name));
    }
  }
  const { problems, stats } = buildDemoDataset(opts);
  const t1 = performance.now();

  const withImage = problems.filter((p) => p.image_count !== undefined);
  const pixelsMode = (opts.imageFormat ?? 'png') === 'pixels';
  let sizes: number[];
  let rows: DemoRow[];
  if (pixelsMode) {
    const pixels = await renderCountPixelsMany(withImage.map((p) => ({ count: p.image_count as number, seed: p.image_seed as number })));
    const header: ProblemPixelHeader = {
      shape: [withImage.length, DEMO_IMAGE_SIZE, DEMO_IMAGE_SIZE],
      dtype: 'uint8',
      layout: 'row-major grey-scale, 0 black .. 255 white; picture i belongs to the row with image_index i',
      ids: withImage.map((p) => p.id),
    };
    await mkdir(outDir, { recursive: true });
    await writeFile(join(outDir, PROBLEM_PIXELS_FILE), pixels);
    await writeFile(join(outDir, PROBLEM_PIXELS_HEADER_FILE), JSON.stringify(header) + '\n');
    sizes = [pixels.byteLength];
    const index = new Map(withImage.map((p, i) => [p.id, i]));
    rows = problems.map((p) => {
      const { image: _png, ...row } = toRow(p);
      const i = index.get(p.id);
      return i === undefined ? row : { ...row, image_index: i };
    });
  } else {
    await mkdir(imagesDir, { recursive: true });
    sizes = await inBatches(withImage, RENDER_BATCH, async (p) => {
      const png = await renderCountImage(p.image_count as number, p.image_seed as number);
      await writeFile(join(imagesDir, `${p.id}.png`), png);
      return png.length;
    });
    rows = problems.map(toRow);
  }
  const t2 = performance.now();

  const jsonl = rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const statsText = JSON.stringify(stats, null, 2) + '\n';
  await writeFile(problemsPath, jsonl);
  await writeFile(statsPath, statsText);
  const imageBytes = sizes.reduce((a, b) => a + b, 0);
  const bytes = {
    problems: Buffer.byteLength(jsonl),
    stats: Buffer.byteLength(statsText),
    images: imageBytes,
    total: Buffer.byteLength(jsonl) + Buffer.byteLength(statsText) + imageBytes,
  };
  return {
    stats,
    files: { problems: problemsPath, stats: statsPath, images: withImage.length },
    bytes,
    timings: { buildMs: t1 - t0, renderMs: t2 - t1, totalMs: performance.now() - t0 },
  };
}

export interface PixelOptions {
  /** number of pictures */
  count: number;
  seed: number;
  /** side in pixels; default DEMO_IMAGE_SIZE */
  size?: number;
}

export interface PixelHeader {
  shape: [number, number, number];
  dtype: 'uint8';
  layout: string;
  pixels: string;
  labels: string;
  labelRange: [number, number];
  seed: number;
}

/**
 * N grey-scale count pictures with uniformly drawn counts 1..9, from their own seed stream so
 * they never coincide with the dataset's pictures.
 */
export async function writeCountPixels(outDir: string, opts: PixelOptions): Promise<{ header: PixelHeader; bytes: number; ms: number }> {
  const t0 = performance.now();
  const size = opts.size ?? DEMO_IMAGE_SIZE;
  if (!Number.isInteger(opts.count) || opts.count < 1) throw new RangeError(`pixel count must be a positive integer, got ${opts.count}`);
  const rng = createRng(mixSeed(opts.seed, 0x9e1));
  const jobs = Array.from({ length: opts.count }, () => ({ count: rng.int(1, MAX_COUNT), seed: rng.uint32() }));
  const pixels = await renderCountPixelsMany(jobs, size);
  const labels = Uint8Array.from(jobs, (j) => j.count);
  await mkdir(outDir, { recursive: true });
  const header: PixelHeader = {
    shape: [opts.count, size, size],
    dtype: 'uint8',
    layout: 'row-major grey-scale, 0 black .. 255 white',
    pixels: PIXELS_FILE,
    labels: PIXEL_COUNTS_FILE,
    labelRange: [1, MAX_COUNT],
    seed: opts.seed,
  };
  await writeFile(join(outDir, PIXELS_FILE), pixels);
  await writeFile(join(outDir, PIXEL_COUNTS_FILE), labels);
  await writeFile(join(outDir, PIXELS_HEADER_FILE), JSON.stringify(header, null, 2) + '\n');
  return { header, bytes: pixels.byteLength + labels.byteLength, ms: performance.now() - t0 };
}
