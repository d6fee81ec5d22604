// Size caps of an import (issue "Nothing lost, nothing silent", item 3): a question over 1 MB, an answer
// over 64 KB, an image file over 64 MB or over 100 Mpx (read from its header, before any decode) is
// refused in one line naming the file, the line, the field, the size, the cap and the flag that raises it;
// nothing stored changes and no job row is left. The flags raise (or lower) each cap.
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli';
import { acceptedInFresh, jsonl, pngHeader, refusedUnchanged, visualprmRow, workspaceState } from './helpers/caps';
import { tempDir } from './helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let data: string;
let ws: string;

beforeAll(async () => {
  tmp = tempDir('steplab-caps-');
  data = join(tmp.dir, 'data');
  mkdirSync(data, { recursive: true });
  writeFileSync(join(data, 'small.png'), await sharp({ create: { width: 16, height: 12, channels: 3, background: '#336699' } }).png().toBuffer());
  writeFileSync(join(data, 'photo.png'), pngHeader(20000, 20000));
  // 3000 × 3000 = 9 Mpx, a real picture (one colour compresses to a few KB)
  writeFileSync(join(data, 'nine.png'), await sharp({ create: { width: 3000, height: 3000, channels: 3, background: '#ffffff' } }).png().toBuffer());
  // a file of 65 MB (sparse: nothing is written), refused by its size before it is read
  writeFileSync(join(data, 'huge.png'), readFileSync(join(data, 'small.png')));
  truncateSync(join(data, 'huge.png'), 65 * 1024 * 1024);
  ws = join(tmp.dir, 'ws');
  const r = await cli('init', ws);
  expect(r.code, r.err.join('\n')).toBe(0);
});
afterAll(() => tmp.cleanup());

/** Six good lines, then the given row on line 7. */
function problems(name: string, row: Record<string, unknown>): string {
  const rows = Array.from({ length: 6 }, (_, i) => ({ id: `ok${i}`, question: `What is ${i} + 1?`, answer: String(i + 1), image: 'small.png' }));
  const path = join(data, name);
  writeFileSync(path, jsonl([...rows, { id: 'big', question: 'Which?', answer: '1', ...row }]));
  return path;
}

async function refused(file: string, message: string, ...flags: string[]): Promise<void> {
  const before = await refusedUnchanged(ws, ['import', file, '--workspace', ws, '--dataset', 'k12', ...flags], message);
  expect(before).toMatchObject({ jobs: 0, problems: 0, datasets: [] });
}

const accepted = (file: string, ...flags: string[]): Promise<Record<string, number>> => acceptedInFresh(tmp.dir, (other) => ['import', file, '--workspace', other, '--dataset', 'k12', ...flags]);

