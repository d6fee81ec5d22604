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
import { createRequire } from 'node:module';
import type { MathNode } from 'mathjs';

// mathjs is loaded on the first expression it must read: importing it costs a process about 130 MB,
// which every CLI command and job worker paid whether it verified an answer or not
type MathJs = typeof import('mathjs');
let mathjs: MathJs | null = null;
const math = (): MathJs => (mathjs ??= createRequire(import.meta.url)('mathjs') as MathJs);
const parse = (expr: string): MathNode => math().parse(expr);
const simplify = (node: MathNode): MathNode => math().simplify(node);
import {
  MATH_CONSTANTS,
  MATH_FUNCTIONS,
  latexToMathjs,
  normalizeLatex,
  normalizeText,
  parseChoiceLetter,
  parseNumberLiteral,
} from './normalize';
import type { ParsedNumber } from './normalize';

import type { AnswerType } from '../../../../src-shared/domain';

export type { AnswerType };

export const ABS_TOLERANCE = 1e-9;
export const REL_TOLERANCE = 1e-6;

/** Longest converted expression handed to mathjs; longer input is treated as unparseable. */
const MAX_EXPR_CHARS = 2000;
/** simplify() is only attempted on trees up to this many nodes (it can be slow). */
const MAX_SIMPLIFY_NODES = 200;
/** Evaluation points for free variables; fixed so verdicts are reproducible. Mostly positive to stay inside log/sqrt domains. */
const SAMPLE_VALUES: readonly number[] = [0.5377, 1.8339, 2.2588, 0.8622, 1.3188, -0.3077, 2.7694, -1.3499, 3.0349, 0.7254];
const SAMPLE_TRIALS = 8;
/** Agreeing points needed before numeric evaluation alone declares two expressions equal. */
const MIN_AGREEING_POINTS = 3;

export function numbersClose(a: number, b: number): boolean {
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  const diff = Math.abs(a - b);
  if (diff <= ABS_TOLERANCE) return true;
  return diff < REL_TOLERANCE * (1 - 1e-8) * Math.max(Math.abs(a), Math.abs(b));
}

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

type Item =
  | { kind: 'expr'; node: MathNode; src: string }
  | { kind: 'eq'; lhs: MathNode; rhs: MathNode; lhsIsName: boolean; lhsSrc: string };

interface ParsedAnswer {
  /** Opening/closing bracket of a comma list (`(`, `[`, `{`), or '' when unbracketed. */
  open: string;
  close: string;
  items: Item[];
  /** Bracketed `(...)`/`[...]` list: a tuple or an interval, compared in order. */
  ordered: boolean;
  /** Items come from a `\pm` expansion: two roots, whose order means nothing. */
  fromPm: boolean;
}

const ALLOWED_OPERATORS: ReadonlySet<string> = new Set(['add', 'subtract', 'multiply', 'divide', 'pow', 'unaryMinus', 'unaryPlus', 'factorial']);

/** Parses with mathjs and rejects anything beyond arithmetic on numbers, symbols and whitelisted functions. */
function safeParse(expr: string): MathNode | null {
  if (expr === '' || expr.length > MAX_EXPR_CHARS) return null;
  // mathjs syntax we never want from an answer: ranges, assignments, strings, transpose, conditionals, matrices
  if (/[:;=<>'"?&@#$\\[\]{}~]/.test(expr)) return null;
  let node: MathNode;
  try {
    node = parse(expr);
  } catch {
    return null;
  }
  let ok = true;
  node.traverse((n: MathNode, path: string, parent: MathNode | null) => {
    if (!ok) return;
    switch (n.type) {
      case 'ConstantNode':
        ok = typeof (n as unknown as { value: unknown }).value === 'number';
        break;
      case 'ParenthesisNode':
        break;
      case 'SymbolNode':
        if (parent?.type === 'FunctionNode' && path === 'fn') ok = MATH_FUNCTIONS.has((n as unknown as { name: string }).name);
        break;
      case 'OperatorNode':
        ok = ALLOWED_OPERATORS.has((n as unknown as { fn: string }).fn);
        break;
      case 'FunctionNode': {
        const fn = (n as unknown as { fn: MathNode }).fn;
        ok = fn.type === 'SymbolNode' && MATH_FUNCTIONS.has((fn as unknown as { name: string }).name);
        break;
      }
      default:
        ok = false;
    }
  });
  return ok ? node : null;
}

/** Splits at top-level occurrences of `sep` (outside (), [], {}). */
function splitTopLevel(s: string, sep: RegExp): string[] {
  const sticky = new RegExp(sep.source, sep.flags.includes('y') ? sep.flags : `${sep.flags}y`);
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (depth === 0) {
      sticky.lastIndex = i;
      const m = sticky.exec(s);
      if (m && m[0].length > 0) {
        parts.push(s.slice(start, i));
        i += m[0].length - 1;
        start = i + 1;
      }
    }
  }
  parts.push(s.slice(start));
  return parts.map((p) => p.trim());
}

/** True when the bracket at 0 closes at the very end, counting all bracket kinds together (so `[0, 1)` works). */
function closesAtEnd(s: string): boolean {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) return i === s.length - 1;
    }
  }
  return false;
}

