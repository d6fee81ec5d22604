// Read-only queries of a workspace's steplab.db from a test, with the file closed again at once (so a
// running CLI in another process is never blocked by the test's handle).
import Database from 'better-sqlite3';
import { join } from 'node:path';

export function rows<T>(ws: string, sql: string): T[] {
  const db = new Database(join(ws, 'steplab.db'), { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}
