// One LaTeX run to KaTeX HTML, or null when KaTeX cannot parse it (the caller shows the source).
// trust: false keeps \href, \class and friends out; results are cached since questions repeat.
import katex from 'katex';

const cache = new Map<string, string | null>();

export function renderTex(tex: string, display: boolean): string | null {
  const key = `${display ? 'D' : 'I'}${tex}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  let html: string | null;
  try {
    html = katex.renderToString(tex, { displayMode: display, throwOnError: true, trust: false, strict: 'ignore', output: 'htmlAndMathml' });
  } catch {
    html = null;
  }
  if (cache.size > 2000) cache.clear();
  cache.set(key, html);
  return html;
}
