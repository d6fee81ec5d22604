import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportProblems } from '../src-main/core/data/exportProblems';
import { importJob } from '../src-main/core/data/importProblems';
import type { ImportConfig } from '../src-main/core/data/importProblems';
import { imagePath } from '../src-main/core/data/images';
import { readLines } from '../src-main/core/data/jsonl';
import { derivedExtId, inferAnswerType } from '../src-main/core/data/problemRow';
import { executeJob } from '../src-main/core/jobs/execute';
import { Store } from '../src-main/core/store';
import type { ImportReport } from '../src-shared/domain';
import { writeParquet } from './helpers/parquet';
import { SimulatedKill, runJob } from './helpers/runJob';
import { tempDir } from './helpers/tmp';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const png = (w: number, h: number, color: string): Promise<Buffer> =>
  sharp({ create: { width: w, height: h, channels: 3, background: color } }).png().toBuffer();
const jpg = (w: number, h: number, color: string): Promise<Buffer> =>
  sharp({ create: { width: w, height: h, channels: 3, background: color } }).jpeg().toBuffer();
const jsonl = (rows: unknown[]): string => rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';

let tmp: { dir: string; cleanup(): void };
let ws: string;
let data: string;
let store: Store;
const img: Record<string, Buffer> = {};

beforeEach(async () => {
  tmp = tempDir('steplab-import-');
  ws = join(tmp.dir, 'ws');
  data = join(tmp.dir, 'data');
  mkdirSync(join(data, 'figs'), { recursive: true });
  img.a = await png(40, 30, '#ff0000');
  img.b = await jpg(64, 48, '#00ff00');
  img.c = await png(8, 8, '#0000ff');
  img.d = await png(12, 10, '#ffff00');
  writeFileSync(join(data, 'figs/a.png'), img.a);
  writeFileSync(join(data, 'figs/b.jpg'), img.b);
  writeFileSync(join(data, 'figs/d.png'), img.d);
  writeFileSync(join(data, 'figs/notimg.png'), 'this is not a picture\n');
  writeFileSync(join(data, 'figs/trunc.png'), img.a.subarray(0, Math.floor(img.a.length * 0.6)));
  store = Store.open(ws, { create: true });
});

afterEach(() => {
  store.close();
  tmp.cleanup();
});

function write(name: string, content: string | Buffer): string {
  const p = join(data, name);
  writeFileSync(p, content);
  return p;
}

async function importFile(path: string, extra: Partial<ImportConfig> = {}): Promise<ImportReport> {
  return (await runJob(store, importJob, { path, dataset: 'k12', skipBad: false, ...extra })).result;
}

