// readJsonArray (data/jsonArray.ts): a file that is one JSON array is read item by item, never whole. Each
// item's text parses to what JSON.parse of the whole file gives, whatever the block boundaries; an item
// over `maxItemBytes` comes back as `tooLong` with its exact length (without the whitespace around it) and
// empty text; a resume at an item's `endOffset` reads on from the next item; a file that is not one whole
// array is refused in one line naming it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readJsonArray, type ArrayItem, type ReadArrayOptions } from '../src-main/core/data/jsonArray';
import { tempDir } from './helpers/tmp';

const tmp = tempDir('steplab-jsonarray-');
afterAll(() => tmp.cleanup());

async function all(path: string, opts: ReadArrayOptions = {}): Promise<ArrayItem[]> {
  const out: ArrayItem[] = [];
  for await (const item of readJsonArray(path, opts)) out.push(item);
  return out;
}

function file(name: string, content: string | Buffer): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, content);
  return path;
}

// strings that hold the scanner's own bytes: brackets, braces, commas, escaped quotes and backslashes, multi-byte text
const ITEMS: unknown[] = [
  { id: 'a', q: 'What is [1, 2] , {3}?', s: ['x"y', 'back\\slash\\', '数学 ∠A = 40°'] },
  [1, [2, [3, {}]], '],['],
  'a plain "string", with {braces}',
  42,
  null,
  { nested: { deep: [{ k: '}' }, { k: '\\"' }] }, empty: [] },
  true,
];

describe('readJsonArray', () => {
  it('each item parses to what JSON.parse of the whole file gives, for every block size; offsets resume at the next item', async () => {
    // pretty-printed, with CRLF newlines and a byte-order mark
    const text = '\ufeff' + JSON.stringify(ITEMS, null, 2).replace(/\n/g, '\r\n') + '\r\n';
    const path = file('items.json', text);
    const whole = JSON.parse(text.slice(1)) as unknown[];
    for (const blockSize of [1, 2, 3, 5, 7, 16, 64, 65536]) {
      const got = await all(path, { blockSize });
      expect(got.map((i) => i.index)).toEqual(whole.map((_, k) => k + 1));
      expect(got.map((i) => JSON.parse(i.text)), `block ${blockSize}`).toEqual(whole);
      // resuming after any item gives the rest
      for (const [k, item] of got.entries()) {
        const rest = await all(path, { blockSize, offset: item.endOffset, index: item.index });
        expect(rest.map((i) => [i.index, JSON.parse(i.text)])).toEqual(whole.slice(k + 1).map((v, j) => [k + 2 + j, v]));
      }
    }
    expect(await all(file('empty.json', ' [ ] \n'))).toEqual([]);
  });

  it('an item over maxItemBytes: its exact length, no text, for every block size; one of exactly the cap is read', async () => {
    const a = JSON.stringify({ pad: 'a'.repeat(30) }); // 40 bytes
    const b = JSON.stringify({ pad: '数'.repeat(10) }); // 40 bytes of UTF-8
    const c = JSON.stringify(['x', 'y']);
    expect([Buffer.byteLength(a), Buffer.byteLength(b)]).toEqual([40, 40]);
    const path = file('cap.json', `[\n  ${a}  ,\n${b}\n\t,${c}   ]`);
    for (const blockSize of [1, 3, 8, 13, 64]) {
      const at = await all(path, { blockSize, maxItemBytes: 40 });
      expect(at.map((i) => [i.text, i.tooLong])).toEqual([
        [a, undefined],
        [b, undefined],
        [c, undefined],
      ]);
      const over = await all(path, { blockSize, maxItemBytes: 39 });
      expect(over.map((i) => [i.index, i.text, i.tooLong])).toEqual([
        [1, '', 40],
        [2, '', 40],
        [3, c, undefined],
      ]);
      expect(over.map((i) => i.endOffset)).toEqual(at.map((i) => i.endOffset));
    }
  });

  it('a gzip file is decompressed as it is read; skip passes over items', async () => {
    const path = file('items.json.gz', gzipSync(JSON.stringify(ITEMS)));
    expect((await all(path, { gzip: true, blockSize: 7 })).map((i) => JSON.parse(i.text))).toEqual(ITEMS);
    expect((await all(path, { gzip: true, skip: 4 })).map((i) => [i.index, JSON.parse(i.text)])).toEqual(ITEMS.slice(4).map((v, k) => [k + 5, v]));
    const bad = file('bad.json.gz', Buffer.from('not gzip at all'));
    await expect(all(bad, { gzip: true })).rejects.toThrow('bad.json.gz: not a readable gzip file (incorrect header check)');
  });

  it('what is not one whole array is refused in one line naming the file', async () => {
    await expect(all(file('obj.json', '{"a": 1}'))).rejects.toThrow(/^obj\.json: not a JSON array$/);
    await expect(all(file('cut.json', '[{"a": 1}, {"b": '))).rejects.toThrow(/^cut\.json: the JSON array ends before its closing "\]"$/);
    await expect(all(file('two.json', '[1, 2]\n[3]\n'))).rejects.toThrow(/^two\.json: text after the array's closing "\]" \(byte 7\); a file holds one JSON array$/);
    await expect(all(file('brace.json', '[{"a": 1}}, 2]'))).rejects.toThrow(/^brace\.json item 1: not valid JSON \(a "\}" at byte 9 closes more than the item opened\)$/);
  });
});
