// The ORM's output parser: MathSE's JSON verdict read from a generation, and every way a generation can
// fail to be one recorded as a reason instead of an exception.
import { describe, expect, it } from 'vitest';
import { firstJsonObject, formatOrmTarget, parseOrmOutput } from '../src-main/core/reward/orm';

describe('parseOrmOutput', () => {
  it('reads a WRONG verdict with its step, analysis and suggestion, around other text', () => {
    const out = 'Judgement: {"status":"WRONG","error_step":3,"error_analysis":"step 3: 7 + 4 is 11, not 12","improvement_suggestion":"redo the sum"} done';
    expect(parseOrmOutput(out, 4)).toEqual({ ok: true, verdict: { status: 'WRONG', errorStep: 3, errorAnalysis: 'step 3: 7 + 4 is 11, not 12', improvementSuggestion: 'redo the sum' } });
  });

  it('accepts "step 2" as the step, lower-case status, and a CORRECT verdict with no step', () => {
    expect(parseOrmOutput('{"status":"wrong","error_step":"step 2","error_analysis":"x"}', 3)).toMatchObject({ ok: true, verdict: { status: 'WRONG', errorStep: 2, improvementSuggestion: '' } });
    expect(parseOrmOutput('{"status":"CORRECT","error_step":0,"error_analysis":"","improvement_suggestion":""}', 3)).toEqual({
      ok: true,
      verdict: { status: 'CORRECT', errorStep: null, errorAnalysis: '', improvementSuggestion: '' },
    });
  });

  it('keeps braces inside strings', () => {
    expect(firstJsonObject('a {"x":"}{","y":{"z":1}} b {"no":2}')).toBe('{"x":"}{","y":{"z":1}}');
    expect(parseOrmOutput('{"status":"WRONG","error_step":1,"error_analysis":"use {a} not }"}', 1)).toMatchObject({ ok: true, verdict: { errorAnalysis: 'use {a} not }' } });
  });

  it('records every malformed generation as a failure with its reason', () => {
    const cases: [string, number, string][] = [
      ['the solution looks fine', 3, 'no JSON object in the output'],
      ['{"status":"WRONG","error_step":2', 3, 'the JSON object is not closed'],
      ["{'status':'WRONG'}", 3, 'not valid JSON: '],
      ['{"verdict":"WRONG"}', 3, 'field status: '],
      ['{"status":"MAYBE","error_step":1}', 3, 'status "MAYBE" is neither CORRECT nor WRONG'],
      ['{"status":"WRONG","error_analysis":"x"}', 3, 'status WRONG without an error_step'],
      ['{"status":"WRONG","error_step":5}', 3, "error_step 5 is outside the solution's steps 1..3"],
      ['{"status":"WRONG","error_step":0}', 3, "error_step 0 is outside the solution's steps 1..3"],
      ['{"status":"WRONG","error_step":1.5}', 3, 'error_step 1.5 is not a step number'],
    ];
    for (const [text, steps, reason] of cases) {
      const r = parseOrmOutput(text, steps);
      expect(r.ok, text).toBe(false);
      if (!r.ok) expect(r.reason, text).toContain(reason);
    }
  });

  it('reads back what the training target writes', () => {
    for (const v of [
      { status: 'WRONG' as const, errorStep: 2, errorAnalysis: 'step 2: should add 3, not 4', improvementSuggestion: 'add 3 to 9' },
      { status: 'CORRECT' as const, errorStep: null, errorAnalysis: '', improvementSuggestion: '' },
    ]) {
      expect(parseOrmOutput(formatOrmTarget(v), 4)).toEqual({ ok: true, verdict: v });
    }
  });
});

describe('binary ORM verdicts', () => {
  it('reads a status-only WRONG as a verdict with no step, and writes the status alone as the target', () => {
    expect(parseOrmOutput('{"status":"WRONG"}', 3, { binary: true })).toEqual({ ok: true, verdict: { status: 'WRONG', errorStep: null, errorAnalysis: '', improvementSuggestion: '' } });
    expect(parseOrmOutput('{"status":"WRONG"}', 3).ok).toBe(false);
    expect(formatOrmTarget({ status: 'WRONG', errorStep: 2, errorAnalysis: 'a', improvementSuggestion: 'b' }, { binary: true })).toBe('{"status":"WRONG"}');
  });
});
