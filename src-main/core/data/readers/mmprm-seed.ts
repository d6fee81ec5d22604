// MM-PRM's seed file: one JSON array of problems, read item by item.
import { basename } from 'node:path';
import { readJsonArray } from '../jsonArray';
import { itemTooLong, type Limits } from '../limits';
import { keysOf, type Position, type Source } from './source';

/**
 * MM-PRM's seed file is a JSON array: read item by item (jsonArray.ts), never whole; an item over the item
 * cap is refused unread. A position is the byte offset after an item and its number; one saved as an item
 * count alone (by an earlier version) is resumed by passing over that many items.
 */
export function seedSource(path: string, size: number, limits: Limits): Source {
  const name = basename(path);
  const read = (from: Position, max: number) =>
    readJsonArray(path, 'offset' in from && 'index' in from ? { offset: from.offset, index: from.index, maxItemBytes: max } : { skip: 'index' in from ? from.index : 0, maxItemBytes: max });
  return {
    unit: 'item',
    total: null,
    async columns() {
      // the first item that holds JSON: a bad first item is reported by staging, with its number
      for await (const item of read({ index: 0 }, limits.itemBytes)) {
        if (item.tooLong !== undefined) continue;
        try {
          return { names: keysOf(JSON.parse(item.text)), where: `${name} item ${item.index}` };
        } catch {
          continue;
        }
      }
      return null;
    },
    done: (pos) => ('index' in pos ? pos.index : 0),
    describe: (pos) => `item ${'index' in pos ? pos.index : 0} (${size > 0 ? Math.floor((100 * ('offset' in pos ? pos.offset : 0)) / size) : 100}% of the file)`,
    async *records(from) {
      for await (const item of read(from, limits.itemBytes)) {
        const after = { offset: item.endOffset, index: item.index };
        if (item.tooLong !== undefined) {
          yield { no: item.index, error: itemTooLong(item.tooLong, limits), after };
          continue;
        }
        try {
          yield { no: item.index, row: JSON.parse(item.text), after };
        } catch (e) {
          yield { no: item.index, error: `not valid JSON (${(e as Error).message})`, after };
        }
      }
    },
  };
}
