// Find in the open tree: step text (substring), an MC range and a range of one PRM's scores. Matches are
// ringed in the tree and counted; Enter / Shift+Enter (or the arrows) jump to the next / previous one
// and select it.
import { useEffect, useMemo, useState } from 'react';
import type { NodePrmScores, TreeNode } from '../../src-shared/domain';
import { EMPTY_QUERY, findMatches, isActive, parseBound, stepMatch, type TreeQuery } from '../tree/treeSearch';
import './searches.css';

export function TreeSearch({ order, prm, current, onMatches, onJump }: { order: readonly TreeNode[]; prm: NodePrmScores[]; current: number | null; onMatches(ids: number[]): void; onJump(id: number): void }) {
  const [text, setText] = useState('');
  const [mc, setMc] = useState({ min: '', max: '' });
  const [score, setScore] = useState({ model: prm[0]?.model ?? '', min: '', max: '' });
  const parsed = useMemo(() => {
    const bounds = [parseBound(mc.min, 'MC min'), parseBound(mc.max, 'MC max'), parseBound(score.min, 'PRM min'), parseBound(score.max, 'PRM max')];
    const q: TreeQuery = { text, mcMin: bounds[0].value, mcMax: bounds[1].value, prmMin: bounds[2].value, prmMax: bounds[3].value };
    return { q, error: bounds.map((b) => b.error).find((e) => e !== null) ?? null };
  }, [text, mc, score]);
  const scores = prm.find((p) => p.model === score.model)?.scores;
  const matches = useMemo(() => findMatches(order, parsed.error ? EMPTY_QUERY : parsed.q, scores), [order, parsed, scores]);
  useEffect(() => onMatches(matches), [matches, onMatches]);
  const active = isActive(parsed.q) && !parsed.error;
  const at = current === null ? -1 : matches.indexOf(current);
  const jump = (step: 1 | -1) => {
    const id = stepMatch(matches, current, step);
    if (id !== null) onJump(id);
  };
  const onKey = (e: React.KeyboardEvent) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    jump(e.shiftKey ? -1 : 1);
  };
  return (
    <div className="tree-search" role="search" aria-label="Find in tree">
      <input type="search" aria-label="Find step text" placeholder="find step text…" value={text} onChange={(e) => setText(e.target.value)} onKeyDown={onKey} />
      <span className="tree-search-range">
        MC
        <input aria-label="MC min" inputMode="decimal" placeholder="min" value={mc.min} onChange={(e) => setMc({ ...mc, min: e.target.value })} onKeyDown={onKey} />
        –
        <input aria-label="MC max" inputMode="decimal" placeholder="max" value={mc.max} onChange={(e) => setMc({ ...mc, max: e.target.value })} onKeyDown={onKey} />
      </span>
      {prm.length > 0 && (
        <span className="tree-search-range">
          <select aria-label="PRM to filter by" value={score.model} onChange={(e) => setScore({ ...score, model: e.target.value })}>
            {prm.map((p) => (
              <option key={p.modelId}>{p.model}</option>
            ))}
          </select>
          <input aria-label="PRM min" inputMode="decimal" placeholder="min" value={score.min} onChange={(e) => setScore({ ...score, min: e.target.value })} onKeyDown={onKey} />
          –
          <input aria-label="PRM max" inputMode="decimal" placeholder="max" value={score.max} onChange={(e) => setScore({ ...score, max: e.target.value })} onKeyDown={onKey} />
        </span>
      )}
      <button type="button" aria-label="Previous match" disabled={matches.length === 0} onClick={() => jump(-1)}>
        ↑
      </button>
      <button type="button" aria-label="Next match" disabled={matches.length === 0} onClick={() => jump(1)}>
        ↓
      </button>
      <span className="small" data-testid="tree-search-count" aria-live="polite">
        {parsed.error ? <span className="error-text">{parsed.error}</span> : !active ? '' : matches.length === 0 ? 'no match' : `${at >= 0 ? `${at + 1} of ` : ''}${matches.length.toLocaleString()} ${matches.length === 1 ? 'match' : 'matches'}`}
      </span>
    </div>
  );
}
