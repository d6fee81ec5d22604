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
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { z } from 'zod';
import type { AnswerType, ImportReport, Job } from '../../../src-shared/domain';
import { FieldMap, ProblemFormat } from '../../../src-shared/domain';
import { UserError } from '../errors';
import type { JobContext, JobHandler } from '../jobs/types';
import type { Store } from '../store';
import { deleteUnreferencedImageFiles, imageLabel, prepareImage, readImageRef, writeImageFile } from './images';
import type { PreparedImage } from './images';
import { checkFieldColumns, problemFieldColumns } from './fieldMap';
import { checkImageRoot } from './imageRoot';
import { ImagePaths } from './imagePaths';
import { itemTooLong, limitsOf, lineTooLong, type Limits } from './limits';
import { readJsonArray } from './jsonArray';
import { readLines } from './jsonl';
import { derivedExtId, parseProblemRow, type ColumnMap, type ParsedRow } from './problemRow';

export { ImportJobConfig as ImportConfigSchema, type ImportJobConfig as ImportConfig } from '../../../src-shared/jobConfigs';
import { ImportJobConfig as ImportConfigSchema, type ImportJobConfig as ImportConfig } from '../../../src-shared/jobConfigs';

/** Rows per staging chunk (one transaction each). */
export const CHUNK_ROWS = 500;
/** A chunk is also cut when its images reach this many bytes, so memory stays bounded. */
const CHUNK_IMAGE_BYTES = 64 * 1024 * 1024;
/** Parquet rows decoded per read. */
const PARQUET_READ_ROWS = 2000;
/** Staged rows published per page read. */
const PUBLISH_PAGE = 1000;
/** How many bad rows the job result lists (the report file has them all). */
const MAX_BAD_LINES = 100;

type BadLine = { line: number; message: string };

/**
 * Where to go on from: a byte offset and line number (JSONL), a byte offset and the number of items read
 * (the seed array), or a 0-based row index (Parquet; a seed array's position saved by an earlier version).
 */
type Position = { offset: number; line: number } | { offset: number; index: number } | { index: number };

interface Checkpoint {
  v: 1;
  phase: 'staging' | 'published';
  format: ProblemFormat;
  file: { size: number; mtimeMs: number };
  pos: Position;
  staged: number;
  skipped: number;
  badLines: BadLine[];
  /** size of the partial error report covered by this checkpoint */
  reportBytes: number;
  result: ImportReport | null;
}

/** A problem as staged: everything publish needs, with images already stored as files. */
type StagedProblem = Omit<ParsedRow, 'id' | 'images' | 'imageField'> & {
  extId: string;
  imageHashes: string[];
  /** the row had no id: extId was derived from the content */
  derived?: true;
};

interface SourceRecord {
  /** line, item or row number, counted from 1 */
  no: number;
  row?: unknown;
  /** set when the record could not even be parsed */
  error?: string;
  /** where to resume after this record */
  after: Position;
}

interface Source {
  /** what a record is called in messages */
  unit: 'line' | 'item' | 'row';
  /** number of items or rows; null for JSONL (lines are not counted ahead) */
  total: number | null;
  records(from: Position): AsyncGenerator<SourceRecord>;
  /** lines, items or rows read up to a position */
  done(pos: Position): number;
  /** where a position is, for progress messages */
  describe(pos: Position): string;
  /** the columns a `--field` mapping may name, and where they were read (null: the file has no rows) */
  columns(): Promise<{ names: string[]; where: string } | null>;
}

const UNIT: Record<ProblemFormat, Source['unit']> = { jsonl: 'line', 'mmprm-seed': 'item', parquet: 'row' };

/** Picks the format from the extension and the first bytes: `.parquet` / PAR1 magic, `[` (a JSON array), else JSONL. */
export function detectFormat(path: string): ProblemFormat {
  if (/\.parquet$/i.test(path)) return 'parquet';
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4096);
    const n = readSync(fd, head, 0, head.length, 0);
    if (n >= 4 && head.subarray(0, 4).toString('latin1') === 'PAR1') return 'parquet';
    let text = head.subarray(0, n).toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return text.trimStart().startsWith('[') ? 'mmprm-seed' : 'jsonl';
  } finally {
    closeSync(fd);
  }
}

const keysOf = (v: unknown): string[] => (typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.keys(v) : []);

