// One item of a file that is a JSON array (MM-PRM's seed file, a label file of items, a benchmark's split),
// or a file that is one JSON document, is capped before it is parsed (issue "Nothing lost, nothing
// silent", item 3): an item over the cap (default 8 MB, or the question and answer caps + 1 MB when more;
// --max-item-bytes) is refused in one line naming the file, the item, its length and the flag, and is
// never held whole (the array is read item by item); nothing stored changes and no job row is left. An
// item of exactly the cap is imported.
import { mkdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli';
import { acceptedInFresh, paddedJson, refusedUnchanged, visualprmRow, writeWithLongValue } from './helpers/caps';
import { tempDir } from './helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let data: string;
let ws: string;

beforeAll(async () => {
  tmp = tempDir('steplab-itemcap-');
  data = join(tmp.dir, 'data');
  mkdirSync(data, { recursive: true });
  ws = join(tmp.dir, 'ws');
  const r = await cli('init', ws);
  expect(r.code, r.err.join('\n')).toBe(0);
});
afterAll(() => tmp.cleanup());

const seedItem = (i: number): Record<string, unknown> => ({ id: `k${i}`, question: `What is ${i} + 1?`, correct_answer: String(i + 1) });

/** A seed array: items 1-3, the given item 4, item 5; pretty-printed around the items. */
function seedFile(name: string, item4: string): string {
  const path = join(data, name);
  writeFileSync(path, '[\n  ' + [JSON.stringify(seedItem(1)), JSON.stringify(seedItem(2)), JSON.stringify(seedItem(3)), item4, JSON.stringify(seedItem(5))].join(',\n  ') + '\n]\n');
  return path;
}

const importArgs = (file: string, target: string, ...flags: string[]): string[] => ['import', file, '--workspace', target, '--dataset', 'k12', ...flags];

describe('steplab import: the item cap of a seed array', () => {
  it('an item of 9 MB (over the 8 MB default) is refused before it is parsed: the item, its length, the flag; nothing stored', async () => {
    // written in pieces: the test itself does not build the 9 MB string either
    const path = join(data, 'seed-long.json');
    const head = `[\n${JSON.stringify(seedItem(1))},\n{"id": "big", "question": "Which?", "correct_answer": "1", "pad": "`;
    writeWithLongValue(path, head, 9, `"},\n${JSON.stringify(seedItem(3))}\n]\n`);
    const len = 9 * 1024 * 1024 + '{"id": "big", "question": "Which?", "correct_answer": "1", "pad": "'.length + 2;
    const before = await refusedUnchanged(ws, importArgs(path, ws), `seed-long.json item 2: the item is 9.0 MB long (${len.toLocaleString('en-US')} bytes; limit 8 MB); split it or raise the limit with --max-item-bytes <bytes>`);
    expect(before).toMatchObject({ jobs: 0, problems: 0, datasets: [] });
    // --max-item-bytes raises it (the pad is an unknown field, kept as meta)
    expect(await acceptedInFresh(tmp.dir, (other) => importArgs(path, other, '--max-item-bytes', '10M'))).toMatchObject({ imported: 3, skipped: 0 });
  }, 60_000);

  it('--max-item-bytes: an item of exactly the cap is imported, one byte more is refused; --skip-bad skips it', async () => {
    const at = seedFile('at.json', paddedJson(seedItem(4), 2048));
    expect(await acceptedInFresh(tmp.dir, (other) => importArgs(at, other, '--max-item-bytes', '2K'))).toMatchObject({ imported: 5, skipped: 0 });
    const over = seedFile('over.json', paddedJson(seedItem(4), 2049));
    await refusedUnchanged(ws, importArgs(over, ws, '--max-item-bytes', '2K'), 'over.json item 4: the item is 2.0 KB long (2,049 bytes; limit 2 KB); split it or raise the limit with --max-item-bytes <bytes>');
    expect(await acceptedInFresh(tmp.dir, (other) => importArgs(over, other, '--max-item-bytes', '2K', '--skip-bad'))).toMatchObject({ imported: 4, skipped: 1 });
  });

  it('the line cap does not hold for an array item, nor the item cap for a JSONL line', async () => {
    const seed = seedFile('lines.json', paddedJson(seedItem(4), 4096));
    expect(await acceptedInFresh(tmp.dir, (other) => importArgs(seed, other, '--max-line-bytes', '1K'))).toMatchObject({ imported: 5 });
    const path = join(data, 'items.jsonl');
    writeFileSync(path, [1, 2, 3].map((i) => JSON.stringify({ id: `l${i}`, question: `Q${i}?`, answer: String(i) })).join('\n') + '\n' + paddedJson({ id: 'l4', question: 'Q4?', answer: '4' }, 4096) + '\n');
    expect(await acceptedInFresh(tmp.dir, (other) => importArgs(path, other, '--max-item-bytes', '1K'))).toMatchObject({ imported: 4 });
  });
});

describe('import-labels: the item cap', () => {
  const labelRow = (): Record<string, unknown> => {
    const r = visualprmRow();
    delete r.image;
    return r;
  };

  it('an array item over --max-item-bytes is refused, nothing stored; an item at the cap is imported', async () => {
    const dir = join(data, 'labels-array');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'rows.json');
    writeFileSync(path, `[\n${paddedJson(labelRow(), 4096)}\n]\n`);
    const args = (target: string, ...flags: string[]): string[] => ['import-labels', path, '--workspace', target, '--dataset', 'v', ...flags];
    const message = 'rows.json item 1: the item is 4 KB long (4,096 bytes; limit 4.0 KB); split it or raise the limit with --max-item-bytes <bytes>';
    await refusedUnchanged(ws, args(ws, '--format', 'visualprm', '--max-item-bytes', '4095'), message);
    // without --format too: the item is refused where the format is detected
    await refusedUnchanged(ws, args(ws, '--max-item-bytes', '4095'), message);
    expect(await acceptedInFresh(tmp.dir, (other) => args(other, '--max-item-bytes', '4K'))).toMatchObject({ problems: 1, skipped: 0 });
  });

  it('a file that is one JSON document over the cap is refused unread, plain or gzipped; --max-item-bytes raises it', async () => {
    const dir = join(data, 'labels-doc');
    mkdirSync(dir, { recursive: true });
    // an MM-PRM tree file is one pretty-printed document
    const tree = JSON.stringify({ question: 'What is 2 + 2?', answer: '4', pad: 'q'.repeat(3000), children: [] }, null, 2);
    const bytes = Buffer.byteLength(tree);
    writeFileSync(join(dir, 'tree.json'), tree);
    writeFileSync(join(dir, 'tree.json.gz'), gzipSync(tree));
    for (const name of ['tree.json', 'tree.json.gz']) {
      await refusedUnchanged(
        ws,
        ['import-labels', join(dir, name), '--workspace', ws, '--dataset', 'm', '--format', 'mmprm-tree', '--max-item-bytes', '2K'],
        `${name}: the JSON document is ${(bytes / 1024).toFixed(1)} KB long (${bytes.toLocaleString('en-US')} bytes; limit 2 KB); raise the limit with --max-item-bytes <bytes>`,
      );
    }
    // under the cap it is read (and judged by its format: this one is no MM-PRM tree)
    const r = await cli('import-labels', join(dir, 'tree.json'), '--workspace', ws, '--dataset', 'm', '--format', 'mmprm-tree', '--max-item-bytes', '4K');
    expect(r.err).toEqual(['error: tree.json: field "mc_value": required']);
  });

  it('a step-level benchmark (--format processbench): an item over the cap is refused, nothing stored', async () => {
    const row = (i: number): Record<string, unknown> => ({ id: `gsm8k-${i}`, generator: 'g', problem: `What is ${i} + 1?`, steps: [`${i} + 1 = ${i + 1}.`], final_answer_correct: true, label: -1 });
    const path = join(data, 'gsm8k.json');
    writeFileSync(path, JSON.stringify([row(0), JSON.parse(paddedJson(row(1), 3000)), row(2)], null, 1));
    const item = Buffer.byteLength(JSON.stringify(JSON.parse(paddedJson(row(1), 3000)), null, 1).replace(/\n/g, '\n '));
    const args = (target: string, ...flags: string[]): string[] => ['import-labels', path, '--workspace', target, '--dataset', 'pb', '--format', 'processbench', ...flags];
    await refusedUnchanged(ws, args(ws, '--max-item-bytes', '2K'), `gsm8k.json item 2: the item is ${(item / 1024).toFixed(1)} KB long (${item.toLocaleString('en-US')} bytes; limit 2 KB); split it or raise the limit with --max-item-bytes <bytes>`);
    expect(await acceptedInFresh(tmp.dir, (other) => args(other, '--max-item-bytes', '4K'))).toMatchObject({ rows: 3, added: 3 });
  });
});
