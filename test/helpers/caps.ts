// Fixtures of the size-cap tests (import-caps, import-line-cap, import-item-cap, score-rollouts-caps): a
// PNG whose header claims any size, JSON text of an exact byte length, a file with one long value written
// in pieces, what a workspace holds (to show a refusal changed nothing), and the import refused or accepted.
import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { expect } from 'vitest';
import { cli } from './cli';

/** A PNG whose header says width × height, with one row of pixel data: cheap to write, never decoded. */
export function pngHeader(width: number, height: number): Buffer {
  const chunk = (type: string, body: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    const typed = Buffer.concat([Buffer.from(type, 'ascii'), body]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed) >>> 0);
    return Buffer.concat([len, typed, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(width + 1))), chunk('IEND', Buffer.alloc(0))]);
}

export const jsonl = (rows: unknown[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** The row as JSON text of exactly `bytes` bytes: a `pad` field fills it up. */
export function paddedJson(row: Record<string, unknown>, bytes: number): string {
  const base = JSON.stringify({ ...row, pad: '' });
  const text = JSON.stringify({ ...row, pad: 'p'.repeat(bytes - base.length) });
  expect(Buffer.byteLength(text)).toBe(bytes);
  return text;
}

/**
 * Writes `head`, then `mb` MiB of 'x', then `tail`, in pieces: the test itself never builds the long string.
 * Returns the file's length.
 */
export function writeWithLongValue(path: string, head: string, mb: number, tail: string): number {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head);
    const piece = Buffer.alloc(1024 * 1024, 'x');
    for (let i = 0; i < mb; i++) writeSync(fd, piece);
    writeSync(fd, tail);
  } finally {
    closeSync(fd);
  }
  return Buffer.byteLength(head) + mb * 1024 * 1024 + Buffer.byteLength(tail);
}

/** The first row of the VisualPRM label fixture. */
export function visualprmRow(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'labels', 'visualprm', 'visualprm_raw.jsonl'), 'utf8').split('\n')[0]);
}

const TABLES = ['problems', 'dataset_problems', 'images', 'jobs', 'staging_problems', 'staging_images', 'searches', 'solutions', 'annotations'];

/** What a workspace holds: its row counts, datasets, image files and reports. */
export function workspaceState(dir: string): Record<string, unknown> {
  const db = new Database(join(dir, 'steplab.db'), { readonly: true });
  const counts: Record<string, unknown> = {};
  for (const t of TABLES) counts[t] = (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
  counts.datasets = db.prepare('SELECT name, version FROM datasets ORDER BY name').all();
  db.close();
  const files = (d: string): string[] => (existsSync(d) ? (readdirSync(d, { recursive: true }) as string[]).sort() : []);
  return { ...counts, imageFiles: files(join(dir, 'images')), reports: files(join(dir, 'reports')) };
}

/** Runs a command that must be refused in exactly one line, `error: <message>`, leaving the workspace as it was. */
export async function refusedUnchanged(ws: string, args: string[], message: string): Promise<Record<string, unknown>> {
  const before = workspaceState(ws);
  const r = await cli(...args);
  expect(r.code).toBe(1);
  expect(r.err).toEqual([`error: ${message}`]);
  expect(workspaceState(ws)).toEqual(before);
  return before;
}

/** Runs a command with --json in a fresh workspace under `parent`; it must succeed. Returns its last line. */
export async function acceptedInFresh(parent: string, args: (ws: string) => string[]): Promise<Record<string, number>> {
  const ws = join(parent, `ok-${Math.random().toString(36).slice(2)}`);
  expect((await cli('init', ws)).code).toBe(0);
  const r = await cli(...args(ws), '--json');
  expect(r.code, r.err.join('\n')).toBe(0);
  return JSON.parse(r.out.at(-1)!);
}
