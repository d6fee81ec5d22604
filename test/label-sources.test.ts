// The record readers under import-labels: a JSON array read an item at a time (strings holding commas,
// brackets and escaped quotes; items split across read blocks), JSONL plain and gzipped, one JSON document,
// and resuming at the position a record reports (what a killed import restarts from).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerOf, fileRecords, listInputs, type FileRecord, type Inner, type InputFile } from '../src-main/core/data/labels/sources';
import { tempDir } from './helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('steplab-label-sources-');
});
afterAll(() => tmp.cleanup());

const items = Array.from({ length: 300 }, (_, i) => ({
  i,
  text: `item ${i}, with "quotes", [brackets], {braces}, a back\\slash and é ∑ ${'x'.repeat(i * 7)}`,
  nested: [[i, { deep: [i, ']', '}'] }], []],
}));

function file(name: string, content: string | Buffer): InputFile {
  const abs = join(tmp.dir, name);
  writeFileSync(abs, content);
  return listInputs(abs).files[0];
}

async function all(f: InputFile, from: Inner | null = null): Promise<FileRecord[]> {
  const out: FileRecord[] = [];
  for await (const r of fileRecords(f, containerOf(f), from)) out.push(r);
  return out;
}

describe('label file records', () => {
  it('a JSON array, pretty-printed and compact, item by item across read blocks; resumed after any item', async () => {
    for (const [name, text] of [
      ['pretty.json', JSON.stringify(items, null, 4)],
      ['compact.json', `\uFEFF${JSON.stringify(items)}`],
    ] as const) {
      const f = file(name, text);
      expect(containerOf(f)).toBe('array');
      const recs = await all(f);
      expect(recs.map((r) => r.value)).toEqual(items);
      expect(recs.map((r) => r.no)).toEqual(items.map((_, i) => i + 1));
      for (const k of [0, 1, 150, 298]) expect((await all(f, recs[k].after)).map((r) => r.value)).toEqual(items.slice(k + 1));
      expect(await all(f, recs[299].after)).toEqual([]);
    }
  });

  it('an item that is not JSON is a record with its error; a cut array is refused', async () => {
    const f = file('bad.json', '[{"a": 1}, {"a": tru}, {"a": 3}]');
    const recs = await all(f);
    expect(recs.map((r) => r.value ?? r.error)).toEqual([{ a: 1 }, 'not valid JSON (Unexpected token \'}\', "{"a": tru}" is not valid JSON)', { a: 3 }]);
    const cut = file('cut.json', '[{"a": 1}, {"a": 2');
    await expect(all(cut)).rejects.toThrow('cut.json: the JSON array ends before its closing "]"');
  });

  it('JSONL, plain (resumed at a byte offset) and gzipped (resumed by counting lines); blank lines counted', async () => {
    const lines = items.map((x) => JSON.stringify(x));
    const text = `${lines.slice(0, 10).join('\n')}\n\n${lines.slice(10).join('\r\n')}\n`;
    for (const [name, content] of [
      ['rows.jsonl', text],
      ['rows.jsonl.gz', gzipSync(text)],
    ] as const) {
      const f = file(name, content);
      expect(containerOf(f)).toBe('jsonl');
      const recs = await all(f);
      expect(recs.map((r) => r.value)).toEqual(items);
      expect(recs[10].no).toBe(12);
      for (const k of [0, 9, 10, 200]) expect((await all(f, recs[k].after)).map((r) => r.value)).toEqual(items.slice(k + 1));
    }
  });

  it('one pretty-printed JSON document, plain or gzipped, is one record; a one-line .json file too', async () => {
    for (const [name, content] of [
      ['tree.json', JSON.stringify(items[3], null, 4)],
      ['tree.json.gz', gzipSync(JSON.stringify(items[3], null, 4))],
      ['line.json', JSON.stringify(items[3]) + '\n'],
    ] as const) {
      const f = file(name, content);
      expect(containerOf(f)).toBe('doc');
      const recs = await all(f);
      expect(recs.map((r) => [r.no, r.value])).toEqual([[0, items[3]]]);
      expect(await all(f, recs[0].after)).toEqual([]);
    }
  });

  it('a folder lists its readable files in path order, hidden ones left out', () => {
    const dir = join(tmp.dir, 'outputs');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    for (const n of ['b.json', 'a.jsonl', 'c.txt', '.hidden.json', 'sub/z.json.gz']) writeFileSync(join(dir, n), n.endsWith('.gz') ? gzipSync('{}') : '{}');
    const inputs = listInputs(dir);
    expect(inputs.folder).toBe(true);
    expect(inputs.files.map((f) => f.display)).toEqual(['outputs/a.jsonl', 'outputs/b.json', 'outputs/sub/z.json.gz']);
    expect(() => listInputs(join(tmp.dir, 'nope'))).toThrow(`${join(tmp.dir, 'nope')}: no such file or folder`);
  });
});
