/**
 * Gold step labels for the demo domain. A step is right iff it parses, it does what the problem
 * asks at that position starting from the TRUE running value (so an error carried forward makes
 * the later steps wrong too), and its arithmetic is right. Reasons are short, regular sentences
 * (`step 3: 7 + 4 is 11, not 12`); they double as training targets for a tiny ORM's diagnosis.
 *
 * Reason forms (N is the 1-based line number):
 *   step N: A op B is C, not X              arithmetic slip
 *   step N: should start from V, not X      wrong running value (often an earlier error carried forward)
 *   step N: should add 3, not 4             wrong operand; `not subtract 3` when the operation is wrong
 *   step N: should be 2 * 5, not 2 * 6      wrong operands in the `k * m` line of a bags event
 *   step N: the picture shows 7, not 6      wrong count read from the picture
 *   step N: answer is 12, not 13            wrong final answer
 *   step N: too early, should add 3         Answer line before the work is done
 *   step N: extra step, should be Answer: 12
 *   step N: extra line after the answer
 *   step N: should be 10 - 4 = 6            a line of the wrong form
 *   step N: missing, should be Answer: 12   (diagnosis only: the solution stopped early)
 */
import type { Problem } from '../../../src-shared/domain';
import { ANSWER_PREFIX, COUNT_PREFIX, type DemoOp, type ExpectedStep, expectedSteps, opPhrase, parseCanonical } from './plan';

/** What the checker needs of a problem: its math (canonical) and whether the start is in a picture. */
export interface DemoCheckable {
  canonical: string;
  /** set when the start value is only in the picture; the solution then starts with `count = N` */
  image_count?: number | null;
}

export interface StepCheck {
  ok: boolean;
  /** the reference line at this position ('' when no line belongs here) */
  expected: string;
  /** '' when ok */
  reason: string;
}

export interface SolutionLabels {
  /**
   * one per given line: 1 right, 0 wrong. Each line is judged on its own against the true
   * values, so a bags event's `k * m` line can be right after an earlier error; the prefix view
   * ("no error so far") is `i < firstError`.
   */
  labels: (0 | 1)[];
  /** 0-based index of the first wrong line (`steps.slice(0, firstError)` is the longest right prefix); null when none is wrong */
  firstError: number | null;
  /** the last `Answer:` line states the gold answer */
  finalCorrect: boolean;
  /** per line, '' when right */
  reasons: string[];
  /** the first wrong line's reason; for a solution that stopped early, `step N: missing, should be ...`; '' when all is right */
  diagnosis: string;
}

type ParsedLine =
  | { kind: 'arith'; a: number; op: DemoOp; b: number; c: number }
  | { kind: 'count'; value: number }
  | { kind: 'answer'; value: number }
  | { kind: 'other' };

const ARITH_RE = /^\s*(\d+)\s*([-+*/])\s*(\d+)\s*=\s*(\d+)\s*$/;
const COUNT_RE = new RegExp(`^\\s*${COUNT_PREFIX.trim().replace(/\s+/g, '\\s*')}\\s*(\\d+)\\s*$`);
const ANSWER_RE = new RegExp(`^\\s*${ANSWER_PREFIX.trim()}\\s*(\\d+)\\s*$`);

export function parseStepLine(line: string): ParsedLine {
  let m = ARITH_RE.exec(line);
  if (m) return { kind: 'arith', a: Number(m[1]), op: m[2] as DemoOp, b: Number(m[3]), c: Number(m[4]) };
  m = COUNT_RE.exec(line);
  if (m) return { kind: 'count', value: Number(m[1]) };
  m = ANSWER_RE.exec(line);
  if (m) return { kind: 'answer', value: Number(m[1]) };
  return { kind: 'other' };
}

function compute(a: number, op: DemoOp, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
  }
}

function formatNumber(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Math.round(x * 100) / 100);
}

/** The reference lines of a problem, rebuilt from its canonical key. */
export function referenceFor(problem: DemoCheckable): ExpectedStep[] {
  return expectedSteps(parseCanonical(problem.canonical), problem.image_count !== undefined && problem.image_count !== null);
}

