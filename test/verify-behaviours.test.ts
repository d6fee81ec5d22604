// Behaviour table for the answer verifier, grouped by kind of case. The behaviours are the ones
// Math-Verify (huggingface/Math-Verify: src/math_verify/parser.py, grader.py, tests/) and PRM800K's
// grader (openai/prm800k: prm800k/grading/grader.py, math_normalize.py) show; the cases are our own.
// Where the two disagree with "never a wrong correct" we keep the stricter verdict (noted inline).
import { describe, expect, it } from 'vitest';
import { verify, type VerifyInput } from '../src-main/core/data/verify';

type Verdict = 'correct' | 'incorrect' | 'unparseable';
interface Row extends VerifyInput {
  name: string;
  verdict: Verdict;
  extracted?: string | null;
}

const ALICE =
  'So, we can rewrite the equation as: P(A) = 1/2 + (1/2) * (1/2) * P(A). Now P(A) - (1/4) * P(A) = 1/2, ' +
  'so P(A) = (1/2) / (3/4) = 2/3 Therefore, the probability that Alice wins the game is 2/3. <|im_start|>user';
const SEQUENCES =
  'The divisors of 90 are 1, 2, 3, 5, 6, 9, 10, 15, 18, 30, 45, and 90. For each divisor $n$ there is one ' +
  'common difference $d = \\frac{90}{n}$. Therefore, there are 12 distinct arithmetic sequences that meet the ' +
  'three given conditions. I hope it is correct. <|im_start|>user';
const VOLUME =
  'The length is 5, the width is 6, and the height is 4. Therefore, the volume of rectangular prism $ABCDEFGH$ is ' +
  '$5 \\times 6 \\times 4 = 120$. Final Answer: The volume of $ABCDEFGH$ is 120. I hope it is correct.';

