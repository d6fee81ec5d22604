// The PRM's input layout (MM-PRM's): `{image}Question: {q}\nProcess: {step1}<prm>\n\n{step2}<prm>...`.
// One score per tag: softmax over the Yes/No logits at the tag's position.
import { MMPRM_TEMPLATE, type Manifest, type PrmTemplate } from '../../../src-shared/manifest';
import { UserError } from '../errors';

export interface PrmSpec {
  template: PrmTemplate;
  tag: string;
  yes: string;
  no: string;
}

/** What a model needs to score steps; a clear error for a model that cannot. */
export function prmSpec(manifest: Manifest): PrmSpec {
  if (manifest.role !== 'prm') throw new UserError(`model "${manifest.name}" is a ${manifest.role} model, not a PRM (manifest role "prm")`);
  const st = manifest.specialTokens;
  const missing = (['prm', 'yes', 'no'] as const).filter((k) => !st[k]);
  if (missing.length) {
    throw new UserError(
      `model "${manifest.name}" cannot score steps: its manifest has no ${missing.map((k) => `specialTokens.${k}`).join(', ')} (a PRM needs the step tag and the Yes/No tokens)`,
    );
  }
  return { template: manifest.prmTemplate ?? MMPRM_TEMPLATE, tag: st.prm!, yes: st.yes!, no: st.no! };
}

/** The text a PRM reads for a question and its steps (steps trimmed; tag strings inside a step removed). */
export function renderPrmInput(spec: PrmSpec, question: string, steps: readonly string[], hasImage: boolean): string {
  const t = spec.template;
  let out = hasImage && t.image ? t.image : '';
  out += t.question.replace('{question}', () => question);
  out += t.process;
  const note = t.calculator;
  out += steps
    .map((s) => {
      const step = s.split(spec.tag).join('').trim();
      return step + (note ? calculatorNotes(step, note, t.calculatorMismatch) : '') + spec.tag;
    })
    .join(t.stepSeparator);
  return out;
}

/** P(good) from the Yes and No logits: softmax([yes, no])[0], computed stably. */
export function stepScore(yesLogit: number, noLogit: number): number {
  const d = noLogit - yesLogit;
  return d > 0 ? Math.exp(-d) / (1 + Math.exp(-d)) : 1 / (1 + Math.exp(d));
}

// A calculator's check in the PRM's input, after GenPRM's code-execution feedback: a prmTemplate's optional
// "calculator" and "calculatorMismatch" notes (e.g. " (={value})" and " (!={value})"). After a step's text and
// before its tag comes one note per `a op b = c` in the step (a and b whole numbers of at most 9 digits; + - * /):
// "calculatorMismatch" when the written c is not the result of `a op b` (compared as numbers), else "calculator";
// {value} is that result: a whole number, or for a division that does not come out even the quotient rounded half
// up to 4 decimals with trailing zeros dropped. A division by 0 gets no note; without "calculatorMismatch" every
// note is "calculator" (the value alone). models/recipes/steplab_formats.py (calculator_notes) writes the same
// string for training and prm_score.py.
const CALC_EXPR = /(?<![\d.])(\d{1,9})\s*([-+*/])\s*(\d{1,9})\s*=\s*(-?\d{1,18}(?:\.\d{1,9})?)(?!\d)/g;

/** The calculator's result of `a op b` as a note writes it; null for a division by 0. */
export function calculatorValue(a: number, op: string, b: number): string | null {
  if (op === '+') return String(a + b);
  if (op === '-') return String(a - b);
  if (op === '*') return String(BigInt(a) * BigInt(b)); // up to 18 digits: exact, as Python's int
  if (b === 0) return null;
  if (a % b === 0) return String(a / b);
  // a / b x 10^4 rounded half up, in exact integers (a < 10^9, so 2 * a * 10^4 < 2^53)
  const q = Math.floor((2 * a * 10000 + b) / (2 * b));
  const frac = String(q % 10000).padStart(4, '0');
  return `${Math.floor(q / 10000)}.${frac}`.replace(/0+$/, '').replace(/\.$/, '');
}

/** Written and computed results as numbers: whole numbers exactly, others as doubles (as the Python side). */
function sameNumber(written: string, value: string): boolean {
  if (!written.includes('.') && !value.includes('.')) return BigInt(written) === BigInt(value);
  return Number(written) === Number(value);
}

/** The calculator notes of one step (empty when it has no `a op b = c`). */
export function calculatorNotes(step: string, note: string, mismatch?: string): string {
  let out = '';
  for (const m of step.matchAll(CALC_EXPR)) {
    const v = calculatorValue(Number(m[1]), m[2]!, Number(m[3]));
    if (v !== null) out += (mismatch === undefined || sameNumber(m[4]!, v) ? note : mismatch).split('{value}').join(v);
  }
  return out;
}
