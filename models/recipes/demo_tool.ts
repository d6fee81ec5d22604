// The demo domain's TypeScript pieces, for the Python recipes (one source of truth for pictures,
// text twins and gold step labels):
//
//   node bin/run-ts.js models/recipes/demo_tool.ts pixels --data <dir> --split test --out <file.u8>
//       grey-scale pixels of the split's image problems, decoded from their PNGs as the app does
//       (imageToPixels); writes <file.u8> (M x 48 x 48) and <file.u8>.json ({ids, counts, shape})
//   node bin/run-ts.js models/recipes/demo_tool.ts twins --data <dir> --split test --out <file.jsonl>
//       the text version of each image problem of the split (textTwin), one JSON row each
//   node bin/run-ts.js models/recipes/demo_tool.ts label --in <file.jsonl> --out <file.jsonl>
//       gold labels (labelSolution) of solutions given as {"canonical", "image_count"?, "steps": [...]}
//       rows; writes {labels, firstError, finalCorrect, reasons, diagnosis, expected} rows in the same order
//       (expected: the checker's reference line for the first wrong line, '' when there is none or
//       when that line should not exist)
//   node bin/run-ts.js models/recipes/demo_tool.ts decode --in <list.json> --out <file.u8> [--size 48]
//       any images (file paths or data: URLs, a JSON array) as size x size grey-scale bytes, prepared
//       as src-main/core/inference/image.ts prepares them (alpha flattened on white, stretched, grey)
import { readFile, writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_IMAGE_SIZE, PROBLEMS_FILE, type DemoRow, checkStep, imageToPixels, labelSolution, textTwin } from '../../src-main/core/demo';

const USAGE = [
  'usage: node bin/run-ts.js models/recipes/demo_tool.ts pixels --data <dir> --split <split> --out <file.u8>',
  '       node bin/run-ts.js models/recipes/demo_tool.ts twins --data <dir> --split <split> --out <file.jsonl>',
  '       node bin/run-ts.js models/recipes/demo_tool.ts label --in <file.jsonl> --out <file.jsonl>',
  '       node bin/run-ts.js models/recipes/demo_tool.ts decode --in <list.json> --out <file.u8> [--size 48]',
].join('\n');

function fail(message: string): never {
  console.error(`demo_tool: ${message}\n${USAGE}`);
  process.exit(2);
}

async function readRows(dataDir: string, split: string): Promise<DemoRow[]> {
  const text = await readFile(join(dataDir, PROBLEMS_FILE), 'utf8');
  const rows: DemoRow[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let row: DemoRow;
    try {
      row = JSON.parse(line) as DemoRow;
    } catch (err) {
      fail(`${PROBLEMS_FILE} line ${i + 1}: ${(err as Error).message}`);
    }
    if (row.split === split) rows.push(row);
  });
  return rows;
}

async function pixels(dataDir: string, split: string, out: string): Promise<void> {
  const rows = (await readRows(dataDir, split)).filter((r) => r.image !== undefined);
  const tile = DEMO_IMAGE_SIZE * DEMO_IMAGE_SIZE;
  const buf = new Uint8Array(rows.length * tile);
  for (const [i, r] of rows.entries()) {
    const px = await imageToPixels(await readFile(join(dataDir, r.image as string)));
    if (px.length !== tile) fail(`${r.image}: expected ${tile} pixels, got ${px.length}`);
    buf.set(px, i * tile);
  }
  await writeFile(out, buf);
  const header = { shape: [rows.length, DEMO_IMAGE_SIZE, DEMO_IMAGE_SIZE], dtype: 'uint8', ids: rows.map((r) => r.id), counts: rows.map((r) => r.image_count) };
  await writeFile(`${out}.json`, JSON.stringify(header) + '\n');
  console.log(`pixels: ${rows.length} ${split} pictures from ${dataDir} -> ${out}`);
}

