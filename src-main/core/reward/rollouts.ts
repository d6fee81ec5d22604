// Scores an MM-PRM-style rollout file: each item carries a question, its pictures and `solutions_splits`
// (a list of solutions, each a list of steps); the output is the same items with `prm_scores` (a list of
// step-score lists, one per solution) added. JSONL in, JSONL out; a file holding one JSON array (as
// MM-PRM's evaluators write them) gives a JSON array back. The output is written to a temporary file and
// renamed, so a failure leaves no partial file.
//
// Which fields hold the question and the pictures is the file's *shape*: each of MM-PRM's Best-of-N
// evaluators (eval/prm/evaluate_<shape>_prm.py, ModalMinds/MM-PRM @ b914fd6) reads its benchmark's rows
// its own way, and a score is only comparable to theirs when the PRM sees the same text and pictures:
//   k12            question: `question`; picture: `image_path` under the root
//   mathvista      question: `query`; picture: the file name of `image` under the root
//   mathverse      question: `query_cot`; picture: `image` under the root
//   mathvision     question: `question`, a newline, then `(A) o1\n(B) o2\n...(E) o5\n` from `options` unless
//                  `options` is empty or is just the letters A-E; picture: the file name of `image` under the root
//   olympiadbench  question: `question`; pictures: `image_1` .. `image_5` that are not null, under the root
// The root is `--image-root` (MM-PRM's `--root`), else the rollout file's folder. Where MM-PRM would fail
// on a text-only row (an `image` of "", null or []), Steplab scores it without a picture. `--field
// question=<column>` / `images=<column>` read another column for the question text or the pictures, the
// shape's composition (options, file names) still applied.
//
// The import size caps hold here too (limits.ts; the same --max-* flags): the question (as the file gives
// it), each step (the answer cap), a picture's file size and its pixels (read from its header before it is
// decoded), and one JSONL line or array item before it is parsed (an array is read and written item by item,
// never whole). A refusal names the file, the line or item, the field, the size, the cap and the flag;
// nothing is written.
import { closeSync, openSync, readSync } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, posix, resolve } from 'node:path';
import sharp from 'sharp';
import type { FieldMap } from '../../../src-shared/domain';
import { checkFieldColumns } from '../data/fieldMap';
import { ImagePaths } from '../data/imagePaths';
import { checkImageRoot } from '../data/imageRoot';
import { imageLabel, readImageRef } from '../data/images';
import { checkImagePixels, checkTextSize, itemTooLong, limitsOf, lineTooLong, type Limits } from '../data/limits';
import { readJsonArray } from '../data/jsonArray';
import { JsonlWriter, parseJsonLine, readLines } from '../data/jsonl';
import { UserError } from '../errors';
import { preprocessImage } from '../inference/image';
import type { PrmScorer, ScoreItem } from './scorer';

import { ROLLOUT_SHAPES, type RolloutShape } from '../../../src-shared/domain';
export { ROLLOUT_SHAPES, type RolloutShape };

interface ShapeSpec {
  /** the benchmark, for messages */
  label: string;
  /** the column the question text is read from */
  question: string;
  /** the columns pictures are read from, in order */
  images: readonly string[];
  /** only the file name of a picture path is looked for under the root (os.path.basename upstream) */
  fileNameOnly: boolean;
  /** MathVision: five answer options appended to the question */
  options: boolean;
}

export const SHAPES: Readonly<Record<RolloutShape, ShapeSpec>> = {
  k12: { label: 'MM-K12', question: 'question', images: ['image_path'], fileNameOnly: false, options: false },
  mathvista: { label: 'MathVista', question: 'query', images: ['image'], fileNameOnly: true, options: false },
  mathverse: { label: 'MathVerse', question: 'query_cot', images: ['image'], fileNameOnly: false, options: false },
  mathvision: { label: 'MathVision', question: 'question', images: ['image'], fileNameOnly: true, options: true },
  olympiadbench: { label: 'OlympiadBench', question: 'question', images: ['image_1', 'image_2', 'image_3', 'image_4', 'image_5'], fileNameOnly: false, options: false },
};

