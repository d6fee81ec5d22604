/**
 * Normalisation helpers for answer verification: LaTeX/markdown clean-up,
 * a LaTeX-ish → mathjs translation for expressions, choice-letter reading and text folding.
 * Pure string functions; nothing here throws on odd input. Plain numbers
 * (separators, units, currency, percent) are read in numberLiteral.ts.
 */

/** Index of the `}` matching the `{` at `open`, or -1 when unbalanced. */
export function matchBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && (s[i + 1] === '{' || s[i + 1] === '}')) {
      i++; // escaped brace (\{ \}) is content, not grouping
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** True when every `{`/`}` (ignoring `\{ \}`) closes in order. */
export function bracesBalanced(s: string): boolean {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && (s[i + 1] === '{' || s[i + 1] === '}')) {
      i++;
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}' && --depth < 0) return false;
  }
  return depth === 0;
}

interface Arg {
  text: string;
  end: number; // index just past the argument
}

/** Reads one TeX macro argument at `i`: a `{group}`, a `\command` or a single character. */
function readArg(s: string, i: number): Arg | null {
  while (i < s.length && s[i] === ' ') i++;
  if (i >= s.length) return null;
  if (s[i] === '{') {
    const close = matchBrace(s, i);
    if (close < 0) return null;
    return { text: s.slice(i + 1, close), end: close + 1 };
  }
  if (s[i] === '\\') {
    const m = /^\\[A-Za-z]+/.exec(s.slice(i));
    if (m) return { text: m[0], end: i + m[0].length };
    return { text: s.slice(i, i + 2), end: i + 2 };
  }
  if (s[i] === '}') return null;
  return { text: s[i], end: i + 1 };
}

/** Replaces `\name{x}` by `x` for the given macro names (balanced, any nesting). */
export function unwrapCommands(s: string, names: readonly string[]): string {
  const re = new RegExp(`\\\\(?:${names.join('|')})(?![A-Za-z])\\s*\\{`, 'g');
  let out = s;
  for (let guard = 0; guard < 50; guard++) {
    re.lastIndex = 0;
    const m = re.exec(out);
    if (!m) break;
    const open = m.index + m[0].length - 1;
    const close = matchBrace(out, open);
    if (close < 0) {
      out = out.slice(0, m.index) + out.slice(open + 1); // drop the dangling macro head
      continue;
    }
    out = out.slice(0, m.index) + out.slice(open + 1, close) + out.slice(close + 1);
  }
  return out;
}

/** Rewrites `\frac12`, `\frac\pi2`, `\sqrt2` etc. into the braced forms. */
function braceMacroArgs(s: string, name: 'frac' | 'sqrt' | 'binom', nargs: number): string {
  const head = `\\${name}`;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const at = s.indexOf(head, i);
    if (at < 0 || /[A-Za-z]/.test(s[at + head.length] ?? '')) {
      if (at < 0) {
        out += s.slice(i);
        break;
      }
      out += s.slice(i, at + head.length);
      i = at + head.length;
      continue;
    }
    out += s.slice(i, at) + head;
    let j = at + head.length;
    if (name === 'sqrt') {
      // optional index: \sqrt[3]{x}
      const idx = /^\s*\[([^\]]*)\]/.exec(s.slice(j));
      if (idx) {
        out += `[${idx[1]}]`;
        j += idx[0].length;
      }
    }
    let ok = true;
    for (let k = 0; k < nargs; k++) {
      const arg = readArg(s, j);
      if (!arg) {
        ok = false;
        break;
      }
      out += `{${braceMacroArgs(arg.text, name, nargs)}}`;
      j = arg.end;
    }
    if (!ok) {
      out += s.slice(at + head.length);
      break;
    }
    i = j;
  }
  return out;
}

const TEXT_MACROS = [
  'text', 'textbf', 'textit', 'textrm', 'textsf', 'texttt', 'textnormal', 'mathrm', 'mathbf', 'mathit',
  'mathsf', 'mathtt', 'mbox', 'hbox', 'operatorname', 'boldsymbol', 'bm', 'emph', 'textup',
];

