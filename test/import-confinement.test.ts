// Confined imports (issue "Nothing lost, nothing silent", item 4): an image path of `steplab import`,
// `import-labels` and `score --rollouts` is read inside the imported file's folder and `--image-root` only.
// `..`, an absolute path, a file: URL and a symlink that leave them are refused in one line naming the
// file, the line and the field, with the hint `--image-root <dir>`, and nothing stored changes (no job row
// either); `--allow-outside` reads them where they are; a foreign absolute path that maps under
// `--image-root` (Field data I) is still found there.
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli';
import { tempDir } from './helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let data: string;
let outside: string;

const jsonl = (rows: unknown[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

beforeAll(async () => {
  tmp = tempDir('steplab-confine-');
  data = join(tmp.dir, 'data');
  outside = join(tmp.dir, 'outside');
  mkdirSync(join(data, 'figs'), { recursive: true });
  mkdirSync(join(outside, 'images'), { recursive: true });
  const png = (color: string): Promise<Buffer> => sharp({ create: { width: 16, height: 12, channels: 3, background: color } }).png().toBuffer();
  writeFileSync(join(data, 'figs', 'in.png'), await png('#ff0000'));
  writeFileSync(join(outside, 'images', 'geo.png'), await png('#00ff00'));
  // a symlink inside the folder that points out of it, and a folder symlink that does
  symlinkSync(join(outside, 'images', 'geo.png'), join(data, 'figs', 'link.png'));
  symlinkSync(join(outside, 'images'), join(data, 'linked'));
});
afterAll(() => tmp.cleanup());

async function init(name: string): Promise<string> {
  const ws = join(tmp.dir, name);
  const r = await cli('init', ws);
  expect(r.code, r.err.join('\n')).toBe(0);
  return ws;
}

/** What an import may change: row counts, datasets with versions, job rows, image and report files. */
function state(ws: string): Record<string, unknown> {
  const db = new Database(join(ws, 'steplab.db'), { readonly: true });
  const counts: Record<string, unknown> = {};
  for (const t of ['problems', 'dataset_problems', 'images', 'problem_images', 'jobs', 'staging_problems', 'staging_images', 'searches', 'annotations']) {
    counts[t] = (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
  }
  counts.datasets = db.prepare('SELECT name, version FROM datasets ORDER BY name').all();
  db.close();
  const files = (dir: string): string[] => (existsSync(dir) ? (readdirSync(dir, { recursive: true }) as string[]).sort() : []);
  return { ...counts, imageFiles: files(join(ws, 'images')), reports: files(join(ws, 'reports')) };
}

function problems(name: string, image: string): string {
  const path = join(data, name);
  writeFileSync(path, jsonl([{ id: 'ok', question: 'Inside?', answer: '1', image: 'figs/in.png' }, { id: 'p2', question: 'Where is it?', answer: '2', image }]));
  return path;
}

const outsideMessage = (file: string, ref: string, where = data): string =>
  `error: ${file} line 2: field "image": image ${JSON.stringify(ref)} is outside ${where}; give --image-root <dir> (a folder that holds it), or --allow-outside to read it where it is`;

describe('steplab import: image paths stay inside the file\'s folder and --image-root', () => {
  let ws: string;
  beforeAll(async () => {
    ws = await init('ws');
  });

  const cases: [string, string][] = [
    ['dotdot.jsonl', '../outside/images/geo.png'],
    ['absolute.jsonl', '__ABS__'],
    ['symlink.jsonl', 'figs/link.png'],
    ['symlinked-folder.jsonl', 'linked/geo.png'],
    ['file-url.jsonl', '__URL__'],
  ];
  const refOf = (r: string): string => (r === '__ABS__' ? join(outside, 'images', 'geo.png') : r === '__URL__' ? `file://${join(outside, 'images', 'geo.png')}` : r);

  it.each(cases)('%s: refused with the file, the line, the field and the hint; nothing changed, no job row', async (name, ref) => {
    const file = problems(name, refOf(ref));
    const before = state(ws);
    const r = await cli('import', file, '--workspace', ws, '--dataset', 'k12');
    expect(r.code).toBe(1);
    expect(r.err).toEqual([outsideMessage(name, refOf(ref))]);
    expect(state(ws)).toEqual(before);
    expect(before).toMatchObject({ jobs: 0, problems: 0 });
  });

  it.each(cases)('%s: read where it is with --allow-outside', async (name, ref) => {
    const other = await init(`allow-${name}`);
    const file = problems(name, refOf(ref));
    const r = await cli('import', file, '--workspace', other, '--dataset', 'k12', '--allow-outside', '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(JSON.parse(r.out.at(-1)!)).toEqual({ imported: 2, images: 2, skipped: 0 });
  });

  it('an absolute path inside --image-root is read; relative paths are read under it', async () => {
    const other = await init('inside-root');
    const file = join(data, 'rooted.jsonl');
    writeFileSync(file, jsonl([{ id: 'a', question: 'Absolute?', answer: '1', image: join(outside, 'images', 'geo.png') }, { id: 'b', question: 'Relative?', answer: '2', image: 'images/geo.png' }]));
    const r = await cli('import', file, '--workspace', other, '--dataset', 'k12', '--image-root', outside, '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(JSON.parse(r.out.at(-1)!)).toEqual({ imported: 2, images: 1, skipped: 0 });
  });

  it("a foreign absolute path (another machine's) that maps under --image-root is still found there", async () => {
    const other = await init('foreign');
    const file = join(data, 'seed.json');
    writeFileSync(file, JSON.stringify([{ id: 'k1', question: 'Cluster path?', correct_answer: '1', image_path: '/mnt/cluster/mmk12/images/geo.png' }]));
    const r = await cli('import', file, '--workspace', other, '--dataset', 'k12', '--image-root', outside, '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(JSON.parse(r.out.at(-1)!)).toEqual({ imported: 1, images: 1, skipped: 0 });
  });

  it('a path that leaves --image-root is refused, naming both folders', async () => {
    const file = join(data, 'leaves-root.jsonl');
    writeFileSync(file, jsonl([{ id: 'ok', question: 'Inside?', answer: '1', image: 'geo.png' }, { id: 'p2', question: 'Up?', answer: '2', image: '../../elsewhere.png' }]));
    copyFileSync(join(data, 'figs', 'in.png'), join(tmp.dir, 'elsewhere.png'));
    const before = state(ws);
    const r = await cli('import', file, '--workspace', ws, '--dataset', 'k12', '--image-root', join(outside, 'images'));
    expect(r.err).toEqual([`error: leaves-root.jsonl line 2: field "image": image "../../elsewhere.png" is outside ${data} and --image-root ${join(outside, 'images')}; give --image-root <dir> (a folder that holds it), or --allow-outside to read it where it is`]);
    expect(state(ws)).toEqual(before);
  });

  it('--skip-bad: the refused line is reported, the good one imported', async () => {
    const other = await init('skip');
    const file = problems('skip.jsonl', '../outside/images/geo.png');
    const r = await cli('import', file, '--workspace', other, '--dataset', 'k12', '--skip-bad', '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(JSON.parse(r.out.at(-1)!)).toEqual({ imported: 1, images: 1, skipped: 1 });
    const report = readFileSync(join(other, 'reports', 'skip.jsonl.import-errors.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(report).toEqual([{ line: 2, message: outsideMessage('skip.jsonl', '../outside/images/geo.png').slice('error: '.length) }]);
  });
});

describe('import-labels and import-trees: the same rule', () => {
  it('a step-label row with an image outside the folder: refused, then read with --allow-outside', async () => {
    const ws = await init('labels');
    const file = join(data, 'labels.jsonl');
    // a VisualPRM raw row names its picture in "image"
    writeFileSync(file, readFileSync(join(import.meta.dirname, 'fixtures', 'labels', 'visualprm', 'visualprm_raw.jsonl'), 'utf8').split('\n')[0].replace(/"image":\s*"[^"]*"/, '"image": "../outside/images/geo.png"') + '\n');
    const before = state(ws);
    const r = await cli('import-labels', file, '--workspace', ws, '--dataset', 'v');
    expect(r.code).toBe(1);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/^error: labels\.jsonl line 1: field "image": image "\.\.\/outside\/images\/geo\.png" is outside .*; give --image-root <dir> \(a folder that holds it\), or --allow-outside to read it where it is$/);
    expect(state(ws)).toEqual(before);
    const ok = await cli('import-labels', file, '--workspace', ws, '--dataset', 'v', '--allow-outside', '--json');
    expect(ok.code, ok.err.join('\n')).toBe(0);
    expect(JSON.parse(ok.out.at(-1)!)).toMatchObject({ problems: 1, skipped: 0 });
  });
  // import-trees is import-labels --format steplab-tree (api.ts 'import.trees'): the same job and the same
  // rule; a steplab-tree file names no image path (its reader leaves a problem's images null), so it reads
  // no file but itself.
});

describe('score --rollouts: pictures under the file\'s folder and --image-root only', () => {
  it('refuses a picture outside, reads it with --allow-outside or under --image-root', async () => {
    const ws = join(tmp.dir, 'demo');
    const init = await cli('init', ws, '--demo', '--json');
    expect(init.code, init.err.join('\n')).toBe(0);
    const demo = join(import.meta.dirname, '..', 'models', 'demo-data');
    const pic = JSON.parse(readFileSync(join(demo, 'problems.jsonl'), 'utf8').split('\n').find((l) => l.includes('"image"'))!).image;
    copyFileSync(join(demo, pic), join(outside, 'images', 'demo.png'));
    const rollouts = join(data, 'rollouts.json');
    writeFileSync(rollouts, JSON.stringify([{ id: 'r1', question: 'What is 2+3?', answer: '5', image_path: '../outside/images/demo.png', solutions_splits: [['2+3=5', 'The answer is 5.']] }]));
    const out = join(tmp.dir, 'scored.json');
    const score = (...extra: string[]) => cli('score', '--workspace', ws, '--prm', 'tiny-prm', '--rollouts', rollouts, '--out', out, '--shape', 'k12', ...extra);
    const refused = await score();
    expect(refused.code).toBe(1);
    expect(refused.err).toEqual([`error: item 1: field "image_path": image "../outside/images/demo.png" is outside ${data}; give --image-root <dir> (a folder that holds it), or --allow-outside to read it where it is`]);
    expect(existsSync(out)).toBe(false);
    const allowed = await score('--allow-outside', '--json');
    expect(allowed.code, allowed.err.join('\n')).toBe(0);
    expect(JSON.parse(allowed.out.at(-1)!)).toMatchObject({ items: 1, solutions: 1, steps: 2 });
    // under --image-root the same picture is read by its path relative to the root
    writeFileSync(rollouts, JSON.stringify([{ id: 'r1', question: 'What is 2+3?', answer: '5', image_path: 'images/demo.png', solutions_splits: [['2+3=5', 'The answer is 5.']] }]));
    const rooted = await score('--image-root', outside, '--json');
    expect(rooted.code, rooted.err.join('\n')).toBe(0);
  }, 120_000);
});