function parseItem(raw: string): Item | null {
  const sides = splitTopLevel(raw, /=|\\approx(?![A-Za-z])/);
  if (sides.length === 1) {
    const node = safeParse(latexToMathjs(raw));
    return node ? { kind: 'expr', node, src: raw } : null;
  }
  if (sides.length !== 2 || sides[0] === '' || sides[1] === '') return null;
  const lhs = safeParse(latexToMathjs(sides[0]));
  const rhs = safeParse(latexToMathjs(sides[1]));
  if (!lhs || !rhs) return null;
  // `x`, `y_1`, `f(x)`: a name being defined rather than an expression
  const lhsIsName = /^[A-Za-z](?:_\{?[A-Za-z0-9]+\}?)?(?:\s*\([^()]*\))?$/.test(sides[0].trim());
  return { kind: 'eq', lhs, rhs, lhsIsName, lhsSrc: sides[0].replace(/\s+/g, '') };
}

/**
 * Reads an answer as a list of items (one item for a scalar). Top-level
 * commas, ` or `, ` and `, `;` separate items; a list wrapped in `(...)` or
 * `[...]` is ordered (a tuple or interval), a `\{...\}` set is unordered, and
 * an unbracketed one is ordered unless the caller says otherwise (see
 * listsEqual). `a \pm b` expands to the two items `a+b`, `a-b`.
 * Returns null when any item fails to parse.
 */
