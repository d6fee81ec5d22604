/**
 * Final-answer extraction from a model's solution text.
 *
 * The text is first cleaned of what follows the answer without being part of it: chat-template
 * tokens (`<|im_start|>user`, `</s>`) and closing pleasantries (`I hope it is correct.`,
 * `I hope this helps!`, `Let me know if ...`). Then sources are tried in order, first hit wins;
 * within a source the last occurrence wins, so of several candidate answers the last one counts:
 *   1. the Minerva sentence `The final answer is X. I hope it is correct` (it restates the
 *      answer after the work, so it outranks a `\boxed{}` inside that work);
 *   2. the last balanced `\boxed{...}` / `\boxed {...}` / `\fbox{...}` / `\boxed 5`;
 *   3. the last `<answer>...</answer>` tag (MM-PRM policy format);
 *   4. the last line with an answer marker: `Answer:`, `Final answer:`, `**Answer:**`,
 *      `The (final|correct) answer is ...`, `#### 42` (GSM8K), or the word `Answer` followed by
 *      math (`Answer $ 9 $`, `Answer \[ 9 \]`, display math may span lines); a marker alone on
 *      its line (`## Final Answer`) takes the next line; a marker followed by a sentence
 *      (`Final Answer: The volume of $V$ is 120.`) takes the value that sentence states;
 *   5. a choice letter alone on the last line: `(B)`, `B.`, `Option C`;
 *   6. a concluding sentence in prose: the last sentence, when it opens with a conclusion word
 *      (`Therefore`, `Thus`, `So`, `Hence`, ...) or the whole text is that one sentence, and states
 *      exactly one value after a verb (`... is 2/3.`, `there are 12 distinct sequences`,
 *      `... is $5 \times 6 = 120$`). A second number after the value makes it ambiguous, and
 *      nothing is taken (never guess: a wrong value read as the answer could be graded correct);
 *   7. a bare answer: the whole text is one short, non-prose line.
 * Returns null when none applies (e.g. a multi-line solution with no marker).
 */
import { bracesBalanced, matchBrace } from './normalize';

/** Longest text treated as a bare answer. */
const BARE_MAX_CHARS = 80;
/** Prose guard for bare answers: more long words than this reads as a sentence, not an answer. */
const BARE_MAX_WORDS = 3;
const MATH_WORDS: ReadonlySet<string> = new Set([
  'sqrt', 'frac', 'dfrac', 'tfrac', 'pi', 'sin', 'cos', 'tan', 'log', 'exp', 'text', 'mathrm', 'cdot', 'times',
  'infty', 'boxed', 'left', 'right', 'circ', 'pm', 'le', 'ge', 'leq', 'geq', 'cup', 'cap',
]);

/** Light clean-up applied to every extracted answer: outer math delimiters, bold, trailing period. */
function cleanExtracted(raw: string): string {
  let s = raw.trim();
  for (let guard = 0; guard < 5; guard++) {
    const before = s;
    s = s.replace(/^(\*\*|__)([\s\S]*?)\1$/, '$2').trim();
    s = s.replace(/^\*\*\s*/, '').replace(/\s*\*\*$/, '').trim();
    s = s.replace(/^\$\$([\s\S]*)\$\$$/, '$1').trim();
    if (s.length >= 2 && /^\$(?:[^$\\]|\\[\s\S])*\$$/.test(s)) s = s.slice(1, -1).trim();
    s = s.replace(/^\\\(([\s\S]*)\\\)$/, '$1').replace(/^\\\[([\s\S]*)\\\]$/, '$1').trim();
    s = s.replace(/[.。]+$/, '').trim();
    if (s === before) break;
  }
  return s;
}

/** Content of the last balanced box, skipping boxes nested inside it and unbalanced ones. */
function lastBoxed(text: string): string | null {
  const re = /\\(?:boxed|fbox)(?![A-Za-z])/g;
  let found: string | null = null;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    let j = m.index + m[0].length;
    while (j < text.length && /\s/.test(text[j])) j++;
    if (text[j] === '{') {
      const close = matchBrace(text, j);
      if (close < 0) continue; // unbalanced: ignore this box
      const content = text.slice(j + 1, close).trim();
      if (content !== '') found = content;
      re.lastIndex = close + 1;
    } else if (j > m.index + m[0].length) {
      const token = /^[^\s$]+/.exec(text.slice(j)); // `\boxed 5`
      if (token) found = token[0];
    }
  }
  return found;
}

