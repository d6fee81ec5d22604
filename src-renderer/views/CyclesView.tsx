// MathSE self-evolving cycles: start a run, follow it stage by stage (cycle × stage rows, the running one
// with the job's progress, a failed one with its error), cancel or resume it, and read what it did: test
// accuracy and pass@k per cycle over the stage counts, accuracy per difficulty, the model lineage with
// each model's training set, the fine-tune loss, and the ORM's reflections.
import { Fragment, useEffect, useState } from 'react';
import { CYCLE_STAGES, type CycleRun } from '../../src-shared/cycles';
import { ErrorNote } from '../components/ErrorNote';
import { ProgressBar } from '../components/ProgressBar';
import { ManageButtons } from '../components/ManageDialog';
import { ViewHeader } from '../components/ViewHeader';
import { CycleChart, LossChart } from '../cycles/charts';
import { canCancel, canResume, chartSeries, difficultyTable, formatCounts, formatDuration, lineage, stageRows } from '../cycles/model';
import { describeError } from '../errors';
import { useApp } from '../store';
import { shownRun } from '../store/selectors';
import { CycleLaunch } from './CycleLaunch';
import { ReflectionBrowser } from './ReflectionBrowser';
import './cycles.css';

const pct = (x: number | null | undefined): string => (typeof x === 'number' ? `${(100 * x).toFixed(1)}%` : '–');

/** Re-renders every second while `on`, so a running stage's duration counts up. */
function useNow(on: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!on) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [on]);
  return on ? now : Date.now();
}

function RunActions({ run }: { run: CycleRun }) {
  const job = useApp((s) => (run.jobId === null ? undefined : s.jobs.find((j) => j.id === run.jobId)));
  const cancel = useApp((s) => s.cancelJob);
  const resume = useApp((s) => s.resumeJob);
  const refresh = useApp((s) => s.refreshCycleRun);
  const [busy, setBusy] = useState<'cancel' | 'resume' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const state = job?.state ?? run.jobState;
  if (run.jobId === null) return null;
  const act = async (what: 'cancel' | 'resume'): Promise<void> => {
    setBusy(what);
    try {
      await (what === 'cancel' ? cancel(run.jobId!) : resume(run.jobId!));
      setError(null);
      await refresh(run.id);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(null);
    }
  };
  return (
    <div className="run-actions">
      <span>
        job #{run.jobId} <span className={`state state-${state}`} data-testid="run-state">{state ?? 'unknown'}</span>
      </span>
      {job && (
        <span className="run-progress">
          <ProgressBar progress={job.progress} active={job.state === 'running'} finished={job.state === 'done'} />
        </span>
      )}
      {canCancel(state) && (
        <button type="button" disabled={busy !== null} onClick={() => void act('cancel')}>
          {busy === 'cancel' ? 'Cancelling…' : 'Cancel'}
        </button>
      )}
      {canResume(state) && (
        <button type="button" disabled={busy !== null} title="Continue from the last finished stage" onClick={() => void act('resume')}>
          {busy === 'resume' ? 'Resuming…' : 'Resume'}
        </button>
      )}
      {error && <span className="error-text small" role="alert">{error}</span>}
      {job?.error && state !== 'running' && <div className="error-text small run-error">{job.error}</div>}
    </div>
  );
}

