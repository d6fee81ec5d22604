// Splits text with LaTeX into plain and math runs: \( \) and $…$ inline, \[ \] and $$…$$ display.
// A single $ opens math only when a non-space follows and closes only after a non-space and before a
// non-digit (pandoc's rule), so "costs $5 and $6" stays text. An unclosed opener is text.

export type Segment = { kind: 'text'; text: string } | { kind: 'math'; tex: string; display: boolean; raw: string };

const PAIRS: { open: string; close: string; display: boolean }[] = [
  { open: '$$', close: '$$', display: true },
  { open: '\\[', close: '\\]', display: true },
  { open: '\\(', close: '\\)', display: false },
];

/** Where a single-$ math run that opens at i closes, or -1. */
function closeDollar(s: string, i: number): number {
  if (i + 1 >= s.length || /\s/.test(s[i + 1])) return -1;
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === '\\') {
      j++;
      continue;
    }
    if (s[j] === '$') {
      if (/\s/.test(s[j - 1]) || /\d/.test(s[j + 1] ?? '')) continue;
      return j;
    }
  }
  return -1;
}

export function splitMath(s: string): Segment[] {
  const out: Segment[] = [];
  let text = '';
  const flush = () => {
    if (text) out.push({ kind: 'text', text });
    text = '';
  };
  let i = 0;
  while (i < s.length) {
    const pair = PAIRS.find((p) => s.startsWith(p.open, i));
    if (pair) {
      const end = s.indexOf(pair.close, i + pair.open.length);
      if (end > i + pair.open.length - 1 && s.slice(i + pair.open.length, end).trim() !== '') {
        flush();
        out.push({ kind: 'math', tex: s.slice(i + pair.open.length, end), display: pair.display, raw: s.slice(i, end + pair.close.length) });
        i = end + pair.close.length;
        continue;
      }
    } else if (s[i] === '\\' && s[i + 1] === '$') {
      text += '$';
      i += 2;
      continue;
    } else if (s[i] === '$') {
      const end = closeDollar(s, i);
      if (end > 0) {
        flush();
        out.push({ kind: 'math', tex: s.slice(i + 1, end), display: false, raw: s.slice(i, end + 1) });
        i = end + 1;
        continue;
      }
    }
    text += s[i];
    i++;
  }
  flush();
  return out;
}
