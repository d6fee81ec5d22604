// Plain numbers in an answer: thousands separators, units, currency and percent read off, so `$1,200`,
// `50%` and `3 cm` are numbers. Pure string functions; nothing here throws on odd input.
import { normalizeLatex } from './normalize';

export interface ParsedNumber {
  value: number;
  /** Written with `%`; see compare.ts for how percent is matched. */
  percent: boolean;
  kind: 'decimal' | 'fraction';
}

/** Single-letter units are only recognised with a space before them, so `2x` stays an expression. */
const UNITS_WITHOUT_SPACE: ReadonlySet<string> = new Set([
  'cm', 'mm', 'km', 'm', 'kg', 'g', 'mg', 'ml', 'mL', 'l', 'L', 's', 'ms', 'h', 'hr', 'hrs', 'min', 'ft',
  'in', 'yd', 'mi', 'lb', 'lbs', 'oz', 'km/h', 'm/s', 'mph', 'kmh', 'cm^2', 'm^2', 'cm^3', 'm^3', 'km^2',
  'ft^2', 'in^2', 'mm^2',
]);
/** Words that follow a number without being a unit. */
const NOT_UNITS: ReadonlySet<string> = new Set([
  'pi', 'e', 'i', 'sqrt', 'infty', 'inf', 'times', 'cdot', 'div', 'frac', 'or', 'and', 'thousand', 'million',
  'billion', 'trillion', 'hundred', 'dozen', 'log', 'ln', 'sin', 'cos', 'tan', 'exp',
]);

function isUnitSuffix(rest: string, spaced: boolean): boolean {
  const r = rest.replace(/[{}]/g, '').trim();
  if (r === '') return true;
  if (!/^[A-Za-z][A-Za-z ]*(?:\^ ?\d)?(?: ?\/ ?[A-Za-z]+(?:\^ ?\d)?)?$/.test(r)) return false;
  if (UNITS_WITHOUT_SPACE.has(r.replace(/ /g, ''))) return true;
  if (!spaced) return false;
  // a lone letter after a space (`5 x`) is a variable, not a unit
  if (/^[A-Za-z](?![A-Za-z])/.test(r)) return false;
  const first = r.split(/[ ^/]/)[0];
  return !NOT_UNITS.has(first.toLowerCase());
}

const NUM_CORE = String.raw`(?:(?:\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+|\d+)(?:\.\d*)?|\.\d+)`;
const DECIMAL_RE = new RegExp(String.raw`^(${NUM_CORE})(\s*)(.*)$`);
const PLAIN_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

function toNumber(digits: string): number {
  return Number(digits.replace(/[, ]/g, ''));
}

/** Strips `x =`, `= `, currency and percent decorations; returns the core and flags. */
function stripNumberDecorations(input: string): { core: string; sign: number; percent: boolean } {
  let s = input.trim();
  s = s.replace(/^[A-Za-z](?:_\{?[A-Za-z0-9]+\}?)?\s*=\s*/, '').replace(/^=\s*/, '');
  let sign = 1;
  for (let guard = 0; guard < 4; guard++) {
    const before = s;
    if (/^[-+]/.test(s)) {
      if (s[0] === '-') sign = -sign;
      s = s.slice(1).trim();
    }
    s = s.replace(/^(?:\\\$|\$|US\$|USD\s|€|£|¥)\s*/, '');
    if (s === before) break;
  }
  let percent = false;
  const pm = /^(.*?)\s*(?:%|\bpercent|\bper cent)$/i.exec(s);
  if (pm) {
    percent = true;
    s = pm[1];
  }
  return { core: s.trim(), sign, percent };
}

function parseSimpleNumber(s: string): number | null {
  const t = s.trim().replace(/\s+/g, '');
  return PLAIN_RE.test(t) ? Number(t) : null;
}

/**
 * Reads a plain number: integers, decimals (`3.`, `.5`), thousands separators
 * (`1,000`, `1 000`; groups must be exactly 3 digits so `1,2` is not a
 * number), an optional trailing unit (`5 cm`, `12 apples`, `3 m^2`), a
 * currency prefix, a percent sign, a leading `x =`, and numeric fractions
 * (`1/2`, `\frac{1}{2}`). Anything else (symbols, roots, π) returns null.
 */
export function parseNumberLiteral(input: string): ParsedNumber | null {
  const { core, sign, percent } = stripNumberDecorations(normalizeLatex(input));
  if (core === '') return null;

  const frac = /^\\frac\{([^{}]+)\}\{([^{}]+)\}(\s*)(.*)$/.exec(core);
  if (frac) {
    const n = parseSimpleNumber(frac[1]);
    const d = parseSimpleNumber(frac[2]);
    if (n === null || d === null || d === 0 || !isUnitSuffix(frac[4], frac[3] !== '')) return null;
    return { value: (sign * n) / d, percent, kind: 'fraction' };
  }
  const slash = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*\/\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))(\s*)(.*)$/.exec(core);
  if (slash) {
    const n = Number(slash[1]);
    const d = Number(slash[2]);
    if (d === 0 || !isUnitSuffix(slash[4], slash[3] !== '')) return null;
    return { value: (sign * n) / d, percent, kind: 'fraction' };
  }
  const dec = DECIMAL_RE.exec(core);
  if (!dec) return null;
  if (!isUnitSuffix(dec[3], dec[2] !== '')) return null;
  const value = sign * toNumber(dec[1]);
  if (!Number.isFinite(value)) return null;
  // -0 and 0 must compare equal; normalising here keeps callers from seeing -0
  return { value: value === 0 ? 0 : value, percent, kind: 'decimal' };
}
