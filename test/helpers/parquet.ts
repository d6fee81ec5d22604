// Parquet fixtures in the layout Hugging Face `datasets` writes for image datasets (through pyarrow),
// written with hyparquet-writer from a small schema description:
//   optional binary id (UTF8); optional group image { optional binary bytes; optional binary path (UTF8) };
//   optional group images (LIST) { repeated group list { optional group element { bytes; path } } }.
import { writeFileSync } from 'node:fs';
import { parquetWriteBuffer } from 'hyparquet-writer';

export type Leaf = 'string' | 'binary' | 'int64' | 'double' | 'boolean';

export type PqNode =
  | { name: string; optional?: boolean; leaf: Leaf }
  | { name: string; optional?: boolean; group: PqNode[] }
  /** a list in pyarrow's 3-level layout; JS value: an array of element values */
  | { name: string; optional?: boolean; list: PqNode };

type SchemaElement = Record<string, unknown>;

const LEAF: Record<Leaf, SchemaElement> = {
  string: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
  binary: { type: 'BYTE_ARRAY' },
  int64: { type: 'INT64' },
  double: { type: 'DOUBLE' },
  boolean: { type: 'BOOLEAN' },
};

function flatten(node: PqNode, out: SchemaElement[]): void {
  const repetition_type = node.optional === false ? 'REQUIRED' : 'OPTIONAL';
  if ('leaf' in node) {
    out.push({ name: node.name, repetition_type, ...LEAF[node.leaf] });
  } else if ('group' in node) {
    out.push({ name: node.name, repetition_type, num_children: node.group.length });
    for (const c of node.group) flatten(c, out);
  } else {
    out.push({ name: node.name, repetition_type, converted_type: 'LIST', num_children: 1 });
    out.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 });
    flatten({ ...node.list, name: 'element' }, out);
  }
}

/** int64 columns take bigint values; everything else as the reader returns it. */
function toColumn(node: PqNode, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if ('leaf' in node) return node.leaf === 'int64' ? BigInt(v as number) : v;
  if ('group' in node) return Object.fromEntries(node.group.map((c) => [c.name, toColumn(c, (v as Record<string, unknown>)[c.name])]));
  return (v as unknown[]).map((x) => toColumn(node.list, x));
}

export function writeParquet(path: string, columns: PqNode[], rows: Record<string, unknown>[], rowGroupSize = rows.length || 1): void {
  const schema: SchemaElement[] = [{ name: 'root', num_children: columns.length }];
  for (const c of columns) flatten(c, schema);
  const buf = parquetWriteBuffer({
    columnData: columns.map((c) => ({ name: c.name, data: rows.map((r) => toColumn(c, r[c.name])) })),
    schema: schema as never,
    rowGroupSize,
    codec: 'UNCOMPRESSED',
  });
  writeFileSync(path, new Uint8Array(buf));
}