function jsonlSource(path: string, size: number, limits: Limits): Source {
  return {
    unit: 'line',
    total: null,
    async columns() {
      // the first line that holds JSON: a bad first line is reported by staging, with its number
      for await (const l of readLines(path, { maxLineBytes: limits.lineBytes })) {
        if (l.tooLong !== undefined) continue;
        try {
          return { names: keysOf(JSON.parse(l.text)), where: `${basename(path)} line ${l.line}` };
        } catch {
          continue;
        }
      }
      return null;
    },
    done: (pos) => ('line' in pos ? pos.line : 0),
    describe: (pos) => {
      const offset = 'offset' in pos ? pos.offset : 0;
      return `line ${'line' in pos ? pos.line : 0} (${size > 0 ? Math.floor((100 * offset) / size) : 100}% of the file)`;
    },
    async *records(from) {
      const start = 'line' in from ? from : { offset: 0, line: 0 };
      for await (const l of readLines(path, { offset: start.offset, line: start.line, maxLineBytes: limits.lineBytes })) {
        const after = { offset: l.endOffset, line: l.line };
        if (l.tooLong !== undefined) {
          yield { no: l.line, error: lineTooLong(l.tooLong, limits), after };
          continue;
        }
        try {
          yield { no: l.line, row: JSON.parse(l.text), after };
        } catch (e) {
          yield { no: l.line, error: `not valid JSON (${(e as Error).message})`, after };
        }
      }
    },
  };
}

/**
 * MM-PRM's seed file is a JSON array: read item by item (jsonArray.ts), never whole; an item over the item
 * cap is refused unread. A position is the byte offset after an item and its number; one saved as an item
 * count alone (by an earlier version) is resumed by passing over that many items.
 */
function seedSource(path: string, size: number, limits: Limits): Source {
  const name = basename(path);
  const read = (from: Position, max: number) =>
    readJsonArray(path, 'offset' in from && 'index' in from ? { offset: from.offset, index: from.index, maxItemBytes: max } : { skip: 'index' in from ? from.index : 0, maxItemBytes: max });
  return {
    unit: 'item',
    total: null,
    async columns() {
      // the first item that holds JSON: a bad first item is reported by staging, with its number
      for await (const item of read({ index: 0 }, limits.itemBytes)) {
        if (item.tooLong !== undefined) continue;
        try {
          return { names: keysOf(JSON.parse(item.text)), where: `${name} item ${item.index}` };
        } catch {
          continue;
        }
      }
      return null;
    },
    done: (pos) => ('index' in pos ? pos.index : 0),
    describe: (pos) => `item ${'index' in pos ? pos.index : 0} (${size > 0 ? Math.floor((100 * ('offset' in pos ? pos.offset : 0)) / size) : 100}% of the file)`,
    async *records(from) {
      for await (const item of read(from, limits.itemBytes)) {
        const after = { offset: item.endOffset, index: item.index };
        if (item.tooLong !== undefined) {
          yield { no: item.index, error: itemTooLong(item.tooLong, limits), after };
          continue;
        }
        try {
          yield { no: item.index, row: JSON.parse(item.text), after };
        } catch (e) {
          yield { no: item.index, error: `not valid JSON (${(e as Error).message})`, after };
        }
      }
    },
  };
}

async function parquetSource(path: string): Promise<Source> {
  const file = await asyncBufferFromFile(path);
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (e) {
    throw new UserError(`${basename(path)}: not a readable Parquet file (${(e as Error).message})`);
  }
  const total = Number(metadata.num_rows);
  // row-group boundaries: reads never straddle a group, so each read decodes only the groups it needs
  const bounds: number[] = [];
  let at = 0;
  for (const g of metadata.row_groups) {
    at += Number(g.num_rows);
    bounds.push(at);
  }
  return {
    unit: 'row',
    total,
    columns: async () => ({ names: parquetSchema(metadata).children.map((c) => c.element.name), where: `${basename(path)} (Parquet schema)` }),
    done: (pos) => ('index' in pos ? pos.index : 0),
    describe: (pos) => `row ${'index' in pos ? pos.index : 0} of ${total}`,
    async *records(from) {
      let start = 'index' in from ? from.index : 0;
      while (start < total) {
        const groupEnd = bounds.find((b) => b > start) ?? total;
        const end = Math.min(groupEnd, start + PARQUET_READ_ROWS);
        let rows: Record<string, unknown>[];
        try {
          // utf8: false keeps binary columns (image bytes) as Uint8Array; string columns still come back as text
          rows = await parquetReadObjects({ file, metadata, rowStart: start, rowEnd: end, utf8: false, useOffsetIndex: true });
        } catch (e) {
          throw new UserError(`${basename(path)}: cannot read rows ${start + 1}-${end} (${(e as Error).message})`);
        }
        for (let i = 0; i < rows.length; i++) yield { no: start + i + 1, row: rows[i], after: { index: start + i + 1 } };
        start = end;
      }
    },
  };
}

