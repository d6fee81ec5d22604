// `score --rollouts` holds the import size caps (issue "Nothing lost, nothing silent", item 3): a question
// over --max-question-bytes, a step over --max-answer-bytes, a picture over --max-image-bytes or
// --max-image-mpx (its header read before any decode), a line over --max-line-bytes or an array's item over
// --max-item-bytes (before it is parsed) is refused in one line naming the file, the line or item, the
// field, the size, the cap and the flag; no output file is written. The flags raise each cap.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli';
import { paddedJson, pngHeader } from './helpers/caps';
import { tempDir } from './helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let data: string;
let ws: string;

beforeAll(async () => {
  tmp = tempDir('steplab-rollcaps-');
  data = join(tmp.dir, 'data');
  mkdirSync(data, { recursive: true });
  // 300 × 300 = 0.09 Mpx
  writeFileSync(join(data, 'small.png'), await sharp({ create: { width: 300, height: 300, channels: 3, background: '#336699' } }).png().toBuffer());
  writeFileSync(join(data, 'photo.png'), pngHeader(20000, 20000));
  ws = join(tmp.dir, 'ws');
  const init = await cli('init', ws, '--demo', '--json');
  expect(init.code, init.err.join('\n')).toBe(0);
}, 120_000);
afterAll(() => tmp.cleanup());

const item = (i: number, over: Record<string, unknown> = {}): Record<string, unknown> => ({ id: `r${i}`, question: `What is ${i}+1?`, image_path: 'small.png', solutions_splits: [[`${i}+1=${i + 1}`, `The answer is ${i + 1}.`]], ...over });

/** Line 1 a good item, line 2 the given one (a JSON line or its text). */
function rollouts(name: string, second: Record<string, unknown> | string): string {
  const path = join(data, name);
  writeFileSync(path, JSON.stringify(item(1)) + '\n' + (typeof second === 'string' ? second : JSON.stringify(second)) + '\n');
  return path;
}

const score = (file: string, out: string, ...flags: string[]) => cli('score', '--workspace', ws, '--prm', 'tiny-prm', '--rollouts', file, '--out', out, '--shape', 'k12', ...flags);

async function refused(file: string, message: string, ...flags: string[]): Promise<void> {
  const out = join(tmp.dir, `${Math.random().toString(36).slice(2)}.jsonl`);
  const r = await score(file, out, ...flags);
  expect(r.code).toBe(1);
  expect(r.err).toEqual([`error: ${message}`]);
  expect(existsSync(out)).toBe(false);
}

async function accepted(file: string, ...flags: string[]): Promise<Record<string, unknown>> {
  const out = join(tmp.dir, `${Math.random().toString(36).slice(2)}.jsonl`);
  const r = await score(file, out, ...flags, '--json');
  expect(r.code, r.err.join('\n')).toBe(0);
  expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(2);
  return JSON.parse(r.out.at(-1)!);
}

