// The open search's problem above its tree: the dataset id (a link to the problem's page), the question
// typeset, its pictures, the gold answer; and the tree counted against the gold step labels where the
// problem has them (found / late / early first errors, false alarms, missed).
import { useState } from 'react';
import { ErrorNote } from '../components/ErrorNote';
import { ProblemText } from '../components/ProblemText';
import { useApp, useConnection } from '../store';
import { algorithmLabel, searchTitle, type OpenTree, type SearchGold } from '../store/searches';

const n = (x: number, one: string, many = `${one}s`): string => `${x.toLocaleString()} ${x === 1 ? one : many}`;

export function GoldSummary({ gold }: { gold: SearchGold | null }) {
  if (!gold) return null;
  if (!gold.summary) return <span className="muted small" data-testid="gold-summary">No gold step labels for this problem (only the demo domain has a step checker).</span>;
  const s = gold.summary;
  return (
    <span className="gold-summary small" data-testid="gold-summary" title={`Against gold step labels from ${gold.source}`}>
      <strong>vs gold</strong> · {n(s.firstErrors, 'first error')} of the search:{' '}
      <span className="gold-chip ok" title="the search's first error is the gold first error of its path">{s.found} found</span>{' '}
      <span className="gold-chip warn" title="the gold first error is at an earlier step of the path">{s.late} late</span>{' '}
      <span className="gold-chip warn" title="gold says every step through this node is right">{s.early} early</span> · {n(s.labelled, 'labelled prefix', 'labelled prefixes')}:{' '}
      <span className="gold-chip bad" title="MC = 0 on a prefix gold calls right">{n(s.falseAlarm, 'false alarm')}</span>{' '}
      <span className="gold-chip bad" title="MC > 0 on a prefix gold calls wrong">{s.missed} missed</span> · {n(s.goldFirstErrors, 'gold first error')} in the tree
    </span>
  );
}

export function SearchProblem({ tree }: { tree: OpenTree }) {
  const detail = useApp((s) => s.treeProblem);
  const error = useApp((s) => s.treeProblemError);
  const gold = useApp((s) => s.treeGold);
  const navigate = useApp((s) => s.navigate);
  const { imageUrl } = useConnection();
  const [zoom, setZoom] = useState<string | null>(null);
  const s = tree.search;
  const p = detail?.problem.id === s.problemId ? detail.problem : null;
  const openProblem = () =>
    navigate(s.dataset && s.extId ? { view: 'problems', dataset: s.dataset, focus: { kind: 'ref', extId: s.extId } } : { view: 'problems', dataset: null, focus: { kind: 'problem', id: s.problemId } });
  return (
    <div className="search-problem" data-testid="search-problem">
      <div className="search-problem-text">
        <div className="search-problem-head">
          <button type="button" className="link mono" onClick={openProblem} title="Open the problem's page">
            {searchTitle(s)}
          </button>
          {s.dataset && <span className="muted small">in {s.dataset}</span>}
          <span className="muted small">
            {s.name && <strong> · “{s.name}”</strong>} · {algorithmLabel(s.algorithm)} search #{s.id} · seed {s.seed ?? '–'} · {n(tree.nodes.length, 'node')} · stopped: {s.status}
            {tree.prm.length > 0 && <> · PRM scores from {tree.prm.map((x) => x.model).join(', ')}</>}
          </span>
        </div>
        {error && <ErrorNote message={`The problem: ${error}`} />}
        {p ? (
          <ProblemText problem={p} questionClass="search-problem-question" questionTestId="search-question" goldClass="small" />
        ) : (
          !error && <div className="muted small">Loading the problem…</div>
        )}
        <GoldSummary gold={gold?.searchId === s.id ? gold : null} />
      </div>
      {p && p.images.length > 0 && (
        <div className="search-problem-images">
          {p.images.map((img, i) =>
            detail!.missingImages.includes(img.hash) ? (
              <span key={img.hash} className="error-text small">
                image {i + 1} missing
              </span>
            ) : (
              <button key={img.hash} type="button" className="thumb" onClick={() => setZoom(zoom === img.hash ? null : img.hash)} title="Show larger">
                <img src={imageUrl(img.hash)} alt={`Picture ${i + 1} of ${searchTitle(s)}`} />
              </button>
            ),
          )}
          {zoom && (
            <div className="search-problem-zoom" role="dialog" aria-label="Picture" onClick={() => setZoom(null)}>
              <img src={imageUrl(zoom)} alt={`Picture of ${searchTitle(s)}, larger`} />
            </div>
          )}
        </div>
      )}
    </div>
  );
}