async function twins(dataDir: string, split: string, out: string): Promise<void> {
  const rows = (await readRows(dataDir, split)).filter((r) => r.image_count !== undefined);
  const lines = rows.map((r) => {
    const t = textTwin(r);
    return JSON.stringify({
      id: t.id,
      twin_of: r.id,
      question: t.question,
      answer: t.answer,
      split: t.split,
      reference_steps: t.reference_steps,
      canonical: t.canonical,
      difficulty: t.difficulty,
    });
  });
  await writeFile(out, lines.join('\n') + (lines.length ? '\n' : ''));
  console.log(`twins: ${rows.length} text versions of ${split} image problems -> ${out}`);
}

interface LabelRow {
  canonical: string;
  image_count?: number | null;
  steps: string[];
}

async function label(input: string, out: string): Promise<void> {
  const text = await readFile(input, 'utf8');
  const results: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let row: LabelRow;
    try {
      row = JSON.parse(line) as LabelRow;
    } catch (err) {
      fail(`${input} line ${i + 1}: ${(err as Error).message}`);
    }
    if (typeof row.canonical !== 'string' || !Array.isArray(row.steps)) fail(`${input} line ${i + 1}: needs "canonical" and "steps"`);
    const lab = labelSolution(row, row.steps);
    const expected = lab.firstError !== null ? checkStep(row, row.steps.slice(0, lab.firstError), row.steps[lab.firstError]).expected : '';
    results.push(JSON.stringify({ ...lab, expected }));
  });
  await writeFile(out, results.join('\n') + (results.length ? '\n' : ''));
  console.log(`label: ${results.length} solutions -> ${out}`);
}

async function decode(input: string, out: string, size: number): Promise<void> {
  const refs = JSON.parse(await readFile(input, 'utf8')) as unknown;
  if (!Array.isArray(refs) || !refs.every((r) => typeof r === 'string')) fail(`${input}: expected a JSON array of paths or data URLs`);
  const tile = size * size;
  const buf = new Uint8Array(refs.length * tile);
  for (const [i, ref] of (refs as string[]).entries()) {
    const m = /^data:[^;,]*;base64,(.*)$/s.exec(ref);
    let bytes: Buffer;
    try {
      bytes = m ? Buffer.from(m[1], 'base64') : await readFile(ref);
    } catch (err) {
      fail(`image ${i + 1} (${ref.slice(0, 80)}): ${(err as Error).message}`);
    }
    let raw: Buffer;
    try {
      raw = await sharp(bytes, { failOn: 'error' }).flatten({ background: '#ffffff' }).resize(size, size, { fit: 'fill' }).grayscale().raw().toBuffer();
    } catch (err) {
      fail(`image ${i + 1} (${ref.slice(0, 80)}): not a readable image (${(err as Error).message})`);
    }
    if (raw.length !== tile) fail(`image ${i + 1} (${ref.slice(0, 80)}): expected ${tile} grey pixels, got ${raw.length}`);
    buf.set(raw, i * tile);
  }
  await writeFile(out, buf);
  console.log(`decode: ${refs.length} images -> ${out}`);
}

const [command, ...rest] = process.argv.slice(2);
let values: { data?: string; split?: string; out?: string; in?: string; size?: string };
try {
  ({ values } = parseArgs({
    args: rest,
    options: { data: { type: 'string' }, split: { type: 'string' }, out: { type: 'string' }, in: { type: 'string' }, size: { type: 'string' } },
    strict: true,
  }));
} catch (err) {
  fail((err as Error).message);
}
if (!values.out) fail('--out is required');
switch (command) {
  case 'pixels':
  case 'twins': {
    if (!values.data || !values.split) fail('--data and --split are required');
    await (command === 'pixels' ? pixels : twins)(values.data, values.split, values.out);
    break;
  }
  case 'label':
    if (!values.in) fail('--in is required');
    await label(values.in, values.out);
    break;
  case 'decode': {
    if (!values.in) fail('--in is required');
    const size = Number(values.size ?? DEMO_IMAGE_SIZE);
    if (!Number.isInteger(size) || size < 8 || size > 1024) fail(`--size must be 8..1024, got ${values.size}`);
    await decode(values.in, values.out, size);
    break;
  }
  default:
    fail(`unknown command "${command ?? ''}"`);
}