const count = (table: string): number => (store.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** Everything an import may change in the real tables, plus the image files. */
function snapshot() {
  return {
    problems: count('problems'),
    images: count('images'),
    problemImages: count('problem_images'),
    members: count('dataset_problems'),
    datasets: store.db.prepare('SELECT name, version FROM datasets ORDER BY name').all(),
    files: filesUnder(store.paths.imagesDir),
  };
}

function expectClean(): void {
  expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
  expect(store.db.pragma('foreign_key_check')).toEqual([]);
  expect(count('staging_problems')).toBe(0);
  expect(count('staging_images')).toBe(0);
}

const dataUrl = (b: Buffer): string => `data:image/png;base64,${b.toString('base64')}`;

function goodFile(): string {
  // a BOM, CRLF endings, a blank line and a last line without a newline
  const lines = [
    JSON.stringify({
      id: 'p1',
      question: 'What is $2+3$?',
      answer: '5',
      image: 'figs/a.png',
      split: 'train',
      tags: ['arith'],
      source: 'mm-k12',
      reference_steps: ['2+3=5'],
      difficulty: 2,
    }),
    '',
    JSON.stringify({ id: 7, problem: 'Area of the square?', correct_answer: 16, image_path: 'figs/a.png', note: 'shared figure' }),
    JSON.stringify({ id: 'p3', prompt: 'Which option?', gold: 'B', images: [dataUrl(img.c), 'figs/b.jpg'] }),
    JSON.stringify({ query: 'Simplify 2/4', solution_answer: '\\frac{1}{2}' }),
  ];
  return write('good.jsonl', '\uFEFF' + lines.slice(0, 2).join('\r\n') + '\r\n' + lines.slice(2).join('\n'));
}

describe('readLines', () => {
  it('splits on bytes across tiny blocks: BOM, CRLF, UTF-8, blank lines, no final newline, resume', async () => {
    const text = '\uFEFF{"a":"é"}\r\n\n  \n{"b":"数学"}\n{"c":1}';
    const path = write('lines.jsonl', text);
    const all = [];
    for await (const l of readLines(path, { blockSize: 3 })) all.push(l);
    const bytes = Buffer.from(text, 'utf8');
    expect(all).toEqual([
      { line: 1, text: '{"a":"é"}', endOffset: bytes.indexOf('\n') + 1 },
      { line: 4, text: '{"b":"数学"}', endOffset: bytes.lastIndexOf('\n') + 1 },
      { line: 5, text: '{"c":1}', endOffset: bytes.length },
    ]);
    const rest = [];
    for await (const l of readLines(path, { offset: all[0].endOffset, line: 1, blockSize: 5 })) rest.push(l);
    expect(rest).toEqual(all.slice(1));
  });
});

describe('inferAnswerType', () => {
  it.each([
    ['42', 'number'],
    ['-3.5', 'number'],
    ['1,000', 'number'],
    ['$12$', 'number'],
    ['3/4', 'fraction'],
    ['\\frac{1}{2}', 'fraction'],
    ['-\\dfrac{3}{8}', 'fraction'],
    ['B', 'choice'],
    ['(C)', 'choice'],
    ['x+1', 'expression'],
    ['2\\sqrt{3}', 'expression'],
    ['\\frac{\\pi}{2}', 'expression'],
    ['3x^2', 'expression'],
    ['y', 'expression'],
    ['red', 'text'],
    ['The triangle is isosceles', 'text'],
  ])('%s -> %s', (answer, type) => {
    expect(inferAnswerType(answer)).toBe(type);
  });
});

describe('import: JSONL', () => {
  it('imports problems with paths, data URLs, aliases and meta', async () => {
    const r = await importFile(goodFile());
    expect(r).toEqual({ imported: 4, images: 3, skipped: 0, unchanged: 0, badLines: [], reportPath: null });
    const ds = store.datasets.get('k12');
    expect(ds).toMatchObject({ version: 1, problemCount: 4, imageCount: 3, splits: { train: 1, '(none)': 3 } });
    const items = store.problems.listInDataset(ds.id).items;
    expect(items.map((p) => p.extId)).toEqual([
      'p1',
      '7',
      'p3',
      derivedExtId({ question: 'Simplify 2/4', answer: '\\frac{1}{2}', answerType: 'fraction' }, []),
    ]);
    const [p1, p7, p3, p4] = items;
    expect(p1).toMatchObject({
      question: 'What is $2+3$?',
      answer: '5',
      answerType: 'number',
      source: 'mm-k12',
      split: 'train',
      tags: ['arith'],
      meta: { reference_steps: ['2+3=5'], difficulty: 2 },
    });
    expect(p1.images).toEqual([{ hash: sha(img.a), mime: 'image/png', width: 40, height: 30, bytes: img.a.length }]);
    expect(p7).toMatchObject({ question: 'Area of the square?', answer: '16', answerType: 'number', meta: { note: 'shared figure' } });
    expect(p7.images.map((i) => i.hash)).toEqual([sha(img.a)]);
    expect(p3).toMatchObject({ answer: 'B', answerType: 'choice', meta: {} });
    expect(p3.images.map((i) => [i.hash, i.mime])).toEqual([
      [sha(img.c), 'image/png'],
      [sha(img.b), 'image/jpeg'],
    ]);
    expect(p4).toMatchObject({ answerType: 'fraction', images: [], source: null, split: null, tags: [] });
    for (const h of [img.a, img.b, img.c]) {
      const ref = store.images.get(sha(h))!;
      expect(readFileSync(imagePath(store.paths.imagesDir, ref))).toEqual(h);
    }
    expect(filesUnder(store.paths.imagesDir)).toHaveLength(3);
    expectClean();
  });

  it('is idempotent: the same file again adds nothing; a new line bumps the version', async () => {
    const path = goodFile();
    await importFile(path);
    const before = snapshot();
    const again = await importFile(path);
    expect(again).toEqual({ imported: 0, images: 0, skipped: 0, unchanged: 4, badLines: [], reportPath: null });
    expect(snapshot()).toEqual(before);
    writeFileSync(path, readFileSync(path, 'utf8') + '\n' + JSON.stringify({ id: 'p9', question: 'New?', answer: 'x+1', image: 'figs/d.png' }) + '\n');
    const more = await importFile(path);
    expect(more).toMatchObject({ imported: 1, images: 1, unchanged: 4 });
    expect(store.datasets.get('k12')).toMatchObject({ version: 2, problemCount: 5 });
    expect(store.problems.listInDataset(store.datasets.requireId('k12')).items[4]).toMatchObject({ extId: 'p9', answerType: 'expression' });
    expectClean();
  });

  it('imports into a second dataset sharing problems and images', async () => {
    const path = goodFile();
    await importFile(path);
    const r = await importFile(path, { dataset: 'copy' });
    expect(r).toMatchObject({ imported: 4, images: 0, unchanged: 0 });
    expect(count('problems')).toBe(4);
    expect(count('dataset_problems')).toBe(8);
  });
});

describe('import: bad input fails with the line and field, and leaves the workspace as it was', () => {
  const good = (i: number, extra: Record<string, unknown> = {}) => ({ id: `g${i}`, question: `Question ${i}?`, answer: String(i), ...extra });

  const cases: { name: string; lines: () => unknown[]; message: string | RegExp }[] = [
    {
      name: 'a missing answer',
      lines: () => [...Array.from({ length: 16 }, (_, i) => good(i, i === 4 ? { image: 'figs/d.png' } : {})), { id: 'x', question: 'No answer?' }],
      message: 'bad.jsonl line 17: field "answer": required',
    },
    {
      name: 'a missing image',
      lines: () => [good(1), good(2), { id: 'f', question: 'See figure', answer: '1', image: 'fig3.png' }],
      message: 'bad.jsonl line 3: field "image": image "fig3.png" not found in __DATA__; give --image-root <dir> if the images are elsewhere',
    },
    {
      name: 'a line that is not JSON',
      lines: () => [...Array.from({ length: 8 }, (_, i) => good(i)), '{"id": "x", "question": oops}'],
      message: /^bad\.jsonl line 9: not valid JSON \(.+\)$/,
    },
    {
      name: 'a duplicate id',
      lines: () => [good(0), { ...good(1), id: 'p1' }, good(2), good(3), good(4), good(5), good(6), { ...good(7), id: 'p1' }],
      message: 'bad.jsonl line 8: id "p1" already used on line 2',
    },
    {
      name: 'a question that is not a string',
      lines: () => [good(1), { id: 'q', question: 42, answer: '1' }],
      message: 'bad.jsonl line 2: field "question": must be a string',
    },
    {
      name: 'an image file that is not an image',
      lines: () => [good(1, { image: 'figs/d.png' }), good(2, { image: 'figs/notimg.png' })],
      message: 'bad.jsonl line 2: field "image": image "figs/notimg.png": not an image (unsupported image format)',
    },
    {
      name: 'a truncated image',
      lines: () => [good(1, { images: ['figs/trunc.png'] })],
      message: /^bad\.jsonl line 1: field "images": image "figs\/trunc\.png": corrupt or truncated image \(.+\)$/,
    },
    {
      name: 'a bad data URL',
      lines: () => [good(1, { image: 'data:image/png;base64,@@@@' })],
      message: 'bad.jsonl line 1: field "image": image "data:image/png;base64,@@@@": data URL has invalid base64',
    },
    {
      name: 'an id already in the dataset with other content',
      lines: () => [{ id: 'p1', question: 'Another question', answer: '5' }],
      message: 'bad.jsonl line 1: id "p1" is already in this dataset with a different question, answer or image',
    },
    {
      name: 'the same problem under a second id',
      lines: () => [{ id: 'p1-again', question: 'What is $2+3$?', answer: '5', image: 'figs/a.png' }],
      message: 'bad.jsonl line 1: the same problem is already in this dataset under id "p1"',
    },
    {
      name: 'a bad line after a committed chunk of 500 (with a new image)',
      lines: () => [...Array.from({ length: 600 }, (_, i) => good(i, i === 3 ? { image: 'figs/d.png' } : {})), { id: 'late', answer: '1' }],
      message: 'bad.jsonl line 601: field "question": required',
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      await importFile(goodFile());
      const before = snapshot();
      const path = write('bad.jsonl', jsonl(c.lines()));
      // __DATA__: the folder of the imported file, made for each test
      const message = typeof c.message === 'string' ? c.message.replace('__DATA__', data) : c.message;
      await expect(importFile(path)).rejects.toThrow(message);
      if (typeof message === 'string') {
        const err = await importFile(path).catch((e: Error) => e);
        expect((err as Error).message).toBe(message);
      }
      expect(snapshot()).toEqual(before);
      expect(filesUnder(store.paths.imagesDir)).not.toContain(relative(store.paths.imagesDir, imagePath(store.paths.imagesDir, { hash: sha(img.d), mime: 'image/png' })));
      expectClean();
    });
  }

  it('a failed first import into a new dataset does not create it', async () => {
    const path = write('bad.jsonl', jsonl([good(1), { id: 2, question: 'x' }]));
    await expect(importFile(path, { dataset: 'fresh' })).rejects.toThrow('line 2: field "answer": required');
    expect(store.datasets.list()).toEqual([]);
    expect(snapshot()).toMatchObject({ problems: 0, images: 0, members: 0, files: [] });
    expectClean();
  });

  it('a missing input file', async () => {
    await expect(importFile(join(data, 'nope.jsonl'))).rejects.toThrow(`file "${join(data, 'nope.jsonl')}": not found`);
  });
});