function judge(exp: readonly ExpectedStep[], index: number, afterAnswer: boolean, step: string): StepCheck {
  const n = index + 1;
  const ok = (expected: string): StepCheck => ({ ok: true, expected, reason: '' });
  const bad = (expected: string, why: string): StepCheck => ({ ok: false, expected, reason: `step ${n}: ${why}` });
  if (afterAnswer) return bad('', 'extra line after the answer');

  const answer = exp[exp.length - 1];
  const workLines = exp.length - 1;
  const line = parseStepLine(step);

  if (line.kind === 'answer') {
    if (index < workLines) return bad(exp[index].text, `too early, should ${exp[index].desc}`);
    return line.value === answer.value ? ok(answer.text) : bad(answer.text, `answer is ${answer.value}, not ${line.value}`);
  }
  if (index >= workLines) {
    return bad(answer.text, line.kind === 'other' ? `should be ${answer.text}` : `extra step, should be ${answer.text}`);
  }

  const e = exp[index];
  if (e.kind === 'count') {
    if (line.kind !== 'count') return bad(e.text, `should be ${e.text}`);
    return line.value === e.value ? ok(e.text) : bad(e.text, `the picture shows ${e.value}, not ${line.value}`);
  }
  if (e.kind !== 'arith' || line.kind !== 'arith') return bad(e.text, `should be ${e.text}`);

  let { a, b } = line;
  const { op, c } = line;
  const commutes = op === '+' || op === '*';
  if (e.fromPrev) {
    if (commutes && a !== e.a && b === e.a) [a, b] = [b, a];
    if (a !== e.a) return bad(e.text, `should start from ${e.a}, not ${a}`);
    if (op !== e.op) return bad(e.text, `should ${e.desc}, not ${opPhrase(op, b)}`);
    if (b !== e.b) return bad(e.text, `should ${e.desc}, not ${b}`);
  } else {
    const same = op === e.op && ((a === e.a && b === e.b) || (commutes && a === e.b && b === e.a));
    if (!same) return bad(e.text, `should be ${e.a} ${e.op} ${e.b}, not ${a} ${op} ${b}`);
  }
  const truth = compute(a, op, b);
  if (truth !== c) return bad(e.text, `${line.a} ${op} ${line.b} is ${formatNumber(truth)}, not ${c}`);
  return ok(e.text);
}

/** Judges `step` as line `previousSteps.length + 1` of a solution. Only the earlier lines' count and whether one of them was an Answer line matter. */
export function checkStep(problem: DemoCheckable, previousSteps: readonly string[], step: string): StepCheck {
  const exp = referenceFor(problem);
  const afterAnswer = previousSteps.some((s) => parseStepLine(s).kind === 'answer');
  return judge(exp, previousSteps.length, afterAnswer, step);
}

/** Gold labels for a whole solution (lines without their `\n`). */
export function labelSolution(problem: DemoCheckable, steps: readonly string[]): SolutionLabels {
  const exp = referenceFor(problem);
  const gold = exp[exp.length - 1].value;
  const labels: (0 | 1)[] = [];
  const reasons: string[] = [];
  let afterAnswer = false;
  let lastAnswer: number | null = null;
  for (let i = 0; i < steps.length; i++) {
    const r = judge(exp, i, afterAnswer, steps[i]);
    labels.push(r.ok ? 1 : 0);
    reasons.push(r.reason);
    const parsed = parseStepLine(steps[i]);
    if (parsed.kind === 'answer') {
      afterAnswer = true;
      lastAnswer = parsed.value;
    }
  }
  const wrong = labels.indexOf(0);
  const firstError = wrong >= 0 ? wrong : null;
  let diagnosis = '';
  if (firstError !== null) diagnosis = reasons[firstError];
  else if (!afterAnswer) {
    // Every given line is right, so fewer lines than the reference were given.
    const next = exp[Math.min(steps.length, exp.length - 1)];
    diagnosis = `step ${steps.length + 1}: missing, should be ${next.text}`;
  }
  return { labels, firstError, finalCorrect: lastAnswer === gold, reasons, diagnosis };
}

export function demoCheckable(p: Pick<Problem, 'meta'>): { canonical: string; image_count?: number | null } | null {
  const c = p.meta.canonical;
  if (typeof c !== 'string') return null;
  const ic = p.meta.image_count;
  return { canonical: c, image_count: typeof ic === 'number' ? ic : null };
}
