/**
 * Demo problem generator: one quantity, 2 to 5 steps of 1-digit operands, several wordings per
 * event so that a model has to read the sentence rather than its position. About 40 % of the
 * problems give the start value only in a picture.
 *
 * Image problems are drawn so that their text is valid for every count 1..9 (a subtraction
 * never exceeds the smallest possible running value, a division divides all of them): the text
 * then says nothing about the count, and the picture is needed.
 */
import { formatSolution } from './format';
import {
  type DemoEvent,
  type DemoPlan,
  VALUE_CAP,
  applyEvent,
  canonicalOf,
  eventSteps,
  expectedSteps,
  parseCanonical,
  planDifficulty,
} from './plan';
import { type Rng, createRng } from '../rng';

export type DemoSplit = 'train' | 'val' | 'test';

export interface DemoReferenceStep {
  text: string;
  /** the number the line produces (the count, the result, the answer) */
  value: number;
}

export interface DemoProblem {
  id: string;
  question: string;
  answer: string;
  answer_type: 'number';
  /** reference solution lines, the `Answer: N` line last */
  steps: string[];
  reference_steps: DemoReferenceStep[];
  /** the start value, present only when it is given by the picture */
  image_count?: number;
  /** layout seed of the picture (renderCountImage(image_count, image_seed)) */
  image_seed?: number;
  /** the math without names, objects, wording or modality: `7 +3 -4 *2 +2x5 /3` */
  canonical: string;
  /** arithmetic steps (the `count` line of an image problem is not counted) */
  difficulty: number;
  split?: DemoSplit;
}

export const MIN_START = 1;
export const MAX_START = 9;
/** Steps a problem may have (the default range is 2–5). */
export const STEPS_LIMITS = { min: 1, max: 8 } as const;

export interface GenerateOptions {
  seed: number;
  count: number;
  /** default 2 */
  minSteps?: number;
  /** default 5 */
  maxSteps?: number;
  /** share of problems whose start is only in a picture; default 0.4 */
  imageShare?: number;
}

export interface ResolvedShape {
  minSteps: number;
  maxSteps: number;
  imageShare: number;
}

export function resolveShape(opts: { minSteps?: number; maxSteps?: number; imageShare?: number }): ResolvedShape {
  const minSteps = opts.minSteps ?? 2;
  const maxSteps = opts.maxSteps ?? 5;
  const imageShare = opts.imageShare ?? 0.4;
  if (!Number.isInteger(minSteps) || !Number.isInteger(maxSteps) || minSteps < STEPS_LIMITS.min || maxSteps > STEPS_LIMITS.max || minSteps > maxSteps) {
    throw new RangeError(`steps must satisfy ${STEPS_LIMITS.min} <= minSteps <= maxSteps <= ${STEPS_LIMITS.max}, got ${minSteps}..${maxSteps}`);
  }
  if (!(imageShare >= 0 && imageShare <= 1)) throw new RangeError(`imageShare must be in [0, 1], got ${imageShare}`);
  return { minSteps, maxSteps, imageShare };
}

// ---------------------------------------------------------------------------------------------
// Math

interface Candidate {
  weight: number;
  draw: (rng: Rng) => DemoEvent;
}

function range(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let i = lo; i <= hi; i++) out.push(i);
  return out;
}

const DIGITS = range(1, 9);
const FACTORS = range(2, 9);

