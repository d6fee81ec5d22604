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
// readAnnotations() parses trl and math-shepherd files back into {question, steps: [{text, label}]}.
import { existsSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { AnnotationExportFormat, ImageRef, Problem } from '../../../src-shared/domain';
import { UserError } from '../errors';
import type { Store } from '../store';
import type { Annotation } from '../store/annotations';
import { ImageExporter, extForMime } from './images';
import { JsonlWriter, parseJsonLine, readLines } from './jsonl';
import { MMPRM_TAG, mmprmProcess, mmprmSelect, mmprmTreePaths, type MmprmItem, type MmprmTreeNode } from './mmprmTree';
import { answersMatch, extractAnswer } from './verify';

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

/** Math-Shepherd's step tag. */
export const SHEPHERD_TAG = 'ки';
/** The character TRL's math_shepherd converter swaps the tag for before splitting: one in a text adds a step. */
const SHEPHERD_SWAP = 'ⶻ';
/** Questions TRL's math_shepherd converter treats as known annotation errors: it drops their first label. */
const TRL_SHEPHERD_QUIRKS = ['Mr. Rocky', 'Parker', 'What is the smallest positive', ' The Myth', 'Let $\\mathbf{a}$', 'Find the arithmetic', 'Determine an ordered pair', 'Determine the ordered pair', 'At the Quill and Scroll stationery', 'Round to the nearest', 'Calculate $\\sqrt{10p}', 'Simplify $\\sqrt{28x}'];
/** MM-PRM's traverse.py drops paths of at most this many words. */
export const MMPRM_MIN_WORDS = 10;
/** InternVL's image placeholder. */
const IMAGE_TAG = '<image>';

/** A step as exported: effective text, soft label and hard label. */
interface Step {
  text: string;
  soft: number;
  good: boolean;
}

interface Labelled {
  annotation: Annotation;
  problem: Problem;
  images: string[];
  steps: Step[];
}

type Row = Record<string, unknown>;

/** An export's rows with the images they name, built and checked before anything is written. */
interface Built {
  rows: Row[];
  images: ImageRef[];
}

interface Settings {
  original: boolean;
  threshold: number;
  softLabels: boolean;
  placeholder: string;
  rewardTokens: readonly [string, string];
}

/** The steps of an annotation with their labels: curated (a relabel wins over the threshold) or the search's own. */
export function exportSteps(a: Annotation, original: boolean, threshold: number): Step[] {
  return a.steps.map((s) =>
    original
      ? { text: s.originalText, soft: s.originalSoft, good: s.originalSoft > threshold }
      : { text: s.text, soft: s.softLabel, good: s.edited ? s.hardLabel > 0 : s.softLabel > threshold },
  );
}

/** Whether an annotation passes the curation filter and the rejected rule. */
export function keepAnnotation(a: Annotation, curation: CurationFilter, includeRejected: boolean): boolean {
  if (a.steps.length === 0 || (a.rejected && !includeRejected)) return false;
  return curation === 'all' || (curation === 'curated') === a.curated;
}

/** The path of an image as exports name it, relative to the output file (the file is copied there on success). */
const imageRel = (ref: Pick<ImageRef, 'hash' | 'mime'>): string => `images/${ref.hash}.${extForMime(ref.mime)}`;

const where = (l: Pick<Labelled, 'annotation' | 'problem'>): string => `annotation ${l.annotation.id} (problem "${l.problem.extId}")`;

function trlRow({ problem, images, steps }: Labelled, s: Settings): Row {
  const row: Row = { prompt: problem.question, completions: steps.map((x) => x.text), labels: steps.map((x) => (s.softLabels ? x.soft : x.good)) };
  if (images.length) row.images = images;
  return row;
}

/** The human turn of an MM-PRM row: one "<image>\n" per image when there are two or more. */
function mmprmHuman(question: string, process: string, images: number): string {
  return `${images > 1 ? `${IMAGE_TAG}\n`.repeat(images) : ''}Question: ${question}\nProcess: ${process}`;
}

/** Refuses text that InternVL would count as a placeholder: a stray tag shifts every label or image. */
function checkMmprmText(what: string, question: string, steps: readonly string[]): void {
  if (question.includes(IMAGE_TAG)) throw new UserError(`${what}, question: contains "${IMAGE_TAG}", which InternVL's loader counts as an image placeholder; remove it from the question`);
  if (question.includes(MMPRM_TAG)) throw new UserError(`${what}, question: contains MM-PRM's step tag "${MMPRM_TAG}"; remove it from the question`);
  const bad = steps.findIndex((t) => t.includes(MMPRM_TAG) || t.includes(IMAGE_TAG));
  if (bad >= 0) throw new UserError(`${what}, step ${bad + 1}: contains "${steps[bad].includes(MMPRM_TAG) ? MMPRM_TAG : IMAGE_TAG}", which MM-PRM's loader counts as a placeholder; edit the step in curation or leave the path out`);
}

function mmprmImage(row: Row, images: string[]): void {
  if (images.length === 1) row.image = images[0];
  else if (images.length > 1) row.image = images;
}

function mmprmStepRow(l: Labelled): Row {
  checkMmprmText(where(l), l.problem.question, l.steps.map((x) => x.text));
  const process = l.steps.map((x) => x.text.trim() + MMPRM_TAG).join('\n\n');
  const row: Row = { id: l.annotation.id };
  mmprmImage(row, l.images);
  row.conversations = [
    { from: 'human', value: mmprmHuman(l.problem.question, process, l.images.length) },
    { from: 'gpt', value: l.steps.map((x) => x.soft) },
  ];
  return row;
}

const stepPrefix = (i: number): string => `Step ${i + 1}: `;

function shepherdRow(l: Labelled): Row {
  const { problem, steps } = l;
  const q = problem.question;
  for (const tag of [SHEPHERD_TAG, SHEPHERD_SWAP]) {
    if (q.includes(tag)) throw new UserError(`${where(l)}, question: contains "${tag}", which Math-Shepherd readers take for a step tag; remove it from the question or export another format`);
    const i = steps.findIndex((x) => x.text.includes(tag));
    // the older message's words kept first: scripts match on them
    if (i >= 0) throw new UserError(`annotation ${l.annotation.id}, step ${i + 1}: contains the Math-Shepherd step tag "${tag}"; edit the step in curation or leave the path out`);
  }
  const texts = steps.map((x, i) => `${x.text.startsWith(stepPrefix(i)) ? '' : stepPrefix(i)}${x.text}`);
  // TRL's converter splits "{q} Step 1: {s1} " on "Step 1:" and unpacks exactly two parts
  if (`${q} ${texts[0]}`.split(stepPrefix(0).trim()).length !== 2) throw new UserError(`${where(l)}: "${stepPrefix(0).trim()}" appears again in the question or first step, which TRL's math_shepherd converter cannot split; edit the text or export another format`);
  const quirk = TRL_SHEPHERD_QUIRKS.find((p) => q.startsWith(p));
  if (quirk) throw new UserError(`${where(l)}, question: starts with "${quirk}", which TRL's math_shepherd converter treats as a known upstream error and drops the first label; reword the question's start or export another format`);
  const body = (mark: (good: boolean) => string): string => texts.map((t, i) => `${t} ${mark(steps[i].good)}`).join('\n');
  return { input: `${q} ${body(() => SHEPHERD_TAG)}`, label: `${q} ${body((g) => (g ? '+' : '-'))}`, task: problem.source ?? 'steplab' };
}

const ANSWER_WORDS = new Set(['the', 'final', 'answer', 'is']);

/**
 * The final answer of a solution's last step, when its last line states one ("Answer: 10", "The final
 * answer is $10$", "\\boxed{10}"); and that step in PRM800K's layout, "...\n\n# Answer\n\n{answer}". A last
 * line that only states the answer is replaced; one that says more is kept before the "# Answer" block.
 */
export function finalAnswer(step: string): { answer: string; prm800k: string } | null {
  const lines = step.trimEnd().split('\n');
  const last = lines[lines.length - 1] ?? '';
  if (!/answer|\\boxed/i.test(last)) return null;
  const answer = extractAnswer(last);
  if (answer === null) return null;
  const rest = last.replace(answer, ' ').replace(/\\boxed|[{}$.,:：*]/g, ' ').split(/\s+/).filter(Boolean);
  const onlyAnswer = rest.every((w) => ANSWER_WORDS.has(w.toLowerCase()));
  const before = (onlyAnswer ? lines.slice(0, -1) : lines).join('\n').trimEnd();
  return { answer, prm800k: `${before}${before ? '\n\n' : ''}# Answer\n\n${answer}` };
}

function prm800kRow(l: Labelled, totalTime: number | null): Row {
  const { annotation, problem } = l;
  const fin = finalAnswer(l.steps[l.steps.length - 1].text);
  const texts = l.steps.map((x, i) => (i === l.steps.length - 1 && fin ? fin.prm800k : x.text));
  const firstBad = l.steps.findIndex((x) => !x.good);
  const labelled = firstBad < 0 ? texts : texts.slice(0, firstBad + 1);
  const solution = typeof problem.meta.solution === 'string' ? problem.meta.solution : null;
  return {
    labeler: 'steplab',
    timestamp: annotation.createdAt,
    generation: null,
    is_quality_control_question: false,
    is_initial_screening_question: false,
    question: {
      problem: problem.question,
      ground_truth_solution: solution,
      ground_truth_answer: problem.answer,
      pre_generated_steps: texts,
      pre_generated_answer: fin?.answer ?? null,
      pre_generated_verifier_score: null,
    },
    label: {
      steps: labelled.map((text, i) => ({
        completions: [{ text, rating: l.steps[i].good ? 1 : -1, flagged: null }],
        human_completion: null,
        chosen_completion: i === firstBad ? null : 0,
      })),
      total_time: totalTime,
      // PRM800K's reasons: the first error found, a solution reached, or labelling stopped before either
      finish_reason: firstBad >= 0 ? 'found_error' : fin ? 'solution' : 'give_up',
    },
  };
}

function openrlhfRow(l: Labelled, s: Settings): Row {
  const ph = s.placeholder;
  if (l.problem.question.includes(ph)) throw new UserError(`${where(l)}, question: contains the placeholder token "${ph}"; choose another --placeholder-token or edit the question`);
  const i = l.steps.findIndex((x) => x.text.includes(ph));
  if (i >= 0) throw new UserError(`${where(l)}, step ${i + 1}: contains the placeholder token "${ph}"; choose another --placeholder-token or edit the step in curation`);
  const [pos, neg] = s.rewardTokens;
  return {
    input: `${l.problem.question}\n${l.steps.map((x) => `${x.text} ${ph}`).join('\n')}`,
    label: l.steps.map((x) => (s.softLabels ? x.soft : x.good ? pos : neg)),
  };
}

function processbenchRow(l: Labelled): Row {
  const fin = finalAnswer(l.steps[l.steps.length - 1].text);
  const model = l.annotation.provenance.model;
  return {
    id: `${l.annotation.setName}-${l.annotation.id}`,
    generator: typeof model === 'string' ? model : null,
    problem: l.problem.question,
    steps: l.steps.map((x) => x.text),
    final_answer_correct: fin !== null && answersMatch(l.problem.answer, fin.answer, l.problem.answerType) === true,
    label: l.steps.findIndex((x) => !x.good),
  };
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
export interface ReadAnnotation {
  question: string;
  steps: { text: string; label: number }[];
  images?: string[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses one TRL stepwise-supervision row (labels may be numbers or booleans). */
export function parseTrlRow(row: unknown): ReadAnnotation {
  if (!isObj(row)) throw new UserError('not a JSON object');
  const { prompt, completions, labels, images } = row;
  if (typeof prompt !== 'string') throw new UserError('field "prompt": must be a string');
  if (!Array.isArray(completions) || !completions.every((c) => typeof c === 'string')) {
    throw new UserError('field "completions": must be a list of strings');
  }
  if (!Array.isArray(labels) || labels.length !== completions.length) {
    throw new UserError('field "labels": must be a list as long as "completions"');
  }
  const steps = completions.map((text, i) => {
    const l = labels[i];
    if (typeof l === 'boolean') return { text: text as string, label: l ? 1 : 0 };
    if (typeof l !== 'number' || !(l >= 0 && l <= 1)) throw new UserError(`field "labels": item ${i + 1} must be a number in [0, 1] or a boolean`);
    return { text: text as string, label: l };
  });
  const out: ReadAnnotation = { question: prompt, steps };
  if (images !== undefined) {
    if (!Array.isArray(images) || !images.every((x) => typeof x === 'string')) throw new UserError('field "images": must be a list of paths');
    out.images = images as string[];
  }
  return out;
}

/**
 * Parses one Math-Shepherd row. The question is the text before the first " Step 1: "; steps are the text
 * between step tags, without their "Step N: " prefix; each label (1 for "+", 0 for "-") is read from the
 * `label` string at the tag's place.
 */
export function parseMathShepherdRow(row: unknown): ReadAnnotation {
  if (!isObj(row)) throw new UserError('not a JSON object');
  const { input, label } = row;
  if (typeof input !== 'string') throw new UserError('field "input": must be a string');
  if (typeof label !== 'string') throw new UserError('field "label": must be a string');
  const tag = ` ${SHEPHERD_TAG}`;
  // every tag sits at the end of the text or before the newline that starts the next step
  const ends: number[] = [];
  for (let at = input.indexOf(tag); at >= 0; at = input.indexOf(tag, at + tag.length)) {
    const after = at + tag.length;
    if (after === input.length || input[after] === '\n') ends.push(at);
  }
  if (ends.length === 0) throw new UserError(`field "input": has no step tag "${SHEPHERD_TAG}"`);
  const first = input.indexOf(` ${stepPrefix(0)}`);
  if (first < 0 || first > ends[0]) throw new UserError(`field "input": no "${stepPrefix(0).trim()}" before the first step tag`);
  const question = input.slice(0, first);
  const steps: { text: string; label: number }[] = [];
  let start = first + 1;
  ends.forEach((end, k) => {
    let text = input.slice(start, end);
    if (text.startsWith(stepPrefix(k))) text = text.slice(stepPrefix(k).length);
    // "ки" (2 characters) becomes "+" or "-" (1): the k-th mark sits k characters earlier in `label`
    const mark = label[end + 1 - k];
    if (mark !== '+' && mark !== '-') throw new UserError(`field "label": no + or - for step ${k + 1}`);
    steps.push({ text, label: mark === '+' ? 1 : 0 });
    start = end + tag.length + 1;
  });
  return { question, steps };
}

/** Reads an exported trl or math-shepherd file back. Errors name the line. */
export async function readAnnotations(path: string, format: 'trl' | 'math-shepherd'): Promise<ReadAnnotation[]> {
  const parse = format === 'trl' ? parseTrlRow : parseMathShepherdRow;
  const out: ReadAnnotation[] = [];
  for await (const l of readLines(path)) {
    const row = parseJsonLine(l.text, l.line);
    try {
      out.push(parse(row));
    } catch (e) {
      if (e instanceof UserError) throw new UserError(`line ${l.line}: ${e.message}`);
      throw e;
    }
  }
  return out;
}
