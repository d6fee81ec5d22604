// MM-PRM's seed file: one JSON array of problems.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { UserError } from '../../errors';
import { keysOf, type Source } from './source';

/** MM-PRM's seed file is a JSON array (10k items for MM-K12): parsed whole, then walked item by item. */
export function seedSource(path: string): Source {
  let text = readFileSync(path, 'utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let items: unknown;
  try {
    items = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${basename(path)}: not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(items)) throw new UserError(`${basename(path)}: expected a JSON array of problems`);
  const arr = items as unknown[];
  return {
    unit: 'item',
    total: arr.length,
    columns: async () => (arr.length ? { names: keysOf(arr[0]), where: `${basename(path)} item 1` } : null),
    done: (pos) => ('index' in pos ? pos.index : 0),
    describe: (pos) => `item ${'index' in pos ? pos.index : 0} of ${arr.length}`,
    async *records(from) {
      const first = 'index' in from ? from.index : 0;
      for (let i = first; i < arr.length; i++) {
        yield { no: i + 1, row: arr[i], after: { index: i + 1 } };
      }
    },
  };
}