/** Events valid for every value in `values` (one value for a text problem, 1..9 for an image problem). */
function candidates(values: readonly number[], remaining: number): Candidate[] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const out: Candidate[] = [];
  const adds = DIGITS.filter((k) => hi + k <= VALUE_CAP);
  if (adds.length) out.push({ weight: 3, draw: (r) => ({ kind: 'add', k: r.pick(adds) }) });
  const subs = DIGITS.filter((k) => k < lo);
  if (subs.length) out.push({ weight: 3, draw: (r) => ({ kind: 'sub', k: r.pick(subs) }) });
  const muls = [2, 3].filter((k) => hi * k <= VALUE_CAP);
  if (muls.length) out.push({ weight: 2, draw: (r) => ({ kind: 'mul', k: r.pick(muls) }) });
  const divs = FACTORS.filter((k) => values.every((v) => v % k === 0 && v >= k));
  if (divs.length) out.push({ weight: 2, draw: (r) => ({ kind: 'div', k: r.pick(divs) }) });
  if (remaining >= 2) {
    const bags: [number, number][] = [];
    for (const k of FACTORS) for (const m of FACTORS) if (hi + k * m <= VALUE_CAP) bags.push([k, m]);
    if (bags.length) {
      out.push({
        weight: 2,
        draw: (r) => {
          const [k, m] = r.pick(bags);
          return { kind: 'bags', k, m };
        },
      });
    }
  }
  return out;
}

/** A plan with exactly `difficulty` arithmetic steps. */
export function drawPlan(rng: Rng, difficulty: number, hasImage: boolean): DemoPlan {
  for (let attempt = 0; attempt < 100; attempt++) {
    const start = rng.int(MIN_START, MAX_START);
    let values = hasImage ? range(MIN_START, MAX_START) : [start];
    const events: DemoEvent[] = [];
    let remaining = difficulty;
    while (remaining > 0) {
      const options = candidates(values, remaining);
      if (options.length === 0) break;
      const e = options[rng.weighted(options.map((o) => o.weight))].draw(rng);
      events.push(e);
      values = values.map((v) => applyEvent(v, e));
      remaining -= eventSteps(e);
    }
    if (remaining === 0) return { start, events };
  }
  throw new Error(`demo generator: no plan with ${difficulty} steps found`);
}

// ---------------------------------------------------------------------------------------------
// Wording. No template may contain a special token ("No", "Yes", "<...>") as a substring.

interface Person {
  name: string;
  he: 'he' | 'she';
}

const PEOPLE: readonly Person[] = [
  { name: 'Tom', he: 'he' },
  { name: 'Sam', he: 'he' },
  { name: 'Ben', he: 'he' },
  { name: 'Leo', he: 'he' },
  { name: 'Max', he: 'he' },
  { name: 'Omar', he: 'he' },
  { name: 'Ana', he: 'she' },
  { name: 'Mia', he: 'she' },
  { name: 'Zoe', he: 'she' },
  { name: 'Eva', he: 'she' },
  { name: 'Lily', he: 'she' },
  { name: 'Rosa', he: 'she' },
];

/** [plural, singular] */
const OBJECTS: readonly (readonly [string, string])[] = [
  ['apples', 'apple'],
  ['pens', 'pen'],
  ['cards', 'card'],
  ['shells', 'shell'],
  ['coins', 'coin'],
  ['marbles', 'marble'],
  ['stamps', 'stamp'],
  ['stickers', 'sticker'],
  ['books', 'book'],
  ['eggs', 'egg'],
];

const PRONOUNS = {
  he: { He: 'He', he: 'he', him: 'him', his: 'his', His: 'His' },
  she: { He: 'She', he: 'she', him: 'her', his: 'her', His: 'Her' },
} as const;

/** {s} start value, {sobj} object agreeing with it; {k} {kobj} likewise; {m}; {obj} plural. */
const START_TEXT = ['{N} has {s} {sobj}.', '{N} starts with {s} {sobj}.', '{N} owns {s} {sobj}.', 'At first {N} has {s} {sobj}.'];
/** No number and no singular/plural hint: the count is only in the picture. */
const START_IMAGE = [
  "The picture shows {N}'s {obj}.",
  "{N}'s {obj} are in the picture.",
  '{N} has the {obj} in the picture.',
  "Look at {N}'s {obj} in the picture.",
];
const EVENT_TEXT = {
  add: ['{He} buys {k} more.', '{He} finds {k} more.', '{He} gets {k} more.', '{N} gets {k} more {kobj}.', 'A friend gives {him} {k} more.'],
  sub: ['{He} gives away {k}.', '{He} loses {k}.', '{He} gives {k} away.', '{He} sells {k} of them.', '{N} uses {k} {kobj}.'],
  mul2: ['{He} doubles them.', '{He} doubles {his} {obj}.', '{His} {obj} double.', 'Then {he} has twice as many.'],
  mul3: ['{He} triples them.', '{He} triples {his} {obj}.', '{His} {obj} triple.', 'Then {he} has three times as many.'],
  div: [
    '{He} splits them into {k} equal groups and keeps one.',
    '{He} makes {k} equal piles and keeps one.',
    '{He} keeps one of {k} equal parts.',
  ],
  bags: ['{He} buys {k} bags of {m}.', '{He} buys {k} boxes of {m} {obj}.', '{He} gets {k} packs of {m}.', '{N} buys {k} bags of {m} {obj}.'],
} as const;
const QUESTION_TEXT = [
  'How many {obj} does {he} have now?',
  'How many does {N} have now?',
  'How many {obj} in the end?',
  'How many {obj} now?',
];

