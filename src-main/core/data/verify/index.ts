/**
 * Answer verification: extract the final answer from a prediction and
 * compare it with the gold answer by type. Pure and I/O-free.
 *
 * Verdicts:
 *   - `unparseable`: no answer could be extracted from the prediction, or the
 *     extracted answer cannot be read as the gold's type at all: mathjs
 *     cannot parse it for a number/fraction/expression gold (e.g. `}{`), or
 *     it carries no option letter for a choice gold.
 *   - `incorrect`: a readable answer that does not match (`banana` for a
 *     numeric gold parses as a symbol, so it is incorrect, not unparseable).
 *   - `correct`: a match under the rules in compare.ts.
 */
import { answersMatch, inferAnswerType } from './compare';
import type { AnswerType, MatchOptions } from './compare';
import { extractAnswer } from './extract';

import type { Verdict } from '../../../../src-shared/domain';

export type { Verdict };

export interface VerifyResult {
  verdict: Verdict;
  extracted: string | null;
  answerType: AnswerType;
}

export interface VerifyInput extends MatchOptions {
  answer: string;
  prediction: string;
  answerType?: AnswerType;
}

/**
 * Grades one prediction. The optional inputs come from the problem, not the
 * answer: `choices` (its listed options, A first), `precision` (decimal
 * places, MathVista), `ordered` (false when an unbracketed gold list is a
 * set); see MatchOptions in compare.ts.
 */
export function verify(input: VerifyInput): VerifyResult {
  const answerType = input.answerType ?? inferAnswerType(input.answer);
  const extracted = extractAnswer(input.prediction);
  if (extracted === null) return { verdict: 'unparseable', extracted, answerType };
  const { choices, precision, ordered } = input;
  const match = answersMatch(input.answer, extracted, answerType, { choices, precision, ordered });
  const verdict: Verdict = match === null ? 'unparseable' : match ? 'correct' : 'incorrect';
  return { verdict, extracted, answerType };
}

/** What a problem's row says about how to read its answer: the choices it lists, MathVista's `precision`. */
export function problemVerifyOptions(p: { meta?: Record<string, unknown> }): Pick<VerifyInput, 'choices' | 'precision'> {
  const meta = p.meta ?? {};
  const choices = Array.isArray(meta.choices) && meta.choices.length > 0 && meta.choices.every((c) => typeof c === 'string') ? (meta.choices as string[]) : undefined;
  const raw = typeof meta.precision === 'string' ? Number(meta.precision) : meta.precision;
  const precision = typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 && raw <= 12 ? raw : undefined;
  return { ...(choices ? { choices } : {}), ...(precision !== undefined ? { precision } : {}) };
}

/** Verifies a prediction against a problem's gold answer, with what its row says about reading it. */
export function verifyProblem(p: { answer: string; answerType: VerifyInput['answerType']; meta?: Record<string, unknown> }, prediction: string): VerifyResult {
  return verify({ answer: p.answer, prediction, answerType: p.answerType, ...problemVerifyOptions(p) });
}

export { extractAnswer } from './extract';
export { answersMatch, inferAnswerType, numbersClose, expressionsEquivalent, ABS_TOLERANCE, REL_TOLERANCE } from './compare';
export type { AnswerType, MatchOptions } from './compare';
export {
  normalizeLatex,
  normalizeText,
  parseChoiceLetter,
  latexToMathjs,
} from './normalize';
export { parseNumberLiteral } from './numberLiteral';
export type { ParsedNumber } from './numberLiteral';