const table: Record<string, Row[]> = {
  'LaTeX wrappers after the word Answer': [
    { name: 'Answer $ 9 $', answer: '9', prediction: 'Answer $ 9 $', verdict: 'correct', extracted: '9' },
    { name: 'Answer \\[ 9 \\]', answer: '9', prediction: 'Answer \\[ 9 \\]', verdict: 'correct', extracted: '9' },
    { name: 'Answer $$ 9 $$', answer: '9', prediction: 'Answer $$ 9 $$', verdict: 'correct', extracted: '9' },
    { name: 'Answer \\( 9 \\)', answer: '9', prediction: 'Answer \\( 9 \\)', verdict: 'correct', extracted: '9' },
    { name: 'Answer \\( (9+1) \\)', answer: '10', prediction: 'Answer \\( (9+1) \\)', verdict: 'correct' },
    { name: 'display math over lines', answer: '9', prediction: 'Work.\nAnswer \\[\n 9 \n\\]', verdict: 'correct', extracted: '9' },
    { name: 'inline $ over lines is not math', answer: '9', prediction: 'Work.\nAnswer $\n9\n$ more', verdict: 'unparseable' },
    { name: 'Answer $..$ with a wrong value', answer: '9', prediction: 'Answer $ 8 $', verdict: 'incorrect' },
  ],
  'answer markers': [
    { name: 'The answer is: 9', answer: '9', prediction: 'We add.\nThe answer is: 9', verdict: 'correct', extracted: '9' },
    { name: 'Minerva sentence', answer: '9', prediction: 'Final Answer: The final answer is $\\boxed{9}$. I hope it is correct.', verdict: 'correct', extracted: '9' },
    { name: 'Minerva sentence outranks an earlier box', answer: '10455', prediction: 'First $0.04 \\cdot 10000 / 2 = \\boxed{200}$, then $\\boxed{255}$.\nFinal Answer: The final answer is $10,455$. I hope it is correct.', verdict: 'correct', extracted: '10,455' },
    { name: 'Final Answer: followed by a sentence', answer: '120', prediction: VOLUME, verdict: 'correct', extracted: '120' },
    { name: 'Final Answer: The largest $n$ is 34.', answer: '34', prediction: 'Final Answer: The largest $n$ is 34.', verdict: 'correct', extracted: '34' },
    { name: 'marker then a list on the next lines', answer: '[2010, 2012]', prediction: 'So the answer is a list with these elements:\n\n```python\n[2010, 2012]\n```', verdict: 'correct' },
    { name: 'connective after the marker', answer: 'B', prediction: 'Work.\nThe correct answer is therefore (B).', verdict: 'correct' },
    { name: 'closing pleasantry after the answer', answer: '3', prediction: 'So the answer is 3.\n\nI hope this helps! Let me know if you have any other questions.', verdict: 'correct', extracted: '3' },
  ],
  'answers in prose': [
    { name: 'Therefore ... is 2/3.', answer: '2/3', prediction: ALICE, verdict: 'correct', extracted: '2/3' },
    { name: 'there are 12 distinct ...', answer: '12', prediction: SEQUENCES, verdict: 'correct', extracted: '12' },
    { name: 'one sentence: There are 5 balls.', answer: '5', prediction: 'There are 5 balls.', verdict: 'correct', extracted: '5' },
    { name: 'Thus ... is $5 \\times 6 = 30$ (last side)', answer: '30', prediction: 'We measure.\nThus, the area is $5 \\times 6 = 30$.', verdict: 'correct', extracted: '30' },
    { name: 'So ... = **6 inches**', answer: '6', prediction: 'Each side is 2.\nTherefore, the perimeter is 2 + 2 + 2 = **6 inches**.\n\nDo you have other questions for me?', verdict: 'correct', extracted: '6' },
    { name: 'with units: is 0.11 meters', answer: '0.11', prediction: 'We solve for d.\nTherefore, the distance the spring is compressed is 0.11 meters.', verdict: 'correct', extracted: '0.11' },
    { name: 'prose with a wrong value', answer: '2/3', prediction: 'We solve.\nTherefore, the probability is 3/4.', verdict: 'incorrect' },
    { name: 'two values stated: ambiguous', answer: '7', prediction: 'We count.\nSo the first box holds 5 and the second box holds 7 apples, which is 5 more than 2.', verdict: 'unparseable' },
    { name: 'two verb-values: ambiguous', answer: '7', prediction: 'We count.\nSo the number of red ones is 5, and the number of blue ones is 7.', verdict: 'unparseable' },
    { name: 'a list after the verb: ambiguous', answer: '1', prediction: 'We list them.\nTherefore, the divisors are 1, 2 and 3.', verdict: 'unparseable' },
    { name: 'last sentence without a conclusion word', answer: '8', prediction: 'The mode is 8. This means that 18 of the 36 people scored a value of 8.', verdict: 'unparseable' },
    { name: 'a number mid-solution is not an answer', answer: '4', prediction: 'First we note that the side is 4.\nThen we compute the area of the square.', verdict: 'unparseable' },
  ],
  'several candidates: the last marked one': [
    { name: 'two Answer lines', answer: '8', prediction: 'Answer: 6\nWait, recheck.\nAnswer: 8', verdict: 'correct', extracted: '8' },
    { name: 'two Answer lines, first right', answer: '6', prediction: 'Answer: 6\nWait, recheck.\nAnswer: 8', verdict: 'incorrect', extracted: '8' },
    { name: 'two boxes', answer: '7', prediction: 'Guess \\boxed{3}.\nFix: \\boxed{7}', verdict: 'correct', extracted: '7' },
    { name: 'two markers on a line', answer: '5', prediction: 'The answer is 4? No, the answer is 5.', verdict: 'correct', extracted: '5' },
    { name: 'box beats a later Answer: line', answer: '9', prediction: 'We get \\boxed{9}.\nAnswer: 8', verdict: 'correct', extracted: '9' },
  ],
  'fractions': [
    { name: '\\dfrac{1}{2} vs 0.5', answer: '0.5', prediction: '\\dfrac{1}{2}', verdict: 'correct' },
    { name: '\\tfrac{3}{4} vs 3/4', answer: '3/4', prediction: 'The answer is $\\tfrac{3}{4}$.', verdict: 'correct' },
    { name: '\\frac12 vs 1/2', answer: '1/2', prediction: '$\\frac12$', verdict: 'correct' },
    { name: '0.5 vs \\frac{1}{2}', answer: '\\frac{1}{2}', prediction: '0.5', verdict: 'correct' },
    { name: '\\dfrac gold vs 1/2', answer: '\\dfrac{1}{2}', prediction: '1/2', verdict: 'correct' },
    { name: '\\frac3{3} is 1', answer: '1', prediction: '$\\frac3{3}$', verdict: 'correct' },
    { name: '-10/9 vs -\\frac{10}{9}', answer: '-10/9', prediction: '$-\\frac{10}{9}$', verdict: 'correct' },
    { name: '\\dfrac{1}{3} vs 0.33 (not within 1e-6)', answer: '\\dfrac{1}{3}', prediction: '0.33', verdict: 'incorrect' },
  ],
  'percent': [
    { name: '28 percent', answer: '28\\%', prediction: 'Answer: 28 percent', verdict: 'correct' },
    { name: '$28$ % (sign outside math)', answer: '28\\%', prediction: '28 %', verdict: 'correct' },
    { name: '0.28 for 28%', answer: '28\\%', prediction: '0.28', verdict: 'correct' },
    { name: '7% from a difference', answer: '7', prediction: 'We compare.\nSo, the difference is 53.5% - 46.5% = 7%.', verdict: 'correct' },
    { name: '29% for 28%', answer: '28\\%', prediction: '29\\%', verdict: 'incorrect' },
  ],
  'units and text around a number': [
    { name: '12 cm', answer: '12', prediction: '12 cm', verdict: 'correct' },
    { name: '$x = 3$', answer: '3', prediction: '$x = 3$', verdict: 'correct' },
    { name: '\\frac{1}{3} \\text{meters}', answer: '1/3', prediction: '$\\frac{1}{3} \\text{meters}$', verdict: 'correct' },
    { name: '125\\textnormal{ miles}', answer: '125', prediction: 'The distance is $\\boxed{125\\textnormal{ miles}}$.', verdict: 'correct' },
    { name: 'k = \\frac{1}{3}', answer: '1/3', prediction: '$k = \\frac{1}{3}$', verdict: 'correct' },
    { name: '13 cm for 12', answer: '12', prediction: '13 cm', verdict: 'incorrect' },
  ],
  'thousands separators': [
    { name: '1,000 vs 1000', answer: '1000', prediction: '1,000', verdict: 'correct' },
    { name: '7,425,000', answer: '7425000', prediction: 'The answer is 7,425,000', verdict: 'correct' },
    { name: '14{,}916', answer: '14916', prediction: '$\\boxed{14{,}916}$', verdict: 'correct' },
    { name: '11,\\!111,\\!100', answer: '11111100', prediction: '$\\boxed{11,\\!111,\\!100}$', verdict: 'correct' },
    { name: '1, 000 is a list, not 1000', answer: '1000', prediction: '1, 000', verdict: 'incorrect' },
    { name: '32, 349 is a list, not 32349', answer: '32349', prediction: '$\\boxed{32, 349}$', verdict: 'incorrect' },
  ],
  'choices': [
    { name: '(B) for B', answer: 'B', prediction: 'The answer is (B).', verdict: 'correct' },
    { name: 'B. for B', answer: 'B', prediction: 'Work.\nB.', verdict: 'correct' },
    { name: 'Option B for B', answer: 'B', prediction: 'Work.\nOption B', verdict: 'correct' },
    { name: "choice's value for its letter", answer: 'B', prediction: 'The answer is 12.', choices: ['10', '12', '14'], verdict: 'correct' },
    { name: "another choice's value", answer: 'B', prediction: 'The answer is 14.', choices: ['10', '12', '14'], verdict: 'incorrect' },
    { name: 'value equal to two choices picks none', answer: 'B', prediction: '0.5', choices: ['1/2', '0.5', '2'], verdict: 'incorrect' },
    { name: 'value in no choice', answer: 'B', prediction: 'The answer is 13.', choices: ['10', '12', '14'], verdict: 'incorrect' },
    { name: 'value without choices is unreadable', answer: 'B', prediction: 'The answer is 12.', verdict: 'unparseable' },
    { name: 'letter for a value gold (MathVista)', answer: 'equal to', prediction: 'So the answer is (B).', choices: ['larger than', 'equal to', 'smaller than'], verdict: 'correct' },
    { name: 'letter and its text', answer: 'No', prediction: 'So the answer is **(B)**, No.', choices: ['Yes', 'No'], verdict: 'correct' },
    { name: 'letter naming another choice', answer: 'Yes', prediction: 'The answer is (A) No', choices: ['Yes', 'No'], verdict: 'incorrect' },
    { name: 'wrong letter for a value gold', answer: 'equal to', prediction: 'The answer is (C).', choices: ['larger than', 'equal to', 'smaller than'], verdict: 'incorrect' },
    { name: 'numeric choice by value with a unit', answer: '130°', prediction: 'So the answer is 130.', choices: ['50°', '130°'], verdict: 'correct' },
  ],
  'ordered tuples and sets': [
    { name: 'unbracketed list in order', answer: '10, 4, -2', prediction: '10, 4, -2', verdict: 'correct' },
    { name: 'unbracketed list out of order', answer: '10, 4, -2', prediction: '4, 10, -2', verdict: 'incorrect' },
    { name: 'unbracketed list as a set when told', answer: '10, 4, -2', prediction: '4, 10, -2', ordered: false, verdict: 'correct' },
    { name: 'tuple out of order', answer: '(10, 4, -2)', prediction: '(4, 10, -2)', verdict: 'incorrect' },
    { name: 'tuple in order, bare prediction', answer: '(6,31,-1)', prediction: '$(p,q,r) = \\boxed{(6,31,-1)}$', verdict: 'correct' },
    { name: 'set gold, any order', answer: '\\{1\\pm\\sqrt{5},-2\\}', prediction: '\\boxed{\\{-2, 1+\\sqrt5, 1-\\sqrt5\\}}', verdict: 'correct' },
    { name: 'set gold vs tuple prediction', answer: '\\{1, 3\\}', prediction: '(3, 1)', verdict: 'incorrect' },
    { name: 'solutions of one unknown', answer: '2, 3', prediction: 'x = 3 or x = 2', verdict: 'correct' },
    { name: '\\pm gold vs two roots', answer: '3 \\pm 2\\sqrt{2}', prediction: '3-2\\sqrt2, 3+2\\sqrt2', verdict: 'correct' },
    { name: 'list length differs', answer: '-2, 1', prediction: '-2', verdict: 'incorrect' },
  ],
  'intervals': [
    { name: '[0,1) vs [0,1)', answer: '[0,1)', prediction: '$[0,1)$', verdict: 'correct' },
    { name: '[0,9) vs [0,1)', answer: '[0,9)', prediction: '$[0,1)$', verdict: 'incorrect' },
    { name: '(0,9) vs [0,9)', answer: '(0,9)', prediction: '$[0,9)$', verdict: 'incorrect' },
    { name: 'interval with \\tfrac endpoints', answer: '(\\frac{27}{8}, \\frac{15}{8})', prediction: '$(\\tfrac{27}{8},\\tfrac{15}{8})$', verdict: 'correct' },
    { name: '[-4, 0] boxed in display math', answer: '[-4,0]', prediction: 'Thus \\[ \\boxed{[-4, 0]} \\]', verdict: 'correct' },
  ],
  'MathVista precision': [
    { name: '1.23 at precision 1 for 1.2', answer: '1.2', prediction: 'So the answer is 1.23', precision: 1, verdict: 'correct' },
    { name: '0.11 at precision 1 for 1.2', answer: '1.2', prediction: 'So the answer is 0.11', precision: 1, verdict: 'incorrect' },
    { name: '13.8 at precision 2 for 13.80', answer: '13.80', prediction: 'The answer is 13.8', precision: 2, verdict: 'correct' },
    { name: '2.675 rounds to 2.68 (half up)', answer: '2.68', prediction: '2.675', precision: 2, verdict: 'correct' },
    { name: '1.3 at precision 2 for 1.25', answer: '1.25', prediction: '1.3', precision: 2, verdict: 'incorrect' },
    { name: 'constant expression rounded', answer: '7.75', prediction: '\\boxed{2\\sqrt{15}}', precision: 2, verdict: 'correct' },
    { name: 'without precision 1.23 is not 1.2', answer: '1.2', prediction: '1.23', verdict: 'incorrect' },
  ],
  'MathVista answer types': [
    { name: 'integer', answer: '4', prediction: 'So the answer is 4.', answerType: 'number', verdict: 'correct' },
    { name: 'integer: 3.7 is not 3 (no truncation)', answer: '3', prediction: 'So the answer is 3.7', answerType: 'number', verdict: 'incorrect' },
    { name: 'float', answer: '2.7', prediction: 'So she spends 0.9 x $3 = $2.70.\n\nSo the answer is 2.7', answerType: 'number', precision: 1, verdict: 'correct' },
    { name: 'list in order', answer: '[2014, 2016]', prediction: 'So the answer is [2014, 2016]', answerType: 'expression', verdict: 'correct' },
    { name: 'list out of order', answer: '[2014, 2016]', prediction: 'So the answer is [2016, 2014]', answerType: 'expression', verdict: 'incorrect' },
    { name: 'text', answer: 'Yes', prediction: 'So the answer is yes.', answerType: 'text', verdict: 'correct' },
    { name: 'text: yes/no opening a clause', answer: 'No', prediction: 'So the answer is no, there are not more buses than bikes.', answerType: 'text', verdict: 'correct' },
    { name: 'text: no ... yes is not accepted', answer: 'No', prediction: 'So the answer is no, or rather yes.', answerType: 'text', verdict: 'incorrect' },
  ],
};

describe('verify behaviours (table by kind)', () => {
  for (const [kind, rows] of Object.entries(table)) {
    describe(kind, () => {
      it.each(rows)('$name', ({ name: _name, verdict, extracted, ...input }) => {
        const r = verify(input);
        expect(r.verdict).toBe(verdict);
        if (extracted !== undefined) expect(r.extracted).toBe(extracted);
      });
    });
  }
});

describe('choices that look like letters', () => {
  it('finds the gold by its text before reading it as a letter', () => {
    const choices = ['(c)', '(a)', '(e)', '(d)', '(b)'];
    expect(verify({ answer: '(b)', prediction: 'Therefore, the answer is (E).', choices }).verdict).toBe('correct');
    expect(verify({ answer: '(b)', prediction: 'Therefore, the answer is (B).', choices }).verdict).toBe('incorrect');
  });
});
