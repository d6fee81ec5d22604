import { describe, expect, it } from 'vitest';
import {
  answersMatch,
  extractAnswer,
  inferAnswerType,
  numbersClose,
  verify,
  type AnswerType,
} from '../src-main/core/data/verify';

interface Case {
  name: string;
  answer: string;
  prediction: string;
  answerType?: AnswerType;
  verdict: 'correct' | 'incorrect' | 'unparseable';
  extracted?: string | null;
}

const SOLUTION = (last: string) =>
  `Let the number of apples be $n$.\nThen $2n + 3 = 17$, so $2n = 14$.\nDividing by 2 we get $n = 7$.\n${last}`;

const cases: Case[] = [
  // integers and signs
  { name: 'integer exact', answer: '42', prediction: '42', verdict: 'correct', extracted: '42' },
  { name: 'integer wrong', answer: '42', prediction: '43', verdict: 'incorrect' },
  { name: 'negative integer', answer: '-7', prediction: '-7', verdict: 'correct' },
  { name: 'negative vs positive', answer: '-7', prediction: '7', verdict: 'incorrect' },
  { name: 'unicode minus', answer: '-7', prediction: '\u22127', verdict: 'correct' },
  { name: '-0 equals 0', answer: '0', prediction: '-0', verdict: 'correct', extracted: '-0' },
  { name: '0 equals -0 (gold negative zero)', answer: '-0', prediction: '0', verdict: 'correct' },
  { name: '3. equals 3', answer: '3', prediction: '3.', verdict: 'correct', extracted: '3' },
  { name: '3.0 equals 3', answer: '3', prediction: '3.0', verdict: 'correct' },
  { name: '3.00 gold equals 3', answer: '3.00', prediction: '3', verdict: 'correct' },
  { name: '.5 equals 0.5', answer: '0.5', prediction: '.5', verdict: 'correct' },
  { name: '+5 equals 5', answer: '5', prediction: '+5', verdict: 'correct' },
  { name: 'x = 5 equals 5', answer: '5', prediction: 'x = 5', verdict: 'correct' },
  { name: 'decimal wrong in 3rd place', answer: '2.345', prediction: '2.346', verdict: 'incorrect' },
  { name: 'scientific notation as expression', answer: '0.001', prediction: '1 \\times 10^{-3}', verdict: 'correct' },

  // thousands separators
  { name: '1,000 vs 1000', answer: '1000', prediction: '1,000', verdict: 'correct' },
  { name: '1000 vs 1,000 (gold separated)', answer: '1,000', prediction: '1000', verdict: 'correct' },
  { name: '1,000,000', answer: '1000000', prediction: '1,000,000', verdict: 'correct' },
  { name: 'thin-space separator 1\\,000', answer: '1000', prediction: '1\\,000', verdict: 'correct' },
  { name: 'space separator 1 000', answer: '1000', prediction: '1 000', verdict: 'correct' },
  { name: 'braced comma 1{,}000', answer: '1000', prediction: '1{,}000', verdict: 'correct' },
  { name: '1,000.5 with decimals', answer: '1000.5', prediction: '1,000.5', verdict: 'correct' },
  { name: '1,2 is a list, not twelve', answer: '12', prediction: '1,2', verdict: 'incorrect' },
  { name: '1,2 is a list, not 1.2', answer: '1.2', prediction: '1,2', verdict: 'incorrect' },
  { name: '1,0000 is not a valid grouping', answer: '10000', prediction: '1,0000', verdict: 'incorrect' },

  // units and currency
  { name: 'unit cm dropped', answer: '5', prediction: '5 cm', verdict: 'correct' },
  { name: 'unit on gold dropped', answer: '5 \\text{ cm}', prediction: '5', verdict: 'correct' },
  { name: 'unit without space (5cm)', answer: '5', prediction: '5cm', verdict: 'correct' },
  { name: 'count noun unit', answer: '12', prediction: '12 apples', verdict: 'correct' },
  { name: 'squared unit', answer: '3', prediction: '3 m^2', verdict: 'correct' },
  { name: 'squared unit in \\text', answer: '3', prediction: '3\\text{ m}^2', verdict: 'correct' },
  { name: 'unit with wrong number', answer: '5', prediction: '6 cm', verdict: 'incorrect' },
  { name: 'dollar currency', answer: '12', prediction: '$12', verdict: 'correct' },
  { name: 'escaped dollar currency', answer: '12', prediction: '\\$12', verdict: 'correct' },
  { name: 'currency inside math', answer: '12.50', prediction: '$\\$12.50$', verdict: 'correct' },
  { name: 'currency with thousands', answer: '1500', prediction: '\\$1,500', verdict: 'correct' },
  { name: 'degrees ^\\circ', answer: '90', prediction: '90^\\circ', verdict: 'correct' },
  { name: 'degrees sign', answer: '90^{\\circ}', prediction: '90\u00b0', verdict: 'correct' },
  { name: '2x is not 2 with a unit', answer: '2', prediction: '2x', verdict: 'incorrect' },

  // percent
  { name: 'percent gold, bare number', answer: '50\\%', prediction: '50', verdict: 'correct' },
  { name: 'percent gold, decimal', answer: '50\\%', prediction: '0.5', verdict: 'correct' },
  { name: 'percent gold, percent prediction', answer: '50%', prediction: '50\\%', verdict: 'correct' },
  { name: 'number gold, percent prediction', answer: '50', prediction: '50%', verdict: 'correct' },
  { name: 'decimal gold, percent prediction', answer: '0.5', prediction: '50%', verdict: 'correct' },
  { name: 'percent gold, wrong', answer: '50\\%', prediction: '5', verdict: 'incorrect' },
  { name: 'number gold, decimal is not percent', answer: '50', prediction: '0.5', verdict: 'incorrect' },
  { name: 'percent gold, fraction', answer: '25\\%', prediction: '\\frac{1}{4}', verdict: 'correct' },

  // fractions and decimals
  { name: '1/2 vs 0.5', answer: '1/2', prediction: '0.5', verdict: 'correct' },
  { name: '0.5 vs 1/2', answer: '0.5', prediction: '1/2', verdict: 'correct' },
  { name: '\\frac{1}{2} vs 0.5', answer: '\\frac{1}{2}', prediction: '0.5', verdict: 'correct' },
  { name: '\\dfrac12 vs 1/2', answer: '1/2', prediction: '\\dfrac12', verdict: 'correct' },
  { name: '\\tfrac{1}{2} vs 0.5', answer: '0.5', prediction: '\\tfrac{1}{2}', verdict: 'correct' },
  { name: '2/4 vs 1/2', answer: '1/2', prediction: '2/4', verdict: 'correct' },
  { name: 'negative fraction', answer: '-\\frac{3}{4}', prediction: '-0.75', verdict: 'correct' },
  { name: 'sign inside numerator', answer: '-\\frac{3}{4}', prediction: '\\frac{-3}{4}', verdict: 'correct' },
  { name: 'fraction wrong', answer: '\\frac{3}{4}', prediction: '\\frac{4}{3}', verdict: 'incorrect' },
  { name: '1/3 vs 0.333333 (exactly 1e-6 off)', answer: '1/3', prediction: '0.333333', verdict: 'incorrect' },
  { name: '1/3 vs 0.3333333', answer: '1/3', prediction: '0.3333333', verdict: 'correct' },
  { name: '1/3 vs 0.3333333333', answer: '1/3', prediction: '0.3333333333', verdict: 'correct' },
  { name: '1/3 vs 0.33', answer: '\\frac{1}{3}', prediction: '0.33', verdict: 'incorrect' },
  { name: '2/3 rounded to 0.666667', answer: '2/3', prediction: '0.666667', verdict: 'correct' },
  { name: 'division by zero is not a number', answer: '1', prediction: '1/0', verdict: 'incorrect' },

  // LaTeX wrappers and boxed
  { name: '$42$', answer: '42', prediction: '$42$', verdict: 'correct', extracted: '42' },
  { name: '\\(42\\)', answer: '42', prediction: '\\(42\\)', verdict: 'correct', extracted: '42' },
  { name: '\\[42\\]', answer: '42', prediction: '\\[42\\]', verdict: 'correct', extracted: '42' },
  { name: '\\boxed{42}', answer: '42', prediction: '\\boxed{42}', verdict: 'correct', extracted: '42' },
  { name: '\\boxed {42} with space', answer: '42', prediction: 'so \\boxed {42}', verdict: 'correct', extracted: '42' },
  { name: '\\fbox{42}', answer: '42', prediction: 'Result: \\fbox{42}', verdict: 'correct', extracted: '42' },
  { name: '\\boxed 42 without braces', answer: '42', prediction: 'Thus $\\boxed 42$.', verdict: 'correct', extracted: '42' },
  { name: '\\text{42 apples}', answer: '42', prediction: '\\text{42 apples}', verdict: 'correct' },
  { name: '\\mathrm wrapper', answer: '42', prediction: '\\mathrm{42}', verdict: 'correct' },
  { name: 'nested boxed fraction', answer: '\\frac{1}{2}', prediction: 'We conclude $\\boxed{\\frac{1}{2}}$.', verdict: 'correct', extracted: '\\frac{1}{2}' },
  { name: 'boxed with nested braces', answer: '\\frac{\\sqrt{3}}{2}', prediction: '\\boxed{\\frac{\\sqrt{3}}{2}}', verdict: 'correct', extracted: '\\frac{\\sqrt{3}}{2}' },
  { name: 'multiple boxed, last wins', answer: '7', prediction: 'First guess \\boxed{3}.\nCorrection: \\boxed{7}', verdict: 'correct', extracted: '7' },
  { name: 'multiple boxed, earlier one right', answer: '3', prediction: 'First guess \\boxed{3}.\nCorrection: \\boxed{7}', verdict: 'incorrect', extracted: '7' },
  { name: 'boxed beats Answer line', answer: '9', prediction: 'We get \\boxed{9}.\nAnswer: 8', verdict: 'correct', extracted: '9' },
  { name: '\\left( \\right) stripped', answer: '(1,2)', prediction: '\\left(1, 2\\right)', verdict: 'correct' },

  // answer markers
  { name: 'Answer: line in a solution', answer: '7', prediction: SOLUTION('Answer: 7'), verdict: 'correct', extracted: '7' },
  { name: 'Final answer: line', answer: '7', prediction: SOLUTION('Final answer: $7$'), verdict: 'correct', extracted: '7' },
  { name: '**Answer:** markdown', answer: '7', prediction: SOLUTION('**Answer:** 7'), verdict: 'correct', extracted: '7' },
  { name: '**Final Answer**: markdown', answer: '7', prediction: SOLUTION('**Final Answer**: 7 apples'), verdict: 'correct', extracted: '7 apples' },
  { name: 'The answer is 12.', answer: '12', prediction: 'We add them.\nThe answer is 12.', verdict: 'correct', extracted: '12' },
  { name: 'the answer is, lower case, mid-line', answer: '12', prediction: 'Adding up,\nso the answer is 12', verdict: 'correct', extracted: '12' },
  { name: 'Minerva format', answer: '5', prediction: 'Final Answer: The final answer is $5$. I hope it is correct.', verdict: 'correct', extracted: '5' },
  { name: 'answer is: with colon', answer: '3', prediction: 'Thinking...\nThe answer is: $3$', verdict: 'correct', extracted: '3' },
  { name: 'heading then answer on next line', answer: '42', prediction: 'Work.\n## Final Answer\n$42$', verdict: 'correct', extracted: '42' },
  { name: 'GSM8K #### marker', answer: '42', prediction: 'She has 40 + 2 = 42.\n#### 42', verdict: 'correct', extracted: '42' },
  { name: 'last marker line wins', answer: '8', prediction: 'Answer: 6\nWait, recheck.\nAnswer: 8', verdict: 'correct', extracted: '8' },
  { name: 'Answer: line with wrong value', answer: '7', prediction: SOLUTION('Answer: 8'), verdict: 'incorrect', extracted: '8' },
  { name: '<answer> tag', answer: 'B', prediction: '<think>compare the areas</think>\n<answer>B</answer>', verdict: 'correct', extracted: 'B' },
  { name: '<answer> tag with number', answer: '15', prediction: 'Reasoning here.\n<answer> 15 </answer>', verdict: 'correct', extracted: '15' },
  { name: '<answer> tag with sentence', answer: 'C', prediction: '<answer>The answer is (C).</answer>', verdict: 'correct', extracted: '(C)' },

  // choices
  { name: 'choice bare letter', answer: 'B', prediction: 'B', verdict: 'correct' },
  { name: 'choice lower case', answer: 'B', prediction: 'b', verdict: 'correct' },
  { name: 'choice (B)', answer: 'B', prediction: '(B)', verdict: 'correct' },
  { name: 'choice B)', answer: 'B', prediction: 'B)', verdict: 'correct' },
  { name: 'choice B.', answer: 'B', prediction: 'B.', verdict: 'correct' },
  { name: 'choice B: text', answer: 'B', prediction: 'B: 42 degrees', verdict: 'correct' },
  { name: 'choice letter then option text', answer: 'B', prediction: 'B 42', verdict: 'correct' },
  { name: 'choice (B) then option text', answer: 'B', prediction: '(B) $\\frac{1}{2}$', verdict: 'correct' },
  { name: 'choice gold in parens', answer: '(C)', prediction: 'C', verdict: 'correct' },
  { name: 'choice gold with option text', answer: 'C. 12 cm', prediction: '(C)', verdict: 'correct' },
  { name: 'choice wrong letter', answer: 'B', prediction: 'C', verdict: 'incorrect' },
  { name: 'choice wrong letter in parens', answer: 'B', prediction: '(D) 17', verdict: 'incorrect' },
  { name: 'choice via "option C"', answer: 'C', prediction: 'Comparing all of them,\nthe answer is option C', verdict: 'correct' },
  { name: 'choice on the last line', answer: 'C', prediction: 'Some reasoning.\nMore reasoning.\n(C)', verdict: 'correct', extracted: 'C' },
  { name: 'choice after marker on previous line', answer: 'B', prediction: 'Hence the correct choice is\n(B)', verdict: 'correct' },
  { name: 'choice in boxed', answer: 'A', prediction: 'so \\boxed{A}', verdict: 'correct' },
  { name: 'choice in boxed \\text', answer: 'A', prediction: '\\boxed{\\text{(A)}}', verdict: 'correct' },
  { name: 'choice with **bold**', answer: 'D', prediction: 'Answer: **D**', verdict: 'correct' },
  { name: 'choice gold, option text only', answer: 'B', prediction: '42 degrees', verdict: 'unparseable' },
  { name: 'number gold, labelled option', answer: '42', prediction: 'Answer: (B) 42', verdict: 'correct' },

  // expressions
  { name: '2x+2 vs 2(x+1)', answer: '2x+2', prediction: '2(x+1)', verdict: 'correct' },
  { name: 'x^2-1 vs (x-1)(x+1)', answer: 'x^2-1', prediction: '(x-1)(x+1)', verdict: 'correct' },
  { name: '\\sqrt{8} vs 2\\sqrt{2}', answer: '\\sqrt{8}', prediction: '2\\sqrt{2}', verdict: 'correct' },
  { name: '\\sqrt{8} vs 3\\sqrt{2}', answer: '\\sqrt{8}', prediction: '3\\sqrt{2}', verdict: 'incorrect' },
  { name: '\\pi/2 vs decimal', answer: '\\pi/2', prediction: '1.5707963', verdict: 'correct' },
  { name: '\\pi/2 vs coarse decimal', answer: '\\frac{\\pi}{2}', prediction: '1.57', verdict: 'incorrect' },
  { name: 'x^2 vs x^3', answer: 'x^2', prediction: 'x^3', verdict: 'incorrect' },
  { name: 'x(x+1) is a product, not a call', answer: 'x(x+1)', prediction: 'x^2+x', verdict: 'correct' },
  { name: '\\frac{x}{2} vs x/2', answer: '\\frac{x}{2}', prediction: 'x/2', verdict: 'correct' },
  { name: '\\cdot and \\times', answer: '6xy', prediction: '2x \\cdot 3 \\times y', verdict: 'correct' },
  { name: 'implicit product of letters', answer: '2ab', prediction: '2ba', verdict: 'correct' },
  { name: 'exponent braces', answer: 'x^{2}+1', prediction: '1+x^2', verdict: 'correct' },
  { name: 'e^x vs \\exp', answer: 'e^{x}', prediction: '\\exp(x)', verdict: 'correct' },
  { name: 'sqrt(x^2) is not x', answer: 'x', prediction: '\\sqrt{x^2}', verdict: 'incorrect' },
  { name: '|x| is not x', answer: 'x', prediction: '|x|', verdict: 'incorrect' },
  { name: 'log(x^2) vs 2 log x', answer: '2\\ln x', prediction: '\\ln(x^2)', verdict: 'correct' },
  { name: 'trig identity', answer: '1', prediction: '\\sin^{2}(x)+\\cos^{2}(x)', answerType: 'expression', verdict: 'correct' },
  { name: 'equation vs its right side', answer: 'y = 2x + 1', prediction: '2x+1', verdict: 'correct' },
  { name: 'equation both sides', answer: 'y = 2x + 1', prediction: 'y=1+2x', verdict: 'correct' },
  { name: 'equation rearranged', answer: 'x + y = 1', prediction: 'y = 1 - x', verdict: 'correct' },
  { name: 'tuple', answer: '(1,2)', prediction: '(1, 2)', verdict: 'correct' },
  { name: 'tuple order matters', answer: '(1,2)', prediction: '(2, 1)', verdict: 'incorrect' },
  { name: 'unordered solutions', answer: '2, 3', prediction: 'x = 3 or x = 2', verdict: 'correct' },
  { name: '\\pm expands to two roots', answer: '1 \\pm \\sqrt{2}', prediction: '1-\\sqrt2, 1+\\sqrt2', verdict: 'correct' },
  { name: 'interval', answer: '(-\\infty, 2]', prediction: '(-\\infty,2]', verdict: 'correct' },
  { name: 'interval bracket mismatch', answer: '(-\\infty, 2]', prediction: '(-\\infty,2)', verdict: 'incorrect' },
  { name: 'real cube root of a negative', answer: '-2', prediction: '\\sqrt[3]{-8}', verdict: 'correct' },
  { name: 'logarithm with a base', answer: '3', prediction: '\\log_{2} 8', verdict: 'correct' },
  { name: 'binomial coefficient', answer: '\\binom{5}{2}', prediction: '10', verdict: 'correct' },
  { name: 'numeric gold, equation chain ends in the value', answer: '4', prediction: 'Answer: 2 + 2 = 4', verdict: 'correct' },
  { name: 'explicit text type skips maths', answer: 'x+1', prediction: '1+x', answerType: 'text', verdict: 'incorrect' },
  { name: 'explicit number type for a root', answer: '1.41421356', prediction: '\\sqrt{2}', answerType: 'number', verdict: 'correct' },
  { name: 'expression gold, garbage prediction', answer: 'x^2', prediction: '}{', verdict: 'unparseable' },

  // text
  { name: 'text case and period', answer: 'Triangle', prediction: 'triangle.', verdict: 'correct' },
  { name: 'text in \\text{}', answer: '\\text{Monday}', prediction: 'monday', verdict: 'correct' },
  { name: 'text with article', answer: 'the square', prediction: 'Square', verdict: 'correct' },
  { name: 'text wrong', answer: 'Triangle', prediction: 'square', verdict: 'incorrect' },
  { name: 'yes/no', answer: 'Yes', prediction: 'The answer is yes.', verdict: 'correct' },

  // unparseable and garbage
  { name: 'empty prediction', answer: '42', prediction: '', verdict: 'unparseable', extracted: null },
  { name: 'whitespace prediction', answer: '42', prediction: '   \n  ', verdict: 'unparseable', extracted: null },
  { name: 'solution without any answer marker', answer: '7', prediction: SOLUTION('So we are done with the problem.'), verdict: 'unparseable', extracted: null },
  { name: 'unbalanced \\boxed{', answer: '42', prediction: 'The result is \\boxed{42', verdict: 'unparseable', extracted: null },
  { name: 'bare unbalanced \\boxed{', answer: '42', prediction: '\\boxed{', verdict: 'unparseable', extracted: null },
  { name: 'garbage }{', answer: '42', prediction: '}{', verdict: 'unparseable' },
  { name: 'garbage symbols', answer: '42', prediction: '@#!?', verdict: 'unparseable' },
  { name: 'well-formed word for a number gold is incorrect', answer: '42', prediction: 'banana', verdict: 'incorrect' },
  { name: 'prose one-liner is not a bare answer', answer: '42', prediction: 'Let me think about this step by step first.', verdict: 'unparseable', extracted: null },
  { name: 'empty box falls back to marker', answer: '4', prediction: '\\boxed{}\nAnswer: 4', verdict: 'correct', extracted: '4' },
];

