// What kind of step a tree node ends with: the line that states the final answer ("Answer: 12", "The
// answer is 12", a \boxed{…}), or a reasoning step. The disagreement queue filters by it: answer lines
// crowd the top of the queue (a PRM scores them near 0 or 1 while MC, for a right answer, is 1).
export type StepKind = 'answer' | 'reasoning';

const ANSWER_LINE = [/^\s*(?:final\s+)?answer\s*[:：]/i, /^\s*(?:so,?\s+|therefore,?\s+)?the\s+(?:final\s+)?answer\s+is\b/i, /\\boxed\{/];

/** The kind of a node's last step (its text may hold several lines: the last non-empty one counts). */
export function stepKind(stepText: string): StepKind {
  const last = stepText.split('\n').map((l) => l.trim()).filter(Boolean).at(-1) ?? '';
  return ANSWER_LINE.some((re) => re.test(last)) ? 'answer' : 'reasoning';
}
