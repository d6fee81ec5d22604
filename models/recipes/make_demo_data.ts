// Writes the demo dataset (problems.jsonl, images/, stats.json) and optionally raw count pictures
// for pretraining the vision encoder.
//
//   node bin/run-ts.js models/recipes/make_demo_data.ts --out <dir> [--seed S]
//        [--train N --val N --test N] [--min-steps 2 --max-steps 5 --image-share 0.4]
//        [--allow-repeats] [--pixels N --pixel-size 48] [--image-format png|pixels] [--overwrite]
//
// --image-format pixels writes the image problems' pictures as one raw grey-scale file
// (problem_pixels.u8 + problem_pixels.json) instead of one PNG each: for large training sets.
//
// The bundled set is models/demo-data: --out models/demo-data --seed 1 --train 2000 --val 300 --test 500
import { parseArgs } from 'node:util';
import { writeCountPixels, writeDemoDataset } from '../../src-main/core/demo/writeDataset';

const USAGE =
  'usage: node bin/run-ts.js models/recipes/make_demo_data.ts --out <dir> [--seed S] [--train N --val N --test N] ' +
  '[--min-steps N --max-steps N --image-share X] [--allow-repeats] [--pixels N --pixel-size 48] [--image-format png|pixels] [--overwrite]';

function fail(message: string): never {
  console.error(`make_demo_data: ${message}\n${USAGE}`);
  process.exit(2);
}

function int(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) fail(`--${name} must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

function num(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const x = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(x)) fail(`--${name} must be a number, got "${raw}"`);
  return x;
}

function parse() {
  try {
    return parseArgs({
      options: {
        out: { type: 'string' },
        seed: { type: 'string' },
        train: { type: 'string' },
        val: { type: 'string' },
        test: { type: 'string' },
        'min-steps': { type: 'string' },
        'max-steps': { type: 'string' },
        'image-share': { type: 'string' },
        'allow-repeats': { type: 'boolean', default: false },
        pixels: { type: 'string' },
        'pixel-size': { type: 'string' },
        'image-format': { type: 'string' },
        overwrite: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    });
  } catch (err) {
    return fail((err as Error).message);
  }
}

const v = parse().values;
if (v.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!v.out) fail('--out is required');

const seed = int('seed', v.seed, 1);
const imageFormat = v['image-format'] ?? 'png';
if (imageFormat !== 'png' && imageFormat !== 'pixels') fail(`--image-format must be png or pixels, got "${imageFormat}"`);
const kb = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;
try {
  const res = await writeDemoDataset(v.out, {
    seed,
    train: int('train', v.train, 2000),
    val: int('val', v.val, 300),
    test: int('test', v.test, 500),
    minSteps: int('min-steps', v['min-steps'], 2),
    maxSteps: int('max-steps', v['max-steps'], 5),
    imageShare: num('image-share', v['image-share'], 0.4),
    uniqueWithinSplit: !v['allow-repeats'],
    overwrite: v.overwrite,
    imageFormat,
  });
  const { stats, timings, bytes } = res;
  console.log(`wrote ${stats.total} problems (${res.files.images} images) to ${v.out}`);
  for (const split of ['train', 'val', 'test'] as const) {
    const s = stats.splits[split];
    const hist = Object.entries(s.byDifficulty)
      .map(([d, n]) => `${d}:${n}`)
      .join(' ');
    console.log(`  ${split.padEnd(5)} ${String(s.count).padStart(6)}  images ${(s.imageShare * 100).toFixed(1)}%  steps ${hist}`);
  }
  const o = stats.canonicalOverlap;
  console.log(`  canonical overlap train/val ${o.train_val}, train/test ${o.train_test}, val/test ${o.val_test}`);
  console.log(
    `  bytes: problems.jsonl ${kb(bytes.problems)}, images ${kb(bytes.images)} (${imageFormat}, mean ${res.files.images ? Math.round(bytes.images / res.files.images) : 0} B), total ${kb(bytes.total)}`,
  );
  console.log(
    `  time: build ${timings.buildMs.toFixed(0)} ms, render+write images ${timings.renderMs.toFixed(0)} ms, total ${timings.totalMs.toFixed(0)} ms`,
  );

  if (v.pixels !== undefined) {
    const px = await writeCountPixels(v.out, { count: int('pixels', v.pixels, 0), seed, size: int('pixel-size', v['pixel-size'], 48) });
    console.log(`  pixels: ${px.header.shape.join('x')} uint8 + labels, ${kb(px.bytes)} in ${px.ms.toFixed(0)} ms`);
  }
} catch (err) {
  console.error(`make_demo_data: ${(err as Error).message}`);
  process.exit(1);
}
