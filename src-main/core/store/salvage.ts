// A salvager of SQLite files, for `steplab recover`: reads steplab.db page by page (with the committed
// frames of its WAL laid over it) the way SQLite's file format says, never trusting a page: every b-tree
// is walked from its root page in sqlite_schema, a page that is not a valid b-tree page (overwritten,
// zeroed, past the end of a file cut short) is skipped with everything only it leads to, and every cell
// of every readable leaf is decoded. Leaf pages no tree reaches (their parent was damaged) and that are
// not on the freelist are decoded too and given to the rowid table whose columns they fit, when exactly
// one does; the rest is kept as unattributed. A zeroed header is rebuilt by guessing the page size.
// (better-sqlite3 is built without SQLite's recover extension, and Debian 12's sqlite3 3.40 `.recover`
// fails without the sqlite_dbpage table: hence this.) The file format (records, pages, the WAL) is read in
// sqliteFile.ts; this file walks the b-trees.
import { decodeRecord, num, Pages, varint } from './sqliteFile';

export { decodeRecord } from './sqliteFile';

export type Value = null | number | bigint | string | Buffer;

export interface SchemaEntry {
  type: string;
  name: string;
  table: string;
  root: number;
  sql: string | null;
}

export interface SalvagedTree {
  name: string;
  /** rows as decoded (record fields in record order); rowid tables also carry the rowid */
  rows: { rowid: number | bigint | null; fields: Value[] }[];
  /** pages of this tree that could not be read */
  badPages: number;
  /** every page of the tree was read */
  complete: boolean;
}

export interface Salvage {
  pageSize: number;
  pages: number;
  /** what the header said (null when it was rebuilt) */
  userVersion: number | null;
  headerRebuilt: boolean;
  walFrames: number;
  schema: SchemaEntry[];
  /** table trees, by name (rows) and index trees (entry counts only) */
  tables: Map<string, SalvagedTree>;
  indexEntries: Map<string, { entries: number; complete: boolean }>;
  /** table-leaf pages no tree reached, decoded */
  orphanLeaves: { page: number; rows: { rowid: number | bigint; fields: Value[] }[] }[];
  /** index-type leaf pages no tree reached (index entries or WITHOUT ROWID rows; not attributed) */
  orphanIndexPages: number;
  /** pages that no tree could read (damaged, or missing past the end of the file) */
  badPages: number[];
}

const PAGE_TYPES = new Set([2, 5, 10, 13]);

interface BtreePage {
  type: number;
  cells: number[];
  right: number | null;
  buf: Buffer;
}

/** Reads and validates a b-tree page; null when it is not one. */
function btreePage(pages: Pages, n: number): BtreePage | null {
  const buf = pages.page(n);
  if (!buf) return null;
  const off = n === 1 ? 100 : 0;
  const type = buf[off];
  if (!PAGE_TYPES.has(type)) return null;
  const interior = type === 2 || type === 5;
  const headerEnd = off + (interior ? 12 : 8);
  const nCells = buf.readUInt16BE(off + 3);
  if (headerEnd + 2 * nCells > pages.usable) return null;
  const cells: number[] = [];
  for (let i = 0; i < nCells; i++) {
    const c = buf.readUInt16BE(headerEnd + 2 * i);
    if (c < headerEnd + 2 * nCells || c >= pages.usable) return null;
    cells.push(c);
  }
  const right = interior ? buf.readUInt32BE(off + 8) : null;
  if (right !== null && (right < 1 || right > pages.count)) return null;
  return { type, cells, right, buf };
}

/** A cell's whole payload (local part plus its overflow chain); throws when the chain is broken. */
function payload(pages: Pages, buf: Buffer, at: number, size: number, index: boolean, overflowSeen: Set<number>): Buffer {
  const U = pages.usable;
  const X = index ? Math.floor(((U - 12) * 64) / 255) - 23 : U - 35;
  if (size <= X) {
    if (at + size > U) throw new Error('cell past the page');
    return buf.subarray(at, at + size);
  }
  const M = Math.floor(((U - 12) * 32) / 255) - 23;
  const K = M + ((size - M) % (U - 4));
  const local = K <= X ? K : M;
  if (at + local + 4 > U) throw new Error('cell past the page');
  const parts = [buf.subarray(at, at + local)];
  let got = local;
  let next = buf.readUInt32BE(at + local);
  while (got < size) {
    if (next < 1 || next > pages.count || overflowSeen.has(next)) throw new Error('broken overflow chain');
    overflowSeen.add(next);
    const o = pages.page(next);
    if (!o) throw new Error('overflow page missing');
    const take = Math.min(size - got, U - 4);
    parts.push(o.subarray(4, 4 + take));
    got += take;
    next = o.readUInt32BE(0);
  }
  return Buffer.concat(parts);
}

