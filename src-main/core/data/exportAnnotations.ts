// Exports the curated step labels of a dataset's annotations as PRM training data, one JSON object per
// line, in one of four layouts. Labels and step texts are the effective ones (the search's with curation
// edits applied) unless `labels: 'original'` asks for the search's own; `curation` keeps all annotations,
// only those with a curation edit in force, or only those without; annotations rejected in curation are
// left out unless `includeRejected`, and annotations without steps always are.
//
//  trl            TRL stepwise supervision: {"prompt": question, "completions": [step, ...],
//                 "labels": [soft label, ...]} plus "images": [path, ...] when the problem has images.
//  mmprm          MM-PRM's PRM training conversations (InternVL chat layout, as MM-PRM's
//                 data_pipeline/prm_data_format.py writes them): {"id", "image", "conversations":
//                 [{"from":"human","value":"Question: {q}\nProcess: {step1}<prm>\n\n{step2}<prm>"},
//                  {"from":"gpt","value":[soft labels]}]}. "id" is the annotation id; "image" is one path,
//                 a list of paths for several images, and absent without images. Steps are trimmed, as
//                 MM-PRM's traverse.py does.
//  math-shepherd  peiyi9979/Math-Shepherd: {"input": "{q} Step 1: {step1} ки\nStep 2: {step2} ки",
//                 "label": the same text with each "ки" replaced by "+" (hard label 1) or "-" (0)}.
//  prm800k        openai/prm800k's labelled-solution lines: question.problem, question.ground_truth_answer,
//                 question.pre_generated_steps (all steps) and label.steps with one completion each, rated
//                 +1 or -1 from the hard label. As in PRM800K phase 2, labelling stops at the first -1
//                 step: it is the last step listed, with chosen_completion null and finish_reason
//                 "found_error"; a solution without a bad step ends with finish_reason "solution".
//
// Images (trl, mmprm) are copied beside the output as images/<hash>.<ext> and named by that relative path.
// readAnnotations() parses trl and math-shepherd files back into {question, steps: [{text, label}]}.
import { dirname, resolve } from 'node:path';
import type { AnnotationExportFormat, Problem } from '../../../src-shared/domain';
import { UserError } from '../errors';
import type { Store } from '../store';
import type { Annotation } from '../store/annotations';
import { ImageExporter } from './images';
import { JsonlWriter, parseJsonLine, readLines } from './jsonl';

