// Exports the curated step labels of a dataset's annotations as PRM training or benchmark data, one
// JSON object per line, in the layouts that the field's trainers and evaluators read (each consumer's
// reading logic is re-implemented in test/export-consumers.test.ts). Labels and step texts are the
// effective ones (the search's with curation edits applied) unless `labels: 'original'`; `curation`
// keeps all annotations, only those with a curation edit in force, or only those without; annotations
// rejected in curation are left out unless `includeRejected`, and annotations without steps always are.
//
// A step's hard label is its curated one when curation relabelled it, else MC > `labelThreshold`
// (default 0: some rollout from the step reached the answer, OmegaPRM's rule).
//
//  trl            TRL stepwise supervision {"prompt", "completions", "labels"} (+ "images" when the problem
//                 has some). Labels are booleans: PRMTrainer.tokenize_row casts each with int(label), which
//                 would turn every MC in (0, 1) into a bad step. `softLabels` writes the MC floats instead,
//                 for trainers that read them (OpenRLHF, Steplab's own trainer).
//  mmprm          MM-PRM's PRM training conversations, computed from the search TREES as MM-PRM's
//                 traverse.py + prm_data_format.py do (see mmprmTree.ts): {"id": row index, "image",
//                 "conversations": [{"from":"human","value":"Question: {q}\nProcess: {node steps}<prm>\n\n..."},
//                 {"from":"gpt","value":[node MCs]}]}. `perStep` keeps the older layout from the annotations
//                 (one <prm> per step, "id" the annotation id).
//  math-shepherd  peiyi9979/Math-Shepherd {"input", "label", "task"}: "{q} Step 1: {s1} ки\nStep 2: {s2} ки",
//                 the label the same text with "+" / "-"; "task" the problem's source (TRL's converter removes
//                 that column by name and fails without it).
//  prm800k        openai/prm800k labelled-solution lines as phase 2 writes them: labelling stops at the first
//                 -1 step (chosen_completion null, finish_reason "found_error"); the final step ends in
//                 "# Answer\n\n{answer}"; unknown fields null.
//  openrlhf       OpenRLHF train_prm rows {"input", "label"}: "{q}\n{s1} {placeholder}\n{s2} {placeholder}" and
//                 one reward token (positive, negative) per step, or MC floats with `softLabels`.
//  processbench   QwenLM/ProcessBench rows {id, generator, problem, steps, final_answer_correct, label}, label
//                 the 0-based index of the first bad step or -1.
//
// In both mmprm layouts a row with two or more images starts with "<image>\n" once per image: InternVL's
// loader (MM-PRM's internvl/train) prepends the single placeholder itself for one image and asserts one
// per image for a list. Images (trl, mmprm) are copied beside the output as images/<hash>.<ext>.
// Every row is built (and checked) before anything is written, so a refused row leaves no file behind.
// readAnnotations() (readAnnotations.ts) parses trl and math-shepherd files back into {question, steps:
// [{text, label}]}. The rows of each format are built in annotationRows.ts.
import { existsSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { AnnotationExportFormat, ImageRef, Problem } from '../../../src-shared/domain';
import { UserError } from '../errors';
import type { Store } from '../store';
import type { Annotation } from '../store/annotations';
import { ImageExporter } from './images';
import { JsonlWriter } from './jsonl';
import { MMPRM_TAG, mmprmProcess, mmprmSelect, mmprmTreePaths, type MmprmItem, type MmprmTreeNode } from './mmprmTree';
import { SHEPHERD_TAG, MMPRM_MIN_WORDS, exportSteps, keepAnnotation, imageRel, where, trlRow, mmprmHuman, checkMmprmText, mmprmImage, mmprmStepRow, shepherdRow, prm800kRow, openrlhfRow, processbenchRow, type Labelled, type Row, type Settings } from './annotationRows';
export { exportSteps, finalAnswer, keepAnnotation, MMPRM_MIN_WORDS, SHEPHERD_TAG } from './annotationRows';
export { parseMathShepherdRow, parseTrlRow, readAnnotations, type ReadAnnotation } from './readAnnotations';

export { MMPRM_TAG } from './mmprmTree';

export interface ExportAnnotationsOptions {
  /** the dataset whose problems' annotations are exported; without it, `setName` is required and the whole set is exported */
  dataset?: string;
  format: AnnotationExportFormat;
  out: string;
  split?: string;
  /** at most this many rows (after the filters) */
  limit?: number;
  /** only annotations of this set */
  setName?: string;
  /** all (default), curated (a curation edit in force) or uncurated annotations */
  curation?: CurationFilter;
  /** curated (default): labels and texts with curation applied; original: as the search wrote them */
  labels?: 'curated' | 'original';
  /** keep annotations rejected in curation (default: left out) */
  includeRejected?: boolean;
  /** trl, openrlhf: MC floats instead of booleans / reward tokens (default false) */
  softLabels?: boolean;
  /** hard label of a step without a curated label: MC > this (default 0) */
  labelThreshold?: number;
  /** mmprm: one <prm> per annotation step (the older layout) instead of per tree node */
  perStep?: boolean;
  /** mmprm: drop paths of at most this many space-separated words (default MMPRM_MIN_WORDS) */
  minWords?: number;
  /** mmprm: seed of the positive down-sampling (default 0) */
  seed?: number;
  /** openrlhf: the step placeholder (default "ки", as OpenRLHF's train_prm example) */
  placeholderToken?: string;
  /** openrlhf: [positive, negative] label tokens (default ["+", "-"]) */
  rewardTokens?: readonly [string, string];
}

export type CurationFilter = 'all' | 'curated' | 'uncurated';

export interface ExportAnnotationsResult {
  written: number;
  /** distinct images copied beside the file */
  images: number;
  path: string;
}

/** An export's rows with the images they name, built and checked before anything is written. */
interface Built {
  rows: Row[];
  images: ImageRef[];
}

const WITH_IMAGES: ReadonlySet<AnnotationExportFormat> = new Set(['trl', 'mmprm']);

function checkSettings(opts: ExportAnnotationsOptions): Settings {
  const threshold = opts.labelThreshold ?? 0;
  if (!(threshold >= 0 && threshold < 1)) throw new UserError(`export annotations: --label-threshold must be in [0, 1) (got ${threshold})`);
  const placeholder = opts.placeholderToken ?? SHEPHERD_TAG;
  const rewardTokens = opts.rewardTokens ?? (['+', '-'] as const);
  if (rewardTokens.length !== 2 || rewardTokens[0] === rewardTokens[1] || rewardTokens.includes(placeholder)) {
    throw new UserError(`export annotations: --reward-tokens must be two different tokens, positive then negative, neither the placeholder "${placeholder}" (got ${rewardTokens.join(' ')})`);
  }
  return { original: (opts.labels ?? 'curated') === 'original', threshold, softLabels: opts.softLabels ?? false, placeholder, rewardTokens };
}

export async function exportAnnotations(store: Store, opts: ExportAnnotationsOptions): Promise<ExportAnnotationsResult> {
  if (!opts.dataset && !opts.setName) throw new UserError('export annotations: name a dataset or an annotation set');
  if (!opts.dataset && !store.annotations.sets().some((s) => s.name === opts.setName)) throw new UserError(`annotation set "${opts.setName}" not found`);
  const datasetId = opts.dataset ? store.datasets.requireId(opts.dataset) : null;
  if (!(opts.format in ROW_OF) && opts.format !== 'mmprm') throw new UserError(`unknown annotation format "${opts.format}" (have: mmprm, ${Object.keys(ROW_OF).join(', ')})`);
  const curation = opts.curation ?? 'all';
  if (!['all', 'curated', 'uncurated'].includes(curation)) throw new UserError(`export annotations: curation filter must be all, curated or uncurated (got "${curation}")`);
  const settings = checkSettings(opts);
  const pages = datasetId !== null ? store.annotations.forDatasetPages(datasetId, { split: opts.split, setName: opts.setName }) : store.annotations.forSetPages(opts.setName!);
  if (opts.format === 'mmprm' && !opts.perStep) {
    // paths are taken from the trees, matched to their annotations: the annotations are needed together
    const annotations = [...pages].flat();
    return write(store, mmprmFromTrees(store, annotations, datasetId, opts, curation, settings), opts.out);
  }
  const includeRejected = opts.includeRejected ?? false;
  const kept = (function* () {
    for (const page of pages) for (const a of page) if (keepAnnotation(a, curation, includeRejected)) yield a;
  })();
  return writeRows(store, fromAnnotations(store, kept, opts.format, opts.perStep ?? false, settings, opts.limit), opts.out);
}

const ROW_OF: Record<Exclude<AnnotationExportFormat, 'mmprm'>, (l: Labelled, s: Settings, totalTime: number | null) => Row> = {
  trl: trlRow,
  'math-shepherd': shepherdRow,
  prm800k: (l, _s, t) => prm800kRow(l, t),
  openrlhf: openrlhfRow,
  processbench: processbenchRow,
};

function* fromAnnotations(store: Store, annotations: Iterable<Annotation>, format: AnnotationExportFormat, perStep: boolean, s: Settings, limit: number | undefined): Generator<{ row: Row; images: readonly ImageRef[] }> {
  const toRow = format === 'mmprm' ? (perStep ? mmprmStepRow : null) : ROW_OF[format];
  if (!toRow) throw new Error('mmprm from trees is built elsewhere');
  let count = 0;
  const problems = new Map<number, Problem>();
  const wallMs = new Map<number, number | null>();
  for (const annotation of annotations) {
    if (limit !== undefined && count >= limit) break;
    const problem = problems.get(annotation.problemId) ?? store.problems.get(annotation.problemId);
    problems.set(problem.id, problem);
    const refs = WITH_IMAGES.has(format) ? problem.images : [];
    let totalTime: number | null = null;
    if (format === 'prm800k' && annotation.searchId !== null) {
      // PRM800K's total_time is the labelling time: here the wall time of the search that labelled the path
      if (!wallMs.has(annotation.searchId)) {
        const w = store.trees.getSearch(annotation.searchId).stats.wallMs;
        wallMs.set(annotation.searchId, typeof w === 'number' ? w : null);
      }
      totalTime = wallMs.get(annotation.searchId) ?? null;
    }
    yield { row: toRow({ annotation, problem, images: refs.map(imageRel), steps: exportSteps(annotation, s.original, s.threshold) }, s, totalTime), images: refs };
    count += 1;
  }
}

/** A node's own steps as the search stored them (meta.steps), else its text as one step. */
function ownSteps(stepText: string, meta: unknown): string[] {
  const m = meta as { steps?: unknown } | null;
  if (m && Array.isArray(m.steps) && m.steps.every((x) => typeof x === 'string')) return m.steps as string[];
  return stepText === '' ? [] : [stepText];
}

/**
 * MM-PRM rows from the search trees of the dataset's problems (or of the set's annotations). Each tree
 * path is matched to the annotation with the same original steps from the same search, when there is
 * one: a path whose annotation is left out by the curation filter (rejected, or not curated under
 * `curated`) is left out before the word filter, dedupe and down-sampling; with curated labels its
 * steps take the curated texts, and a node takes the lowest curated soft label of its steps when any of
 * them was relabelled (a prefix holding a bad step is a bad prefix), else its MC. A path without an
 * annotation is taken as uncurated.
 */
function mmprmFromTrees(store: Store, annotations: Annotation[], datasetId: number | null, opts: ExportAnnotationsOptions, curation: CurationFilter, s: Settings): Built {
  const bySearch = new Map<number, Annotation[]>();
  for (const a of annotations) {
    if (a.searchId === null) continue;
    const list = bySearch.get(a.searchId) ?? [];
    list.push(a);
    bySearch.set(a.searchId, list);
  }
  let searchIds: number[];
  if (datasetId !== null) {
    searchIds = store.trees.searchIdsOfDataset(datasetId, opts.split ?? null).filter((id) => opts.setName === undefined || bySearch.has(id));
  } else {
    searchIds = [...bySearch.keys()].sort((a, b) => a - b);
  }
  const rows: Row[] = [];
  const images = new Map<string, ImageRef>();
  const minWords = opts.minWords ?? MMPRM_MIN_WORDS;
  for (const searchId of searchIds) {
    if (opts.limit !== undefined && rows.length >= opts.limit) break;
    const search = store.trees.getSearch(searchId);
    const problem = store.problems.get(search.problemId);
    const nodes: MmprmTreeNode[] = store.trees.nodes(searchId).map((n) => ({ id: n.id, parentId: n.parentId, steps: ownSteps(n.stepText, n.meta), mc: n.mc }));
    const byKey = new Map<string, Annotation>();
    for (const a of bySearch.get(searchId) ?? []) {
      const key = JSON.stringify(a.steps.map((x) => x.originalText));
      if (!byKey.has(key)) byKey.set(key, a);
    }
    const items: (MmprmItem & { where: string })[] = [];
    for (const path of mmprmTreePaths(nodes)) {
      const annotation = byKey.get(JSON.stringify(path.nodeSteps.flat()));
      const where = annotation ? `annotation ${annotation.id} (problem "${problem.extId}")` : `search ${searchId} (problem "${problem.extId}"), node ${path.nodeIds[path.nodeIds.length - 1]}`;
      if (annotation ? !keepAnnotation(annotation, curation, opts.includeRejected ?? false) : curation === 'curated') continue;
      if (!annotation || s.original) {
        items.push({ nodeSteps: path.nodeSteps, labels: path.labels, negative: path.negative, where });
        continue;
      }
      const steps = exportSteps(annotation, false, s.threshold);
      const nodeSteps: string[][] = [];
      const labels: number[] = [];
      let at = 0;
      path.nodeSteps.forEach((own, k) => {
        const mine = annotation.steps.slice(at, at + own.length);
        nodeSteps.push(steps.slice(at, at + own.length).map((x) => x.text));
        labels.push(mine.some((x) => x.edited) ? Math.min(...mine.map((x) => x.softLabel)) : path.labels[k]);
        at += own.length;
      });
      // a relabel can turn a path's polarity: MM-PRM's rule (a label <= 0 ends a negative) decides it
      items.push({ nodeSteps, labels, negative: labels.some((x) => x <= 0), where });
    }
    const chosen = mmprmSelect(items, { minWords, seed: opts.seed ?? 0 });
    for (const r of problem.images) images.set(r.hash, r);
    const rels = problem.images.map(imageRel);
    for (const item of chosen) {
      if (opts.limit !== undefined && rows.length >= opts.limit) break;
      checkMmprmText(item.where, problem.question, item.nodeSteps.flat());
      const row: Row = { id: rows.length };
      mmprmImage(row, rels);
      row.conversations = [
        { from: 'human', value: mmprmHuman(problem.question, mmprmProcess(item.nodeSteps), rels.length) },
        { from: 'gpt', value: item.labels },
      ];
      rows.push(row);
    }
  }
  return { rows, images: [...images.values()] };
}

/** Writes built rows through a temporary file, then copies their images, then renames: a failure leaves no file. */
async function write(store: Store, built: Built, outPath: string): Promise<ExportAnnotationsResult> {
  const out = resolve(outPath);
  const writer = await JsonlWriter.create(out);
  const exporter = new ImageExporter(store.paths.imagesDir, dirname(out));
  try {
    for (const row of built.rows) await writer.write(row);
    await exporter.paths(built.images);
    await writer.close();
  } catch (e) {
    await writer.abort();
    throw e;
  }
  return { written: writer.count, images: exporter.count, path: writer.path };
}

/** Writes rows as they come through a temporary file, then copies their images, then renames: a failure leaves no file. */
async function writeRows(store: Store, rows: Iterable<{ row: Row; images: readonly ImageRef[] }>, outPath: string): Promise<ExportAnnotationsResult> {
  const out = resolve(outPath);
  // the folder the writer would create: removed again when a row is refused, so a failure leaves nothing
  let created: string | null = null;
  for (let d = dirname(out); !existsSync(d); d = dirname(d)) created = d;
  const writer = await JsonlWriter.create(out);
  const exporter = new ImageExporter(store.paths.imagesDir, dirname(out));
  const images = new Map<string, ImageRef>();
  try {
    for (const { row, images: refs } of rows) {
      for (const r of refs) images.set(r.hash, r);
      await writer.write(row);
    }
    await exporter.paths([...images.values()]);
    await writer.close();
  } catch (e) {
    await writer.abort();
    if (created) rmSync(created, { recursive: true, force: true });
    throw e;
  }
  return { written: writer.count, images: exporter.count, path: writer.path };
}

/** A labelled step sequence read back from an exported file. */