function parseAnswerItems(input: string): ParsedAnswer | null {
  let s = normalizeLatex(input).replace(/\\\{/g, '{').replace(/\\\}/g, '}');
  if (s === '' || s.length > MAX_EXPR_CHARS) return null;
  let open = '';
  let close = '';
  const separator = /,|;|\s+(?:or|and)\s+/;
  if (/^[([{]/.test(s) && closesAtEnd(s) && splitTopLevel(s.slice(1, -1), separator).length > 1) {
    open = s[0];
    close = s[s.length - 1];
    s = s.slice(1, -1);
  }
  const parts = splitTopLevel(s, separator).filter((p) => p !== '');
  const expanded: string[] = [];
  for (const p of parts) {
    const pm = /\\(pm|mp)(?![A-Za-z])/.exec(p);
    if (pm) {
      const [a, b] = pm[1] === 'pm' ? ['+', '-'] : ['-', '+'];
      expanded.push(p.slice(0, pm.index) + a + p.slice(pm.index + pm[0].length));
      expanded.push(p.slice(0, pm.index) + b + p.slice(pm.index + pm[0].length));
    } else expanded.push(p);
  }
  if (expanded.length === 0) return null;
  const items: Item[] = [];
  for (const p of expanded) {
    const item = parseItem(p);
    if (!item) return null;
    items.push(item);
  }
  const fromPm = expanded.length !== parts.length;
  const ordered = (open === '(' || open === '[') && !fromPm;
  return { open, close, items, ordered, fromPm };
}

interface Complexish {
  re: number;
  im: number;
}

function toComplex(v: unknown): Complexish | null {
  if (typeof v === 'number') return Number.isNaN(v) ? null : { re: v, im: 0 };
  if (v && typeof v === 'object' && 're' in v && 'im' in v) {
    const { re, im } = v as { re: unknown; im: unknown };
    if (typeof re === 'number' && typeof im === 'number' && !Number.isNaN(re) && !Number.isNaN(im)) return { re, im };
  }
  return null;
}

function compileSafe(node: MathNode): ((scope: Record<string, number>) => Complexish | null) {
  try {
    const compiled = node.compile();
    return (scope) => {
      try {
        return toComplex(compiled.evaluate({ ...scope }));
      } catch {
        return null;
      }
    };
  } catch {
    return () => null;
  }
}

function freeVariables(node: MathNode, into: Set<string>): void {
  node.traverse((n: MathNode, path: string, parent: MathNode | null) => {
    if (n.type !== 'SymbolNode') return;
    if (parent?.type === 'FunctionNode' && path === 'fn') return;
    const name = (n as unknown as { name: string }).name;
    if (!MATH_CONSTANTS.has(name)) into.add(name);
  });
}

function isZeroConstant(node: MathNode): boolean {
  return node.type === 'ConstantNode' && (node as unknown as { value: unknown }).value === 0;
}

function nodeCount(node: MathNode): number {
  let n = 0;
  node.traverse(() => {
    n++;
  });
  return n;
}

/**
 * Algebraic equivalence: evaluate both at fixed points of their free
 * variables; if that is conclusive use it, otherwise fall back to
 * `simplify(a - b) == 0`. Points where exactly one side leaves the reals
 * (branch cuts such as log(x^2) vs 2 log(x) at x < 0) are skipped.
 */
export function expressionsEquivalent(a: MathNode, b: MathNode): boolean {
  const vars = new Set<string>();
  freeVariables(a, vars);
  freeVariables(b, vars);
  const names = [...vars].sort();
  const trials = names.length === 0 ? 1 : SAMPLE_TRIALS;
  const evalA = compileSafe(a);
  const evalB = compileSafe(b);
  let agreeing = 0;
  for (let k = 0; k < trials; k++) {
    const scope: Record<string, number> = {};
    names.forEach((name, j) => {
      scope[name] = SAMPLE_VALUES[(k + 3 * j) % SAMPLE_VALUES.length] + 0.01 * j;
    });
    const va = evalA(scope);
    const vb = evalB(scope);
    if (!va || !vb) continue;
    const realA = va.im === 0;
    const realB = vb.im === 0;
    if (realA !== realB) continue;
    // numerically different at a real point: simplify() cannot overturn that
    if (!numbersClose(va.re, vb.re) || !numbersClose(va.im, vb.im)) return false;
    agreeing++;
  }
  if (agreeing >= Math.min(MIN_AGREEING_POINTS, trials)) return true;
  if (nodeCount(a) + nodeCount(b) > MAX_SIMPLIFY_NODES) return false;
  try {
    const diff = parse(`(${a.toString()}) - (${b.toString()})`);
    return isZeroConstant(simplify(diff));
  } catch {
    return false;
  }
}

function itemsEqual(g: Item, p: Item): boolean {
  if (g.kind === 'expr' && p.kind === 'expr') return expressionsEquivalent(g.node, p.node);
  if (g.kind === 'eq' && p.kind === 'eq') {
    if (expressionsEquivalent(g.lhs, p.lhs) && expressionsEquivalent(g.rhs, p.rhs)) return true;
    if (expressionsEquivalent(g.lhs, p.rhs) && expressionsEquivalent(g.rhs, p.lhs)) return true;
    const gd = parse(`(${g.lhs.toString()}) - (${g.rhs.toString()})`);
    const pd = parse(`(${p.lhs.toString()}) - (${p.rhs.toString()})`);
    return expressionsEquivalent(gd, pd) || expressionsEquivalent(gd, parse(`-(${pd.toString()})`));
  }
  // `y = 2x+1` vs `2x+1`: compare the defining side only when the left side is a plain name
  const eq = g.kind === 'eq' ? g : (p as Extract<Item, { kind: 'eq' }>);
  const ex = g.kind === 'expr' ? g : (p as Extract<Item, { kind: 'expr' }>);
  return eq.lhsIsName && expressionsEquivalent(eq.rhs, ex.node);
}

/** `x = 3 or x = 2`: every item gives a value of one and the same name — a set of solutions. */
function isSolutionSet(a: ParsedAnswer): boolean {
  const first = a.items[0];
  if (a.items.length < 2 || first.kind !== 'eq' || !first.lhsIsName) return false;
  return a.items.every((it) => it.kind === 'eq' && it.lhsIsName && it.lhsSrc === first.lhsSrc);
}

/**
 * Compares two lists. Brackets decide when the gold has them: `(...)`/`[...]`
 * in order (tuples, intervals; an unbracketed prediction may match a tuple),
 * `\{...\}` as a set. A gold list without brackets (`10, 4, -2`, MathVista's
 * lists) is compared in order unless `ordered` is false — order is part of
 * such answers, and reading it as a set would call a wrong order correct —
 * except against two `\pm` roots or a prediction that lists the solutions of
 * one unknown (`x = 3 or x = 2`), which are sets by their own writing.
 */
function listsEqual(g: ParsedAnswer, p: ParsedAnswer, ordered?: boolean): boolean {
  if (g.items.length !== p.items.length) return false;
  if (g.items.length > 1 && (g.open !== p.open || g.close !== p.close)) {
    // an unbracketed list may match a bracketed set, nothing else
    const loose = (x: ParsedAnswer) => x.open === '' || x.open === '{';
    const bareTuple = g.open === '(' && g.close === ')' && p.open === '';
    if (!(loose(g) && loose(p)) && !bareTuple) return false;
  }
  const inOrder =
    g.ordered ||
    (g.open === '' && g.items.length > 1 && ordered !== false && !g.fromPm && !p.fromPm && !isSolutionSet(p));
  if (inOrder) return g.items.every((item, i) => itemsEqual(item, p.items[i]));
  const used = new Set<number>();
  return g.items.every((item) => {
    const idx = p.items.findIndex((cand, i) => !used.has(i) && itemsEqual(item, cand));
    if (idx < 0) return false;
    used.add(idx);
    return true;
  });
}

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
