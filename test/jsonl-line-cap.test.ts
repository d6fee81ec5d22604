// readLines' line cap (jsonl.ts): a line over `maxLineBytes` comes back as `tooLong` with its exact length
// (without '\r\n') and empty text, whatever the block boundaries; every other line as it is, with the same
// numbers and resume offsets as without a cap. import-labels' records (labels/sources.ts) are readLines' lines,
// an over-long one mapped to an error record with the same message.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readLines } from '../src-main/core/data/jsonl';
import { fileRecords, listInputs } from '../src-main/core/data/labels/sources';
import { tempDir } from './helpers/tmp';

const tmp = tempDir('steplab-jsonlcap-');
afterAll(() => tmp.cleanup());

async function all(path: string, opts: Parameters<typeof readLines>[1]) {
  const out = [];
  for await (const l of readLines(path, opts)) out.push(l);
  return out;
}

describe('readLines: maxLineBytes', () => {
  it('matches a plain read for every block size, long lines measured exactly (CRLF, no final newline)', async () => {
    const lines = ['a'.repeat(10), 'b'.repeat(11) + '\r', 'c'.repeat(12), '', 'd'.repeat(25) + '\r', 'e'.repeat(9), 'f'.repeat(13)];
    const path = join(tmp.dir, 'x.jsonl');
    writeFileSync(path, lines.join('\n'));
    const plain = await all(path, { includeBlank: true });
    for (const blockSize of [1, 2, 3, 5, 7, 11, 13, 64]) {
      for (const cap of [10, 11, 12]) {
        const got = await all(path, { includeBlank: true, blockSize, maxLineBytes: cap });
        expect(got.map((l) => l.endOffset)).toEqual(plain.map((l) => l.endOffset));
        expect(got.map((l) => l.line)).toEqual(plain.map((l) => l.line));
        for (const [i, l] of got.entries()) {
          const len = Buffer.byteLength(plain[i].text);
          if (len > cap) expect([l.tooLong, l.text], `block ${blockSize} cap ${cap} line ${i + 1}`).toEqual([len, '']);
          else expect([l.tooLong, l.text], `block ${blockSize} cap ${cap} line ${i + 1}`).toEqual([undefined, plain[i].text]);
        }
      }
    }
  });

  it("import-labels' reader: a CRLF line whose '\\r' ends a 256 KB block is measured without it; over the cap an error record", async () => {
    const block = 256 * 1024;
    // line 1: `{"p":"xxx…"}` then '\r' as the last byte of the first block, its '\n' the first of the next
    const first = `{"p":"${'x'.repeat(block - 1 - 8)}"}`;
    expect(first.length).toBe(block - 1);
    const path = join(tmp.dir, 'labels.jsonl');
    writeFileSync(path, `${first}\r\n{"q":1}\n`);
    const f = listInputs(path).files[0];
    const read = async (cap: number) => {
      const out = [];
      for await (const r of fileRecords(f, 'jsonl', null, { lineBytes: cap })) out.push({ no: r.no, error: r.error, after: r.after });
      return out;
    };
    expect(await read(block - 1)).toEqual([
      { no: 1, error: undefined, after: { offset: block + 1, no: 1 } },
      { no: 2, error: undefined, after: { offset: block + 9, no: 2 } },
    ]);
    const over = await read(block - 2);
    expect(over[0].error).toBe(`the line is 256.0 KB long (${(block - 1).toLocaleString('en-US')} bytes; limit 256.0 KB); split it or raise the limit with --max-line-bytes <bytes>`);
    expect(over.slice(1)).toEqual([{ no: 2, error: undefined, after: { offset: block + 9, no: 2 } }]);
  });
});
