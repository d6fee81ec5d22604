// One exported row per format (trl, mmprm per step, math-shepherd, prm800k, openrlhf, processbench) built
// from an annotation's effective steps, and the field's constants they follow; exportAnnotations.ts
// documents each layout and writes the file.
import type { ImageRef, Problem } from '../../../src-shared/domain';
import { UserError } from '../errors';
import type { Annotation } from '../store/annotations';
import { extForMime } from './images';
import { MMPRM_TAG } from './mmprmTree';
import { answersMatch, extractAnswer } from './verify';
import type { CurationFilter } from './exportAnnotations';

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
export interface Step {
  text: string;
  soft: number;
  good: boolean;
}

export interface Labelled {
  annotation: Annotation;
  problem: Problem;
  images: string[];
  steps: Step[];
}

export type Row = Record<string, unknown>;

export interface Settings {
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
export const imageRel = (ref: Pick<ImageRef, 'hash' | 'mime'>): string => `images/${ref.hash}.${extForMime(ref.mime)}`;

export const where = (l: Pick<Labelled, 'annotation' | 'problem'>): string => `annotation ${l.annotation.id} (problem "${l.problem.extId}")`;

export function trlRow({ problem, images, steps }: Labelled, s: Settings): Row {
  const row: Row = { prompt: problem.question, completions: steps.map((x) => x.text), labels: steps.map((x) => (s.softLabels ? x.soft : x.good)) };
  if (images.length) row.images = images;
  return row;
}

/** The human turn of an MM-PRM row: one "<image>\n" per image when there are two or more. */
export function mmprmHuman(question: string, process: string, images: number): string {
  return `${images > 1 ? `${IMAGE_TAG}\n`.repeat(images) : ''}Question: ${question}\nProcess: ${process}`;
}

/** Refuses text that InternVL would count as a placeholder: a stray tag shifts every label or image. */
export function checkMmprmText(what: string, question: string, steps: readonly string[]): void {
  if (question.includes(IMAGE_TAG)) throw new UserError(`${what}, question: contains "${IMAGE_TAG}", which InternVL's loader counts as an image placeholder; remove it from the question`);
  if (question.includes(MMPRM_TAG)) throw new UserError(`${what}, question: contains MM-PRM's step tag "${MMPRM_TAG}"; remove it from the question`);
  const bad = steps.findIndex((t) => t.includes(MMPRM_TAG) || t.includes(IMAGE_TAG));
  if (bad >= 0) throw new UserError(`${what}, step ${bad + 1}: contains "${steps[bad].includes(MMPRM_TAG) ? MMPRM_TAG : IMAGE_TAG}", which MM-PRM's loader counts as a placeholder; edit the step in curation or leave the path out`);
}

export function mmprmImage(row: Row, images: string[]): void {
  if (images.length === 1) row.image = images[0];
  else if (images.length > 1) row.image = images;
}

export function mmprmStepRow(l: Labelled): Row {
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

export const stepPrefix = (i: number): string => `Step ${i + 1}: `;

export function shepherdRow(l: Labelled): Row {
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

export function prm800kRow(l: Labelled, totalTime: number | null): Row {
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

export function openrlhfRow(l: Labelled, s: Settings): Row {
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

export function processbenchRow(l: Labelled): Row {
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
