/**
 * Typed answer comparison.
 *
 * Tolerance: two numbers match when |a - b| <= 1e-9 (absolute) or the
 * relative error |a - b| / max(|a|, |b|) is strictly below 1e-6. An error of
 * exactly one part per million, such as 1/3 vs 0.333333, is therefore a
 * mismatch while 0.3333333 and 0.3333333333 match; a 1e-8 fraction of the
 * tolerance is shaved off so that floating-point noise cannot decide that
 * boundary.
 *
 * Percent: `%` is first read as a unit and dropped (`50%` == `50`); when
 * exactly one side carries `%`, that side divided by 100 is also tried
 * (`50%` == `0.5` whichever side is the gold). Consequently `0.5%` also
 * matches a gold of `0.5` (the unit reading).
 */
import { MATH_CONSTANTS, MATH_FUNCTIONS, normalizeLatex, normalizeText, parseChoiceLetter } from './normalize';
import { parseNumberLiteral } from './numberLiteral';
import type { ParsedNumber } from './numberLiteral';
import { listsEqual, parseAnswerItems, splitTopLevel } from './answerItems';
import { compileSafe, freeVariables } from './mathExpr';
import { numbersClose } from './numbers';

export { expressionsEquivalent } from './mathExpr';
export { ABS_TOLERANCE, REL_TOLERANCE, numbersClose } from './numbers';

import type { AnswerType } from '../../../../src-shared/domain';

export type { AnswerType };

function numbersMatch(gold: ParsedNumber, pred: ParsedNumber): boolean {
  if (numbersClose(gold.value, pred.value)) return true;
  if (gold.percent && !pred.percent) return numbersClose(gold.value / 100, pred.value);
  if (pred.percent && !gold.percent) return numbersClose(gold.value, pred.value / 100);
  return false;
}

// ---------------------------------------------------------------------------
// Type inference

const CHOICE_GOLD_RE =
  /^(?:\(\s*[A-J]\s*\)|\(\s*[a-j]\s*\)|[A-J][.:)]?|(?:option|choice)\s+\(?[A-Ja-j]\)?|\(\s*[A-J]\s*\)\s+\S.*|[A-J][.)]\s+\S.*)$/i;
const FUNCTION_WORDS: ReadonlySet<string> = new Set([
  ...MATH_FUNCTIONS, ...MATH_CONSTANTS, 'ln', 'infty', 'inf', 'arcsin', 'arccos', 'arctan', 'pm', 'mp', 'frac',
  'dfrac', 'tfrac', 'sqrt', 'cdot', 'times', 'div', 'le', 'leq', 'ge', 'geq', 'neq', 'alpha', 'beta', 'gamma',
  'delta', 'theta', 'lambda', 'sigma', 'omega', 'phi', 'binom', 'cup', 'cap', 'emptyset', 'varnothing',
]);

function isChoiceGold(s: string): boolean {
  if (/^[a-j][.:)]?$/.test(s)) return false; // a bare lower-case letter is a variable
  return CHOICE_GOLD_RE.test(s) && /^\(?\s*[A-J]|^(?:option|choice)/i.test(s);
}

/** Prose-like: only letters/spaces with 2+ letters (`yes`, `Triangle`), or a non-math word of 3+ letters. */
function looksLikeText(s: string): boolean {
  if (FUNCTION_WORDS.has(s)) return false;
  if (/^[A-Za-z][A-Za-z ]*[A-Za-z]$/.test(s)) return true;
  const words = s.match(/(?<![\\A-Za-z])[A-Za-z]{3,}/g) ?? [];
  return words.some((w) => !FUNCTION_WORDS.has(w) && !FUNCTION_WORDS.has(w.toLowerCase()));
}

/**
 * Infers how a gold answer should be compared: `choice` for a single option
 * letter (A–J, or a parenthesised lower-case letter), `number` for a plain
 * number (units, currency, percent, separators allowed), `fraction` for a
 * numeric fraction, `text` for words, `expression` for anything mathjs can
 * parse, `text` otherwise.
 */
export function inferAnswerType(gold: string): AnswerType {
  const s = normalizeLatex(String(gold ?? ''));
  if (s === '') return 'text';
  if (isChoiceGold(s)) return 'choice';
  const num = parseNumberLiteral(s);
  if (num) return num.kind === 'fraction' ? 'fraction' : 'number';
  if (looksLikeText(s)) return 'text';
  return parseAnswerItems(s) ? 'expression' : 'text';
}

// ---------------------------------------------------------------------------
// Expressions

function compactText(s: string): string {
  return normalizeLatex(s).replace(/\s+/g, '').replace(/\\\{/g, '{').replace(/\\\}/g, '}');
}