async function openSource(path: string, format: ProblemFormat, size: number, limits: Limits): Promise<Source> {
  if (format === 'parquet') return parquetSource(path);
  if (format === 'mmprm-seed') return seedSource(path, size, limits);
  return jsonlSource(path, size, limits);
}

export function reportPaths(store: Store, inputPath: string, jobId: number): { final: string; partial: string } {
  const final = join(store.paths.dir, 'reports', `${basename(inputPath)}.import-errors.jsonl`);
  return { final, partial: `${final}.job${jobId}.partial` };
}

/** Appends lines to a file and returns its new size. */
function appendLines(path: string, lines: string[]): number {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'a');
  try {
    if (lines.length) writeSync(fd, lines.join(''));
  } finally {
    closeSync(fd);
  }
  return statSync(path).size;
}

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

  /** Moves the staged problems into the real tables in one transaction. */
  private publish(): ImportReport {
    const { store, jobId } = this;
    const { skipBad, dataset } = this.ctx.config;
    const unit = this.source.unit;
    const final: Checkpoint = { ...this.cp, phase: 'published', result: null };
    let orphans: { hash: string; mime: string }[] = [];
    const done = this.source.done(this.cp.pos);
    this.ctx.progress({ done, total: this.source.total, message: `publishing ${this.cp.staged} problems` });
    const published = { done, total: this.source.total, message: 'published' };

    const result = this.ctx.commit(
      () => {
        const existed = store.datasets.findId(dataset) !== undefined;
        const datasetId = store.datasets.getOrCreate(dataset);
        let added = 0;
        let present = 0;
        let newImages = 0;
        const bad: BadLine[] = [];
        let last = -1;
        for (;;) {
          const rows = store.staging.stagedProblemPage(jobId, last, PUBLISH_PAGE);
          if (rows.length === 0) break;
          for (const r of rows) {
            last = r.line;
            const p = JSON.parse(r.payload) as StagedProblem;
            try {
              // a savepoint per problem: with skipBad a clash undoes only this problem
              const out = store.transaction(() => {
                let n = 0;
                for (const h of p.imageHashes) {
                  const img = store.staging.stagedImage(jobId, h) ?? store.images.get(h);
                  if (!img) throw new Error(`import job ${jobId}: staged image ${h} is missing`);
                  if (store.images.insert(img)) n += 1;
                }
                const { id } = store.problems.upsert({
                  question: p.question,
                  answer: p.answer,
                  answerType: p.answerType,
                  source: p.source,
                  tags: p.tags,
                  imageHashes: p.imageHashes,
                  meta: p.meta,
                });
                return { state: store.datasets.addMember(datasetId, id, p.extId, p.split, p.meta), images: n };
              });
              if (out.state === 'added') added += 1;
              else present += 1;
              newImages += out.images;
            } catch (e) {
              if (!(e instanceof UserError)) throw e;
              const message = `${this.fileName} ${unit} ${r.line}: ${e.message}`;
              if (!skipBad) throw new UserError(message);
              bad.push({ line: r.line, message });
            }
          }
        }
        if (added > 0 && existed) store.datasets.bumpVersion(datasetId);
        orphans = store.staging.finishPublish(jobId);

        const skipped = this.cp.skipped + bad.length;
        if (bad.length) final.reportBytes = appendLines(this.report.partial, bad.map((b) => JSON.stringify(b) + '\n'));
        final.skipped = skipped;
        final.badLines = [...this.cp.badLines, ...bad].slice(0, MAX_BAD_LINES);
        const report: ImportReport = {
          imported: added,
          images: newImages,
          skipped,
          unchanged: present,
          badLines: final.badLines,
          reportPath: skipped > 0 ? this.report.final : null,
        };
        // The checkpoint must carry the result. `final` is the object handed to commit below and is filled
        // in here; writing it explicitly too keeps that true whether the runner records the checkpoint
        // before or after fn runs.
        final.result = report;
        store.jobs.setProgress(jobId, published, final);
        return report;
      },
      published,
      final,
    );
    this.cp = final;
    if (orphans.length) deleteUnreferencedImageFiles(store, jobId, orphans);
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