type TemplateKey = keyof typeof EVENT_TEXT;

function templateKey(e: DemoEvent): TemplateKey {
  if (e.kind === 'mul') return e.k === 2 ? 'mul2' : 'mul3';
  return e.kind;
}

/** The wording choices of a problem, apart from its math. */
export interface DemoSurface {
  person: number;
  object: number;
  start: number;
  /** one template index per event */
  events: number[];
  question: number;
}

export function drawSurface(rng: Rng, plan: DemoPlan, hasImage: boolean): DemoSurface {
  return {
    person: rng.int(0, PEOPLE.length - 1),
    object: rng.int(0, OBJECTS.length - 1),
    start: rng.int(0, (hasImage ? START_IMAGE : START_TEXT).length - 1),
    events: plan.events.map((e) => rng.int(0, EVENT_TEXT[templateKey(e)].length - 1)),
    question: rng.int(0, QUESTION_TEXT.length - 1),
  };
}

function fill(template: string, vars: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => {
    const v = vars[key];
    if (v === undefined) throw new Error(`demo template "${template}": no value for {${key}}`);
    return v;
  });
}

/** The question text. For an image problem it does not depend on plan.start. */
export function renderQuestion(plan: DemoPlan, surface: DemoSurface, hasImage: boolean): string {
  const person = PEOPLE[surface.person];
  const [plural, singular] = OBJECTS[surface.object];
  const base: Record<string, string> = { N: person.name, obj: plural, ...PRONOUNS[person.he] };
  const agree = (n: number): string => (n === 1 ? singular : plural);
  const sentences: string[] = [];
  if (hasImage) sentences.push(fill(START_IMAGE[surface.start], base));
  else sentences.push(fill(START_TEXT[surface.start], { ...base, s: String(plan.start), sobj: agree(plan.start) }));
  plan.events.forEach((e, i) => {
    const vars: Record<string, string> = { ...base, k: String(e.k), kobj: agree(e.k) };
    if (e.kind === 'bags') vars.m = String(e.m);
    sentences.push(fill(EVENT_TEXT[templateKey(e)][surface.events[i]], vars));
  });
  sentences.push(fill(QUESTION_TEXT[surface.question], base));
  return sentences.join(' ');
}

/** Assembles a problem from its parts. */
export function buildProblem(id: string, plan: DemoPlan, surface: DemoSurface, image: { seed: number } | null): DemoProblem {
  const hasImage = image !== null;
  const ref = expectedSteps(plan, hasImage);
  const steps = ref.map((s) => s.text);
  const answer = ref[ref.length - 1].value;
  const problem: DemoProblem = {
    id,
    question: renderQuestion(plan, surface, hasImage),
    answer: String(answer),
    answer_type: 'number',
    steps,
    reference_steps: ref.map((s) => ({ text: s.text, value: s.value })),
    canonical: canonicalOf(plan),
    difficulty: planDifficulty(plan),
  };
  if (image) {
    problem.image_count = plan.start;
    problem.image_seed = image.seed;
  }
  return problem;
}

