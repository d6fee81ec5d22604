// Damage done to a workspace's steplab.db the way a disk or a copy does it: a page overwritten, the file
// cut short, the header zeroed. The workspace must be closed (its WAL checkpointed) first.
import { closeSync, openSync, readFileSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { cli } from './cli';

const ROOT = join(import.meta.dirname, '..', '..');
const DEMO = join(ROOT, 'models', 'demo-data');

/** A workspace to damage: 3,000 text problems and 3 demo problems with images in dataset d, tiny-prm registered. */
export async function buildDamageWorkspace(dir: string): Promise<string> {
  const ws = join(dir, 'ws');
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) lines.push(JSON.stringify({ id: `p${i}`, question: `What is ${i} + 1? ${'Think step by step. '.repeat(4)}`, answer: String(i + 1), split: i % 5 === 0 ? 'test' : 'train' }));
  const demo = readFileSync(join(DEMO, 'problems.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"image"')).slice(0, 3);
  for (const l of demo) {
    const row = JSON.parse(l) as { image: string };
    lines.push(JSON.stringify({ ...row, image: row.image }));
  }
  const file = join(dir, 'p.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  const steps = [await cli('init', ws), await cli('import', file, '--workspace', ws, '--dataset', 'd', '--image-root', DEMO), await cli('models', 'register', join(ROOT, 'models', 'tiny-prm'), '--workspace', ws)];
  for (const r of steps) if (r.code !== 0) throw new Error(`set-up failed: ${r.err.join(' ')}`);
  return ws;
}

export function dbFile(ws: string): string {
  return join(ws, 'steplab.db');
}

/** The page numbers of a table's (or index's) b-tree leaves, read with SQLite's dbstat. */
export function leafPages(ws: string, name: string): number[] {
  const db = new Database(dbFile(ws), { readonly: true });
  try {
    return (db.prepare("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno").all(name) as { pageno: number }[]).map((r) => r.pageno);
  } finally {
    db.close();
  }
}

export function pageSize(ws: string): number {
  const db = new Database(dbFile(ws), { readonly: true });
  try {
    return db.pragma('page_size', { simple: true }) as number;
  } finally {
    db.close();
  }
}

/** Overwrites one page (1-based) with a fixed pattern that is no valid b-tree page. */
export function overwritePage(ws: string, page: number, byte = 0xa5): void {
  const size = pageSize(ws);
  const fd = openSync(dbFile(ws), 'r+');
  try {
    writeSync(fd, Buffer.alloc(size, byte), 0, size, (page - 1) * size);
  } finally {
    closeSync(fd);
  }
}

/** Cuts the file to a fraction of its size, on a page boundary. */
export function truncateDb(ws: string, fraction: number): void {
  const size = pageSize(ws);
  const bytes = statSync(dbFile(ws)).size;
  truncateSync(dbFile(ws), Math.floor((bytes * fraction) / size) * size);
}

/** Zeroes SQLite's 100-byte header. */
export function zeroHeader(ws: string): void {
  const fd = openSync(dbFile(ws), 'r+');
  try {
    writeSync(fd, Buffer.alloc(100), 0, 100, 0);
  } finally {
    closeSync(fd);
  }
}
