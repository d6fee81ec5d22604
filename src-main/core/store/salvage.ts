// A salvager of SQLite files, for `steplab recover`: reads steplab.db page by page (with the committed
// frames of its WAL laid over it) the way SQLite's file format says, never trusting a page: every b-tree
// is walked from its root page in sqlite_schema, a page that is not a valid b-tree page (overwritten,
// zeroed, past the end of a file cut short) is skipped with everything only it leads to, and every cell
// of every readable leaf is decoded. Leaf pages no tree reaches (their parent was damaged) and that are
// not on the freelist are decoded too and given to the rowid table whose columns they fit, when exactly
// one does; the rest is kept as unattributed. A zeroed header is rebuilt by guessing the page size.
// (better-sqlite3 is built without SQLite's recover extension, and Debian 12's sqlite3 3.40 `.recover`
// fails without the sqlite_dbpage table: hence this.)
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';

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

function varint(buf: Buffer, at: number): [bigint, number] {
  let v = 0n;
  for (let i = 0; i < 8; i++) {
    if (at + i >= buf.length) throw new Error('varint past the end');
    const b = buf[at + i];
    v = (v << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) return [v, i + 1];
  }
  if (at + 8 >= buf.length) throw new Error('varint past the end');
  v = (v << 8n) | BigInt(buf[at + 8]);
  return [v, 9];
}

function num(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Decodes one record (SQLite's record format); throws on anything inconsistent. */
export function decodeRecord(p: Buffer): Value[] {
  const [hsize, n0] = varint(p, 0);
  const headerSize = Number(hsize);
  if (headerSize < n0 || headerSize > p.length) throw new Error('bad record header size');
  const types: number[] = [];
  let at = n0;
  while (at < headerSize) {
    const [t, n] = varint(p, at);
    at += n;
    types.push(Number(t));
  }
  if (at !== headerSize) throw new Error('record header overruns');
  const out: Value[] = [];
  let d = headerSize;
  const need = (k: number): void => {
    if (d + k > p.length) throw new Error('record body overruns');
  };
  for (const t of types) {
    if (t === 0) out.push(null);
    else if (t >= 1 && t <= 6) {
      const len = [0, 1, 2, 3, 4, 6, 8][t];
      need(len);
      let v = BigInt.asIntN(len * 8, BigInt(`0x${p.subarray(d, d + len).toString('hex') || '0'}`));
      if (len < 8) v = BigInt.asIntN(len * 8, v);
      out.push(num(v));
      d += len;
    } else if (t === 7) {
      need(8);
      out.push(p.readDoubleBE(d));
      d += 8;
    } else if (t === 8) out.push(0);
    else if (t === 9) out.push(1);
    else if (t === 10 || t === 11) throw new Error('reserved serial type');
    else if (t % 2 === 0) {
      const len = (t - 12) / 2;
      need(len);
      out.push(Buffer.from(p.subarray(d, d + len)));
      d += len;
    } else {
      const len = (t - 13) / 2;
      need(len);
      out.push(p.toString('utf8', d, d + len));
      d += len;
    }
  }
  return out;
}

/** Reads pages of a database file, with the committed frames of its WAL laid over them. */
class Pages {
  readonly pageSize: number;
  readonly usable: number;
  readonly count: number;
  private readonly fd: number;
  private readonly fileBytes: number;
  private readonly wal = new Map<number, Buffer>();
  readonly header: Buffer;
  readonly headerRebuilt: boolean;
  walFrames = 0;

  constructor(file: string, forcePageSize?: number) {
    this.fd = openSync(file, 'r');
    this.fileBytes = fstatSync(this.fd).size;
    const h = Buffer.alloc(100);
    readSync(this.fd, h, 0, Math.min(100, this.fileBytes), 0);
    const magicOk = h.subarray(0, 16).toString('latin1') === 'SQLite format 3\0';
    const raw = h.readUInt16BE(16);
    const declared = raw === 1 ? 65536 : raw;
    const sane = declared >= 512 && declared <= 65536 && (declared & (declared - 1)) === 0;
    this.headerRebuilt = !(magicOk && sane);
    this.header = h;
    this.pageSize = this.headerRebuilt ? (forcePageSize ?? 4096) : declared;
    this.usable = this.pageSize - (this.headerRebuilt ? 0 : h[20]);
    this.readWal(`${file}-wal`);
    const walMax = Math.max(0, ...this.wal.keys());
    this.count = Math.max(Math.ceil(this.fileBytes / this.pageSize), walMax, !this.headerRebuilt && h.readUInt32BE(92) === h.readUInt32BE(24) ? h.readUInt32BE(28) : 0);
  }

  close(): void {
    closeSync(this.fd);
  }

  private readWal(file: string): void {
    if (!existsSync(file)) return;
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size < 32) return;
      const h = Buffer.alloc(32);
      readSync(fd, h, 0, 32, 0);
      const magic = h.readUInt32BE(0);
      if (magic !== 0x377f0682 && magic !== 0x377f0683) return;
      const big = magic === 0x377f0683;
      const pageSize = h.readUInt32BE(8);
      if (pageSize !== this.pageSize) return;
      const salt1 = h.readUInt32BE(16);
      const salt2 = h.readUInt32BE(20);
      let [s0, s1] = walChecksum(h.subarray(0, 24), 0, 0, big);
      if (s0 !== h.readUInt32BE(24) || s1 !== h.readUInt32BE(28)) return;
      const frame = Buffer.alloc(24 + pageSize);
      const pending = new Map<number, Buffer>();
      for (let off = 32; off + frame.length <= size; off += frame.length) {
        readSync(fd, frame, 0, frame.length, off);
        if (frame.readUInt32BE(8) !== salt1 || frame.readUInt32BE(12) !== salt2) break;
        [s0, s1] = walChecksum(frame.subarray(0, 8), s0, s1, big);
        [s0, s1] = walChecksum(frame.subarray(24), s0, s1, big);
        if (s0 !== frame.readUInt32BE(16) || s1 !== frame.readUInt32BE(20)) break;
        pending.set(frame.readUInt32BE(0), Buffer.from(frame.subarray(24)));
        if (frame.readUInt32BE(4) !== 0) {
          // a commit frame: everything up to here is committed
          for (const [p, b] of pending) this.wal.set(p, b);
          this.walFrames += pending.size;
          pending.clear();
        }
      }
    } finally {
      closeSync(fd);
    }
  }

  /** A page's bytes, or null when it lies past the end of the file. */
  page(n: number): Buffer | null {
    if (n < 1 || n > this.count) return null;
    const w = this.wal.get(n);
    if (w) return w;
    const at = (n - 1) * this.pageSize;
    if (at + this.pageSize > this.fileBytes) return null;
    const b = Buffer.alloc(this.pageSize);
    readSync(this.fd, b, 0, this.pageSize, at);
    return b;
  }
}

function walChecksum(data: Buffer, s0: number, s1: number, big: boolean): [number, number] {
  for (let i = 0; i + 8 <= data.length; i += 8) {
    const a = big ? data.readUInt32BE(i) : data.readUInt32LE(i);
    const b = big ? data.readUInt32BE(i + 4) : data.readUInt32LE(i + 4);
    s0 = (s0 + a + s1) >>> 0;
    s1 = (s1 + b + s0) >>> 0;
  }
  return [s0, s1];
}

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
