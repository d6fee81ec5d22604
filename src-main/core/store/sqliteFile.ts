// SQLite's file format, read without trusting it (for `steplab recover`, salvage.ts): varints and records,
// and the pages of a database file with the committed frames of its WAL laid over them, a zeroed header
// rebuilt from a guessed page size.
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Value } from './salvage';

export function varint(buf: Buffer, at: number): [bigint, number] {
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

export function num(v: bigint): number | bigint {
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
export class Pages {
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

export function walChecksum(data: Buffer, s0: number, s1: number, big: boolean): [number, number] {
  for (let i = 0; i + 8 <= data.length; i += 8) {
    const a = big ? data.readUInt32BE(i) : data.readUInt32LE(i);
    const b = big ? data.readUInt32BE(i + 4) : data.readUInt32LE(i + 4);
    s0 = (s0 + a + s1) >>> 0;
    s1 = (s1 + b + s0) >>> 0;
  }
  return [s0, s1];
}