describe('verify (table)', () => {
  it('has at least 120 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(120);
  });

  it.each(cases)('$name', ({ answer, prediction, answerType, verdict, extracted }) => {
    const result = verify({ answer, prediction, answerType });
    expect(result.verdict).toBe(verdict);
    if (extracted !== undefined) expect(result.extracted).toBe(extracted);
  });
});

describe('extractAnswer', () => {
  it.each([
    { text: '42', expected: '42' },
    { text: '  \\frac{3}{4}  ', expected: '\\frac{3}{4}' },
    { text: '1/2', expected: '1/2' },
    { text: 'B', expected: 'B' },
    { text: '\\boxed{\\frac{1}{\\sqrt{2}}}', expected: '\\frac{1}{\\sqrt{2}}' },
    { text: 'a \\boxed{1} b \\boxed{2} c', expected: '2' },
    { text: '\\boxed{\\boxed{5}}', expected: '\\boxed{5}' },
    { text: 'x \\boxed{ 3 } and \\boxed{4', expected: '3' },
    { text: 'Long work\nmore work\nAnswer: $x = 5$.', expected: 'x = 5' },
    { text: 'Long work\nThe final answer is 17. I hope it is correct.', expected: '17' },
    { text: 'Work\nthe correct answer is B. 42 degrees', expected: 'B. 42 degrees' },
    { text: 'Reasoning\n<answer>\n12\n</answer>', expected: '12' },
    { text: 'Step\nOption D', expected: 'D' },
    { text: 'Work\n**Answer:**\n\n$3\\pi$', expected: '3\\pi' },
    { text: 'To answer this, we compute.\nAnswer: 9', expected: '9' },
    { text: '', expected: null },
    { text: 'Step 1: add.\nStep 2: multiply.', expected: null },
    { text: 'no box here \\boxed{', expected: null },
  ])('extractAnswer($text)', ({ text, expected }) => {
    expect(extractAnswer(text)).toBe(expected);
  });
});

