// An answer read as a list of items (one for a scalar; tuples, intervals, sets, `\pm` roots, equations),
// and whether two such lists are equal, in order or as sets.
import type { MathNode } from 'mathjs';
import { latexToMathjs, normalizeLatex } from './normalize';
import { expressionsEquivalent, MAX_EXPR_CHARS, parse, safeParse } from './mathExpr';

export type Item =
  | { kind: 'expr'; node: MathNode; src: string }
  | { kind: 'eq'; lhs: MathNode; rhs: MathNode; lhsIsName: boolean; lhsSrc: string };

export interface ParsedAnswer {
  /** Opening/closing bracket of a comma list (`(`, `[`, `{`), or '' when unbracketed. */
  open: string;
  close: string;
  items: Item[];
  /** Bracketed `(...)`/`[...]` list: a tuple or an interval, compared in order. */
  ordered: boolean;
  /** Items come from a `\pm` expansion: two roots, whose order means nothing. */
  fromPm: boolean;
}

/** Splits at top-level occurrences of `sep` (outside (), [], {}). */
export function splitTopLevel(s: string, sep: RegExp): string[] {
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
export function parseAnswerItems(input: string): ParsedAnswer | null {
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
export function listsEqual(g: ParsedAnswer, p: ParsedAnswer, ordered?: boolean): boolean {
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
