// The disagreement queue: the tree nodes where a PRM's score and the search's MC label differ most, so
// curation starts where a label is most likely wrong. A row opens the node in the tree explorer.
import { useEffect, useState } from 'react';
import { ErrorNote } from '../components/ErrorNote';
import { useApp } from '../store';

export function DisagreementQueue() {
  const prms = useApp((s) => s.prms);
  const queue = useApp((s) => s.disagreements);
  const error = useApp((s) => s.disagreementsError);
  const load = useApp((s) => s.loadDisagreements);
  const open = useApp((s) => s.openSearch);
  const [prm, setPrm] = useState<string | null>(null);
  const chosen = prm ?? prms[0] ?? null;
  useEffect(() => {
    if (chosen) void load(chosen);
  }, [chosen, load]);
  if (prms.length === 0) return null;
  return (
    <details className="queue" data-testid="disagreements">
      <summary>
        Disagreement queue{queue ? `: ${queue.items.length} of ${queue.scoredNodes.toLocaleString()} scored nodes` : ''}
      </summary>
      <label>
        PRM{' '}
        <select aria-label="PRM" value={chosen ?? ''} onChange={(e) => setPrm(e.target.value)}>
          {prms.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
      </label>
      {error && <ErrorNote message={error} />}
      {queue && queue.items.length === 0 && <p className="muted small">{queue.prm} has scored no node with an MC value yet: run `steplab score --search ...`.</p>}
      {queue && queue.items.length > 0 && (
        <table className="data-table">
          <thead>
            <tr>
              <th>search</th>
              <th>step</th>
              <th className="num">MC</th>
              <th className="num">PRM</th>
              <th className="num">gap</th>
            </tr>
          </thead>
          <tbody>
            {queue.items.map((d) => (
              <tr key={d.nodeId}>
                <td>
                  <button type="button" className="link" onClick={() => void open(d.searchId, d.nodeId)}>
                    #{d.searchId} node {d.nodeId}
                  </button>
                </td>
                <td className="mono pre small">{d.stepText}</td>
                <td className="num">{d.mc.toFixed(3)}</td>
                <td className="num">{d.score.toFixed(3)}</td>
                <td className="num">{d.gap.toFixed(3)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </details>
  );
}