describe('inferAnswerType', () => {
  it.each<{ gold: string; type: AnswerType }>([
    { gold: '42', type: 'number' },
    { gold: '-3.5', type: 'number' },
    { gold: '1,000', type: 'number' },
    { gold: '$12', type: 'number' },
    { gold: '50\\%', type: 'number' },
    { gold: '5 cm', type: 'number' },
    { gold: '90^\\circ', type: 'number' },
    { gold: '1/2', type: 'fraction' },
    { gold: '\\frac{3}{4}', type: 'fraction' },
    { gold: '\\dfrac12', type: 'fraction' },
    { gold: '-\\frac{1}{3}', type: 'fraction' },
    { gold: 'B', type: 'choice' },
    { gold: '(C)', type: 'choice' },
    { gold: 'D.', type: 'choice' },
    { gold: 'A. 12 cm', type: 'choice' },
    { gold: 'x', type: 'expression' },
    { gold: '2x+1', type: 'expression' },
    { gold: '\\sqrt{2}', type: 'expression' },
    { gold: '\\frac{\\pi}{2}', type: 'expression' },
    { gold: '(1, 2)', type: 'expression' },
    { gold: 'y = 2x + 1', type: 'expression' },
    { gold: 'Triangle', type: 'text' },
    { gold: '\\text{Monday}', type: 'text' },
    { gold: 'yes', type: 'text' },
    { gold: '', type: 'text' },
  ])('inferAnswerType($gold) = $type', ({ gold, type }) => {
    expect(inferAnswerType(gold)).toBe(type);
  });
});

