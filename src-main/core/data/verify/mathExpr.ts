// Expressions as mathjs reads them, restricted to arithmetic on numbers, symbols and whitelisted functions,
// and whether two are equivalent (symbolically, else at fixed sample points). mathjs is loaded on first use.
import { createRequire } from 'node:module';
import type { MathNode } from 'mathjs';
import { MATH_CONSTANTS, MATH_FUNCTIONS } from './normalize';
import { numbersClose } from './numbers';

// mathjs is loaded on the first expression it must read: importing it costs a process about 130 MB,
// which every CLI command and job worker paid whether it verified an answer or not
type MathJs = typeof import('mathjs');
let mathjs: MathJs | null = null;
const math = (): MathJs => (mathjs ??= createRequire(import.meta.url)('mathjs') as MathJs);
export const parse = (expr: string): MathNode => math().parse(expr);
const simplify = (node: MathNode): MathNode => math().simplify(node);

/** Longest converted expression handed to mathjs; longer input is treated as unparseable. */
export const MAX_EXPR_CHARS = 2000;
/** simplify() is only attempted on trees up to this many nodes (it can be slow). */
const MAX_SIMPLIFY_NODES = 200;
/** Evaluation points for free variables; fixed so verdicts are reproducible. Mostly positive to stay inside log/sqrt domains. */
const SAMPLE_VALUES: readonly number[] = [0.5377, 1.8339, 2.2588, 0.8622, 1.3188, -0.3077, 2.7694, -1.3499, 3.0349, 0.7254];
const SAMPLE_TRIALS = 8;
/** Agreeing points needed before numeric evaluation alone declares two expressions equal. */
const MIN_AGREEING_POINTS = 3;

const ALLOWED_OPERATORS: ReadonlySet<string> = new Set(['add', 'subtract', 'multiply', 'divide', 'pow', 'unaryMinus', 'unaryPlus', 'factorial']);

/** Parses with mathjs and rejects anything beyond arithmetic on numbers, symbols and whitelisted functions. */
export function safeParse(expr: string): MathNode | null {
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

export function compileSafe(node: MathNode): ((scope: Record<string, number>) => Complexish | null) {
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

export function freeVariables(node: MathNode, into: Set<string>): void {
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