describe('import: skipBad', () => {
  it('imports the good lines, skips the bad ones and writes a report', async () => {
    const path = write(
      'mixed.jsonl',
      jsonl([
        { id: 'a', question: 'One?', answer: '1', image: 'figs/a.png' },
        '{not json',
        { id: 'b', question: 'Two?', answer: '2' },
        { id: 'c', question: 'Three?' },
        { id: 'a', question: 'Dup?', answer: '4' },
        { id: 'd', question: 'Fig?', answer: '5', image: 'figs/missing.png' },
        { id: 'e', question: 'Bad fig?', answer: '6', images: ['figs/d.png', 'figs/notimg.png'] },
        { id: 'f', question: 'Six?', answer: '6' },
      ]),
    );
    const r = await importFile(path, { skipBad: true });
    const reportPath = join(ws, 'reports', 'mixed.jsonl.import-errors.jsonl');
    expect(r).toMatchObject({ imported: 3, images: 1, skipped: 5, unchanged: 0, reportPath });
    expect(r.badLines.map((b) => b.line)).toEqual([2, 4, 5, 6, 7]);
    expect(r.badLines[1]).toEqual({ line: 4, message: 'mixed.jsonl line 4: field "answer": required' });
    expect(r.badLines[2]).toEqual({ line: 5, message: 'mixed.jsonl line 5: id "a" already used on line 1' });
    expect(r.badLines[3]).toEqual({ line: 6, message: `mixed.jsonl line 6: field "image": image "figs/missing.png" not found in ${data}; give --image-root <dir> if the images are elsewhere` });
    expect(r.badLines[4]).toEqual({ line: 7, message: 'mixed.jsonl line 7: field "images": image "figs/notimg.png": not an image (unsupported image format)' });
    const report = readFileSync(reportPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(report).toEqual(r.badLines);
    expect(readdirSync(join(ws, 'reports'))).toEqual(['mixed.jsonl.import-errors.jsonl']);
    expect(store.problems.listInDataset(store.datasets.requireId('k12')).items.map((p) => p.extId)).toEqual(['a', 'b', 'f']);
    // figs/d.png was valid but its line was skipped: no row, no file
    expect(store.images.has(sha(img.d))).toBe(false);
    expect(filesUnder(store.paths.imagesDir)).toHaveLength(1);
    expectClean();
  });

  it('skips publish-time clashes with the dataset too', async () => {
    await importFile(goodFile());
    const path = write('clash.jsonl', jsonl([{ id: 'p1', question: 'Different', answer: '1' }, { id: 'n1', question: 'New', answer: '2' }]));
    const r = await importFile(path, { skipBad: true });
    expect(r).toMatchObject({ imported: 1, skipped: 1, unchanged: 0 });
    expect(r.badLines).toEqual([{ line: 1, message: 'clash.jsonl line 1: id "p1" is already in this dataset with a different question, answer or image' }]);
    expect(count('problems')).toBe(5);
    expectClean();
  });

  it('writes no report when nothing was bad', async () => {
    const r = await importFile(goodFile(), { skipBad: true });
    expect(r.reportPath).toBeNull();
    expect(filesUnder(join(ws, 'reports'))).toEqual([]);
  });
});

describe('import: MM-PRM seed JSON array', () => {
  it('detects and imports the seed format', async () => {
    const seed = [
      { id: 'k1', question: 'Find x.', correct_answer: '3', image_path: join(data, 'figs/a.png') },
      { id: 'k2', question: 'Pick one', correct_answer: 'C', image_path: 'figs/b.jpg', subject: 'geometry' },
    ];
    const path = write('seed.json', '  \n' + JSON.stringify(seed, null, 2));
    const r = await importFile(path);
    expect(r).toMatchObject({ imported: 2, images: 2 });
    const items = store.problems.listInDataset(store.datasets.requireId('k12')).items;
    expect(items.map((p) => [p.extId, p.answer, p.answerType, p.images[0].hash, p.meta])).toEqual([
      ['k1', '3', 'number', sha(img.a), {}],
      ['k2', 'C', 'choice', sha(img.b), { subject: 'geometry' }],
    ]);
    // the array is read item by item, not counted ahead (as JSONL lines are not): progress is the items read
    expect(store.jobs.list()[0].progress).toMatchObject({ done: 2, total: null });
  });

  it('names the item of a bad entry', async () => {
    const path = write('seed.json', JSON.stringify([{ id: 'k1', question: 'Q', correct_answer: '1' }, { id: 'k2', correct_answer: '2' }]));
    await expect(importFile(path)).rejects.toThrow('item 2: field "question": required');
    expectClean();
  });
});

describe('import: Hugging Face Parquet', () => {
  const imageStruct = { name: 'image', group: [{ name: 'bytes', leaf: 'binary' as const }, { name: 'path', leaf: 'string' as const }] };
  const imagesList = { name: 'images', list: { name: 'element', group: imageStruct.group } };
  const columns = [
    { name: 'id', leaf: 'string' as const },
    { name: 'question', leaf: 'string' as const },
    { name: 'answer', leaf: 'string' as const },
    imageStruct,
    imagesList,
    { name: 'year', leaf: 'int64' as const },
    { name: 'subject', leaf: 'string' as const },
  ];

  it('reads image structs {bytes, path} and lists of them, across row groups', async () => {
    const rows = Array.from({ length: 7 }, (_, i) => ({
      id: `hf${i}`,
      question: `Parquet question ${i}?`,
      answer: String(i * 2),
      image: i % 3 === 0 ? { bytes: img.a, path: 'a.png' } : i % 3 === 1 ? { bytes: img.b, path: null } : null,
      images: i === 2 ? [{ bytes: img.c, path: 'c.png' }, { bytes: img.d, path: 'd.png' }] : null,
      year: 2020 + i,
      subject: i % 2 ? 'algebra' : null,
    }));
    // the `image` column of row 2 is null, so its images come from `images`
    const path = join(data, 'train-00000-of-00001.parquet');
    writeParquet(path, columns, rows, 3);
    const r = await importFile(path);
    expect(r).toEqual({ imported: 7, images: 4, skipped: 0, unchanged: 0, badLines: [], reportPath: null });
    const items = store.problems.listInDataset(store.datasets.requireId('k12')).items;
    expect(items.map((p) => p.extId)).toEqual(rows.map((r) => r.id));
    expect(items[0].images.map((i) => i.hash)).toEqual([sha(img.a)]);
    expect(items[1].images.map((i) => [i.hash, i.mime])).toEqual([[sha(img.b), 'image/jpeg']]);
    expect(items[2].images.map((i) => i.hash)).toEqual([sha(img.c), sha(img.d)]);
    expect(items[2].meta).toEqual({ year: 2022, subject: null });
    expect(items[1].meta).toEqual({ year: 2021, subject: 'algebra' });
    expect(items[5]).toMatchObject({ question: 'Parquet question 5?', answer: '10', answerType: 'number', images: [] });
    for (const b of [img.a, img.b, img.c, img.d]) expect(readFileSync(imagePath(store.paths.imagesDir, store.images.get(sha(b))!))).toEqual(b);
    expectClean();
  });

  it('names the row of a bad image and detects Parquet by its magic bytes', async () => {
    const rows = [
      { id: 'r1', question: 'Q1', answer: '1', image: { bytes: img.a, path: 'a.png' }, images: null, year: 1, subject: null },
      { id: 'r2', question: 'Q2', answer: '2', image: { bytes: Buffer.from('not an image'), path: 'x.png' }, images: null, year: 2, subject: null },
    ];
    const path = join(data, 'rows.bin');
    writeParquet(path, columns, rows);
    await expect(importFile(path)).rejects.toThrow('rows.bin row 2: field "image": image "x.png": not an image (unsupported image format)');
    expect(snapshot()).toMatchObject({ problems: 0, images: 0, files: [] });
    expectClean();
  });
});

describe('import: rows as users hold them', () => {
  const rowsOf = (name: string): Record<string, unknown>[] =>
    store.problems.listInDataset(store.datasets.requireId(name)).items.map((p) => ({ extId: p.extId, question: p.question, answer: p.answer, answerType: p.answerType, images: p.images.map((i) => i.hash), meta: p.meta }));

  it('--field reads a field from the named column, beating the aliases; the alias column stays an extra field', async () => {
    // Geometry3K-style rows: the question is `problem_text`; this file also has a `question` column of its own
    const path = write(
      'geo.jsonl',
      jsonl([
        { id: 2, problem_text: 'Find x. Round to the nearest tenth.', question: 'unused', gt: 'B', diagram: 'figs/a.png', kind: 'multi-choice' },
        { id: 3, problem_text: 'Find the area.', question: 'unused too', gt: '24', diagram: null, kind: 'free' },
      ]),
    );
    const r = await importFile(path, { fields: { question: 'problem_text', answer: 'gt', images: 'diagram', answer_type: 'kind' } });
    expect(r).toMatchObject({ imported: 2, images: 1 });
    expect(rowsOf('k12')).toEqual([
      { extId: '2', question: 'Find x. Round to the nearest tenth.', answer: 'B', answerType: 'choice', images: [sha(img.a)], meta: { question: 'unused', kind: 'multi-choice' } },
      { extId: '3', question: 'Find the area.', answer: '24', answerType: 'number', images: [], meta: { question: 'unused too', kind: 'free' } },
    ]);
    expectClean();
  });

  it('--field naming a column the file does not have: one line with the columns, nothing written', async () => {
    await importFile(goodFile());
    const before = snapshot();
    const path = write('geo.jsonl', jsonl([{ id: 1, problem_text: 'Q?', gt: '1' }]));
    await expect(importFile(path, { fields: { question: 'problem_txt' } })).rejects.toThrow('--field question=problem_txt: geo.jsonl line 1 has no column "problem_txt" (columns: id, problem_text, gt)');
    const seed = write('seed.json', JSON.stringify([{ id: 'k1', problem_text: 'Q', gt: '1' }]));
    await expect(importFile(seed, { fields: { answer: 'answer' } })).rejects.toThrow('--field answer=answer: seed.json item 1 has no column "answer" (columns: id, problem_text, gt)');
    const pq = join(data, 'geo.parquet');
    writeParquet(pq, [{ name: 'id', leaf: 'string' }, { name: 'problem_text', leaf: 'string' }, { name: 'gt', leaf: 'string' }], [{ id: 'a', problem_text: 'Q', gt: '1' }]);
    await expect(importFile(pq, { fields: { question: 'problem_text', answer: 'label' } })).rejects.toThrow('--field answer=label: geo.parquet (Parquet schema) has no column "label" (columns: id, problem_text, gt)');
    // a later row without the mapped column is that row's error, named as the user mapped it
    const later = write('later.jsonl', jsonl([{ id: 1, problem_text: 'Q?', gt: '1' }, { id: 2, question: 'Q2?', gt: '2' }]));
    await expect(importFile(later, { fields: { question: 'problem_text', answer: 'gt' } })).rejects.toThrow('line 2: field "problem_text": required');
    expect(snapshot()).toEqual(before);
    expectClean();
  });

  it('an image of "", null or [] is no image (MathVerse text-only rows), and the next alias is read', async () => {
    const path = write(
      'verse.jsonl',
      jsonl([
        { sample_index: '1', question: 'Text only 1?', answer: '3', image: '', problem_version: 'Text Only' },
        { id: 'n', question: 'Text only 2?', answer: '4', image: null },
        { id: 'l', question: 'Text only 3?', answer: '5', images: [] },
        { id: 'f', question: 'Falls through?', answer: '6', image: '', image_path: 'figs/a.png' },
      ]),
    );
    const r = await importFile(path);
    expect(r).toMatchObject({ imported: 4, images: 1 });
    const rows = rowsOf('k12');
    expect(rows.map((x) => [x.images, x.meta])).toEqual([
      [[], { sample_index: '1', problem_version: 'Text Only' }],
      [[], {}],
      [[], {}],
      [[sha(img.a)], {}],
    ]);
    expectClean();
  });

  it("keeps an answer_type Steplab does not know (MathVista's integer, float, list) and infers the type; export writes it back", async () => {
    // MathVista testmini rows as its loader gives them (answer_type, precision, unit, choices)
    const vista = [
      { pid: '1', question: 'How many bars?', query: 'Hint: ... Question: How many bars?', answer: '7', answer_type: 'integer', precision: null, unit: null, choices: null },
      { pid: '2', question: 'Slope?', query: 'Hint: ... Question: Slope?', answer: '1.25', answer_type: 'float', precision: 2, unit: null, choices: null },
      { pid: '3', question: 'Roots?', query: 'Hint: ... Question: Roots?', answer: '[1, 2]', answer_type: 'list', precision: null, unit: null, choices: null },
      { pid: '4', question: 'Which?', query: 'Hint: ... Question: Which?', answer: 'red', answer_type: 'text', precision: null, unit: null, choices: ['red', 'blue'] },
    ];
    const path = write('vista.jsonl', jsonl(vista));
    const r = await importFile(path, { fields: { id: 'pid' } });
    expect(r).toMatchObject({ imported: 4, skipped: 0 });
    const rows = rowsOf('k12');
    expect(rows.map((x) => [x.extId, x.answerType, x.meta])).toEqual([
      ['1', 'number', { query: 'Hint: ... Question: How many bars?', answer_type: 'integer', precision: null, unit: null, choices: null }],
      ['2', 'number', { query: 'Hint: ... Question: Slope?', answer_type: 'float', precision: 2, unit: null, choices: null }],
      ['3', 'expression', { query: 'Hint: ... Question: Roots?', answer_type: 'list', precision: null, unit: null, choices: null }],
      ['4', 'text', { query: 'Hint: ... Question: Which?', unit: null, precision: null, choices: ['red', 'blue'] }],
    ]);
    expect(rows.map((x) => x.question)).toEqual(vista.map((v) => v.question));
    const out = join(tmp.dir, 'out', 'vista.jsonl');
    await exportProblems(store, { dataset: 'k12', out });
    const exported = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(exported.map((x) => [x.answer_type, x.precision])).toEqual([['integer', null], ['float', 2], ['list', null], ['text', null]]);
    // the export imports again as the same problems with the same fields
    expect(await importFile(out)).toMatchObject({ imported: 0, unchanged: 4 });
  });

  it('keeps extra fields per dataset: each dataset exports its own fields for a problem they share', async () => {
    const a = write('a.jsonl', jsonl([{ id: 'p', question: 'Shared?', answer: '2', image: 'figs/a.png', reference_steps: ['a'], from_a: 1 }]));
    const b = write('b.jsonl', jsonl([{ id: 'q', question: 'Shared?', answer: '2', image: 'figs/a.png', from_b: true }]));
    await importFile(a, { dataset: 'A' });
    await importFile(b, { dataset: 'B' });
    expect(count('problems')).toBe(1);
    expect(rowsOf('A')[0].meta).toEqual({ reference_steps: ['a'], from_a: 1 });
    expect(rowsOf('B')[0].meta).toEqual({ from_b: true });
    const exported = async (dataset: string): Promise<Record<string, unknown>> => {
      const out = join(tmp.dir, 'out', `${dataset}.jsonl`);
      await exportProblems(store, { dataset, out });
      return JSON.parse(readFileSync(out, 'utf8'));
    };
    expect(await exported('A')).toEqual({ id: 'p', question: 'Shared?', answer: '2', answer_type: 'number', images: [`images/${sha(img.a)}.png`], reference_steps: ['a'], from_a: 1 });
    expect(await exported('B')).toEqual({ id: 'q', question: 'Shared?', answer: '2', answer_type: 'number', images: [`images/${sha(img.a)}.png`], from_b: true });
    expectClean();
  });

  it('--image-root: relative paths under DIR, absolute paths of another machine by their longest unique trailing match', async () => {
    const root = join(tmp.dir, 'mmk12');
    mkdirSync(join(root, 'images'), { recursive: true });
    mkdirSync(join(root, 'old', 'images'), { recursive: true });
    mkdirSync(join(root, 'thumbs'), { recursive: true });
    writeFileSync(join(root, 'images', 'x.png'), img.a);
    writeFileSync(join(root, 'thumbs', 'x.png'), img.d); // the same name, a shorter match
    writeFileSync(join(root, 'images', 'rel.png'), img.c);
    const seed = [
      { id: 'k1', question: 'Cluster path?', correct_answer: '1', image_path: '/mnt/cluster/mmk12/images/x.png' },
      { id: 'k2', question: 'Relative path?', correct_answer: '2', image_path: 'images/rel.png' },
    ];
    const path = write('seed.json', JSON.stringify(seed));
    // without the root, a path of another machine is not found, and the message says what to do
    await expect(importFile(path)).rejects.toThrow('seed.json item 1: field "image_path": image "/mnt/cluster/mmk12/images/x.png" not found on this machine; give --image-root <dir> to look for it under <dir> by its trailing path');
    const r = await importFile(path, { imageRoot: root });
    expect(r).toMatchObject({ imported: 2, images: 2 });
    expect(rowsOf('k12').map((x) => x.images)).toEqual([[sha(img.a)], [sha(img.c)]]);

    // two files ending as well as each other: refused, both named, nothing written
    writeFileSync(join(root, 'old', 'images', 'y.png'), img.b);
    writeFileSync(join(root, 'images', 'y.png'), img.d);
    const before = snapshot();
    const amb = write('amb.json', JSON.stringify([{ id: 'k3', question: 'Which y?', correct_answer: '3', image_path: '/data/set/images/y.png' }]));
    await expect(importFile(amb, { imageRoot: root })).rejects.toThrow(
      `amb.json item 1: field "image_path": image "/data/set/images/y.png": 2 files under --image-root ${root} end with the same 2 path components (images/y.png, old/images/y.png); point --image-root at a folder that holds only one of them`,
    );
    const missing = write('missing.json', JSON.stringify([{ id: 'k4', question: 'Where?', correct_answer: '4', image_path: 'images/none.png' }]));
    await expect(importFile(missing, { imageRoot: root })).rejects.toThrow(`missing.json item 1: field "image_path": image "images/none.png" not found under --image-root ${root}`);
    await expect(importFile(missing, { imageRoot: join(root, 'nope') })).rejects.toThrow(`--image-root ${join(root, 'nope')}: no such folder`);
    expect(snapshot()).toEqual(before);
    expectClean();
  });
});

describe('import: large files and resuming', () => {
  it('streams a 100k-line file in chunks with bounded memory', async () => {
    const path = join(data, 'big.jsonl');
    const padding = 'x'.repeat(900);
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(path);
      out.on('error', reject);
      out.on('finish', resolve);
      let i = 0;
      const more = (): void => {
        while (i < 100_000) {
          const line = JSON.stringify({ id: `b${i}`, question: `What is ${i} + 1?`, answer: String(i + 1), pad: padding }) + '\n';
          i++;
          if (!out.write(line)) return void out.once('drain', more);
        }
        out.end();
      };
      more();
    });
    const fileSize = statSync(path).size;
    expect(fileSize).toBeGreaterThan(90_000_000);
    let peakHeap = 0;
    const base = process.memoryUsage().heapUsed;
    const run = await runJob(store, importJob, { path, dataset: 'big', skipBad: false }, {
      afterCommit: () => {
        peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      },
    });
    expect(run.result).toMatchObject({ imported: 100_000, images: 0, skipped: 0 });
    // 200 staging chunks of 500 lines, then one publish
    expect(run.commits).toBe(201);
    expect(count('problems')).toBe(100_000);
    expect(store.datasets.get('big').problemCount).toBe(100_000);
    // the file (~95 MB, ~190 MB as JS strings) is never held whole: the heap grows by far less
    expect(peakHeap - base).toBeLessThan(fileSize / 2);
    expectClean();
  }, 300_000);

  const line = (i: number) => ({
    id: `r${i}`,
    question: `Resume question ${i}?`,
    answer: String(i),
    ...(i % 250 === 0 ? { image: i % 500 === 0 ? 'figs/a.png' : 'figs/d.png' } : {}),
  });

  it('resumes after a kill at the next chunk, without lost or duplicated rows', async () => {
    const path = write('resume.jsonl', jsonl(Array.from({ length: 2100 }, (_, i) => line(i))));
    const first = runJob(store, importJob, { path, dataset: 'r', skipBad: false }, { killAfterCommits: 3 });
    await expect(first).rejects.toBeInstanceOf(SimulatedKill);
    const job = store.jobs.list()[0];
    expect(store.jobs.checkpoint<{ pos: { line: number } }>(job.id)?.pos.line).toBe(1500);
    expect(count('staging_problems')).toBe(1500);
    expect(snapshot()).toMatchObject({ problems: 0, members: 0, images: 0, datasets: [] });

    const second = await runJob(store, importJob, null, { jobId: job.id });
    expect(second.commits).toBe(2 + 1);
    expect(second.result).toEqual({ imported: 2100, images: 2, skipped: 0, unchanged: 0, badLines: [], reportPath: null });
    const items = store.problems.listInDataset(store.datasets.requireId('r')).items;
    expect(items.map((p) => p.extId)).toEqual(Array.from({ length: 2100 }, (_, i) => `r${i}`));
    expect(count('problems')).toBe(2100);
    expect(count('dataset_problems')).toBe(2100);
    expectClean();
  });

  it('resumes with skipBad: bad lines are reported once, also those of the chunk that was lost', async () => {
    const rows: unknown[] = Array.from({ length: 2100 }, (_, i) => line(i));
    rows[700] = { id: 'bad-a', question: 'no answer' };
    rows[1600] = '{broken';
    rows[1700] = { id: 'r5', question: 'dup', answer: '1' };
    const path = write('resume-bad.jsonl', jsonl(rows));
    await expect(runJob(store, importJob, { path, dataset: 'r', skipBad: true }, { killAfterCommits: 3 })).rejects.toBeInstanceOf(
      SimulatedKill,
    );
    // the 4th chunk (lines 1501-2000) read its bad lines before the kill: the partial report has them past the checkpoint
    const job = store.jobs.list()[0];
    const second = await runJob(store, importJob, null, { jobId: job.id });
    expect(second.result).toMatchObject({ imported: 2097, skipped: 3 });
    expect(second.result.badLines.map((b) => b.line)).toEqual([701, 1601, 1701]);
    expect(second.result.badLines[2].message).toBe('resume-bad.jsonl line 1701: id "r5" already used on line 6');
    const report = readFileSync(second.result.reportPath!, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(report).toEqual(second.result.badLines);
    expect(count('problems')).toBe(2097);
    expectClean();
  });

  it("a seed array resumes after a kill at the byte offset after the last staged item; a position saved as an item count (an earlier version's) too", async () => {
    const seed = Array.from({ length: 2100 }, (_, i) => ({ id: `s${i}`, question: `Seed question ${i}?`, correct_answer: String(i) }));
    const path = write('resume-seed.json', JSON.stringify(seed, null, 2));
    await expect(runJob(store, importJob, { path, dataset: 's', skipBad: false }, { killAfterCommits: 3 })).rejects.toBeInstanceOf(SimulatedKill);
    const job = store.jobs.list()[0];
    const cp = store.jobs.checkpoint<{ pos: { offset: number; index: number } }>(job.id)!;
    expect(cp.pos.index).toBe(1500);
    // the offset is just past item 1500's comma
    const text = readFileSync(path, 'utf8');
    expect(JSON.parse('[' + text.slice(cp.pos.offset).trimStart())).toEqual(seed.slice(1500));
    const second = await runJob(store, importJob, null, { jobId: job.id });
    expect(second.result).toMatchObject({ imported: 2100, skipped: 0 });
    expect(store.problems.listInDataset(store.datasets.requireId('s')).items.map((p) => p.extId)).toEqual(seed.map((r) => r.id));

    // the same kill, its checkpoint rewritten as an item count alone: the first 1500 items are passed over
    await expect(runJob(store, importJob, { path, dataset: 't', skipBad: false }, { killAfterCommits: 3 })).rejects.toBeInstanceOf(SimulatedKill);
    const old = store.jobs.list().find((j) => j.id !== job.id)!;
    const saved = store.jobs.checkpoint<{ pos: unknown }>(old.id)!;
    store.jobs.setProgress(old.id, { done: 1500, total: null, message: null }, { ...saved, pos: { index: 1500 } });
    const third = await runJob(store, importJob, null, { jobId: old.id });
    expect(third.result).toMatchObject({ imported: 2100, skipped: 0 });
    expect(store.problems.listInDataset(store.datasets.requireId('t')).items.map((p) => p.extId)).toEqual(seed.map((r) => r.id));
    expectClean();
  });

  it('a kill during publish loses nothing: the next attempt publishes everything once', async () => {
    const path = write('resume2.jsonl', jsonl(Array.from({ length: 1200 }, (_, i) => line(i))));
    // 3 staging chunks commit, the publish commit is the one killed
    await expect(runJob(store, importJob, { path, dataset: 'r', skipBad: false }, { killAfterCommits: 3 })).rejects.toBeInstanceOf(
      SimulatedKill,
    );
    expect(count('problems')).toBe(0);
    const job = store.jobs.list()[0];
    const second = await runJob(store, importJob, null, { jobId: job.id });
    expect(second.commits).toBe(1);
    expect(second.result).toMatchObject({ imported: 1200, images: 2 });
    expect(count('dataset_problems')).toBe(1200);
    expectClean();
  });

  it('an attempt after publishing returns the recorded result and changes nothing', async () => {
    const path = goodFile();
    const first = await runJob(store, importJob, { path, dataset: 'k12', skipBad: false });
    const before = snapshot();
    // the file is not even needed any more
    rmSync(path);
    const again = await runJob(store, importJob, null, { jobId: first.jobId });
    expect(again.commits).toBe(0);
    expect(again.result).toEqual(first.result);
    expect(snapshot()).toEqual(before);
  });

  it('refuses to resume when the file changed since the first attempt', async () => {
    const path = write('changing.jsonl', jsonl(Array.from({ length: 1200 }, (_, i) => line(i))));
    await expect(runJob(store, importJob, { path, dataset: 'r', skipBad: false }, { killAfterCommits: 1 })).rejects.toBeInstanceOf(
      SimulatedKill,
    );
    writeFileSync(path, jsonl(Array.from({ length: 1300 }, (_, i) => line(i))));
    const job = store.jobs.list()[0];
    await expect(runJob(store, importJob, null, { jobId: job.id })).rejects.toThrow('changed since this import started');
    expect(snapshot()).toMatchObject({ problems: 0, images: 0, files: [] });
    expectClean();
  });

  it('runs under the real job executor', async () => {
    const job = store.jobs.create('import', { path: goodFile(), dataset: 'k12', skipBad: false });
    const { outcome } = await executeJob(store, importJob as never, job.id, { onEvent: () => undefined, signal: new AbortController().signal });
    expect(outcome).toMatchObject({ state: 'done', result: { imported: 4, images: 3 } });
    expect(store.jobs.get(job.id)).toMatchObject({ state: 'done', progress: { message: 'published' } });
    expectClean();
  });
});
