// The `import` job: reads a problem file (MM-K12-style JSONL, MM-PRM's seed JSON array, or a Hugging Face
// datasets Parquet file) into a dataset.
//
// Two phases, both resumable:
//  1. Staging. The file is read in chunks (JSONL line by line, the seed array item by item, Parquet a row
//     range at a time). Each chunk is validated, its images are checked with
//     sharp and hashed, and one ctx.commit writes the chunk's problems to staging_problems, its images to
//     staging_images (and their files to images/), and a checkpoint naming the position after the chunk.
//     A killed job resumes at the next chunk.
//  2. Publishing. One transaction moves everything into the real tables (images, problems, memberships,
//     the dataset's version), deletes the staging rows, and marks the checkpoint `published`.
// So a failed import leaves the workspace's tables as they were: cleanup() deletes the staging rows and the
// image files that only this job's staging rows referenced.
//
// Errors name where they are: `problems.jsonl line 17: field "answer": required`, `seed.json item 4: ...`
// (seed array, counted from 1), `rows.parquet row 12: ...` (Parquet, counted from 1); an image's error
// names its field. Image paths are read inside the file's folder and `imageRoot` only, unless
// `allowOutside` (imagePaths.ts); questions, answers and images over the size caps are refused (limits.ts), and a JSONL line or a seed array's item over its cap before it is parsed (never held whole: jsonl.ts readLines, jsonArray.ts). With skipBad, bad rows are skipped, listed in the
// result (the first 100) and written to <workspace>/reports/<input file name>.import-errors.jsonl.
//
// `fields` maps Steplab fields to the file's own column names (checked against the first row, or the
// Parquet schema, before anything is staged); `imageRoot` is where image paths are looked for
// (imageRoot.ts). Both are part of the job's config, so a resumed import reads the rest of the file the
// same way.
//
// Where each part is: the readers in readers/ (jsonl.ts, mmprm-seed.ts, parquet.ts, the format picked in
// index.ts), the checkpoint and error report in importState.ts, publishing in importPublish.ts; this file
// runs the job and stages.
import { existsSync, renameSync, statSync, truncateSync, unlinkSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { ImportReport, Job } from '../../../src-shared/domain';
import { UserError } from '../errors';
import type { JobContext, JobHandler } from '../jobs/types';
import type { Store } from '../store';
import { deleteUnreferencedImageFiles, imageLabel, prepareImage, readImageRef, writeImageFile } from './images';
import type { PreparedImage } from './images';
import { checkFieldColumns, problemFieldColumns } from './fieldMap';
import { checkImageRoot } from './imageRoot';
import { ImagePaths } from './imagePaths';
import { appendLines, MAX_BAD_LINES, reportPaths, type BadLine, type Checkpoint, type StagedProblem } from './importState';
import { publishStaged } from './importPublish';
import { limitsOf, type Limits } from './limits';
import { derivedExtId, parseProblemRow, type ColumnMap } from './problemRow';
import { detectFormat, openSource } from './readers';
import type { Position, Source, SourceRecord } from './readers/source';

export { ImportJobConfig as ImportConfigSchema, type ImportJobConfig as ImportConfig } from '../../../src-shared/jobConfigs';
import { ImportJobConfig as ImportConfigSchema, type ImportJobConfig as ImportConfig } from '../../../src-shared/jobConfigs';

/** Rows per staging chunk (one transaction each). */
export const CHUNK_ROWS = 500;
/** A chunk is also cut when its images reach this many bytes, so memory stays bounded. */
const CHUNK_IMAGE_BYTES = 64 * 1024 * 1024;

class Importer {
  private readonly store: Store;
  private readonly jobId: number;
  private readonly path: string;
  private readonly baseDir: string;
  private readonly seen = new Map<string, { line: number; derived: boolean }>();
  private readonly columns: ColumnMap;
  private readonly images: ImagePaths;
  private readonly limits: Limits;
  /** the file's name, which every message starts with */
  private readonly fileName: string;
  private cp!: Checkpoint;
  private source!: Source;
  private report!: { final: string; partial: string };

  constructor(private readonly ctx: JobContext<ImportConfig>) {
    this.store = ctx.store;
    this.jobId = ctx.job.id;
    this.path = resolve(ctx.config.path);
    this.baseDir = dirname(this.path);
    this.columns = problemFieldColumns(ctx.config.fields ?? {});
    this.fileName = basename(this.path);
    this.images = new ImagePaths(this.baseDir, ctx.config.imageRoot === undefined ? null : resolve(ctx.config.imageRoot), ctx.config.allowOutside ?? false);
    this.limits = limitsOf(ctx.config.limits);
  }

  async run(): Promise<ImportReport> {
    const { config } = this.ctx;
    this.report = reportPaths(this.store, this.path, this.jobId);
    const saved = this.ctx.checkpoint as Checkpoint | null;
    // published by an earlier attempt that died before it could report: nothing is left to do
    if (saved?.v === 1 && saved.phase === 'published' && saved.result) return this.finishReport(saved.result);

    let st: { size: number; mtimeMs: number; isFile: boolean };
    try {
      const s = statSync(this.path);
      st = { size: s.size, mtimeMs: s.mtimeMs, isFile: s.isFile() };
    } catch {
      throw new UserError(`file "${config.path}": not found`);
    }
    if (!st.isFile) throw new UserError(`file "${config.path}": not a file`);

    if (saved?.v === 1 && saved.phase === 'staging') {
      this.cp = saved;
      if (saved.file.size !== st.size || saved.file.mtimeMs !== st.mtimeMs) {
        throw new UserError(`file "${config.path}" changed since this import started: start the import again`);
      }
      this.restore();
    } else {
      const format = config.format ?? detectFormat(this.path);
      this.cp = {
        v: 1,
        phase: 'staging',
        format,
        file: { size: st.size, mtimeMs: st.mtimeMs },
        pos: format === 'jsonl' ? { offset: 0, line: 0 } : format === 'mmprm-seed' ? { offset: 0, index: 0 } : { index: 0 },
        staged: 0,
        skipped: 0,
        badLines: [],
        reportBytes: 0,
        result: null,
      };
      if (existsSync(this.report.partial)) unlinkSync(this.report.partial);
    }
    if (config.imageRoot !== undefined) checkImageRoot(config.imageRoot);
    this.source = await openSource(this.path, this.cp.format, st.size, this.limits);
    if (config.fields && Object.keys(config.fields).length) {
      const cols = await this.source.columns();
      if (cols) checkFieldColumns(config.fields, cols.names, cols.where);
    }
    await this.stage();
    const result = this.publish();
    return this.finishReport(result);
  }

  /** On a later attempt: the ids already staged, and the error report as far as the checkpoint covers it. */
  private restore(): void {
    const rows = this.store.staging.stagedProblemKeys(this.jobId);
    for (const r of rows) this.seen.set(r.extId, { line: r.line, derived: r.derived === 1 });
    if (existsSync(this.report.partial)) truncateSync(this.report.partial, this.cp.reportBytes);
  }

  private async stage(): Promise<void> {
    let chunk: { no: number; problem: StagedProblem; images: PreparedImage[] }[] = [];
    let chunkBad: BadLine[] = [];
    let chunkBytes = 0;
    let chunkRecords = 0;
    let pos = this.cp.pos;
    // images validated in this chunk, by where they came from (a figure shared by several problems)
    let cache = new Map<string, PreparedImage>();

    const flush = (): void => {
      this.commitChunk(chunk, chunkBad, pos);
      chunk = [];
      chunkBad = [];
      chunkBytes = 0;
      chunkRecords = 0;
      cache = new Map();
    };

    for await (const rec of this.source.records(this.cp.pos)) {
      if (chunkRecords === 0) this.ctx.throwIfCancelled();
      try {
        const staged = await this.prepare(rec, cache);
        chunk.push({ no: rec.no, ...staged });
        for (const img of staged.images) chunkBytes += img.data.length;
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        const message = `${this.fileName} ${this.source.unit} ${rec.no}: ${e.message}`;
        if (!this.ctx.config.skipBad) throw new UserError(message);
        chunkBad.push({ line: rec.no, message });
      }
      pos = rec.after;
      chunkRecords += 1;
      if (chunkRecords >= CHUNK_ROWS || chunkBytes >= CHUNK_IMAGE_BYTES) flush();
    }
    if (chunkRecords > 0) flush();
  }

  private async prepare(rec: SourceRecord, cache: Map<string, PreparedImage>): Promise<{ problem: StagedProblem; images: PreparedImage[] }> {
    if (rec.error !== undefined) throw new UserError(rec.error);
    const p = parseProblemRow(rec.row, this.columns, this.limits);
    const images: PreparedImage[] = [];
    const locate = (path: string): string => this.images.locate(path);
    for (const src of p.images) {
      try {
        if (src.kind === 'ref') {
          const isData = /^data:/i.test(src.ref.trim());
          const key = isData ? src.ref : src.ref.trim();
          let img = cache.get(key);
          if (!img) {
            img = await prepareImage(readImageRef(src.ref, this.baseDir, locate, this.limits), imageLabel(src.ref), this.limits);
            if (!isData) cache.set(key, img);
          }
          images.push(img);
        } else {
          images.push(await prepareImage(src.bytes, src.label, this.limits));
        }
      } catch (e) {
        if (e instanceof UserError) throw new UserError(`field "${p.imageField ?? 'images'}": ${e.message}`);
        throw e;
      }
    }
    const imageHashes = images.map((i) => i.ref.hash);
    const derived = p.id === null;
    const extId = p.id ?? derivedExtId(p, imageHashes);
    const prev = this.seen.get(extId);
    if (prev) {
      throw new UserError(
        derived && prev.derived
          ? `same question, answer and images as ${this.source.unit} ${prev.line}`
          : `id "${extId}" already used on ${this.source.unit} ${prev.line}`,
      );
    }
    this.seen.set(extId, { line: rec.no, derived });
    const problem: StagedProblem = {
      extId,
      question: p.question,
      answer: p.answer,
      answerType: p.answerType,
      source: p.source,
      split: p.split,
      tags: p.tags,
      imageHashes,
      meta: p.meta,
    };
    if (derived) problem.derived = true;
    return { problem, images };
  }

  private commitChunk(chunk: { no: number; problem: StagedProblem; images: PreparedImage[] }[], bad: BadLine[], pos: Position): void {
    const reportBytes = bad.length
      ? appendLines(this.report.partial, bad.map((b) => JSON.stringify(b) + '\n'))
      : this.cp.reportBytes;
    const next: Checkpoint = {
      ...this.cp,
      pos,
      staged: this.cp.staged + chunk.length,
      skipped: this.cp.skipped + bad.length,
      badLines: [...this.cp.badLines, ...bad].slice(0, MAX_BAD_LINES),
      reportBytes,
    };
    const staging = this.store.staging;
    const imagesDir = this.store.paths.imagesDir;
    const jobId = this.jobId;
    this.ctx.commit(
        () => {
          const imgs = new Map<string, PreparedImage>();
          for (const c of chunk) for (const i of c.images) imgs.set(i.ref.hash, i);
          staging.stageImages(jobId, [...imgs.values()].map((i) => i.ref));
          staging.stageProblems(jobId, chunk.map((c) => ({ line: c.no, payload: JSON.stringify(c.problem) })));
          // files last: the rows above hold the write lock, so no cleanup of another job can delete a file
          // this chunk needs between the check and the commit
          for (const i of imgs.values()) writeImageFile(imagesDir, i);
        },
      { done: this.source.done(pos), total: this.source.total, message: `${this.source.describe(pos)}: ${next.staged} problems staged` },
      next,
    );
    this.cp = next;
  }

  /** Moves the staged problems into the real tables in one transaction (importPublish.ts). */
  private publish(): ImportReport {
    const { result, cp } = publishStaged({ ctx: this.ctx, cp: this.cp, source: this.source, fileName: this.fileName, report: this.report });
    this.cp = cp;
    return result;
  }

  /** Publishes the error report file (rename of the partial one), or removes an empty partial one. */
  private finishReport(result: ImportReport): ImportReport {
    if (result.reportPath !== null) {
      if (existsSync(this.report.partial)) renameSync(this.report.partial, this.report.final);
    } else if (existsSync(this.report.partial)) {
      unlinkSync(this.report.partial);
    }
    return result;
  }
}

export const importJob: JobHandler<ImportConfig, ImportReport> = {
  kind: 'import',
  configSchema: ImportConfigSchema,
  run(ctx) {
    return new Importer(ctx).run();
  },
  cleanup(store: Store, job: Job, config: ImportConfig) {
    deleteUnreferencedImageFiles(store, job.id, store.staging.stagedImages(job.id), true);
    const { partial } = reportPaths(store, resolve(config.path), job.id);
    if (existsSync(partial)) unlinkSync(partial);
  },
};