export interface RolloutScoreResult {
  items: number;
  solutions: number;
  steps: number;
  path: string;
  /** null only for a file without items */
  shape: RolloutShape | null;
  /** how the shape was chosen: `--shape`, or which field of the first item made it */
  shapeFrom: string;
}

export interface RolloutScoreOptions {
  /** the file's shape; detected from the first item when absent */
  shape?: RolloutShape;
  /** `--field question=<column>`, `--field images=<column>` */
  fields?: FieldMap;
  /** `--image-root`: MM-PRM's `--root` */
  imageRoot?: string;
  /** `--allow-outside`: read pictures outside the file's folder and the image root (imagePaths.ts) */
  allowOutside?: boolean;
  /** the size caps (limits.ts); the defaults when absent */
  limits?: Limits;
  onItem?: (done: number) => void;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The shape an item's fields give away, most specific first: `image_1` is OlympiadBench's alone,
 * `query_cot` MathVerse's, `options` MathVision's, `query` MathVista's (its rows also hold `question`);
 * a plain `question` is MM-K12's. Null when the item has none of these.
 */
export function detectShape(item: unknown): { shape: RolloutShape; field: string } | null {
  if (!isObj(item)) return null;
  const order: [string, RolloutShape][] = [
    ['image_1', 'olympiadbench'],
    ['query_cot', 'mathverse'],
    ['options', 'mathvision'],
    ['query', 'mathvista'],
    ['question', 'k12'],
  ];
  for (const [field, shape] of order) if (Object.hasOwn(item, field)) return { shape, field };
  return null;
}

/** An item's input as the shape's MM-PRM evaluator forms it: question text, picture paths (before the root), solutions. */
export interface RolloutInput {
  question: string;
  /** picture paths as the evaluator joins them to its root (file names only for MathVista and MathVision) */
  images: { field: string; path: string }[];
  solutions: string[][];
}

const notFit = (where: string, shape: RolloutShape, field: string, item: Obj): UserError =>
  new UserError(`${where}: --shape ${shape} reads field "${field}" (as MM-PRM's ${SHAPES[shape].label} evaluator does), which this item does not have (its fields: ${Object.keys(item).join(', ')})`);

/** MathVision's option block: five options as `(A) ...\n` lines, or nothing for no options or the bare letters A-E. */
function mathVisionOptions(v: unknown, where: string): string {
  if (!Array.isArray(v) || !v.every((o) => typeof o === 'string')) throw new UserError(`${where}: field "options": must be a list of strings`);
  if (v.length === 0) return '';
  if (v.length !== 5) throw new UserError(`${where}: field "options": MathVision's evaluator takes 0 or 5 options; this item has ${v.length}`);
  if (v.join('') === 'ABCDE') return '';
  return v.map((o, i) => `(${'ABCDE'[i]}) ${o}\n`).join('');
}

/** Reads one rollout item as `shape` says; `where` names it in errors ("line 3", "item 3"). */
export function rolloutInput(item: unknown, shape: RolloutShape, where: string, fields: FieldMap = {}): RolloutInput {
  if (!isObj(item)) throw new UserError(`${where}: not a JSON object`);
  const spec = SHAPES[shape];
  const qField = fields.question ?? spec.question;
  if (!Object.hasOwn(item, qField) || item[qField] === null || item[qField] === undefined) throw notFit(where, shape, qField, item);
  const q = item[qField];
  if (typeof q !== 'string') throw new UserError(`${where}: field "${qField}": must be a string`);
  let question = q;
  if (spec.options) {
    if (!Object.hasOwn(item, 'options')) throw notFit(where, shape, 'options', item);
    // upstream always adds the newline, also when no option follows
    question = `${q}\n${mathVisionOptions(item.options, where)}`;
  }

  const images: RolloutInput['images'] = [];
  for (const field of fields.images !== undefined ? [fields.images] : spec.images) {
    const v = item[field];
    if (v === undefined || v === null || v === '') continue;
    const paths = Array.isArray(v) ? v : [v];
    for (const p of paths) {
      if (typeof p !== 'string') throw new UserError(`${where}: field "${field}": must be a path or a list of paths`);
      if (p === '') continue;
      images.push({ field, path: spec.fileNameOnly ? posix.basename(p) : p });
    }
  }

  const sols = item.solutions_splits;
  if (!Array.isArray(sols) || !sols.every((s) => Array.isArray(s) && s.every((t) => typeof t === 'string'))) {
    throw new UserError(`${where}: field "solutions_splits": must be a list of solutions, each a list of step strings`);
  }
  return { question, images, solutions: sols as string[][] };
}

export async function scoreRolloutsFile(scorer: PrmScorer, input: string, output: string, opts: RolloutScoreOptions = {}): Promise<RolloutScoreResult> {
  const inPath = resolve(input);
  const outPath = resolve(output);
  if (inPath === outPath) throw new UserError('--out must be another file than --rollouts (the input is kept as it is)');
  let head: string;
  try {
    // the first bytes only: a JSONL file is streamed, never read whole
    const fd = openSync(inPath, 'r');
    try {
      const buf = Buffer.alloc(4096);
      head = buf.toString('utf8', 0, readSync(fd, buf, 0, buf.length, 0)).replace(/^\uFEFF/, '').trimStart();
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new UserError(`${input}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const fields = opts.fields ?? {};
  const limits = opts.limits ?? limitsOf(undefined);
  const fileName = basename(inPath);
  /** a size cap's refusal: named by the file as an import's are */
  const capped = (where: string, e: unknown): unknown => (e instanceof UserError ? new UserError(`${fileName} ${where}: ${e.message}`) : e);
  const paths = new ImagePaths(dirname(inPath), opts.imageRoot === undefined ? null : checkImageRoot(opts.imageRoot), opts.allowOutside ?? false);
  let shape: RolloutShape | null = opts.shape ?? null;
  let shapeFrom = '--shape';
  const imageCache = new Map<string, Float32Array>();

  /** The first item settles the shape and is where the --field columns are checked, before any scoring. */
  const first = (v: unknown, where: string): void => {
    if (Object.keys(fields).length) checkFieldColumns(fields, isObj(v) ? Object.keys(v) : [], `${input} ${where}`);
    if (shape) return;
    const d = detectShape(v);
    if (!d) throw new UserError(`${where}: no rollout shape fits this item (none of image_1, query_cot, options, query, question): give --shape ${ROLLOUT_SHAPES.join('|')}`);
    shape = d.shape;
    shapeFrom = `${where} has "${d.field}"`;
  };

  const loadImage = async (img: RolloutInput['images'][number], where: string): Promise<NonNullable<ScoreItem['image']>> => {
    const settings = scorer.model.manifest.image;
    if (!settings || !scorer.model.vision) throw new UserError(`${where}: the item has an image but PRM "${scorer.model.manifest.name}" has no vision encoder`);
    let file = '';
    const bytes = (() => {
      try {
        return readImageRef(img.path, paths.baseDir, (p) => (file = paths.locate(p)), limits);
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        const m = `field "${img.field}": ${e.message}`;
        // the file-size cap is named by the file, as an import's caps are
        throw / is too large \(/.test(e.message) ? capped(where, new UserError(m)) : new UserError(`${where}: ${m}`);
      }
    })();
    const key = file || img.path;
    let pixels = imageCache.get(key);
    if (!pixels) {
      // the pixel cap, from the header before anything is decoded (an unreadable header: preprocessImage names it)
      const meta = await sharp(bytes, { limitInputPixels: false })
        .metadata()
        .catch(() => null);
      if (meta?.width && meta.height) {
        try {
          checkImagePixels(imageLabel(img.path), meta.width, meta.height, limits);
        } catch (e) {
          throw capped(where, new UserError(`field "${img.field}": ${(e as Error).message}`));
        }
      }
      pixels = await preprocessImage(bytes, settings, `${where}: image ${img.path}`);
      imageCache.set(key, pixels);
    }
    return { key, pixels };
  };

  const scoreItem = async (v: unknown, where: string): Promise<Obj> => {
    const it = rolloutInput(v, shape!, where, fields);
    try {
      // the question as the file gives it (MathVision's options are the evaluator's, not the file's)
      checkTextSize('question', fields.question ?? SHAPES[shape!].question, (v as Obj)[fields.question ?? SHAPES[shape!].question] as string, limits);
      for (const [si, steps] of it.solutions.entries()) {
        for (const [ti, step] of steps.entries()) checkTextSize('step', 'solutions_splits', step, limits, `step ${ti + 1} of solution ${si + 1}`);
      }
    } catch (e) {
      throw capped(where, e);
    }
    if (it.images.length > 1 && scorer.model.vision) {
      // Steplab's engine places one picture per input; scoring with the first alone would not be MM-PRM's score
      throw new UserError(`${where}: ${it.images.length} pictures (${it.images.map((i) => i.field).join(', ')}), but PRM "${scorer.model.manifest.name}" reads one picture per input`);
    }
    const image = it.images.length ? await loadImage(it.images[0], where) : undefined;
    const scores = await scorer.score(it.solutions.map((steps) => ({ question: it.question, steps, image })));
    return { ...(v as Obj), prm_scores: scores };
  };

  const counts = { items: 0, solutions: 0, steps: 0 };
  const count = (o: Obj): void => {
    const s = o.prm_scores as number[][];
    counts.items++;
    counts.solutions += s.length;
    counts.steps += s.reduce((a, x) => a + x.length, 0);
    opts.onItem?.(counts.items);
  };
  const finish = (): RolloutScoreResult => ({ ...counts, path: outPath, shape, shapeFrom });

  if (head.startsWith('[')) {
    // read item by item (never whole) and written item by item, as JSON.stringify(items, null, 1) lays it out
    const tmp = `${outPath}.tmp-${process.pid}`;
    let fh: FileHandle;
    try {
      fh = await open(tmp, 'w');
    } catch (e) {
      throw new UserError(`cannot write ${output}: ${(e as Error).message}`);
    }
    const out = new BlockWriter(fh);
    const writing = async (what: () => Promise<void>): Promise<void> => {
      try {
        await what();
      } catch (e) {
        throw new UserError(`cannot write ${output}: ${(e as Error).message}`);
      }
    };
    try {
      for await (const item of readJsonArray(inPath, { maxItemBytes: limits.itemBytes })) {
        const where = `item ${item.index}`;
        if (item.tooLong !== undefined) throw new UserError(`${fileName} ${where}: ${itemTooLong(item.tooLong, limits)}`);
        let v: unknown;
        try {
          v = JSON.parse(item.text);
        } catch (e) {
          throw new UserError(`${fileName} ${where}: not valid JSON (${(e as Error).message})`);
        }
        if (item.index === 1) first(v, where);
        const o = await scoreItem(v, where);
        // one space of indent per level, the item itself one level in: newlines occur only between tokens
        const text = (item.index === 1 ? '[\n ' : ',\n ') + JSON.stringify(o, null, 1).replace(/\n/g, '\n ');
        await writing(() => out.write(text));
        count(o);
      }
      await writing(async () => {
        await out.write(counts.items === 0 ? '[]' : '\n]');
        await out.close();
        await rename(tmp, outPath);
      });
    } catch (e) {
      await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw e;
    }
    return finish();
  }
  const writer = await JsonlWriter.create(outPath);
  try {
    let seen = false;
    for await (const line of readLines(inPath, { maxLineBytes: limits.lineBytes })) {
      const where = `line ${line.line}`;
      if (line.tooLong !== undefined) throw new UserError(`${fileName} ${where}: ${lineTooLong(line.tooLong, limits)}`);
      const v = parseJsonLine(line.text, line.line);
      if (!seen) first(v, where);
      seen = true;
      const o = await scoreItem(v, where);
      await writer.write(o);
      count(o);
    }
    await writer.close();
  } catch (e) {
    await writer.abort();
    throw e;
  }
  return finish();
}

/** Buffers text into blocks of about 1 MB before writing them to a file. */
class BlockWriter {
  private buf: string[] = [];
  private len = 0;
  constructor(private readonly fh: FileHandle) {}

  async write(text: string): Promise<void> {
    this.buf.push(text);
    this.len += text.length;
    if (this.len >= 1 << 20) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    await this.fh.write(this.buf.join(''));
    this.buf = [];
    this.len = 0;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.fh.close();
  }
}
