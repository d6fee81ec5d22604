// The `import-labels` job: the field's trees and step-label sets (a file, or every file of a folder)
// into a dataset, in two phases, both resumable, as the problem import does (data/importProblems.ts):
//  1. Staging. Records are read one at a time (a line, an array item, a file, a Parquet row; never the
//     whole file), each read by its format into units (a tree and its paths, or a labelled path),
//     checked, its images validated and stored, and staged: every few hundred units one commit writes
//     them to staging_labels with the position after them, so a job killed (kill -9) resumes at the
//     next record. A unit whose content hash was imported before is staged as a marker only.
//  2. Publishing. One transaction writes every staged unit (data/labels/publish.ts), deletes the staging
//     rows and records the result in the checkpoint: the workspace has all of a file or none of it.
// A failed or cancelled import leaves the tables as they were (cleanup removes its staging rows and the
// image files only it had stored). Errors name the file, the line (item, row) and the JSON path:
// `outputs/ab12.json: children[2].children[0]: field "mc_value": required`. With skipBad, bad units are
// left out and listed in <workspace>/reports/<set>.import-labels.jsonl, with the warnings (counts that
// do not add up), which are reported and never refused.
// The checkpoint and report are in importLabelsState.ts, publishing in importLabelsPublish.ts.
import { createHash } from 'node:crypto';
import { existsSync, renameSync, truncateSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ImageRef, ImportLabelsReport, Job } from '../../../../src-shared/domain';
import { ImportLabelsJobConfig } from '../../../../src-shared/jobConfigs';
import { UserError } from '../../errors';
import type { Store } from '../../store';
import { deleteUnreferencedImageFiles, imageLabel, prepareImage, readImageRef, writeImageFile, type PreparedImage } from '../../data/images';
import { checkImageRoot } from '../../data/imageRoot';
import type { ImageSource } from '../../data/problemRow';
import { ImagePaths } from '../../data/imagePaths';
import { checkTextSize, limitsOf, type Limits } from '../../data/limits';
import type { StagedUnit } from '../../data/labels/publish';
import { detectLabelFormat, labelFormat, labelFormatNames } from '../../data/labels/labelFormats';
import { looksLike } from '../../data/benchmarks/common';
import { containerOf, fileRecords, listInputs, recordWhere, unitWord, type Inner, type InputFile, type Inputs } from '../../data/labels/sources';
import { FieldError, type Assembler, type LabelFormat, type LabelPath, type LabelTree, type ReadUnit } from '../../data/labels/types';
import { extractAnnotations } from '../../search/annotations';
import type { SearchNode } from '../../search/types';
import type { JobContext, JobHandler } from '../types';
import { appendLines, defaultSetName, MAX_BAD, reportPaths, type Bad, type Checkpoint, type ImportedMarker, type Position, type ReportLine } from './importLabelsState';
import { publishLabels } from './importLabelsPublish';

export { ImportLabelsJobConfig };
export { defaultSetName } from './importLabelsState';

/** Units per staging commit, and the payload and image bytes that also cut a chunk. */
const CHUNK_UNITS = 200;
const CHUNK_PAYLOAD_BYTES = 32 * 1024 * 1024;
const CHUNK_IMAGE_BYTES = 64 * 1024 * 1024;

/** The same import: a re-run of it resumes the interrupted job instead of starting another. */
export function sameLabelImport(a: unknown, b: ImportLabelsJobConfig): boolean {
  const x = a as Partial<ImportLabelsJobConfig>;
  return (
    x.path === b.path &&
    (x.dataset ?? null) === (b.dataset ?? null) &&
    (x.format ?? null) === (b.format ?? null) &&
    (x.split ?? null) === (b.split ?? null) &&
    (x.imageRoot ?? null) === (b.imageRoot ?? null) &&
    (x.setName ?? null) === (b.setName ?? null) &&
    Boolean(x.skipBad) === b.skipBad &&
    Boolean(x.allowOutside) === b.allowOutside &&
    JSON.stringify(x.limits ?? {}) === JSON.stringify(b.limits ?? {})
  );
}

/** Paths a tree gives by MM-PRM's rules (traverse.py's, before its down-sampling), as a search's annotations. */
export function treePaths(tree: LabelTree): LabelPath[] {
  const depth = new Map<number, number>();
  const nodes: SearchNode[] = tree.nodes.map((n) => {
    const d = n.depth ?? (n.parent === null ? 0 : depth.get(n.parent)!) + n.steps.length;
    depth.set(n.id, d);
    return { id: n.id, parentId: n.parent, steps: n.steps, depth: d, visits: n.visits, rollouts: n.rollouts, correct: n.correct, mc: n.mc, q: n.q, firstError: n.firstError, terminal: n.terminal };
  });
  return extractAnnotations(nodes, { mode: 'mmprm' }).map((a) => ({ steps: a.steps, labels: a.labels, nodes: a.nodeIds }));
}