describe('score --rollouts: the size caps', () => {
  it('a picture of 20000×20000 px (its header read, never decoded): too large, with the flag', async () => {
    await refused(rollouts('photo.jsonl', item(2, { image_path: 'photo.png' })), 'photo.jsonl line 2: field "image_path": image "photo.png" is too large (20000×20000 px; limit 100 Mpx); resize it or raise the limit with --max-image-mpx <n>');
  }, 60_000);

  it('--max-image-mpx lowers and raises the pixel cap; --max-image-bytes the file-size cap', async () => {
    const file = rollouts('small.jsonl', item(2));
    await refused(file, 'small.jsonl line 1: field "image_path": image "small.png" is too large (300×300 px; limit 0.05 Mpx); resize it or raise the limit with --max-image-mpx <n>', '--max-image-mpx', '0.05');
    expect(await accepted(file, '--max-image-mpx', '0.1')).toMatchObject({ items: 2, solutions: 2, steps: 4 });
    const size = readFileSync(join(data, 'small.png')).length;
    await refused(file, `small.jsonl line 1: field "image_path": image "small.png" is too large (${size.toLocaleString('en-US')} bytes; limit 64 bytes); shrink it or raise the limit with --max-image-bytes <bytes>`, '--max-image-bytes', '64');
    expect(await accepted(file, '--max-image-bytes', '1M')).toMatchObject({ items: 2 });
  }, 60_000);

  it('a question over --max-question-bytes, a step over --max-answer-bytes; the flags raise them', async () => {
    const q = rollouts('question.jsonl', item(2, { question: 'q'.repeat(2000) }));
    await refused(q, 'question.jsonl line 2: field "question": the question is too long (2,000 bytes; limit 1 KB); shorten it or raise the limit with --max-question-bytes <bytes>', '--max-question-bytes', '1K');
    expect(await accepted(q, '--max-question-bytes', '2K')).toMatchObject({ items: 2 });
    const s = rollouts('step.jsonl', item(2, { solutions_splits: [['short'], ['ok', 's'.repeat(70 * 1024)]] }));
    await refused(s, 'step.jsonl line 2: field "solutions_splits": step 2 of solution 2 is too long (71,680 bytes; limit 64 KB); shorten it or raise the limit with --max-answer-bytes <bytes>');
    expect(await accepted(s, '--max-answer-bytes', '100K')).toMatchObject({ items: 2, solutions: 3 });
  }, 60_000);

  it('a line over --max-line-bytes is refused before it is parsed; a line of exactly the cap is scored', async () => {
    const at = paddedJson(item(2), 2048);
    expect(await accepted(rollouts('at.jsonl', at), '--max-line-bytes', '2K')).toMatchObject({ items: 2 });
    const over = paddedJson(item(2), 2049);
    await refused(rollouts('over.jsonl', over), 'over.jsonl line 2: the line is 2.0 KB long (2,049 bytes; limit 2 KB); split it or raise the limit with --max-line-bytes <bytes>', '--max-line-bytes', '2K');
  }, 60_000);

  it('a JSON array: an item over --max-item-bytes is refused before it is parsed; at the cap it is scored, the array written back as JSON.stringify(items, null, 1) lays it out', async () => {
    const items = (second: string): string => `[\n ${JSON.stringify(item(1))},\n ${second}\n]\n`;
    const over = join(data, 'over.json');
    writeFileSync(over, items(paddedJson(item(2), 2049)));
    await refused(over, 'over.json item 2: the item is 2.0 KB long (2,049 bytes; limit 2 KB); split it or raise the limit with --max-item-bytes <bytes>', '--max-item-bytes', '2K');
    const at = join(data, 'at.json');
    writeFileSync(at, items(paddedJson(item(2), 2048)));
    const out = join(tmp.dir, 'at-scored.json');
    const r = await score(at, out, '--max-item-bytes', '2K', '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(JSON.parse(r.out.at(-1)!)).toMatchObject({ items: 2, solutions: 2, steps: 4 });
    const written = readFileSync(out, 'utf8');
    const scored = JSON.parse(written) as Record<string, unknown>[];
    expect(scored.map((o) => [o.id, (o.prm_scores as number[][]).map((s) => s.length)])).toEqual([
      ['r1', [2]],
      ['r2', [2]],
    ]);
    expect(written).toBe(JSON.stringify(scored, null, 1));
    // an empty array gives an empty array
    writeFileSync(join(data, 'empty.json'), '[]');
    expect((await score(join(data, 'empty.json'), join(tmp.dir, 'empty-scored.json'))).code).toBe(0);
    expect(readFileSync(join(tmp.dir, 'empty-scored.json'), 'utf8')).toBe('[]');
  }, 60_000);

  it('the cap flags go with --rollouts', async () => {
    const r = await cli('score', '--workspace', ws, '--prm', 'tiny-prm', '--dataset', 'demo', '--max-image-mpx', '5');
    expect(r.code).toBe(1);
    expect(r.err).toEqual(['error: --max-question-bytes, --max-answer-bytes, --max-image-bytes, --max-image-mpx, --max-line-bytes and --max-item-bytes go with --rollouts']);
  });
});
