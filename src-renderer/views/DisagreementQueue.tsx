// The disagreement queue, where curation starts: the tree nodes where a PRM's score and the search's MC
// label differ most (a row opens the node in the tree explorer; ticked rows select their labels for a bulk
// action), and the solutions whose verdict and the PRM's ranking among their problem's candidates conflict
// (strongest first; a row shows the solution's steps with their scores, or opens it in the Problems view).
import { Fragment, useEffect, useState } from 'react';
import type { ScoredSolution, SolutionConflict } from '../../src-shared/domain';
import { ErrorNote } from '../components/ErrorNote';
import { describeError } from '../errors';
import { useApp, useConnection } from '../store';
import { BulkBar } from './CurationBulkBar';
import './DisagreementQueue.css';

const KIND: Record<SolutionConflict['kind'], string> = {
  'wrong-top': 'wrong, ranked first',
  'correct-bottom': 'correct, ranked last',
  'correct-low': 'correct, scored low',
};

function ConflictSteps({ c, prm }: { c: SolutionConflict; prm: string }) {
  const { api } = useConnection();
  const [sol, setSol] = useState<ScoredSolution | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api['solutions.forProblem']({ problemId: c.problemId, ids: [c.solutionId] }).then(
      (r) => (r[0] ? setSol(r[0]) : setError(`solution ${c.solutionId} is no longer stored`)),
      (e: unknown) => setError(describeError(e)),
    );
  }, [api, c.problemId, c.solutionId]);
  if (error) return <ErrorNote message={error} />;
  if (!sol) return <p className="muted small">Loading the solution…</p>;
  const scores = sol.scores[prm] ?? [];
  return (
    <ol className="conflict-steps small" data-testid={`conflict-steps-${c.solutionId}`}>
      {sol.steps.map((s) => (
        <li key={s.idx} className={s.idx === c.weakestStep ? 'weakest' : undefined}>
          <span className="mono pre">{s.text}</span> <span className="num">{scores[s.idx]?.toFixed(3) ?? '–'}</span>
        </li>
      ))}
      <li className="muted">final answer: {sol.finalAnswer ?? '(none)'}</li>
    </ol>
  );
}