/** A file whose records are of another format than the import's. Never skipped: the whole file is. */
class FormatMismatch extends UserError {}

class LabelImporter {
  private readonly store: Store;
  private readonly jobId: number;
  private cp!: Checkpoint;
  private inputs!: Inputs;
  private format!: LabelFormat;
  private report!: { final: string; partial: string };
  private paths!: ImagePaths;
  private limits!: Limits;
  /** images already prepared in this run, by the file folder and reference that named them */
  private readonly imageRefs = new Map<string, ImageRef>();
  // the chunk being built
  private rows: { seq: number; hash: string; payload: string }[] = [];
  private hashes = new Set<string>();
  private images = new Map<string, PreparedImage>();
  private lines: ReportLine[] = [];
  private bad: Bad[] = [];
  private chunkWarnings = 0;
  private chunkUnchanged = 0;
  private payloadBytes = 0;
  private imageBytes = 0;

  constructor(private readonly ctx: JobContext<ImportLabelsJobConfig>) {
    this.store = ctx.store;
    this.jobId = ctx.job.id;
  }

  async run(): Promise<ImportLabelsReport> {
    const { config } = this.ctx;
    const saved = this.ctx.checkpoint as Checkpoint | null;
    const setName = config.setName ?? defaultSetName(config.path);
    this.report = reportPaths(this.store, saved?.setName ?? setName, this.jobId);
    if (saved?.v === 1 && saved.phase === 'published' && saved.result) return this.finishReport(saved.result);
    this.inputs = listInputs(config.path);
    const filesKey = createHash('sha256')
      .update(JSON.stringify(this.inputs.files.map((f) => [f.display, f.size, f.mtimeMs])))
      .digest('hex');
    const imageRoot = config.imageRoot === undefined ? null : checkImageRoot(config.imageRoot);
    this.paths = new ImagePaths(this.inputs.baseDir, imageRoot, config.allowOutside);
    this.limits = limitsOf(config.limits);
    if (saved?.v === 1 && saved.phase === 'staging') {
      if (saved.filesKey !== filesKey) throw new UserError(`${config.path} changed since this import started (files added, removed or rewritten): start the import again`);
      this.cp = saved;
      this.format = labelFormat(saved.format);
      if (existsSync(this.report.partial)) truncateSync(this.report.partial, saved.reportBytes);
    } else {
      const { format, detected } = config.format ? { format: labelFormat(config.format), detected: null } : await this.detect();
      this.format = format;
      this.cp = { v: 1, phase: 'staging', format: format.name, detected, setName, filesKey, files: this.inputs.files.length, pos: { file: 0, inner: null }, seq: 0, skipped: 0, unchanged: 0, warnings: 0, badLines: [], reportBytes: 0, result: null };
      if (existsSync(this.report.partial)) unlinkSync(this.report.partial);
    }
    await this.stage();
    return this.finishReport(this.publish());
  }

  /** The format of the first record of the first file. */
  private async detect(): Promise<{ format: LabelFormat; detected: string }> {
    const f = this.inputs.files[0];
    const container = containerOf(f);
    for await (const rec of fileRecords(f, container, null, this.limits)) {
      const where = recordWhere(f, container, rec.no);
      if (rec.error !== undefined) throw new UserError(`${where}: ${rec.error}`);
      const found = detectLabelFormat(rec.value);
      if (!found) {
        // a step-level benchmark is imported by another method (benchmarks.import): say which flag reads it
        const bench = looksLike(rec.value);
        if (bench) throw new UserError(`${where}: looks like a ${bench} row (a step-level benchmark); import it with --format ${bench}`);
        throw new UserError(`${where}: not a label format Steplab reads (${labelFormatNames().join(', ')}; benchmarks: processbench, visualprocessbench, prmbench); name one with --format`);
      }
      return { format: found.format, detected: `${where} ${found.why}` };
    }
    throw new UserError(`${f.display}: no records`);
  }

  private checkFormat(f: InputFile, container: ReturnType<typeof containerOf>, no: number, value: unknown): void {
    if (this.format.looksLike(value) !== null) return;
    const other = detectLabelFormat(value);
    if (!other || other.format.name === this.format.name) return;
    const what = unitWord[container] && no > 0 ? `${unitWord[container]} ${no}` : 'it';
    const reads = this.cp.detected === null ? `--format ${this.format.name}` : `this import reads ${this.format.name} (detected: ${this.cp.detected})`;
    throw new FormatMismatch(`${f.display}: ${reads}, but ${what} looks like ${other.format.name} (${other.why})`);
  }

