// What the two staged imports (`import` of problems, `import-labels` of label files) keep between their
// staging commits and their publish: staging_problems, staging_labels (the label units are read and written
// through labelImports.ts) and staging_images, which both share. The tail of a publish and a failed job's
// cleanup are the same for both: the staged images that were not published are the job's to remove, the
// job's staging rows go, and an image file goes only when nothing needs it any more.
import type { ImageRef } from '../../../src-shared/domain';
import type { DB } from './db';
import { prep } from './db';

/** A staged image's name: enough to find its file. */
export interface StagedImageKey {
  hash: string;
  mime: string;
}

export class StagingRepo {
  constructor(private readonly db: DB) {}

  // ---- images (both imports) ----

  stageImages(jobId: number, refs: readonly ImageRef[]): void {
    const ins = prep(this.db, 'INSERT OR IGNORE INTO staging_images (job_id, hash, mime, width, height, bytes) VALUES (?, ?, ?, ?, ?, ?)');
    for (const r of refs) ins.run(jobId, r.hash, r.mime, r.width, r.height, r.bytes);
  }

  stagedImage(jobId: number, hash: string): ImageRef | undefined {
    return prep(this.db, 'SELECT hash, mime, width, height, bytes FROM staging_images WHERE job_id = ? AND hash = ?').get(jobId, hash) as ImageRef | undefined;
  }

  /** Every image the job staged. */
  stagedImages(jobId: number): StagedImageKey[] {
    return prep(this.db, 'SELECT hash, mime FROM staging_images WHERE job_id = ?').all(jobId) as StagedImageKey[];
  }

  /** The job's staged images whose rows are not in `images` (their files are this job's to remove on failure). */
  stagedImagesNotPublished(jobId: number): StagedImageKey[] {
    return prep(this.db, 'SELECT s.hash, s.mime FROM staging_images s WHERE s.job_id = ? AND NOT EXISTS (SELECT 1 FROM images i WHERE i.hash = s.hash)').all(jobId) as StagedImageKey[];
  }

  /** Whether an image file is needed by a published image row or another job's staging. */
  imageInUse(hash: string, jobId: number): boolean {
    return prep(this.db, 'SELECT 1 FROM images WHERE hash = @hash UNION ALL SELECT 1 FROM staging_images WHERE hash = @hash AND job_id <> @jobId LIMIT 1').get({ hash, jobId }) !== undefined;
  }

  // ---- problems (`import`) ----

  stageProblems(jobId: number, rows: readonly { line: number; payload: string }[]): void {
    const ins = prep(this.db, 'INSERT INTO staging_problems (job_id, line, payload) VALUES (?, ?, ?)');
    for (const r of rows) ins.run(jobId, r.line, r.payload);
  }

  /** The ext ids a resumed import staged already, with the line each came from. */
  stagedProblemKeys(jobId: number): { line: number; extId: string; derived: number | null }[] {
    return prep(this.db, "SELECT line, json_extract(payload, '$.extId') AS extId, json_extract(payload, '$.derived') AS derived FROM staging_problems WHERE job_id = ?").all(jobId) as {
      line: number;
      extId: string;
      derived: number | null;
    }[];
  }

  stagedProblemPage(jobId: number, afterLine: number, limit: number): { line: number; payload: string }[] {
    return prep(this.db, 'SELECT line, payload FROM staging_problems WHERE job_id = ? AND line > ? ORDER BY line LIMIT ?').all(jobId, afterLine, limit) as { line: number; payload: string }[];
  }

  // ---- the shared tail ----

  /** Deletes the job's staging rows (problems, label units and images). */
  clear(jobId: number): void {
    prep(this.db, 'DELETE FROM staging_problems WHERE job_id = ?').run(jobId);
    prep(this.db, 'DELETE FROM staging_labels WHERE job_id = ?').run(jobId);
    prep(this.db, 'DELETE FROM staging_images WHERE job_id = ?').run(jobId);
  }

  /**
   * The end of a publish, inside its transaction: the staged images that were not published (their files
   * are the job's to remove once the publish has committed), then the job's staging rows deleted.
   */
  finishPublish(jobId: number): StagedImageKey[] {
    const orphans = this.stagedImagesNotPublished(jobId);
    this.clear(jobId);
    return orphans;
  }

  /**
   * Calls `remove` for each candidate no images row and no other job's staging row needs, in an IMMEDIATE
   * transaction, so it is serialised with every other job's chunk commit, which (re)writes any file it
   * stages after taking the write lock. With `alsoStaging` the job's staging rows are deleted first (a
   * failed job's cleanup).
   */
  releaseImages(jobId: number, candidates: readonly StagedImageKey[], alsoStaging: boolean, remove: (c: StagedImageKey) => void): void {
    this.db
      .transaction(() => {
        if (alsoStaging) this.clear(jobId);
        for (const c of candidates) {
          if (this.imageInUse(c.hash, jobId)) continue;
          remove(c);
        }
      })
      .immediate();
  }
}
