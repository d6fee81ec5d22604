// The curation queues, where curation starts. The disagreement queue: tree nodes where a PRM's score and
// the search's MC differ most, filtered (answer lines hidden by default, one step kind, the open problem
// only, a least gap), each row with its problem's question and the path from the question to the node;
// a row opens the node in the tree explorer, ticked rows are marked good or bad, or their labels selected,
// in one batch. The solution conflicts: solutions whose verdict and the PRM's ranking among their
// problem's candidates conflict (ties share the best rank; "scored low" is the bottom share of the
// problem's own candidates), strongest first; a row shows the solution's steps or opens it in its problem.
import { Fragment, useEffect, useState } from 'react';
import type { NodeDisagreement, ScoredSolution, SolutionConflict } from '../../src-shared/domain';
import { ErrorNote } from '../components/ErrorNote';
import { describeError } from '../errors';
import { useApp, useConnection } from '../store';
import type { QueueFilters } from '../store/searches';
import { prmLabels } from '../store/selectors';
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
  const [lowShare, setLowShare] = useState(25);
  const [threshold, setThreshold] = useState('');
  const [open, setOpen] = useState<number | null>(null);
  const absolute = threshold.trim() === '' ? undefined : Math.min(1, Math.max(0, Number(threshold) || 0));
  useEffect(() => {
    void load(prm, { lowShare: lowShare / 100, ...(absolute === undefined ? {} : { threshold: absolute }) });
  }, [prm, lowShare, absolute, load]);
  return (
    <div className="solution-conflicts" data-testid="solution-conflicts">
      <h4>
        Solutions whose verdict and PRM ranking conflict
        {conflicts ? `: ${conflicts.items.length} of ${conflicts.scoredSolutions.toLocaleString()} scored solutions` : ''}
      </h4>
      <div className="queue-filters small">
        <label>
          “scored low”: a correct solution in the bottom{' '}
          <input type="number" min={0} max={100} step={5} aria-label="Low share" value={lowShare} onChange={(e) => setLowShare(Math.min(100, Math.max(0, Number(e.target.value) || 0)))} />% of its
          own problem’s candidates, below a wrong one
        </label>
        <label>
          or under{' '}
          <input type="number" min={0} max={1} step={0.05} aria-label="Conflict threshold" placeholder="—" value={threshold} onChange={(e) => setThreshold(e.target.value)} /> (optional)
        </label>
        <span className="muted">ranks: candidates scored alike share the best rank (1-2-2-4)</span>
      </div>
      {error && <ErrorNote message={error} />}
      {conflicts && conflicts.items.length === 0 && (
        <p className="muted small">No conflicts: {conflicts.prm} has scored {conflicts.scoredSolutions} solutions with a verdict (run a Best-of-N job to score candidates).</p>
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
                  <td className="num" data-testid="conflict-rank">
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

type StepFilter = 'reasoning' | 'answer' | 'all';

/** One row of the queue: where it is, the question, the path with the disputed step last, MC against the PRM. */
function QueueRow({ d, ticked, onTick, onOpen }: { d: NodeDisagreement; ticked: boolean; onTick(): void; onOpen(): void }) {
  const path = d.path ?? [d.stepText];
  return (
    <li className="queue-row" data-testid="queue-row" data-node={d.nodeId}>
      <div className="queue-row-head">
        <input type="checkbox" aria-label={`tick node ${d.nodeId}`} checked={ticked} onChange={onTick} />
        <button type="button" className="link" onClick={onOpen}>
          #{d.searchId} node {d.nodeId}
        </button>
        <span className="mono small">{d.extId ?? `problem ${d.problemId}`}</span>
        <span className="queue-values small">
          MC <strong>{d.mc.toFixed(3)}</strong> · PRM <strong>{d.score.toFixed(3)}</strong> · gap <strong data-testid="queue-gap">{d.gap.toFixed(3)}</strong>
        </span>
      </div>
      {d.question && (
        <div className="queue-question small muted" title={d.question}>
          {d.question}
        </div>
      )}
      <ol className="queue-path mono small" aria-label="path from the question">
        {path.map((step, i) => (
          <li key={i} className={i === path.length - 1 ? 'disputed' : undefined}>
            {step}
          </li>
        ))}
      </ol>
    </li>
  );
}

export function DisagreementQueue({ onOpen }: { onOpen?(): void } = {}) {
  const prms = useApp(prmLabels);
  const queue = useApp((s) => s.disagreements);
  const error = useApp((s) => s.disagreementsError);
  const load = useApp((s) => s.loadDisagreements);
  const open = useApp((s) => s.openSearch);
  const selectNodeLabels = useApp((s) => s.selectNodeLabels);
  const actOnNodes = useApp((s) => s.actOnNodes);
  const curationError = useApp((s) => s.curationError);
  const openProblem = useApp((s) => s.tree?.search);
  const [prm, setPrm] = useState<string | null>(null);
  const [steps, setSteps] = useState<StepFilter>('reasoning');
  const [thisProblem, setThisProblem] = useState(false);
  const [minGap, setMinGap] = useState(0);
  const [ticked, setTicked] = useState<number[]>([]);
  const [reload, setReload] = useState(0);
  const chosen = prm ?? prms[0] ?? null;
  const problemId = thisProblem ? openProblem?.problemId : undefined;
  useEffect(() => {
    if (!chosen) return;
    const filters: QueueFilters = { ...(steps === 'all' ? {} : { stepKind: steps }), ...(problemId !== undefined ? { problemId } : {}), ...(minGap > 0 ? { minGap } : {}) };
    void load(chosen, filters);
  }, [chosen, steps, problemId, minGap, load, reload]);
  if (prms.length === 0 || !chosen) return <p className="muted small">No PRM is registered: the queues compare a PRM's scores with the searches' MC labels and the solutions' verdicts.</p>;
  const rows = queue?.items.filter((d) => ticked.includes(d.nodeId)) ?? [];
  const act = async (kind: 'good' | 'bad') => {
    if (await actOnNodes(rows, { kind: 'relabel', value: kind === 'good' ? 1 : 0 })) {
      setTicked([]);
      setReload((n) => n + 1);
    }
  };
  return (
    <>
      <details className="queue" data-testid="disagreements" open>
        <summary>
          Disagreement queue
          {queue ? `: ${queue.items.length}${queue.matching !== undefined && queue.matching > queue.items.length ? ` of ${queue.matching.toLocaleString()}` : ''} shown, ${queue.scoredNodes.toLocaleString()} scored nodes` : ''}
        </summary>
        <div className="queue-filters small">
          <label>
            PRM{' '}
            <select aria-label="PRM" value={chosen} onChange={(e) => setPrm(e.target.value)}>
              {prms.map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
          </label>
          <label>
            steps{' '}
            <select aria-label="Step kind" value={steps} onChange={(e) => setSteps(e.target.value as StepFilter)}>
              <option value="reasoning">reasoning (answer lines hidden)</option>
              <option value="answer">answer lines only</option>
              <option value="all">all</option>
            </select>
          </label>
          {openProblem && (
            <label>
              <input type="checkbox" checked={thisProblem} onChange={(e) => setThisProblem(e.target.checked)} /> only {openProblem.extId ?? `problem ${openProblem.problemId}`}
            </label>
          )}
          <label>
            gap ≥{' '}
            <input type="number" aria-label="Least gap" min={0} max={1} step={0.05} value={minGap} onChange={(e) => setMinGap(Math.min(1, Math.max(0, Number(e.target.value) || 0)))} />
          </label>
        </div>
        {error && <ErrorNote message={error} />}
        {queue && queue.items.length === 0 && (
          <p className="muted small">{queue.scoredNodes === 0 ? `${queue.prm} has scored no node with an MC value yet: run a score job on a search job's trees.` : 'No node matches these filters.'}</p>
        )}
        {queue && queue.items.length > 0 && (
          <>
            <div className="queue-actions" role="toolbar" aria-label="Ticked rows">
              <span className="small">{rows.length} ticked:</span>
              <button type="button" disabled={rows.length === 0} onClick={() => void act('good')}>
                Mark good
              </button>
              <button type="button" disabled={rows.length === 0} onClick={() => void act('bad')}>
                Mark bad
              </button>
              <button type="button" disabled={rows.length === 0} onClick={() => void selectNodeLabels(rows).then(() => setTicked([]))}>
                Select their labels
              </button>
              <button type="button" className="link small" onClick={() => setTicked(queue.items.map((d) => d.nodeId))}>
                tick all {queue.items.length}
              </button>
              {curationError && <ErrorNote message={curationError} />}
            </div>
            <BulkBar />
            <ol className="queue-rows">
              {queue.items.map((d) => (
                <QueueRow
                  key={d.nodeId}
                  d={d}
                  ticked={ticked.includes(d.nodeId)}
                  onTick={() => setTicked((t) => (t.includes(d.nodeId) ? t.filter((x) => x !== d.nodeId) : [...t, d.nodeId]))}
                  onOpen={() => {
                    onOpen?.();
                    void open(d.searchId, d.nodeId);
                  }}
                />
              ))}
            </ol>
          </>
        )}
      </details>
      <SolutionConflictQueue />
    </>
  );
}

/** The solution-level queue, beside the node queue. */
export function SolutionConflictQueue() {
  const prms = useApp(prmLabels);
  const [prm, setPrm] = useState<string | null>(null);
  const chosen = prm ?? prms[0] ?? null;
  if (!chosen) return null;
  return (
    <details className="queue" data-testid="solution-queue" open>
      <summary>Solution conflicts: verdict against PRM ranking</summary>
      <label className="small">
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