  private async stage(): Promise<void> {
    const { files } = this.inputs;
    for (let fi = this.cp.pos.file; fi < files.length; fi++) {
      const f = files[fi];
      const container = containerOf(f);
      const start = fi === this.cp.pos.file ? this.cp.pos.inner : null;
      let asm: Assembler = this.format.open();
      let before: Inner | null = start;
      let heldFrom: Inner | null = start;
      let heldWhere = f.display;
      let checked = start !== null;
      if (this.rows.length === 0) this.ctx.throwIfCancelled();
      for await (const rec of fileRecords(f, container, start, this.limits)) {
        const where = recordWhere(f, container, rec.no);
        let units: ReadUnit[] = [];
        let unitWhere = where;
        try {
          if (rec.error !== undefined) throw new UserError(rec.error);
          if (!checked) {
            this.checkFormat(f, container, rec.no, rec.value);
            checked = true;
          }
          const held = asm.holding();
          const heldBefore = heldWhere;
          units = asm.push({ value: rec.value, text: rec.text });
          // a unit ends where the next one begins: it is named by its first record
          if (held > 0) unitWhere = heldBefore;
          // this record began the unit now held: a resumed import starts again before it
          if (asm.holding() === 1 && (held === 0 || units.length > 0)) {
            heldFrom = before;
            heldWhere = where;
          }
        } catch (e) {
          asm = this.failed(e, where, asm);
        }
        for (const u of units) {
          try {
            await this.prepare(u, unitWhere, f);
          } catch (e) {
            this.failed(e, unitWhere, asm);
          }
        }
        before = rec.after;
        if (this.full()) {
          this.flush({ file: fi, inner: asm.holding() > 0 ? heldFrom : rec.after });
          this.ctx.throwIfCancelled();
        }
      }
      let last: ReadUnit[] = [];
      try {
        last = asm.end();
      } catch (e) {
        this.failed(e, heldWhere, asm);
      }
      for (const u of last) {
        try {
          await this.prepare(u, heldWhere, f);
        } catch (e) {
          this.failed(e, heldWhere, asm);
        }
      }
      if (this.full() || fi === files.length - 1) this.flush({ file: fi + 1, inner: null });
      else this.carry = { file: fi + 1, inner: null };
    }
    if (this.rows.length || this.lines.length || this.bad.length) this.flush(this.carry ?? { file: files.length, inner: null });
  }

  /** Where the chunk in hand would resume when it ends between files. */
  private carry: Position | null = null;

  private failed(e: unknown, where: string, asm: Assembler): Assembler {
    if (e instanceof FormatMismatch) throw e;
    let message: string;
    if (e instanceof FieldError || e instanceof UserError) message = `${where}: ${e.message}`;
    else throw e;
    if (!this.ctx.config.skipBad) throw new UserError(message);
    this.bad.push({ where, message });
    this.lines.push({ where, level: 'error', message });
    // what the reader held belongs to the bad unit
    return asm.holding() > 0 ? this.format.open() : asm;
  }

  private full(): boolean {
    return this.rows.length >= CHUNK_UNITS || this.payloadBytes >= CHUNK_PAYLOAD_BYTES || this.imageBytes >= CHUNK_IMAGE_BYTES;
  }

  /** Checks a unit, stores its images and adds it to the chunk. */
  private async prepare(read: ReadUnit, where: string, f: InputFile): Promise<void> {
    const { unit } = read;
    const hash = createHash('sha256').update(read.text).digest('hex');
    if (this.hashes.has(hash) || this.store.labels.isStaged(this.jobId, hash)) {
      this.chunkUnchanged += 1;
      return;
    }
    checkTextSize('question', 'question', unit.problem.question, this.limits);
    if (unit.problem.answer !== null) checkTextSize('answer', 'answer', unit.problem.answer, this.limits);
    const imageHashes = unit.problem.images === null ? null : await this.problemImages(unit.problem.images, unit.problem.imageField ?? 'images', f);
    const { images: _images, imageField: _field, ...problem } = unit.problem;
    const staged = { ...problem, imageHashes };
    const importedProblem = this.store.labels.importedProblem(hash);
    let payload: string;
    if (importedProblem !== undefined) {
      payload = JSON.stringify({ imported: importedProblem, where, problem: staged } satisfies ImportedMarker);
    } else {
      const paths = unit.paths ?? (unit.tree ? treePaths(unit.tree) : []);
      paths.forEach((p, i) => {
        if (p.steps.length !== p.labels.length) throw new FieldError('', `path ${i + 1}: ${p.steps.length} steps but ${p.labels.length} labels`);
      });
      for (const w of unit.warnings) this.lines.push({ where, level: 'warning', message: `${where}: ${w}` });
      this.chunkWarnings += unit.warnings.length;
      payload = JSON.stringify({ where, problem: staged, tree: unit.tree, paths, warnings: unit.warnings } satisfies StagedUnit);
    }
    this.hashes.add(hash);
    this.rows.push({ seq: this.cp.seq + this.rows.length + 1, hash, payload });
    this.payloadBytes += payload.length;
  }