/** What textTwin needs of an image problem (a DemoProblem or a problems.jsonl row). */
export interface TwinSource {
  id: string;
  question: string;
  canonical: string;
  image_count?: number | null;
  split?: DemoSplit | string;
}

/**
 * The text version of an image problem: the same plan, person, object and wording, except that
 * the opening sentence states the count (`Tom has 7 apples.`) instead of pointing at the picture,
 * so its reference solution has no `count = N` line. Comparing a model on both isolates how well
 * it reads the picture. The opening sentence is matched exactly against the image templates, so
 * the rest of the question is kept byte for byte.
 */
export function textTwin(p: TwinSource): DemoProblem {
  if (p.image_count === undefined || p.image_count === null) throw new Error(`textTwin: ${p.id} is not an image problem`);
  const plan = parseCanonical(p.canonical);
  if (plan.start !== p.image_count) throw new Error(`textTwin: ${p.id}: canonical starts at ${plan.start}, image_count is ${p.image_count}`);
  for (const person of PEOPLE) {
    for (const [plural, singular] of OBJECTS) {
      const base: Record<string, string> = { N: person.name, obj: plural, ...PRONOUNS[person.he] };
      for (let t = 0; t < START_IMAGE.length; t++) {
        const opening = fill(START_IMAGE[t], base) + ' ';
        if (!p.question.startsWith(opening)) continue;
        const start = fill(START_TEXT[t], { ...base, s: String(plan.start), sobj: plan.start === 1 ? singular : plural });
        const ref = expectedSteps(plan, false);
        const twin: DemoProblem = {
          id: `${p.id}-text`,
          question: `${start} ${p.question.slice(opening.length)}`,
          answer: String(ref[ref.length - 1].value),
          answer_type: 'number',
          steps: ref.map((s) => s.text),
          reference_steps: ref.map((s) => ({ text: s.text, value: s.value })),
          canonical: canonicalOf(plan),
          difficulty: planDifficulty(plan),
        };
        if (p.split !== undefined) twin.split = p.split as DemoSplit;
        return twin;
      }
    }
  }
  throw new Error(`textTwin: ${p.id}: the question does not open with a picture sentence`);
}

/** The reference solution as the model writes it. */
export function referenceSolution(problem: Pick<DemoProblem, 'steps'>): string {
  return formatSolution(problem.steps);
}

/**
 * `count` (difficulty, has-image) slots: difficulties as even as possible, and within each
 * difficulty the image share as close to `imageShare` as rounding allows; shuffled.
 */
export function balancedSlots(rng: Rng, count: number, shape: ResolvedShape): { difficulty: number; hasImage: boolean }[] {
  const nDiff = shape.maxSteps - shape.minSteps + 1;
  const perDifficulty = new Array<number>(nDiff).fill(0);
  const slots: { difficulty: number; hasImage: boolean }[] = [];
  for (let j = 0; j < count; j++) {
    const d = j % nDiff;
    const t = perDifficulty[d]++;
    const hasImage = Math.round((t + 1) * shape.imageShare) > Math.round(t * shape.imageShare);
    slots.push({ difficulty: shape.minSteps + d, hasImage });
  }
  return rng.shuffle(slots);
}

export function padWidth(count: number): number {
  return Math.max(4, String(Math.max(0, count - 1)).length);
}

/** `count` problems from one seed; the same options give the same problems. Canonical forms may repeat (see buildDemoDataset for unique ones). */
export function generateProblems(opts: GenerateOptions): DemoProblem[] {
  if (!Number.isInteger(opts.count) || opts.count < 0) throw new RangeError(`count must be a non-negative integer, got ${opts.count}`);
  const shape = resolveShape(opts);
  const rng = createRng(opts.seed);
  const width = padWidth(opts.count);
  return balancedSlots(rng, opts.count, shape).map((slot, i) => {
    const plan = drawPlan(rng, slot.difficulty, slot.hasImage);
    const surface = drawSurface(rng, plan, slot.hasImage);
    const image = slot.hasImage ? { seed: rng.uint32() } : null;
    return buildProblem(`demo-${String(i).padStart(width, '0')}`, plan, surface, image);
  });
}