export interface ExportAnnotationsOptions {
  /** the dataset whose problems' annotations are exported; without it, `setName` is required and the whole set is exported */
  dataset?: string;
  format: AnnotationExportFormat;
  out: string;
  split?: string;
  /** at most this many annotations (after the filters) */
  limit?: number;
  /** only annotations of this set */
  setName?: string;
  /** all (default), curated (a curation edit in force) or uncurated annotations */
  curation?: CurationFilter;
  /** curated (default): labels and texts with curation applied; original: as the search wrote them */
  labels?: 'curated' | 'original';
  /** keep annotations rejected in curation (default: left out) */
  includeRejected?: boolean;
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
/** MM-PRM's step tag. */
export const MMPRM_TAG = '<prm>';

interface Labelled {
  annotation: Annotation;
  problem: Problem;
  images: string[];
  /** write the search's own labels and texts, not the curated ones */
  original: boolean;
}

type Row = Record<string, unknown>;

function steps(a: Annotation, original: boolean): { text: string; soft: number; hard: number }[] {
  return a.steps.map((s) => (original ? { text: s.originalText, soft: s.originalSoft, hard: s.originalHard } : { text: s.text, soft: s.softLabel, hard: s.hardLabel }));
}

/** Whether an annotation passes the curation filter and the rejected rule. */
export function keepAnnotation(a: Annotation, curation: CurationFilter, includeRejected: boolean): boolean {
  if (a.steps.length === 0 || (a.rejected && !includeRejected)) return false;
  return curation === 'all' || (curation === 'curated') === a.curated;
}

function trlRow({ annotation, problem, images, original }: Labelled): Row {
  const st = steps(annotation, original);
  const row: Row = { prompt: problem.question, completions: st.map((s) => s.text), labels: st.map((s) => s.soft) };
  if (images.length) row.images = images;
  return row;
}

function mmprmRow({ annotation, problem, images, original }: Labelled): Row {
  const st = steps(annotation, original);
  const process = st.map((s) => s.text.trim() + MMPRM_TAG).join('\n\n');
  const row: Row = { id: annotation.id };
  if (images.length === 1) row.image = images[0];
  else if (images.length > 1) row.image = images;
  row.conversations = [
    { from: 'human', value: `Question: ${problem.question}\nProcess: ${process}` },
    { from: 'gpt', value: st.map((s) => s.soft) },
  ];
  return row;
}

const stepPrefix = (i: number): string => `Step ${i + 1}: `;

function shepherdRow({ annotation, problem, original }: Labelled): Row {
  const st = steps(annotation, original);
  st.forEach((s, i) => {
    if (s.text.includes(SHEPHERD_TAG)) {
      throw new UserError(`annotation ${annotation.id}, step ${i + 1}: contains the Math-Shepherd step tag "${SHEPHERD_TAG}"`);
    }
  });
  const body = (mark: (hard: number) => string): string =>
    st.map((s, i) => `${s.text.startsWith(stepPrefix(i)) ? '' : stepPrefix(i)}${s.text} ${mark(s.hard)}`).join('\n');
  return {
    input: `${problem.question} ${body(() => SHEPHERD_TAG)}`,
    label: `${problem.question} ${body((h) => (h > 0 ? '+' : '-'))}`,
  };
}

function prm800kRow({ annotation, problem, original }: Labelled): Row {
  const st = steps(annotation, original);
  const firstBad = st.findIndex((s) => s.hard <= 0);
  const labelled = firstBad < 0 ? st : st.slice(0, firstBad + 1);
  return {
    labeler: 'steplab',
    timestamp: annotation.createdAt,
    generation: null,
    is_quality_control_question: false,
    is_initial_screening_question: false,
    question: {
      problem: problem.question,
      ground_truth_answer: problem.answer,
      pre_generated_steps: st.map((s) => s.text),
    },
    label: {
      steps: labelled.map((s, i) => ({
        completions: [{ text: s.text, rating: s.hard > 0 ? 1 : -1, flagged: null }],
        human_completion: null,
        chosen_completion: i === firstBad ? null : 0,
      })),
      total_time: null,
      finish_reason: firstBad < 0 ? 'solution' : 'found_error',
    },
    steplab: { annotation_id: annotation.id, problem_ext_id: problem.extId, soft_labels: st.map((s) => s.soft) },
  };
}

const ROW_OF: Record<AnnotationExportFormat, (l: Labelled) => Row> = {
  trl: trlRow,
  mmprm: mmprmRow,
  'math-shepherd': shepherdRow,
  prm800k: prm800kRow,
};

const WITH_IMAGES: ReadonlySet<AnnotationExportFormat> = new Set(['trl', 'mmprm']);

export async function exportAnnotations(store: Store, opts: ExportAnnotationsOptions): Promise<ExportAnnotationsResult> {
  if (!opts.dataset && !opts.setName) throw new UserError('export annotations: name a dataset or an annotation set');
  if (!opts.dataset && !store.annotations.sets().some((s) => s.name === opts.setName)) throw new UserError(`annotation set "${opts.setName}" not found`);
  const datasetId = opts.dataset ? store.datasets.requireId(opts.dataset) : null;
  const toRow = ROW_OF[opts.format];
  if (!toRow) throw new UserError(`unknown annotation format "${opts.format}" (have: ${Object.keys(ROW_OF).join(', ')})`);
  const curation = opts.curation ?? 'all';
  if (!['all', 'curated', 'uncurated'].includes(curation)) throw new UserError(`export annotations: curation filter must be all, curated or uncurated (got "${curation}")`);
  const original = (opts.labels ?? 'curated') === 'original';
  const out = resolve(opts.out);
  const outDir = dirname(out);
  const writer = await JsonlWriter.create(out);
  const images = new ImageExporter(store.paths.imagesDir, outDir);
  let problem: Problem | null = null;
  try {
    const annotations = datasetId !== null ? store.annotations.forDataset(datasetId, { split: opts.split, setName: opts.setName }) : store.annotations.forSet(opts.setName!);
    for (const annotation of annotations) {
      if (opts.limit !== undefined && writer.count >= opts.limit) break;
      if (!keepAnnotation(annotation, curation, opts.includeRejected ?? false)) continue;
      // annotations come grouped by problem (dataset order, or problem id for a whole set)
      if (problem?.id !== annotation.problemId) problem = store.problems.get(annotation.problemId);
      const paths = WITH_IMAGES.has(opts.format) ? await images.paths(problem.images) : [];
      await writer.write(toRow({ annotation, problem, images: paths, original }));
    }
    await writer.close();
  } catch (e) {
    await writer.abort();
    throw e;
  }
  return { written: writer.count, images: images.count, path: writer.path };
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
