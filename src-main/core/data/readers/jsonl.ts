// JSONL problem files (MM-K12's shape): read line by line from a byte offset, a line over the cap counted
// to its newline and never held whole (jsonl.ts readLines).
import { basename } from 'node:path';
import { readLines } from '../jsonl';
import { lineTooLong, type Limits } from '../limits';
import { keysOf, type Source } from './source';

export function jsonlSource(path: string, size: number, limits: Limits): Source {
  return {
    unit: 'line',
    total: null,
    async columns() {
      // the first line that holds JSON: a bad first line is reported by staging, with its number
      for await (const l of readLines(path, { maxLineBytes: limits.lineBytes })) {
        if (l.tooLong !== undefined) continue;
        try {
          return { names: keysOf(JSON.parse(l.text)), where: `${basename(path)} line ${l.line}` };
        } catch {
          continue;
        }
      }
      return null;
    },
    done: (pos) => ('line' in pos ? pos.line : 0),
    describe: (pos) => {
      const offset = 'offset' in pos ? pos.offset : 0;
      return `line ${'line' in pos ? pos.line : 0} (${size > 0 ? Math.floor((100 * offset) / size) : 100}% of the file)`;
    },
    async *records(from) {
      const start = 'line' in from ? from : { offset: 0, line: 0 };
      for await (const l of readLines(path, { offset: start.offset, line: start.line, maxLineBytes: limits.lineBytes })) {
        const after = { offset: l.endOffset, line: l.line };
        if (l.tooLong !== undefined) {
          yield { no: l.line, error: lineTooLong(l.tooLong, limits), after };
          continue;
        }
        try {
          yield { no: l.line, row: JSON.parse(l.text), after };
        } catch (e) {
          yield { no: l.line, error: `not valid JSON (${(e as Error).message})`, after };
        }
      }
    },
  };
}

