import type { ImageRef } from '../../../src-shared/domain';
import type { DB } from './db';
import { nowIso, prep } from './db';

interface ImageRow {
  hash: string;
  mime: string;
  width: number;
  height: number;
  bytes: number;
}

export class ImagesRepo {
  constructor(private readonly db: DB) {}

  /** Idempotent: an image already stored by hash is left as it is. Returns whether it was new. */
  insert(img: ImageRef): boolean {
    const r = prep(this.db, 'INSERT OR IGNORE INTO images (hash, mime, width, height, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(img.hash, img.mime, img.width, img.height, img.bytes, nowIso());
    return r.changes > 0;
  }

  get(hash: string): ImageRef | undefined {
    return prep(this.db, 'SELECT hash, mime, width, height, bytes FROM images WHERE hash = ?').get(hash) as ImageRow | undefined;
  }

  has(hash: string): boolean {
    return prep(this.db, 'SELECT 1 FROM images WHERE hash = ?').get(hash) !== undefined;
  }

  count(): number {
    return (prep(this.db, 'SELECT count(*) AS n FROM images').get() as { n: number }).n;
  }

  forProblems(problemIds: number[]): Map<number, ImageRef[]> {
    const out = new Map<number, ImageRef[]>();
    if (problemIds.length === 0) return out;
    const stmt = prep(
      this.db,
      `SELECT pi.problem_id AS problemId, i.hash, i.mime, i.width, i.height, i.bytes
       FROM problem_images pi JOIN images i ON i.hash = pi.image_hash
       WHERE pi.problem_id = ? ORDER BY pi.position`,
    );
    for (const id of problemIds) out.set(id, (stmt.all(id) as (ImageRow & { problemId: number })[]).map(({ problemId: _p, ...r }) => r));
    return out;
  }
}