function StageTable({ run }: { run: CycleRun }) {
  const job = useApp((s) => (run.jobId === null ? undefined : s.jobs.find((j) => j.id === run.jobId)));
  const running = job?.state === 'running';
  const now = useNow(running);
  const rows = stageRows(run, job ?? null, now);
  const models = new Map(run.cycles.map((c) => [c.idx, c.model]));
  // cycles the job has not reached yet have no stages stored: one line each says they are to come
  const planned = typeof run.config.cycles === 'number' ? run.config.cycles : 0;
  const reached = Math.max(0, ...run.cycles.map((c) => c.idx));
  const future = Array.from({ length: Math.max(0, planned - reached) }, (_, i) => reached + 1 + i);
  return (
    <table className="data-table stage-table" data-testid="stage-table">
      <thead>
        <tr>
          <th>Cycle</th>
          <th>Stage</th>
          <th>Status</th>
          <th>Counts</th>
          <th className="num">Duration</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => {
          const first = i === 0 || rows[i - 1].cycle !== r.cycle;
          return (
            <Fragment key={`${r.cycle}.${r.stage}`}>
              <tr className={[first ? 'cycle-start' : '', r.current ? 'current' : '', `stage-${r.status}`].filter(Boolean).join(' ')} data-testid="stage-row" data-cycle={r.cycle} data-stage={r.stage} data-status={r.status}>
                <td>
                  {first && (
                    <>
                      <strong>{r.cycle === 0 ? 'cycle 0 (base)' : `cycle ${r.cycle}`}</strong>
                      {models.get(r.cycle) && <span className="muted small mono"> {models.get(r.cycle)}</span>}
                    </>
                  )}
                </td>
                <td>{r.stage}</td>
                <td>
                  <span className={`state state-${r.status === 'pending' ? 'queued' : r.status}`}>{r.status}</span>
                </td>
                <td className="small">
                  {formatCounts(r.counts) || <span className="muted">–</span>}
                  {r.current && r.message && <div className="stage-message">{r.message}</div>}
                </td>
                <td className="num small">{formatDuration(r.durationMs)}</td>
              </tr>
              {r.error && (
                <tr className="stage-error-row">
                  <td />
                  <td colSpan={4}>
                    <pre className="stage-error" data-testid="stage-error">
                      {r.error}
                    </pre>
                  </td>
                </tr>
              )}
            </Fragment>
          );
        })}
        {future.map((c) => (
          <tr key={`future-${c}`} className="cycle-start future" data-testid="stage-row-future">
            <td>
              <strong>cycle {c}</strong>
            </td>
            <td colSpan={4}>{canCancel(job?.state ?? run.jobState) ? 'to come' : 'not reached'}: {CYCLE_STAGES.join(' → ')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DifficultyTable({ run }: { run: CycleRun }) {
  const t = difficultyTable(run);
  if (t.rows.length === 0) return null;
  return (
    <table className="data-table difficulty-table" data-testid="difficulty-table">
      <caption>Test accuracy per difficulty (n problems)</caption>
      <thead>
        <tr>
          <th>difficulty</th>
          {t.cycles.map((c) => (
            <th key={c} className="num">
              {c === 0 ? 'base' : `c${c}`}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {t.rows.map((r) => (
          <tr key={r.difficulty}>
            <td>{r.difficulty}</td>
            {r.cells.map((cell, i) => (
              <td key={t.cycles[i]} className="num">
                {cell ? (
                  <>
                    {pct(cell.accuracy)} <span className="muted small">({cell.n})</span>
                  </>
                ) : (
                  <span className="muted">–</span>
                )}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const signedPt = (x: number): string => `${x > 0 ? '+' : ''}${x.toFixed(1)}`;

function Lineage({ run }: { run: CycleRun }) {
  const models = useApp((s) => s.models);
  const nodes = lineage(run, models);
  return (
    <ol className="lineage" aria-label="Model lineage" data-testid="lineage">
      {nodes.map((n) => (
        <li key={n.cycle} className={`lineage-node status-${n.status}`}>
          <div className="lineage-title">{n.cycle === 0 ? 'base' : `c${n.cycle}`}</div>
          <div className="mono lineage-model">{n.model ?? <span className="muted">not registered yet</span>}</div>
          <div className="lineage-acc">
            <strong>{pct(n.testAccuracy)}</strong> <span className="muted small">test acc</span>
            {n.delta !== null && <span className={`small delta ${n.delta > 0 ? 'up' : n.delta < 0 ? 'down' : ''}`}> {n.delta > 0 ? `+${n.delta}` : n.delta} pt</span>}
          </div>
          {n.vsBase && (
            <div className="small" data-testid="vs-base" title={`greedy accuracy minus the base's on the same ${n.vsBase.problems} held-out problems; 95% paired bootstrap interval over them`}>
              vs base {signedPt(n.vsBase.diff)} <span className="muted">[{signedPt(n.vsBase.lo)}, {signedPt(n.vsBase.hi)}]</span>
              {' '}
              {n.vsBase.lo > 0 ? <span className="delta up">above{'\u00a0'}0</span> : n.vsBase.hi < 0 ? <span className="delta down">below{'\u00a0'}0</span> : <span className="muted">covers{'\u00a0'}0</span>}
            </div>
          )}
          {n.cycle > 0 && (
            <div className="small muted">
              {n.trainExamples !== null ? `${n.trainExamples.toLocaleString()} training rows` : 'no training set yet'}
              {n.trainingDataHash && (
                <div className="mono small" title={n.trainingDataHash}>
                  {n.trainingDataHash.slice(0, 19)}…
                </div>
              )}
            </div>
          )}
        </li>
      ))}
    </ol>
  );
}

function RunDetail({ run }: { run: CycleRun }) {
  const loss = useApp((s) => s.cycleLoss);
  const loadLoss = useApp((s) => s.loadCycleLoss);
  useEffect(() => {
    if (run.jobId !== null) void loadLoss(run.jobId);
  }, [run.jobId, loadLoss]);
  const c = run.config as { orm?: string | null; cycles?: number; reflect?: { enabled?: boolean }; trainSplit?: string; evalSplit?: string; infer?: { samples?: number; problems?: number | null } };
  const series = chartSeries(run);
  const lossSeries = loss && loss.jobId === run.jobId ? loss.series : {};
  return (
    <div className="detail run-detail" data-testid="run-detail">
      <h3>
        {run.name} <span className="muted small">run #{run.id}</span>
      </h3>
      <p className="muted small">
        dataset <span className="mono">{run.dataset}</span> ({c.trainSplit ?? 'train'} → eval on {c.evalSplit ?? 'test'}) · base <span className="mono">{run.baseModel}</span> · ORM{' '}
        <span className="mono">{c.orm ?? 'none'}</span> · reflection {c.reflect?.enabled === false ? 'off' : 'on'} · {c.cycles ?? '?'} cycle{c.cycles === 1 ? '' : 's'} · k = {c.infer?.samples ?? '?'} on{' '}
        {c.infer?.problems ?? 'all'} problems per cycle · started {new Date(run.createdAt).toLocaleString()}
      </p>
      <RunActions run={run} />
      <h4>Stages</h4>
      <StageTable run={run} />
      <h4>Per cycle</h4>
      <div className="cycle-charts">
        <CycleChart series={series} />
        <DifficultyTable run={run} />
      </div>
      <h4>Model lineage</h4>
      <Lineage run={run} />
      {Object.keys(lossSeries).length > 0 && (
        <>
          <h4>Fine-tune loss</h4>
          <LossChart series={lossSeries} />
        </>
      )}
      <ReflectionBrowser run={run} />
    </div>
  );
}

export function CyclesView() {
  const runs = useApp((s) => s.cycleRuns);
  const loaded = useApp((s) => s.cycleRunsLoaded);
  const error = useApp((s) => s.cycleRunsError);
  const load = useApp((s) => s.loadCycleRuns);
  const loadModels = useApp((s) => s.loadModels);
  const open = useApp((s) => s.openCycleRun);
  const wanted = useApp((s) => s.cycleRun);
  const run = useApp(shownRun);
  const pending = useApp((s) => s.pendingCycleJob);
  const jobs = useApp((s) => s.jobs);

  useEffect(() => {
    void load();
    void loadModels();
  }, [load, loadModels]);

  return (
    <section aria-labelledby="cycles-title">
      <ViewHeader id="cycles-title" title="Cycles" onRefresh={() => (void load(), void loadModels())} error={error} loading={!loaded} />
      <CycleLaunch open={loaded && runs.length === 0} />
      {loaded && runs.length === 0 && pending === null && (
        <p className="empty">
          No cycle runs yet. Start one above, or from the CLI: <code>steplab cycle run --workspace &lt;dir&gt; --dataset demo --policy tiny-policy --orm tiny-orm --cycles 2</code>.
        </p>
      )}
      {(runs.length > 0 || pending !== null) && (
        <div className="split-pane cycles-pane">
          <ul className="list" aria-label="Cycle runs">
            {pending !== null && (
              <li className="muted small">
                job #{pending} {jobs.find((j) => j.id === pending)?.state ?? 'queued'}: the run appears when it starts
              </li>
            )}
            {runs.map((r) => {
              const acc = [...r.cycles].sort((a, b) => b.idx - a.idx).find((c) => typeof c.metrics.test_accuracy === 'number');
              const state = jobs.find((j) => j.id === r.jobId)?.state ?? r.jobState;
              return (
                <li key={r.id}>
                  <button type="button" className={run?.id === r.id ? 'link current' : 'link'} onClick={() => open(r.id)}>
                    {r.name}
                  </button>
                  <ManageButtons compact target={{ kind: 'cycleRun', ref: r.id, label: `“${r.name}”`, name: r.name }} />
                  <div className="muted small">
                    #{r.id} · {r.cycles.filter((c) => c.idx > 0 && c.status === 'done').length}/{String(r.config.cycles ?? '?')} cycles · <span className={`state state-${state}`}>{state}</span>
                    {acc && ` · ${pct(acc.metrics.test_accuracy)} (c${acc.idx})`}
                  </div>
                </li>
              );
            })}
          </ul>
          {run ? (
            <RunDetail run={run} />
          ) : (
            wanted !== undefined && loaded && <ErrorNote message={`There is no cycle run #${wanted} in this workspace.`} onRetry={() => void load()} />
          )}
        </div>
      )}
    </section>
  );
}
