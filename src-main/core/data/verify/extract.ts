/**
 * Final-answer extraction from a model's solution text.
 *
 * Sources, first hit wins:
 *   1. the last balanced `\boxed{...}` / `\boxed {...}` / `\fbox{...}` / `\boxed 5`;
 *   2. the last `<answer>...</answer>` tag (MM-PRM policy format);
 *   3. the last line with an answer marker: `Answer:`, `Final answer:`,
 *      `**Answer:**`, `The (final|correct) answer is ...`, `#### 42` (GSM8K);
 *      a marker alone on its line (`## Final Answer`) takes the next line;
 *   4. a choice letter alone on the last line: `(B)`, `B.`, `Option C`;
 *   5. a bare answer: the whole text is one short, non-prose line.
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

/** Cuts the answer out of the text that follows a marker on the same line. */
function answerAfterMarker(rest: string): string {
  let s = rest.trim().replace(/^(?:\*\*|__)\s*/, '').replace(/^[:：]\s*/, '').trim();
  const delimited = /^(\$\$[\s\S]*?\$\$|\$(?:[^$\\]|\\[\s\S])*\$|\\\([\s\S]*?\\\)|\\\[[\s\S]*?\\\])/.exec(s);
  if (delimited) return cleanExtracted(delimited[1]);
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

function fromMarkers(text: string): string | null {
  const lines = text.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i];
    const headingOnly = /^[\s#*_>]*(?:final\s+)?answer[\s#*_:：]*$/i.test(line);
    const end = headingOnly ? line.length : lastMarkerEnd(line);
    if (end < 0) continue;
    const rest = answerAfterMarker(line.slice(end));
    if (rest !== '') return rest;
    // marker with nothing after it: the answer is on the next non-empty line
    const next = lines.slice(i + 1).find((l) => l.trim() !== '');
    if (next !== undefined) {
      const answer = answerAfterMarker(next);
      if (answer !== '') return answer;
    }
  }
  return null;
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
  const t = text.trim();
  if (t === '') return null;
  const boxed = lastBoxed(t);
  if (boxed !== null) return cleanExtracted(boxed) || null;
  return lastAnswerTag(t) || fromMarkers(t) || choiceOnLastLine(t) || bareAnswer(t);
}