describe('answersMatch', () => {
  it('returns null for an empty or unreadable prediction', () => {
    expect(answersMatch('42', '')).toBeNull();
    expect(answersMatch('42', '}{')).toBeNull();
    expect(answersMatch('B', '42', 'choice')).toBeNull();
  });

  it('honours an explicit type over inference', () => {
    expect(answersMatch('B', 'b', 'text')).toBe(true);
    expect(answersMatch('2', '\\sqrt{4}', 'number')).toBe(true);
    expect(answersMatch('x+1', '1+x', 'text')).toBe(false);
  });

  it('never throws on hostile input', () => {
    const weird = [
      '\\frac{', '\\sqrt', '((((((', ')))', '\\frac{1}{0}', '0/0', 'x^x^x^x^x^x', '9!!!', '1:1e9', 'a = b = c',
      'ones(1e9)', "f(x)'", '"str"', '[1,2;3,4]', '\\begin{pmatrix}1\\\\2\\end{pmatrix}', '\u0000', '$$', '$', '\\',
      'x'.repeat(5000), '1'.repeat(400), '{'.repeat(300), '10^{10^{10}}',
    ];
    for (const w of weird) {
      for (const type of ['number', 'fraction', 'choice', 'expression', 'text'] as const) {
        expect(() => answersMatch('x+1', w, type)).not.toThrow();
        expect(() => answersMatch(w, '5', type)).not.toThrow();
      }
      expect(() => verify({ answer: w, prediction: w })).not.toThrow();
    }
  });

  it('uses relative 1e-6 / absolute 1e-9 tolerance', () => {
    expect(numbersClose(1e-10, 0)).toBe(true);
    expect(numbersClose(1e-8, 0)).toBe(false);
    expect(numbersClose(1_000_000, 1_000_000.5)).toBe(true);
    expect(numbersClose(1_000_000, 1_000_002)).toBe(false);
  });

  it('is deterministic', () => {
    const a = verify({ answer: 'x^2-1', prediction: '(x-1)(x+1)' });
    const b = verify({ answer: 'x^2-1', prediction: '(x-1)(x+1)' });
    expect(a).toEqual(b);
  });

  it('finds the answer at the end of a ~100 KB solution', () => {
    const long = `${'We keep going with more algebra. '.repeat(3000)}\nAnswer: 12`;
    expect(verify({ answer: '12', prediction: long })).toMatchObject({ verdict: 'correct', extracted: '12' });
  });
});