function SolutionConflicts({ prm }: { prm: string }) {
  const conflicts = useApp((s) => s.conflicts);
  const error = useApp((s) => s.conflictsError);
  const load = useApp((s) => s.loadConflicts);
  const navigate = useApp((s) => s.navigate);
  const [threshold, setThreshold] = useState(0.5);
  const [open, setOpen] = useState<number | null>(null);
  useEffect(() => {
    void load(prm, threshold);
  }, [prm, threshold, load]);
  return (
    <div className="solution-conflicts" data-testid="solution-conflicts">
      <h4>
        Solutions whose verdict and PRM ranking conflict
        {conflicts ? `: ${conflicts.items.length} of ${conflicts.scoredSolutions.toLocaleString()} scored solutions` : ''}
      </h4>
      <label className="small">
        a correct solution scored under{' '}
        <input type="number" min={0} max={1} step={0.05} aria-label="Conflict threshold" value={threshold} onChange={(e) => setThreshold(Math.min(1, Math.max(0, Number(e.target.value) || 0)))} /> (by the
        minimum step score) is a conflict
      </label>
      {error && <ErrorNote message={error} />}
      {conflicts && conflicts.items.length === 0 && (
        <p className="muted small">No conflicts: {conflicts.prm} has scored {conflicts.scoredSolutions} solutions with a verdict (run `steplab bon` to score candidates).</p>
      )}
      {conflicts && conflicts.items.length > 0 && (
        <table className="data-table">
          <thead>
            <tr>
              <th>solution</th>
              <th>question</th>
              <th>conflict</th>
              <th className="num">PRM</th>
              <th className="num">rank</th>
              <th className="num">strength</th>
            </tr>
          </thead>
          <tbody>
            {conflicts.items.map((c) => (
              <Fragment key={c.solutionId}>
                <tr data-testid="conflict-row">
                  <td>
                    <button type="button" className="link" aria-expanded={open === c.solutionId} onClick={() => setOpen(open === c.solutionId ? null : c.solutionId)}>
                      #{c.solutionId}
                    </button>{' '}
                    <button
                      type="button"
                      className="link small"
                      onClick={() => navigate({ view: 'problems', dataset: null, focus: { kind: 'problem', id: c.problemId, solution: c.solutionId, step: c.weakestStep } })}
                    >
                      open
                    </button>
                  </td>
                  <td className="small conflict-question">{c.question}</td>
                  <td className={c.verdict === 'correct' ? 'ok' : 'bad'}>{KIND[c.kind]}</td>
                  <td className="num">{c.score.toFixed(3)}</td>
                  <td className="num">
                    {c.rank}/{c.candidates}
                  </td>
                  <td className="num" data-testid="conflict-gap">
                    {c.gap.toFixed(3)}
                  </td>
                </tr>
                {open === c.solutionId && (
                  <tr>
                    <td colSpan={6}>
                      <ConflictSteps c={c} prm={conflicts.prm} />
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** onOpen: told when a row opens its node (the side pane then shows the node) */
export function DisagreementQueue({ onOpen }: { onOpen?(): void } = {}) {
  const prms = useApp((s) => s.prms);
  const queue = useApp((s) => s.disagreements);
  const error = useApp((s) => s.disagreementsError);
  const load = useApp((s) => s.loadDisagreements);
  const open = useApp((s) => s.openSearch);
  const selectNodeLabels = useApp((s) => s.selectNodeLabels);
  const curationError = useApp((s) => s.curationError);
  const [prm, setPrm] = useState<string | null>(null);
  const [ticked, setTicked] = useState<number[]>([]);
  const chosen = prm ?? prms[0] ?? null;
  useEffect(() => {
    if (chosen) void load(chosen);
  }, [chosen, load]);
  if (prms.length === 0 || !chosen) return null;
  const rows = queue?.items.filter((d) => ticked.includes(d.nodeId)) ?? [];
  return (
    <>
      <details className="queue" data-testid="disagreements" open>
        <summary>
          Disagreement queue{queue ? `: ${queue.items.length} of ${queue.scoredNodes.toLocaleString()} scored nodes` : ''}
        </summary>
        <label>
          PRM{' '}
          <select aria-label="PRM" value={chosen} onChange={(e) => setPrm(e.target.value)}>
            {prms.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
        {error && <ErrorNote message={error} />}
        {queue && queue.items.length === 0 && <p className="muted small">{queue.prm} has scored no node with an MC value yet: run `steplab score --search ...`.</p>}
        {queue && queue.items.length > 0 && (
          <>
            <div className="queue-actions">
              <button type="button" disabled={rows.length === 0} onClick={() => void selectNodeLabels(rows).then(() => setTicked([]))}>
                Select the labels of {rows.length} ticked row{rows.length === 1 ? '' : 's'}
              </button>
              {curationError && <ErrorNote message={curationError} />}
            </div>
            <BulkBar />
            <table className="data-table">
              <thead>
                <tr>
                  <th aria-label="tick" />
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
                      <input
                        type="checkbox"
                        aria-label={`tick node ${d.nodeId}`}
                        checked={ticked.includes(d.nodeId)}
                        onChange={() => setTicked((t) => (t.includes(d.nodeId) ? t.filter((x) => x !== d.nodeId) : [...t, d.nodeId]))}
                      />
                    </td>
                    <td>
                      <button type="button" className="link" onClick={() => {
                          onOpen?.();
                          void open(d.searchId, d.nodeId);
                        }}>
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
          </>
        )}
      </details>
      <SolutionConflictQueue />
    </>
  );
}

/** The solution-level queue, beside the node queue: the same PRM choice. */
export function SolutionConflictQueue() {
  const prms = useApp((s) => s.prms);
  const [prm, setPrm] = useState<string | null>(null);
  const chosen = prm ?? prms[0] ?? null;
  if (!chosen) return null;
  return (
    <details className="queue" data-testid="solution-queue" open>
      <summary>Solution conflicts: verdict against PRM ranking</summary>
      <label>
        PRM{' '}
        <select aria-label="PRM for solution conflicts" value={chosen} onChange={(e) => setPrm(e.target.value)}>
          {prms.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
      </label>
      <SolutionConflicts prm={chosen} />
    </details>
  );
}