/** Optional facts about the problem that change how its answer is compared. */
export interface MatchOptions {
  /**
   * The problem's listed choices, in order (choice A first). With them a
   * choice's value is accepted for its letter and a letter for its value.
   */
  choices?: readonly string[];
  /**
   * Decimal places (MathVista's `precision`): numbers are compared after
   * rounding both to this many places, instead of with the 1e-6 tolerance.
   */
  precision?: number;
  /** How to compare a gold list written without brackets: in order (default) or, when false, as a set. */
  ordered?: boolean;
}

function compareExpressions(gold: string, pred: string, opts: MatchOptions = {}): boolean | null {
  const p = parseAnswerItems(pred);
  const g = parseAnswerItems(gold);
  if (!g) {
    // gold outside what mathjs reads (intervals with odd syntax, sets of words): exact text after clean-up
    return compactText(gold) === compactText(pred) || normalizeText(gold) === normalizeText(pred);
  }
  if (!p) return compactText(gold) === compactText(pred) ? true : null;
  return listsEqual(g, p, opts.ordered);
}

/** Rounds half away from zero to `places` decimals; the tiny nudge keeps 2.675 (stored as 2.67499...) rounding up as written. */
function roundTo(x: number, places: number): number {
  const f = 10 ** places;
  return (Math.sign(x) * Math.round(Math.abs(x) * f * (1 + 1e-12))) / f;
}

function validPrecision(p: number | undefined): p is number {
  return typeof p === 'number' && Number.isInteger(p) && p >= 0 && p <= 15;
}

/** Value of a constant expression (`2\sqrt{15}`, `\pi/2`), or null when it has variables or is not real. */
function constantValue(s: string): number | null {
  const a = parseAnswerItems(s);
  if (!a || a.items.length !== 1 || a.items[0].kind !== 'expr') return null;
  const vars = new Set<string>();
  freeVariables(a.items[0].node, vars);
  if (vars.size > 0) return null;
  const v = compileSafe(a.items[0].node)({});
  return v && v.im === 0 && Number.isFinite(v.re) ? v.re : null;
}

function compareNumbers(gold: string, rawPred: string, opts: MatchOptions = {}): boolean | null {
  const g = parseNumberLiteral(gold);
  if (!g) return compareExpressions(gold, rawPred, opts);
  // `2 + 2 = 4`, `\pi \approx 3.14`: for a numeric gold the value is the last side of the chain
  const sides = splitTopLevel(normalizeLatex(rawPred), /=|\\approx(?![A-Za-z])/);
  const pred = sides.length > 1 && sides[sides.length - 1] !== '' ? sides[sides.length - 1] : rawPred;
  const p = parseNumberLiteral(pred);
  if (validPrecision(opts.precision)) {
    const places = opts.precision;
    const same = (a: number, b: number) => roundTo(a, places) === roundTo(b, places);
    const value = p ? p.value : constantValue(pred);
    if (value === null) return compareExpressions(String(g.value), pred, opts);
    if (same(g.value, value)) return true;
    if (p && g.percent && !p.percent) return same(g.value / 100, value);
    if (p && p.percent && !g.percent) return same(g.value, value / 100);
    return false;
  }
  if (p) return numbersMatch(g, p);
  // prediction is not a plain number (`\sqrt{4}`, `2\pi`, `x`, `1, 2`): compare against the gold's value
  const asExpression = compareExpressions(String(g.value), pred, opts);
  if (asExpression === true || !g.percent) return asExpression;
  return compareExpressions(String(g.value / 100), pred, opts);
}

/** `(B) 42` / `B. 42` → `42`, so a labelled option can still be graded against a non-letter gold. */
function stripChoiceLabel(pred: string): string | null {
  const m = /^\s*(?:\(\s*[A-Za-z]\s*\)|[A-Z][.):])\s*,?\s+(\S[\s\S]*)$/.exec(normalizeLatex(pred));
  return m ? m[1] : null;
}

function compareTyped(gold: string, pred: string, type: AnswerType, opts: MatchOptions = {}): boolean | null {
  switch (type) {
    case 'choice': {
      const g = parseChoiceLetter(gold);
      const p = parseChoiceLetter(pred);
      if (g === null) return normalizeText(gold) === normalizeText(pred);
      return p === null ? null : g === p;
    }
    case 'number':
    case 'fraction':
      return compareNumbers(gold, pred, opts);
    case 'expression':
      return compareExpressions(gold, pred, opts);
    case 'text':
      return normalizeText(gold) === normalizeText(pred) || yesNoLead(gold, pred);
  }
}

/**
 * `no, there are not more buses than bikes` for a yes/no gold: the answer word
 * opens the sentence and is set off by a comma or period; the other word must
 * not occur in the rest (`no, ... yes` reads both ways and is not accepted).
 */
