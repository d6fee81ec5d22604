// A real model's free-form answers, graded by the rule verifier.
//
// Fixture: test/fixtures/mathvista-bard.jsonl, made from lupantech/MathVista
// results/bard/output_bard.json at commit 53d525874bdde205128e6b160b7357a88277d479 (Bard's responses on
// MathVista testmini): all 460 free-form rows and every 5th multi-choice row (108). Each row keeps
// MathVista's gold `answer`, the untouched `response` as `prediction`, the problem's `precision` and
// `choices`, `answer_type` mapped to ours (integer/float → number, list → expression), and
// `mathvista_correct`: MathVista's own grade (GPT-4 extraction, then its exact match) as a reference.
//
// Before this work (verify without choices/precision, prose not read): free-form 23 correct,
// 84 incorrect, 353 unparseable; 62 of the 85 answers MathVista grades correct were unparseable.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verify, type AnswerType } from '../src-main/core/data/verify';

interface Row {
  pid: string;
  answer: string;
  prediction: string;
  answer_type?: AnswerType;
  precision?: number;
  choices?: string[];
  question_type: 'free_form' | 'multi_choice';
  mathvista_correct: boolean;
}

const rows: Row[] = readFileSync(join(__dirname, 'fixtures', 'mathvista-bard.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Row);

function tally(kind: Row['question_type'], ref: boolean) {
  const out = { correct: 0, incorrect: 0, unparseable: 0 };
  for (const r of rows.filter((x) => x.question_type === kind && x.mathvista_correct === ref)) {
    const v = verify({ answer: String(r.answer), prediction: r.prediction, answerType: r.answer_type, precision: r.precision, choices: r.choices });
    out[v.verdict]++;
  }
  return out;
}

describe('verify on Bard\'s MathVista answers', () => {
  it('has the rows it was made from', () => {
    expect(rows.filter((r) => r.question_type === 'free_form')).toHaveLength(460);
    expect(rows.filter((r) => r.question_type === 'multi_choice')).toHaveLength(108);
  });

  it('free-form: reads most answers MathVista grades correct, and calls none of its incorrect ones correct', () => {
    const right = tally('free_form', true); // 85 rows
    const wrong = tally('free_form', false); // 375 rows
    expect(right).toEqual({ correct: 57, incorrect: 0, unparseable: 28 });
    expect(wrong.correct).toBe(0);
    expect(wrong).toEqual({ correct: 0, incorrect: 170, unparseable: 205 });
  });

  it('multi-choice with the listed choices: letters and values both read', () => {
    const right = tally('multi_choice', true); // 57 rows
    const wrong = tally('multi_choice', false); // 51 rows
    expect(right.correct).toBeGreaterThanOrEqual(50);
    expect(wrong.correct).toBe(0);
  });
});
