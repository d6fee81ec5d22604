// The outcome reward model's answer, as in MathSE: a JSON object
// {"status":"CORRECT"|"WRONG","error_step":k,"error_analysis":"...","improvement_suggestion":"..."}
// somewhere in its generation. Parsing never throws: an output that is not such an object is a recorded
// failure with the reason, so one bad generation does not stop a cycle.
import { z } from 'zod';
import { formatZodIssue } from '../../../src-shared/zodMessage';

export const OrmStatus = z.enum(['CORRECT', 'WRONG']);

/** The ORM's judgement of one solution; errorStep is 1-based (MathSE's numbering), null for CORRECT (and for a binary ORM's WRONG). */
export interface OrmVerdict {
  status: z.infer<typeof OrmStatus>;
  errorStep: number | null;
  errorAnalysis: string;
  improvementSuggestion: string;
}

export type OrmParse = { ok: true; verdict: OrmVerdict } | { ok: false; reason: string };

const Raw = z.object({
  status: z.string(),
  error_step: z.union([z.number(), z.string(), z.null()]).optional(),
  error_analysis: z.string().optional(),
  improvement_suggestion: z.string().optional(),
});

/** The first balanced {...} in text (strings and escapes respected), or null. */
export function firstJsonObject(text: string): string | null {
  const start = text.indexOf('{');
  if (start < 0) return null;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return text.slice(start, i + 1);
  }
  return null;
}

/**
 * Parses an ORM generation for a solution of `steps` steps. WRONG needs an error step in 1..steps
 * ("step 3" and "3" both read as 3); CORRECT ignores one. Status is case-insensitive.
 */
export function parseOrmOutput(text: string, steps: number, opts: { binary?: boolean } = {}): OrmParse {
  const json = firstJsonObject(text);
  if (json === null) return { ok: false, reason: text.includes('{') ? 'the JSON object is not closed' : 'no JSON object in the output' };
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    return { ok: false, reason: `not valid JSON: ${(e as Error).message}` };
  }
  const raw = Raw.safeParse(value);
  if (!raw.success) return { ok: false, reason: `field ${formatZodIssue(raw.error.issues[0], { empty: '(object)' })}` };
  const status = OrmStatus.safeParse(raw.data.status.trim().toUpperCase());
  if (!status.success) return { ok: false, reason: `status "${raw.data.status}" is neither CORRECT nor WRONG` };
  const analysis = raw.data.error_analysis?.trim() ?? '';
  const suggestion = raw.data.improvement_suggestion?.trim() ?? '';
  if (status.data === 'CORRECT') return { ok: true, verdict: { status: 'CORRECT', errorStep: null, errorAnalysis: analysis, improvementSuggestion: suggestion } };
  if (opts.binary && (raw.data.error_step === undefined || raw.data.error_step === null)) {
    return { ok: true, verdict: { status: 'WRONG', errorStep: null, errorAnalysis: analysis, improvementSuggestion: suggestion } };
  }
  const step = typeof raw.data.error_step === 'number' ? raw.data.error_step : Number(/\d+/.exec(String(raw.data.error_step ?? ''))?.[0] ?? NaN);
  if (Number.isNaN(step)) return { ok: false, reason: 'status WRONG without an error_step' };
  if (!Number.isInteger(step)) return { ok: false, reason: `error_step ${step} is not a step number` };
  if (step < 1 || step > steps) return { ok: false, reason: `error_step ${step} is outside the solution's steps 1..${steps}` };
  return { ok: true, verdict: { status: 'WRONG', errorStep: step, errorAnalysis: analysis, improvementSuggestion: suggestion } };
}

/** The ORM's training target for a solution (what parseOrmOutput reads back); binary: the status alone. */
export function formatOrmTarget(v: OrmVerdict, opts: { binary?: boolean } = {}): string {
  if (opts.binary) return JSON.stringify({ status: v.status });
  return JSON.stringify({ status: v.status, error_step: v.errorStep ?? 0, error_analysis: v.errorAnalysis, improvement_suggestion: v.improvementSuggestion });
}