function yesNoLead(gold: string, pred: string): boolean {
  const g = normalizeText(gold);
  if (g !== 'yes' && g !== 'no') return false;
  const m = /^\s*(yes|no)\s*[,.;:]\s*(.*)$/is.exec(normalizeLatex(pred).replace(/\*\*|__/g, ''));
  if (!m || m[1].toLowerCase() !== g) return false;
  const other = g === 'yes' ? /\bno\b/i : /\byes\b/i;
  return !other.test(m[2]);
}

// ---------------------------------------------------------------------------
// Listed choices

const LETTER_ONLY_RE = /^\s*(?:\(\s*[A-Za-z]\s*\)|\[\s*[A-Za-z]\s*\]|(?:the\s+)?(?:option|choice)\s*:?\s*\(?\s*[A-Za-z]\s*\)?|[A-Za-z]\s*[.):]?)\s*[.,]?\s*$/i;

/** Does a prediction (a value, not a letter) equal one choice's text? */
function valueIsChoice(choice: string, pred: string, opts: MatchOptions): boolean {
  if (normalizeText(choice) !== '' && normalizeText(choice) === normalizeText(pred)) return true;
  const t = inferAnswerType(choice);
  if (t === 'choice' || t === 'text') return false;
  return compareTyped(choice, pred, t, { precision: opts.precision }) === true;
}

/**
 * Grades against the listed choices: the gold is a letter within them or one
 * of their texts; the prediction is a letter (`(B)`, `B. text`, `Option B`)
 * or a value. A value counts only when it equals exactly one choice. A letter
 * whose label text names another choice (`(A) No` where A is Yes) is a
 * contradiction and incorrect. Returns undefined when the gold is not among
 * the choices (then the usual comparison applies).
 */
function compareWithChoices(gold: string, pred: string, type: AnswerType, choices: readonly string[], opts: MatchOptions): boolean | null | undefined {
  const letters = choices.map((_, i) => String.fromCharCode(65 + i));
  // the gold's own text among the choices first: MathVista's choices can look like letters (`(b)`)
  let goldIdx = choices.findIndex((c) => c.trim() === gold.trim());
  if (goldIdx < 0 && type === 'choice') {
    const goldLetter = parseChoiceLetter(gold);
    goldIdx = goldLetter !== null ? letters.indexOf(goldLetter) : -1;
  }
  if (goldIdx < 0) goldIdx = choices.findIndex((c) => normalizeText(c) === normalizeText(gold));
  if (goldIdx < 0) return undefined;
  const predLetter = parseChoiceLetter(pred);
  const predIdx = predLetter !== null ? letters.indexOf(predLetter) : -1;
  const label = stripChoiceLabel(pred);
  if (predIdx >= 0 && (label !== null || LETTER_ONLY_RE.test(normalizeLatex(pred)))) {
    if (label !== null) {
      const named = choices.map((c) => valueIsChoice(c, label, opts));
      if (named.some(Boolean) && !named[predIdx]) return false;
    }
    return predIdx === goldIdx;
  }
  const hits = choices.map((c) => valueIsChoice(c, pred, opts));
  const count = hits.filter(Boolean).length;
  if (count === 1) return hits[goldIdx];
  if (count > 1) return false; // the value is more than one choice: it does not pick one
  return undefined;
}

/**
 * Compares a gold answer with an already-extracted predicted answer.
 * Returns true/false, or null when the prediction cannot be read as the
 * type at all (no choice letter for a choice gold; not parseable by mathjs
 * for number/fraction/expression golds). Never throws.
 */
export function answersMatch(gold: string, predicted: string, type?: AnswerType, options: MatchOptions = {}): boolean | null {
  try {
    const g = String(gold ?? '');
    const p = String(predicted ?? '');
    if (p.trim() === '') return null;
    const t = type ?? inferAnswerType(g);
    if (options.choices && options.choices.length > 0) {
      // `**(B)**, No`: emphasis around the letter would hide the label
      const viaChoices = compareWithChoices(g, p.replace(/\*\*|__/g, ''), t, options.choices, options);
      if (viaChoices !== undefined) return viaChoices;
      // a choice gold whose prediction is a readable value that is none of the choices
      if (t === 'choice' && parseChoiceLetter(p) === null) return false;
    }
    const result = compareTyped(g, p, t, options);
    if (result === true || t === 'choice') return result;
    const unlabelled = stripChoiceLabel(p);
    if (unlabelled !== null) {
      const retry = compareTyped(g, unlabelled, t, options);
      if (retry !== null) return retry || (result ?? false);
    }
    return result;
  } catch {
    return null;
  }
}
