/**
 * Writes the demo dataset as MM-K12-style files:
 *   problems.jsonl   one problem per line (train, then val, then test)
 *   images/<id>.png  the picture of each image problem
 *   stats.json       counts, difficulty histogram, image share, canonical overlap (0)
 * and, for pretraining a count classifier without an image library, raw grey-scale pixels:
 *   pixels.u8        N × size × size bytes, row-major
 *   pixel_counts.u8  N bytes, the object count (1..9) of each picture
 *   pixels.json      { shape: [N, size, size], dtype: "uint8", ... }
 */
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BuildDemoOptions, DEMO_SOURCE, type DemoDatasetStats, buildDemoDataset } from './dataset';
import type { DemoProblem } from './generate';
import { DEMO_IMAGE_SIZE, MAX_COUNT, renderCountImage, renderCountPixelsMany } from './image';
import { createRng, mixSeed } from './rng';

export const PROBLEMS_FILE = 'problems.jsonl';
export const STATS_FILE = 'stats.json';
export const IMAGES_DIR = 'images';
export const PIXELS_FILE = 'pixels.u8';
export const PIXEL_COUNTS_FILE = 'pixel_counts.u8';
export const PIXELS_HEADER_FILE = 'pixels.json';

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
}

export interface WriteDemoResult {
  stats: DemoDatasetStats;
  files: { problems: string; stats: string; images: number };
  /** bytes written: JSONL, stats, all PNGs */
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
    for (const name of [PIXELS_FILE, PIXEL_COUNTS_FILE, PIXELS_HEADER_FILE, STATS_FILE]) await rm(join(outDir, name), { force: true });
    if (await exists(imagesDir)) {
      for (const name of await readdir(imagesDir)) if (/^demo-.*\.png$/.test(name)) await rm(join(imagesDir, name));
    }
  }
  const { problems, stats } = buildDemoDataset(opts);
  const t1 = performance.now();

  await mkdir(imagesDir, { recursive: true });
  const withImage = problems.filter((p) => p.image_count !== undefined);
  const sizes = await inBatches(withImage, RENDER_BATCH, async (p) => {
    const png = await renderCountImage(p.image_count as number, p.image_seed as number);
    await writeFile(join(imagesDir, `${p.id}.png`), png);
    return png.length;
  });
  const t2 = performance.now();

  const jsonl = problems.map((p) => JSON.stringify(toRow(p))).join('\n') + '\n';
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
