// Text with LaTeX rendered by KaTeX (bundled with its CSS and fonts: nothing loads from a CDN). A run
// KaTeX cannot parse is shown as its raw source, marked, never thrown.
import 'katex/dist/katex.min.css';
import { useMemo } from 'react';
import { renderTex } from './render';
import { splitMath } from './segments';

export function MathText({ text, className }: { text: string; className?: string }) {
  const parts = useMemo(() => splitMath(text), [text]);
  return (
    <span className={className}>
      {parts.map((p, i) => {
        if (p.kind === 'text') return <span key={i}>{p.text}</span>;
        const html = renderTex(p.tex, p.display);
        if (html === null) {
          return (
            <code key={i} className="math-error" title="KaTeX could not render this; shown as written">
              {p.raw}
            </code>
          );
        }
        // KaTeX's own output (trust: false: no links, classes or styles from the source)
        return <span key={i} className={p.display ? 'math-display' : 'math-inline'} dangerouslySetInnerHTML={{ __html: html }} />;
      })}
    </span>
  );
}