function lastAnswerTag(text: string): string | null {
  const re = /<answer>([\s\S]*?)<\/answer>/gi;
  let found: string | null = null;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (m[1].trim() !== '') found = m[1].trim();
  }
  if (found === null) return null;
  // the tag may wrap a whole sentence ("The answer is B")
  return fromMarkers(found) ?? cleanExtracted(found);
}

/** Marker patterns; each match's end is where the answer starts. */
function markerPatterns(): RegExp[] {
  return [
    /\b(?:final\s+)?answer\s*(?:\*\*|__)?\s*(?:is\s*)?[:：]/gi,
    /\b(?:final\s+|correct\s+|right\s+)?(?:answer|option|choice)\s+(?:is|would\s+be|should\s+be|will\s+be|=)(?![A-Za-z])\s*:?/gi,
    /^\s*#{4}(?!#)/g,
    // `Answer $ 9 $`, `Answer \[ 9 \]`: the word followed directly by math, no colon
    /\b(?:final\s+)?answer(?=\s*(?:\$|\\\[|\\\())/gi,
  ];
}

/** End index of the last marker in the line, or -1. */
function lastMarkerEnd(line: string): number {
  let end = -1;
  for (const re of markerPatterns()) {
    let m: RegExpExecArray | null;
    while ((m = re.exec(line)) !== null) {
      end = Math.max(end, m.index + m[0].length);
      if (m[0].length === 0) re.lastIndex++;
    }
  }
  return end;
}

/**
 * Cuts the answer out of the text that follows a marker: math opening right after the marker
 * (display math may run over several lines, inline math may not), else the rest of the line up to
 * the end of its sentence.
 */
function answerAfterMarker(after: string): string {
  const s0 = after.replace(/^[ \t]+/, '').replace(/^(?:\*\*|__)\s*/, '').replace(/^[:：]\s*/, '');
  const delimited = /^(\$\$[\s\S]*?\$\$|\\\[[\s\S]*?\\\]|\$(?:[^$\\\n]|\\[^\n])*\$|\\\([^\n]*?\\\))/.exec(s0);
  if (delimited) return cleanExtracted(delimited[1]);
  // `The correct answer is therefore (B)`: a connective between marker and answer
  let s = s0.split(/\r?\n/)[0].trim().replace(/^(?:therefore|thus|hence|then|clearly)\b\s*,?\s*/i, '');
  // stop at the end of the sentence ("5. I hope it is correct."), but keep "B. 42"
  const sentence = /\.\s+(?=\S)/g;
  let m: RegExpExecArray | null;
  while ((m = sentence.exec(s)) !== null) {
    const head = s.slice(0, m.index).trim();
    if (/^[A-Za-z]$/.test(head)) continue;
    s = head;
    break;
  }
  return cleanExtracted(s);
}

/** A marker followed by a sentence (`The volume of $V$ is 120`) gives the value the sentence states. */
function answerFromProse(answer: string): string {
  if (!hasStatingVerb(answer)) return answer;
  return sentenceValue(answer) ?? answer;
}

function fromMarkers(text: string): string | null {
  const lines = text.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i];
    const headingOnly = /^[\s#*_>]*(?:final\s+)?answer[\s#*_:：]*$/i.test(line);
    const end = headingOnly ? line.length : lastMarkerEnd(line);
    if (end < 0) continue;
    const after = [line.slice(end), ...lines.slice(i + 1)].join('\n');
    const rest = answerAfterMarker(after);
    // `the answer is the following list:` announces the answer on the next lines
    if (rest !== '' && !(/[:：]$/.test(rest) && isProse(rest))) return answerFromProse(rest);
    // marker with nothing after it: the answer is on the next non-empty line (code fences skipped)
    const offset = lines.slice(i + 1).findIndex((l) => l.trim() !== '' && !/^\s*```/.test(l));
    if (offset >= 0) {
      const answer = answerAfterMarker(lines.slice(i + 1 + offset).join('\n'));
      if (answer !== '') return answerFromProse(answer);
    }
  }
  return null;
}

// ---------------------------------------------------------------------------
// Text that follows the answer without being part of it

/** Tokens of a chat template: a model that runs past its turn writes them, then someone else's words. */
const TEMPLATE_TOKEN_RE = /<\|(?:im_start|im_end|endoftext|eot_id|start_header_id|end_header_id|end|user|assistant)\|>|<\/s>/g;

/** Cuts the text at the first template token that follows some content (what comes after is not the model's answer). */
function cutAtTemplateToken(text: string): string {
  const re = new RegExp(TEMPLATE_TOKEN_RE.source, 'g');
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (text.slice(0, m.index).trim() !== '') return text.slice(0, m.index);
  }
  return text.replace(re, '');
}

/**
 * Closing pleasantries at the very end (`I hope it is correct.`, `I hope this helps!`, `Let me
 * know if ...`). Only removed when the rest of the line holds no digit or math, so that an
 * answer written after such a phrase is never cut.
 */
const CLOSING_RE =
  /(?:^|(?<=[.!?:)\n]))[ \t]*(?:\*\*)?(?:I hope (?:it|this|that|the)\b|Hope (?:it|this) helps|Let me know\b|Is there anything else\b|Do you (?:have|want)\b|(?:Please )?feel free\b|Thank you\b|Thanks\b|I'm happy to help|Happy to help)[^\n\d$\\]*$/i;

function stripClosing(text: string): string {
  let t = text.trimEnd();
  for (let guard = 0; guard < 10; guard++) {
    const before = t;
    t = t.replace(CLOSING_RE, '').trimEnd();
    if (t === before) break;
  }
  return t;
}

// ---------------------------------------------------------------------------
// Prose: the value a concluding sentence states

/** Masks math spans so that sentence splitting and word counting do not look inside them. */
function maskMath(text: string): { masked: string; spans: string[] } {
  const spans: string[] = [];
  const masked = text.replace(/\$\$[\s\S]*?\$\$|\\\[[\s\S]*?\\\]|\\\([\s\S]*?\\\)|\$(?:[^$\\\n]|\\[^\n])+\$/g, (m) => {
    spans.push(m);
    return `\u0000${spans.length - 1}\u0001`;
  });
  return { masked, spans };
}

function unmask(s: string, spans: readonly string[]): string {
  return s.replace(/\u0000(\d+)\u0001/g, (_m, i: string) => spans[Number(i)] ?? '');
}

/** True for text with more words than a short answer has (`The volume of $V$ is 120`). */
function isProse(s: string): boolean {
  const { masked } = maskMath(s);
  const words = (masked.match(/(?<![\\A-Za-z])[A-Za-z]{3,}/g) ?? []).filter((w) => !MATH_WORDS.has(w.toLowerCase()));
  return words.length > BARE_MAX_WORDS;
}

/** The last sentence of the text (math kept whole, decimals and `e.g.` not split), or null. */
function lastSentence(text: string): { sentence: string; count: number } | null {
  const { masked, spans } = maskMath(text);
  const parts = masked
    // a capitalised conclusion word starts a sentence even when the period before it is missing
    // (`P(A) = 2/3 Therefore, the probability is 2/3`)
    .split(/\n+|(?<=[.!?])\s+(?=[^a-z\s])|(?<=[!?])\s+|\s+(?=(?:Therefore|Thus|Hence|Consequently|In conclusion|Finally)\b)/)
    .map((p) => p.trim())
    .filter((p) => p !== '' && /[A-Za-z0-9\u0000]/.test(p));
  if (parts.length === 0) return null;
  return { sentence: unmask(parts[parts.length - 1], spans), count: parts.length };
}

/** Words that open a sentence stating a result. */
const CONCLUSION_RE =
  /^(?:[*_#>\-\s]*)(?:therefore|thus|hence|so|consequently|accordingly|in conclusion|in total|in summary|to summarize|finally|overall|altogether|as a result|this means|that means)\b/i;

/** A value: a math span, or a number with optional sign, currency, separators, fraction bar, percent. */
const VALUE_SRC = String.raw`(?:\$\$[\s\S]*?\$\$|\\\([\s\S]*?\\\)|\$(?:[^$\\\n]|\\[^\n])+\$|[-\u2212+]?(?:\\?\$\s?|[€£¥])?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s*/\s*\d+(?:\.\d+)?)?(?:\s*(?:%|\\%|percent\b))?(?![\w.]|\s*[-+*/^(]\s*[\w(\\]))`;
const STATING_VERB_RE = /\b(?:is|are|was|were|be|equals?|becomes?|gives?|get|makes?)\b/i;

/** True when the text (outside math) has a verb that states a value: a sentence, not a formula. */
function hasStatingVerb(s: string): boolean {
  return STATING_VERB_RE.test(maskMath(s).masked);
}

/** A verb (or `=`) that introduces the stated value, with an optional hedge word. */
const STATES_RE = new RegExp(
  String.raw`(?:\b(?:is|are|was|were|be|equals?|equal to|becomes?|gives?|get|makes?)\b|=|\\approx|≈)\s*(?:(?:approximately|about|around|roughly|exactly|only|just|equal to|a total of|now)\s+)?(${VALUE_SRC})`,
  'gi',
);

/** The value stated in a sentence: the last verb-value pair, unless another number follows it or an earlier pair states a different value. */
export function sentenceValue(sentence: string): string | null {
  const s = sentence.replace(/\*\*|__/g, '').replace(/[.!?。]+\s*$/, '').trim();
  const found: { value: string; end: number; viaEquals: boolean }[] = [];
  let m: RegExpExecArray | null;
  STATES_RE.lastIndex = 0;
  while ((m = STATES_RE.exec(s)) !== null) {
    found.push({ value: m[1], end: m.index + m[0].length, viaEquals: /^(?:=|\\approx|≈)/.test(m[0]) });
  }
  if (found.length === 0) return null;
  const last = found[found.length - 1];
  // another number or math after the value: `is 5 and 7`, `are 1, 2, 3` — ambiguous
  const tail = s.slice(last.end).replace(/\^\s*\{?\d\}?|[²³]/g, '');
  if (/\d|\$|\\\(/.test(tail)) return null;
  let value = cleanExtracted(last.value);
  // `$5 \times 6 \times 4 = 120$`: the sentence concludes the last side of the chain
  if (/\$|\\\(/.test(last.value)) {
    const sides = value.split(/=|\\approx(?![A-Za-z])/);
    value = sides[sides.length - 1].trim();
  }
  if (value === '') return null;
  const norm = (x: string) => x.replace(/\s+/g, '');
  // `is 5, and ... is 7` (not a chain of `=`): two different values stated
  if (!last.viaEquals && found.some((f) => norm(cleanExtracted(f.value)) !== norm(cleanExtracted(last.value)))) return null;
  return value;
}

/** The value of a concluding sentence at the end of the text (see the header, source 6). */
function concludingValue(text: string): string | null {
  const last = lastSentence(text);
  if (last === null) return null;
  // without a conclusion word only a one-sentence text qualifies, and only a sentence (`There are 5
  // balls`), not a formula (`y = 1 - x`, which the bare-answer reading takes whole)
  if (!CONCLUSION_RE.test(last.sentence) && (last.count > 1 || !hasStatingVerb(last.sentence))) return null;
  return sentenceValue(last.sentence);
}

/** `The final answer is X. I hope it is correct.` — the last such sentence (see the header, source 1). */
function minervaAnswer(text: string): string | null {
  const re = /\bfinal answer is\s*:?[ \t]*([^\n]+?)[ \t]*\.?[ \t]*I hope it is correct/gi;
  let found: string | null = null;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) found = m[1];
  if (found === null) return null;
  const boxed = lastBoxed(found);
  if (boxed !== null) return cleanExtracted(boxed) || null;
  const answer = answerAfterMarker(found);
  return answer === '' ? null : answerFromProse(answer);
}

function choiceOnLastLine(text: string): string | null {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) return null;
  const last = cleanExtracted(lines[lines.length - 1]).replace(/\\text(?:bf)?\{([^{}]*)\}/g, '$1').trim();
  const m =
    /^\(([A-Za-z])\)$/.exec(last) ??
    /^([A-J])[.)]?$/.exec(last) ??
    /^(?:option|choice)\s*:?\s*\(?([A-Za-z])\)?$/i.exec(last);
  return m ? m[1].toUpperCase() : null;
}

function bareAnswer(text: string): string | null {
  const s = cleanExtracted(text);
  if (s === '' || s.includes('\n') || s.length > BARE_MAX_CHARS) return null;
  if (!bracesBalanced(s) || /[:：]$/.test(s)) return null;
  const words = (s.match(/(?<![\\A-Za-z])[A-Za-z]{3,}/g) ?? []).filter((w) => !MATH_WORDS.has(w.toLowerCase()));
  if (words.length > BARE_MAX_WORDS) return null;
  return s;
}

/** Extracts the final answer from a solution (or a bare answer); null when none can be found. */
export function extractAnswer(text: string): string | null {
  if (typeof text !== 'string') return null;
  const raw = cutAtTemplateToken(text).trim();
  if (raw === '') return null;
  const minerva = minervaAnswer(raw);
  if (minerva !== null) return minerva;
  const boxed = lastBoxed(raw);
  if (boxed !== null) return cleanExtracted(boxed) || null;
  const t = stripClosing(raw);
  if (t === '') return null;
  return lastAnswerTag(t) || fromMarkers(t) || choiceOnLastLine(t) || concludingValue(t) || bareAnswer(t);
}
