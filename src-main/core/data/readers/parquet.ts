// Hugging Face datasets Parquet files: read a row range at a time, never across a row group.
import { basename } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { UserError } from '../../errors';
import type { Source } from './source';

/** Parquet rows decoded per read. */
const PARQUET_READ_ROWS = 2000;

export async function parquetSource(path: string): Promise<Source> {
  const file = await asyncBufferFromFile(path);
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (e) {
    throw new UserError(`${basename(path)}: not a readable Parquet file (${(e as Error).message})`);
  }
  const total = Number(metadata.num_rows);
  // row-group boundaries: reads never straddle a group, so each read decodes only the groups it needs
  const bounds: number[] = [];
  let at = 0;
  for (const g of metadata.row_groups) {
    at += Number(g.num_rows);
    bounds.push(at);
  }
  return {
    unit: 'row',
    total,
    columns: async () => ({ names: parquetSchema(metadata).children.map((c) => c.element.name), where: `${basename(path)} (Parquet schema)` }),
    done: (pos) => ('index' in pos ? pos.index : 0),
    describe: (pos) => `row ${'index' in pos ? pos.index : 0} of ${total}`,
    async *records(from) {
      let start = 'index' in from ? from.index : 0;
      while (start < total) {
        const groupEnd = bounds.find((b) => b > start) ?? total;
        const end = Math.min(groupEnd, start + PARQUET_READ_ROWS);
        let rows: Record<string, unknown>[];
        try {
          // utf8: false keeps binary columns (image bytes) as Uint8Array; string columns still come back as text
          rows = await parquetReadObjects({ file, metadata, rowStart: start, rowEnd: end, utf8: false, useOffsetIndex: true });
        } catch (e) {
          throw new UserError(`${basename(path)}: cannot read rows ${start + 1}-${end} (${(e as Error).message})`);
        }
        for (let i = 0; i < rows.length; i++) yield { no: start + i + 1, row: rows[i], after: { index: start + i + 1 } };
        start = end;
      }
    },
  };
}