/** Walks one b-tree from its root; table trees give their rows, index trees their entry count. */
function walk(pages: Pages, root: number, visited: Set<number>, overflow: Set<number>, bad: Set<number>): { rows: { rowid: number | bigint | null; fields: Value[] }[]; entries: number; badPages: number } {
  const rows: { rowid: number | bigint | null; fields: Value[] }[] = [];
  let entries = 0;
  let badPages = 0;
  const stack = [root];
  while (stack.length) {
    const n = stack.pop()!;
    if (visited.has(n)) continue;
    visited.add(n);
    const page = btreePage(pages, n);
    if (!page) {
      bad.add(n);
      badPages++;
      continue;
    }
    const { type, buf } = page;
    for (const c of page.cells) {
      try {
        if (type === 5) {
          stack.push(buf.readUInt32BE(c));
        } else if (type === 13) {
          const [size, a] = varint(buf, c);
          const [rowid, b] = varint(buf, c + a);
          rows.push({ rowid: num(rowid), fields: decodeRecord(payload(pages, buf, c + a + b, Number(size), false, overflow)) });
          entries++;
        } else if (type === 10 || type === 2) {
          const at = type === 2 ? c + 4 : c;
          if (type === 2) stack.push(buf.readUInt32BE(c));
          const [size, a] = varint(buf, at);
          rows.push({ rowid: null, fields: decodeRecord(payload(pages, buf, at + a, Number(size), true, overflow)) });
          entries++;
        }
      } catch {
        // one unreadable cell: the others of the page are still read
      }
    }
    if (page.right !== null) stack.push(page.right);
  }
  return { rows, entries, badPages };
}

/** Page numbers on the freelist (trunk and leaf pages), as far as the list can be read. */
function freelist(pages: Pages): Set<number> {
  const out = new Set<number>();
  if (pages.headerRebuilt) return out;
  let trunk = pages.header.readUInt32BE(32);
  while (trunk > 0 && trunk <= pages.count && !out.has(trunk)) {
    out.add(trunk);
    const b = pages.page(trunk);
    if (!b) break;
    const n = b.readUInt32BE(4);
    if (n > (pages.usable - 8) / 4) break;
    for (let i = 0; i < n; i++) out.add(b.readUInt32BE(8 + 4 * i));
    trunk = b.readUInt32BE(0);
  }
  return out;
}

const PAGE_SIZES = [4096, 1024, 2048, 8192, 16384, 32768, 65536, 512];

/**
 * With the header gone, the page size is the one under which sqlite_schema (page 1's tree) reads best:
 * the most schema rows whose root page is a valid b-tree page at that size.
 */
function pagesOf(file: string): Pages {
  const first = new Pages(file);
  if (!first.headerRebuilt) return first;
  first.close();
  let best: { size: number; score: number } = { size: 4096, score: -1 };
  for (const size of PAGE_SIZES) {
    const p = new Pages(file, size);
    try {
      const rows = walk(p, 1, new Set(), new Set(), new Set()).rows;
      const score = rows.filter((r) => typeof r.fields[3] === 'number' && (r.fields[3] as number) > 0 && btreePage(p, r.fields[3] as number) !== null).length;
      if (score > best.score) best = { size, score };
    } finally {
      p.close();
    }
  }
  return new Pages(file, best.size);
}

/** Salvages what can be read from a SQLite file (and its WAL). Never writes. */
export function salvageDatabase(file: string): Salvage {
  const pages = pagesOf(file);
  try {
    const visited = new Set<number>();
    const overflow = new Set<number>();
    const bad = new Set<number>();
    const schemaTree = walk(pages, 1, visited, overflow, bad);
    const schema: SchemaEntry[] = [];
    for (const r of schemaTree.rows) {
      const [type, name, table, root, sql] = r.fields;
      if (typeof type !== 'string' || typeof name !== 'string') continue;
      schema.push({ type, name, table: typeof table === 'string' ? table : name, root: typeof root === 'number' ? root : 0, sql: typeof sql === 'string' ? sql : null });
    }
    const tables = new Map<string, SalvagedTree>();
    const indexEntries = new Map<string, { entries: number; complete: boolean }>();
    for (const e of schema) {
      if (e.root < 1 || (e.type !== 'table' && e.type !== 'index')) continue;
      const t = walk(pages, e.root, visited, overflow, bad);
      if (e.type === 'table') tables.set(e.name, { name: e.name, rows: t.rows, badPages: t.badPages, complete: t.badPages === 0 });
      else indexEntries.set(e.name, { entries: t.entries, complete: t.badPages === 0 });
    }
    const free = freelist(pages);
    const orphanLeaves: Salvage['orphanLeaves'] = [];
    let orphanIndexPages = 0;
    for (let n = 2; n <= pages.count; n++) {
      if (visited.has(n) || overflow.has(n) || free.has(n)) continue;
      const page = btreePage(pages, n);
      if (!page) continue;
      if (page.type === 13) {
        const rows: { rowid: number | bigint; fields: Value[] }[] = [];
        for (const c of page.cells) {
          try {
            const [size, a] = varint(page.buf, c);
            const [rowid, b] = varint(page.buf, c + a);
            rows.push({ rowid: num(rowid), fields: decodeRecord(payload(pages, page.buf, c + a + b, Number(size), false, new Set(overflow))) });
          } catch {
            // skip the cell
          }
        }
        if (rows.length) orphanLeaves.push({ page: n, rows });
      } else if (page.type === 10) orphanIndexPages++;
    }
    return {
      pageSize: pages.pageSize,
      pages: pages.count,
      userVersion: pages.headerRebuilt ? null : pages.header.readUInt32BE(60),
      headerRebuilt: pages.headerRebuilt,
      walFrames: pages.walFrames,
      schema,
      tables,
      indexEntries,
      orphanLeaves,
      orphanIndexPages,
      badPages: [...bad].sort((a, b) => a - b),
    };
  } finally {
    pages.close();
  }
}