  private async problemImages(sources: readonly ImageSource[], field: string, f: InputFile): Promise<string[]> {
    const dir = dirname(f.abs);
    const out: string[] = [];
    for (const src of sources) {
      try {
        if (src.kind === 'bytes') {
          const img = await prepareImage(src.bytes, src.label, this.limits);
          this.keep(img);
          out.push(img.ref.hash);
          continue;
        }
        const key = `${dir}\u0000${src.ref}`;
        const known = this.imageRefs.get(key);
        if (known) {
          out.push(known.hash);
          continue;
        }
        const trimmed = src.ref.trim();
        const data = readImageRef(trimmed, dir, (p) => this.paths.locate(p, dir), this.limits);
        const img = await prepareImage(data, imageLabel(src.ref), this.limits);
        this.keep(img);
        if (!/^data:/i.test(trimmed)) this.imageRefs.set(key, img.ref);
        out.push(img.ref.hash);
      } catch (e) {
        if (e instanceof UserError) throw new UserError(`field "${field}": ${e.message}`);
        throw e;
      }
    }
    return out;
  }

  private keep(img: PreparedImage): void {
    if (this.images.has(img.ref.hash)) return;
    this.images.set(img.ref.hash, img);
    this.imageBytes += img.data.length;
  }

  private flush(pos: Position): void {
    const lines = this.lines;
    const reportBytes = appendLines(this.report.partial, lines, this.cp.reportBytes);
    const next: Checkpoint = {
      ...this.cp,
      pos,
      seq: this.cp.seq + this.rows.length,
      skipped: this.cp.skipped + this.bad.length,
      unchanged: this.cp.unchanged + this.chunkUnchanged,
      warnings: this.cp.warnings + this.chunkWarnings,
      badLines: [...this.cp.badLines, ...this.bad].slice(0, MAX_BAD),
      reportBytes,
    };
    const rows = this.rows;
    const images = [...this.images.values()];
    const { store, jobId } = this;
    const done = this.inputs.folder ? Math.min(pos.file, this.inputs.files.length) : next.seq + next.skipped + next.unchanged;
    this.ctx.commit(
      () => {
        store.staging.stageImages(jobId, images.map((i) => i.ref));
        store.labels.stage(jobId, rows);
        // files last: the rows above hold the write lock, so no other job's cleanup can delete a file this chunk needs
        for (const img of images) writeImageFile(store.paths.imagesDir, img);
      },
      { done, total: this.inputs.folder ? this.inputs.files.length : null, message: `${next.seq} units staged${next.unchanged ? `, ${next.unchanged} imported before` : ''}${next.skipped ? `, ${next.skipped} bad` : ''}` },
      next,
    );
    this.cp = next;
    this.rows = [];
    this.hashes = new Set();
    this.images = new Map();
    this.lines = [];
    this.bad = [];
    this.chunkWarnings = 0;
    this.chunkUnchanged = 0;
    this.payloadBytes = 0;
    this.imageBytes = 0;
    this.carry = null;
  }

  /** Writes every staged unit in one transaction (importLabelsPublish.ts). */
  private publish(): ImportLabelsReport {
    const { result, cp } = publishLabels({ ctx: this.ctx, cp: this.cp, report: this.report });
    this.cp = cp;
    return result;
  }

  private finishReport(result: ImportLabelsReport): ImportLabelsReport {
    if (result.reportPath !== null) {
      if (existsSync(this.report.partial)) renameSync(this.report.partial, this.report.final);
    } else if (existsSync(this.report.partial)) {
      unlinkSync(this.report.partial);
    }
    return result;
  }
}

export const importLabelsJob: JobHandler<ImportLabelsJobConfig, ImportLabelsReport> = {
  kind: 'import-labels',
  configSchema: ImportLabelsJobConfig,
  run(ctx) {
    return new LabelImporter(ctx).run();
  },
  cleanup(store: Store, job: Job, config: ImportLabelsJobConfig) {
    deleteUnreferencedImageFiles(store, job.id, store.staging.stagedImagesNotPublished(job.id), true);
    const saved = store.jobs.checkpoint<Checkpoint>(job.id);
    const { partial } = reportPaths(store, saved?.setName ?? config.setName ?? defaultSetName(config.path), job.id);
    if (existsSync(partial)) unlinkSync(partial);
  },
};