/**
 * Cleans presentation noise that never changes the value: math delimiters,
 * `\boxed`, `\text{}`-like wrappers, `\left`/`\right`, spacing macros,
 * degree signs, markdown emphasis, a trailing period, `\dfrac`/`\tfrac`.
 */
export function normalizeLatex(input: string): string {
  let s = input
    .replace(/[\u2212\u2013\u2014]/g, '-')
    .replace(/\u00d7/g, '\\times ')
    .replace(/\u00f7/g, '\\div ')
    .replace(/\u03c0/g, '\\pi ')
    .replace(/\u221a/g, '\\sqrt')
    .replace(/\u221e/g, '\\infty ')
    .replace(/[\u00a0\u2009\u202f\u2007]/g, ' ')
    .replace(/\u00b0/g, '')
    .trim();
  for (let guard = 0; guard < 10; guard++) {
    const before = s;
    s = s.trim();
    s = s.replace(/^(\*\*|__)([\s\S]*)\1$/, '$2').trim();
    s = s.replace(/^`([^`]*)`$/, '$1').trim();
    s = s.replace(/^\$\$([\s\S]*)\$\$$/, '$1').trim();
    // `$...$` but not a lone currency sign (`$5`); `\$` inside is a literal dollar
    if (s.length >= 2 && /^\$(?:[^$\\]|\\[\s\S])*\$$/.test(s)) s = s.slice(1, -1).trim();
    s = s.replace(/^\\\(([\s\S]*)\\\)$/, '$1').replace(/^\\\[([\s\S]*)\\\]$/, '$1').trim();
    const box = /^\\(?:boxed|fbox)\s*\{/.exec(s);
    if (box && matchBrace(s, box[0].length - 1) === s.length - 1) s = s.slice(box[0].length, -1).trim();
    s = s.replace(/\.+$/, '').trim();
    if (s === before) break;
  }
  s = unwrapCommands(s, TEXT_MACROS);
  s = unwrapCommands(s, ['boxed', 'fbox']);
  s = s
    .replace(/\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big|biggl|biggr)(?![A-Za-z])\s*\.?/g, '')
    .replace(/\\displaystyle|\\limits/g, '')
    .replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|\\degree/g, '')
    .replace(/\\!/g, '')
    .replace(/\\[,;: ]|\\quad|\\qquad|~/g, ' ')
    .replace(/\{,\}/g, ',')
    .replace(/\\%/g, '%')
    .replace(/\\[dt]frac(?![A-Za-z])/g, '\\frac')
    .replace(/\\[dt]binom(?![A-Za-z])/g, '\\binom');
  s = braceMacroArgs(s, 'frac', 2);
  s = braceMacroArgs(s, 'sqrt', 1);
  s = s.replace(/\s+/g, ' ').replace(/\.+$/, '').trim();
  return s;
}

// ---------------------------------------------------------------------------
// Expressions

/** Function names kept as calls when translating to mathjs. */
export const MATH_FUNCTIONS: ReadonlySet<string> = new Set([
  'sqrt', 'sin', 'cos', 'tan', 'sec', 'csc', 'cot', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'log',
  'log10', 'log2', 'exp', 'abs', 'floor', 'ceil', 'nthRoot', 'combinations',
]);
/** Symbols mathjs evaluates as constants (everything else is a free variable). */
export const MATH_CONSTANTS: ReadonlySet<string> = new Set(['pi', 'e', 'i', 'Infinity']);
const GREEK: ReadonlySet<string> = new Set([
  'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'varepsilon', 'zeta', 'eta', 'theta', 'vartheta', 'iota',
  'kappa', 'lambda', 'mu', 'nu', 'xi', 'rho', 'sigma', 'tau', 'upsilon', 'phi', 'varphi', 'chi', 'psi',
  'omega', 'Gamma', 'Delta', 'Theta', 'Lambda', 'Xi', 'Pi', 'Sigma', 'Phi', 'Psi', 'Omega',
]);

const LATEX_FUNCTION_MAP: Readonly<Record<string, string>> = {
  sin: 'sin', cos: 'cos', tan: 'tan', sec: 'sec', csc: 'csc', cot: 'cot', arcsin: 'asin', arccos: 'acos',
  arctan: 'atan', sinh: 'sinh', cosh: 'cosh', tanh: 'tanh', ln: 'log', log: 'log', exp: 'exp',
};

/** Rewrites `\frac`, `\sqrt`, `\binom` (already braced by normalizeLatex) into mathjs calls, recursively. */
function rewriteMacros(s: string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const m = /\\(frac|sqrt|binom)(?![A-Za-z])/.exec(s.slice(i));
    if (!m) {
      out += s.slice(i);
      break;
    }
    const at = i + m.index;
    out += s.slice(i, at);
    let j = at + m[0].length;
    if (m[1] === 'sqrt') {
      const idx = /^\s*\[([^\]]*)\]/.exec(s.slice(j));
      if (idx) j += idx[0].length;
      const arg = readArg(s, j);
      if (!arg) return out + s.slice(at); // leave it; the parser will reject
      const body = rewriteMacros(arg.text);
      if (!idx) out += `sqrt(${body})`;
      // nthRoot gives the real root of a negative radicand for an integer index (cube root of -8 is -2)
      else if (/^\s*\d+\s*$/.test(idx[1])) out += `nthRoot(${body},${idx[1].trim()})`;
      else out += `((${body})^(1/(${rewriteMacros(idx[1])})))`;
      i = arg.end;
    } else {
      const a = readArg(s, j);
      const b = a ? readArg(s, a.end) : null;
      if (!a || !b) return out + s.slice(at);
      const x = rewriteMacros(a.text);
      const y = rewriteMacros(b.text);
      out += m[1] === 'frac' ? `((${x})/(${y}))` : `combinations(${x},${y})`;
      i = b.end;
    }
  }
  return out;
}

/**
 * Translates LaTeX-ish math into a string mathjs can parse: `\frac{a}{b}` →
 * `((a)/(b))`, `\sqrt{x}` → `sqrt(x)`, `\cdot`/`\times` → `*`, braces →
 * parentheses, `\pi` → `pi`, `|x|` → `abs(x)`, and multi-letter runs that are
 * not known function/constant/Greek names are split into single-letter
 * variables (`xy` → `(x*y)`), with `*` inserted before `(` after a variable
 * (mathjs would otherwise read `x(x+1)` as a call). Expects one item (no
 * top-level commas or `=`). The result may still fail to parse.
 */
export function latexToMathjs(input: string): string {
  let s = normalizeLatex(input);
  // `\sin^2(x)` / `\sin^{2} x` means (sin x)^2, not sin^2 applied to x
  s = s.replace(
    /(\\?(?:sin|cos|tan|sec|csc|cot|sinh|cosh|tanh))\s*\^\s*(\{[^{}]*\}|\d)\s*(\([^()]*\)|\{[^{}]*\}|[A-Za-z0-9]|\\[A-Za-z]+)/g,
    (_m, fn: string, power: string, arg: string) => {
      const inner = /^[({]/.test(arg) ? arg.slice(1, -1) : arg;
      return `(${fn}(${inner}))^{${power.replace(/^\{|\}$/g, '')}}`;
    },
  );
  s = rewriteMacros(s);
  // `\log_2 8`, `\log_{b}(x)` → log(x, base)
  s = s.replace(
    /\\log\s*_\s*(\{[^{}]*\}|[A-Za-z0-9])\s*(\([^()]*\)|\{[^{}]*\}|\d+(?:\.\d+)?|[A-Za-z])/g,
    (_m, base: string, arg: string) => {
      const unwrap = (x: string) => (/^[({]/.test(x) ? x.slice(1, -1) : x);
      return `log((${unwrap(arg)}),(${unwrap(base)}))`;
    },
  );
  s = s
    .replace(/\\(?:cdot|times|ast)(?![A-Za-z])/g, '*')
    .replace(/\\div(?![A-Za-z])/g, '/')
    .replace(/\\infty(?![A-Za-z])/g, ' Infinity ')
    .replace(/\\(?:lvert|rvert|vert|mid)(?![A-Za-z])/g, '|')
    .replace(/%/g, '/100')
    .replace(/_\{\s*([A-Za-z0-9]+)\s*\}/g, '_$1')
    .replace(/\\([A-Za-z]+)/g, (_m, name: string) => {
      if (LATEX_FUNCTION_MAP[name]) return ` ${LATEX_FUNCTION_MAP[name]} `;
      return ` ${name} `; // \pi, \alpha, unknown macros: become identifiers
    })
    .replace(/\{/g, '(')
    .replace(/\}/g, ')')
    .replace(/\[/g, '(')
    .replace(/\]/g, ')');
  // |x| → abs(x), innermost first
  for (let guard = 0; guard < 10 && /\|[^|]+\|/.test(s); guard++) s = s.replace(/\|([^|]+)\|/, 'abs($1)');
  // `sin x` / `log 2` → `sin(x)`; mathjs would treat `sin x` as a product
  s = s.replace(
    /\b(sin|cos|tan|sec|csc|cot|asin|acos|atan|sinh|cosh|tanh|log|exp)\s+([A-Za-z]|\d+(?:\.\d+)?)(?![A-Za-z0-9(])/g,
    '$1($2)',
  );
  s = s.replace(/([A-Za-z]+(?:_[A-Za-z0-9]+)?)(\s*)(?=(\()?)/g, (whole, word: string, space: string, paren?: string) => {
    const isCallable = MATH_FUNCTIONS.has(word);
    if (isCallable && paren) return word;
    if (isCallable || MATH_CONSTANTS.has(word) || GREEK.has(word) || word.includes('_') || word.length === 1) {
      return paren ? `${word}*` : word + space;
    }
    const split = `(${word.split('').join('*')})`;
    return paren ? `${split}*` : split + space;
  });
  return s.replace(/\s+/g, ' ').trim();
}

// ---------------------------------------------------------------------------
// Choices and text

/**
 * Reads a multiple-choice letter: `B`, `(B)`, `B)`, `B.`, `B:`, `B: text`,
 * `(B) text`, `B 42` (letter then non-letter text), `option B`, `[B]`.
 * Case-insensitive; returns the upper-case letter or null.
 */
export function parseChoiceLetter(input: string): string | null {
  const s = normalizeLatex(input).replace(/^\*\*|\*\*$/g, '').trim();
  const patterns = [
    /^\(\s*([A-Za-z])\s*\)(?![A-Za-z])/,
    /^\[\s*([A-Za-z])\s*\](?![A-Za-z])/,
    /^(?:the\s+)?(?:option|choice|answer)\s*[:\-]?\s*\(?\s*([A-Za-z])\s*\)?(?![A-Za-z])/i,
    /^([A-Za-z])\s*(?:[.):]|$)/,
    /^([A-Z])\s+(?=[^A-Za-z\s])/,
  ];
  for (const re of patterns) {
    const m = re.exec(s);
    if (m) return m[1].toUpperCase();
  }
  return null;
}

/**
 * Folds free text for comparison: LaTeX wrappers removed, lower-cased,
 * punctuation dropped, whitespace collapsed, a leading article removed.
 */
export function normalizeText(input: string): string {
  return normalizeLatex(input)
    .replace(/\\([A-Za-z]+)/g, ' $1 ')
    .toLowerCase()
    .replace(/[.,;:!?'"`()[\]{}*_$\\]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^(?:the|a|an) /, '');
}
