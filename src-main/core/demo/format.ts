/**
 * The exact text the demo policy reads and writes, and the character vocabulary a tokenizer for
 * it is built from. The model manifest and the Python recipe reuse these constants, so a prompt
 * built here and one built in training are the same string.
 *
 * Prompt:    `Q: <question>\n` [`<image>\n`] [`R: <reflection>\n`] `S:\n`
 * Solution:  one step per line, each ended by `\n`: `7 + 3 = 10\n10 - 4 = 6\nAnswer: 6\n`
 *            (an image problem starts with `count = 7\n`); the tokenizer's `</s>` follows.
 */

/** Reserved tokens, in id order (0..6); never split into characters. */
export const SPECIAL_TOKENS = ['<pad>', '<s>', '</s>', '<image>', '<prm>', 'Yes', 'No'] as const;
export type SpecialToken = (typeof SPECIAL_TOKENS)[number];

export const PAD_TOKEN = '<pad>';
export const BOS_TOKEN = '<s>';
export const EOS_TOKEN = '</s>';
/** Where the vision encoder's embeddings go. */
export const IMAGE_TOKEN = '<image>';
/** PRM score position; the score is softmax over the `Yes` / `No` logits there. */
export const PRM_TOKEN = '<prm>';
export const PRM_YES = 'Yes';
export const PRM_NO = 'No';

/** Ends every solution line, the Answer line included. */
export const STEP_DELIMITER = '\n';

/** Pieces of the prompt, in the order they appear. */
export const PROMPT_TEMPLATE = {
  question: 'Q: {question}\n',
  image: `${IMAGE_TOKEN}\n`,
  reflection: 'R: {reflection}\n',
  solution: 'S:\n',
} as const;

/**
 * Every character demo text can contain, in a fixed order (token ids follow SPECIAL_TOKENS):
 * newline, space, the punctuation and operators the domain writes, digits, and both alphabets in
 * full so that a reflection typed by a user still tokenizes.
 */
export const DEMO_VOCAB = "\n !'(),-.:;?*+/=0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Collapses whitespace so a question or reflection stays on its one prompt line. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export interface PromptOptions {
  hasImage: boolean;
  /** MathSE regeneration: the critique of the earlier attempt, e.g. `step 3: 7 + 4 is 11, not 12` */
  reflection?: string;
}

/** The exact text before the first solution step. */
export function formatPrompt(question: string, opts: PromptOptions): string {
  let out = PROMPT_TEMPLATE.question.replace('{question}', () => oneLine(question));
  if (opts.hasImage) out += PROMPT_TEMPLATE.image;
  if (opts.reflection !== undefined && oneLine(opts.reflection) !== '') {
    out += PROMPT_TEMPLATE.reflection.replace('{reflection}', () => oneLine(opts.reflection ?? ''));
  }
  return out + PROMPT_TEMPLATE.solution;
}

/** Solution lines as the model writes them: each ended by the step delimiter. */
export function formatSolution(steps: readonly string[]): string {
  return steps.map((s) => s + STEP_DELIMITER).join('');
}

/** Inverse of formatSolution: lines without their delimiter; a trailing delimiter adds no empty step. */
export function splitSolution(text: string): string[] {
  const lines = text.split(STEP_DELIMITER);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Characters of `text` that are not in DEMO_VOCAB (special tokens removed first), in order of appearance. */
export function outOfVocab(text: string): string[] {
  let rest = text;
  for (const t of SPECIAL_TOKENS) rest = rest.split(t).join('');
  const seen = new Set<string>();
  for (const ch of rest) if (!DEMO_VOCAB.includes(ch)) seen.add(ch);
  return [...seen];
}