describe('steplab import: size caps', () => {
  it('an image of 20000×20000 px (its header read, never decoded): too large, with the flag that raises the cap', async () => {
    const file = problems('problems.jsonl', { image: 'photo.png' });
    await refused(file, 'problems.jsonl line 7: field "image": image "photo.png" is too large (20000×20000 px; limit 100 Mpx); resize it or raise the limit with --max-image-mpx <n>');
  });

  it('--max-image-mpx lowers and raises the pixel cap', async () => {
    const file = problems('nine.jsonl', { image: 'nine.png' });
    await refused(file, 'nine.jsonl line 7: field "image": image "nine.png" is too large (3000×3000 px; limit 5 Mpx); resize it or raise the limit with --max-image-mpx <n>', '--max-image-mpx', '5');
    expect(await accepted(file, '--max-image-mpx', '10')).toEqual({ imported: 7, images: 2, skipped: 0 });
    expect(await accepted(file)).toEqual({ imported: 7, images: 2, skipped: 0 });
  }, 60_000);

  it('an image file over 64 MB: refused by its size before it is read; --max-image-bytes', async () => {
    const file = problems('huge.jsonl', { images: ['small.png', 'huge.png'] });
    await refused(file, 'huge.jsonl line 7: field "images": image "huge.png" is too large (68,157,440 bytes; limit 64 MB); shrink it or raise the limit with --max-image-bytes <bytes>');
    const small = problems('small.jsonl', { image: 'small.png' });
    const size = readFileSync(join(data, 'small.png')).length;
    await refused(small, `small.jsonl line 1: field "image": image "small.png" is too large (${size.toLocaleString('en-US')} bytes; limit 64 bytes); shrink it or raise the limit with --max-image-bytes <bytes>`, '--max-image-bytes', '64');
    expect(await accepted(small, '--max-image-bytes', '1K')).toMatchObject({ imported: 7 });
  });

  it('an image in a data URL over the cap', async () => {
    const url = `data:image/png;base64,${readFileSync(join(data, 'small.png')).toString('base64')}`;
    const file = join(data, 'dataurl.jsonl');
    writeFileSync(file, jsonl([{ id: 'u', question: 'Inline?', answer: '1', image: url }]));
    await refused(file, `dataurl.jsonl line 1: field "image": image "${url.slice(0, 40)}…" is too large (${readFileSync(join(data, 'small.png')).length.toLocaleString('en-US')} bytes; limit 100 bytes); shrink it or raise the limit with --max-image-bytes <bytes>`, '--max-image-bytes', '100');
  });

  it('a question over 1 MB and an answer over 64 KB; --max-question-bytes and --max-answer-bytes', async () => {
    const q = problems('question.jsonl', { question: 'x'.repeat(1024 * 1024 + 1) });
    await refused(q, 'question.jsonl line 7: field "question": the question is too long (1,048,577 bytes; limit 1 MB); shorten it or raise the limit with --max-question-bytes <bytes>');
    expect(await accepted(q, '--max-question-bytes', '2M')).toMatchObject({ imported: 7 });
    // multi-byte text is counted in UTF-8 bytes: 400,000 characters of 3 bytes each
    const wide = problems('wide.jsonl', { question: '数'.repeat(400_000) });
    await refused(wide, 'wide.jsonl line 7: field "question": the question is too long (1,200,000 bytes; limit 1 MB); shorten it or raise the limit with --max-question-bytes <bytes>');
    const a = problems('answer.jsonl', { correct_answer: '7'.repeat(64 * 1024 + 5), answer: undefined });
    await refused(a, 'answer.jsonl line 7: field "correct_answer": the answer is too long (65,541 bytes; limit 64 KB); shorten it or raise the limit with --max-answer-bytes <bytes>');
    expect(await accepted(a, '--max-answer-bytes', '100000')).toMatchObject({ imported: 7 });
  }, 60_000);

  it('--skip-bad: the line over a cap is reported, the rest imported', async () => {
    const file = problems('skip.jsonl', { image: 'photo.png' });
    expect(await accepted(file, '--skip-bad')).toEqual({ imported: 6, images: 1, skipped: 1 });
  });

  it('a bad flag value is refused before anything is read', async () => {
    const file = problems('flag.jsonl', {});
    const r = await cli('import', file, '--workspace', ws, '--dataset', 'k12', '--max-image-mpx', 'lots');
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toMatch(/--max-image-mpx <n>' argument 'lots' is invalid\. must be a number above 0/);
  });
});

describe('import-labels: the same caps', () => {
  it('an image over the pixel cap, a question over the cap: refused, nothing changed; the flags raise them', async () => {
    const dir = join(data, 'labels');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'photo.png'), pngHeader(20000, 20000));
    writeFileSync(join(dir, 'small.png'), readFileSync(join(data, 'small.png')));
    writeFileSync(join(dir, 'big-image.jsonl'), JSON.stringify({ ...visualprmRow(), image: 'photo.png' }) + '\n');
    writeFileSync(join(dir, 'big-question.jsonl'), JSON.stringify({ ...visualprmRow(), image: 'small.png', question: 'y'.repeat(2000), question_orig: 'y'.repeat(2000) }) + '\n');
    const before = workspaceState(ws);
    const img = await cli('import-labels', join(dir, 'big-image.jsonl'), '--workspace', ws, '--dataset', 'v');
    expect(img.err).toEqual(['error: big-image.jsonl line 1: field "image": image "photo.png" is too large (20000×20000 px; limit 100 Mpx); resize it or raise the limit with --max-image-mpx <n>']);
    const q = await cli('import-labels', join(dir, 'big-question.jsonl'), '--workspace', ws, '--dataset', 'v', '--max-question-bytes', '1K');
    expect(q.err).toEqual(['error: big-question.jsonl line 1: field "question": the question is too long (2,000 bytes; limit 1 KB); shorten it or raise the limit with --max-question-bytes <bytes>']);
    expect(workspaceState(ws)).toEqual(before);
    const ok = await cli('import-labels', join(dir, 'big-question.jsonl'), '--workspace', ws, '--dataset', 'v', '--max-question-bytes', '2K', '--json');
    expect(ok.code, ok.err.join('\n')).toBe(0);
    expect(JSON.parse(ok.out.at(-1)!)).toMatchObject({ problems: 1, skipped: 0 });
  });
});
