// The reflection browser: a run's ORM-judged wrong paths, filtered by cycle and outcome. One opened shows
// the wrong solution with the ORM's flagged step and the gold first error marked, the diagnosis (or why the
// ORM's output could not be read, with the raw output), and each regeneration: the prefix kept from the
// original set apart from the new steps, its verdict against gold, the ORM's recheck and whether it went
// into the training set.
import { useEffect, useState } from 'react';
import type { CycleRun, OrmVerdictRecord, Reflection } from '../../src-shared/cycles';
import { ErrorNote } from '../components/ErrorNote';
import { OUTCOME_LABELS, reflectionCycles, stepMarks } from '../cycles/model';
import { clip } from '../format';
import { MathText } from '../math/MathText';
import { useApp } from '../store';
import { REFLECTIONS_PAGE, type ReflectionQuery } from '../store/cycles';

const OUTCOMES = Object.keys(OUTCOME_LABELS) as Reflection['outcome'][];

function Verdict({ v, label }: { v: OrmVerdictRecord; label: string }) {
  if (!v.ok) {
    return (
      <div className="orm-verdict unparsed">
        <strong>{label}: output not readable</strong> <span className="muted">({v.reason ?? 'no reason recorded'})</span>
        {v.raw && <pre className="raw-output" aria-label="Raw ORM output">{v.raw}</pre>}
      </div>
    );
  }
  return (
    <div className={`orm-verdict ${v.status === 'CORRECT' ? 'correct' : 'wrong'}`}>
      <strong>
        {label}: {v.status}
      </strong>
      {v.status === 'WRONG' && v.errorStep !== null && <span> · first wrong step {v.errorStep}</span>}
    </div>
  );
}

function Steps({ steps, marks, prefix }: { steps: Reflection['steps']; marks?: (string | null)[]; prefix?: number }) {
  return (
    <ol className="reflection-steps">
      {steps.map((s, i) => {
        const mark = marks?.[i] ?? null;
        const kept = prefix !== undefined && i < prefix;
        const cls = [mark ? mark.split(' ').map((m) => `mark-${m}`).join(' ') : '', prefix !== undefined ? (kept ? 'kept-prefix' : 'new-step') : ''].filter(Boolean).join(' ');
        return (
          <li key={i} className={cls || undefined} data-mark={mark ?? undefined} data-part={prefix !== undefined ? (kept ? 'prefix' : 'new') : undefined}>
            <MathText text={s.text} />
            {s.goldLabel === 0 && <span className="gold-bad" title="gold label: wrong"> ✗</span>}
            {mark?.includes('flagged') && <span className="tag tag-flagged">ORM: first wrong step</span>}
            {mark?.includes('gold') && <span className="tag tag-gold">gold first error</span>}
            {prefix !== undefined && i === prefix && <span className="tag tag-new">regenerated from here</span>}
          </li>
        );
      })}
    </ol>
  );
}

function ReflectionDetail({ r }: { r: Reflection }) {
  const v = r.verdict;
  return (
    <div className="reflection-detail" data-testid="reflection-detail">
      <h4>
        Cycle {r.cycle} · problem #{r.problemId} · solution #{r.solutionId} <span className={`chip outcome-${r.outcome}`}>{OUTCOME_LABELS[r.outcome]}</span>
      </h4>
      <p className="reflection-question">
        <MathText text={r.question} />
      </p>
      <h5>The wrong solution</h5>
      <Steps steps={r.steps} marks={stepMarks(r)} />
      {r.goldFirstError === null && <p className="muted small">Gold first error: not known for this problem.</p>}
      <h5>Diagnosis</h5>
      <Verdict v={v} label="ORM" />
      {v.ok && v.status === 'WRONG' && (
        <dl className="diagnosis">
          <dt>Error analysis</dt>
          <dd>{v.errorAnalysis || <span className="muted">(empty)</span>}</dd>
          <dt>Improvement suggestion</dt>
          <dd>{v.improvementSuggestion || <span className="muted">(empty)</span>}</dd>
        </dl>
      )}
      <h5>Regenerations ({r.regenerations.length})</h5>
      {r.regenerations.length === 0 && <p className="muted small">None: {v.ok && v.status === 'WRONG' ? 'no regeneration was stored' : 'only a path the ORM diagnosed as wrong is regenerated'}.</p>}
      {r.regenerations.map((g, i) => (
        <div key={g.solutionId} className={`regeneration${g.kept ? ' kept' : ''}`} data-testid="regeneration">
          <div className="regeneration-head">
            <strong>
              Try {i + 1} (solution #{g.solutionId})
            </strong>{' '}
            · kept {g.prefixSteps} step{g.prefixSteps === 1 ? '' : 's'} of the original · verdict{' '}
            <span className={g.verdict === 'correct' ? 'verdict-ok' : 'verdict-bad'}>{g.verdict ?? 'none'}</span>
            {' · '}
            {g.kept ? <span className="chip kept-chip">kept for training</span> : <span className="chip">not kept</span>}
          </div>
          {g.reflection && (
            <p className="reflection-text small">
              <span className="muted">Reflection given to the policy:</span> {g.reflection}
            </p>
          )}
          <Steps steps={g.steps} prefix={g.prefixSteps} />
          {g.recheck ? <Verdict v={g.recheck} label="ORM recheck" /> : <p className="muted small">No ORM recheck (the path was not verified correct, or recheck is off).</p>}
        </div>
      ))}
    </div>
  );
}

export function ReflectionBrowser({ run }: { run: CycleRun }) {
  const page = useApp((s) => s.reflectionPage);
  const loading = useApp((s) => s.reflectionsLoading);
  const error = useApp((s) => s.reflectionsError);
  const load = useApp((s) => s.loadReflections);
  const [cycle, setCycle] = useState<number | undefined>(undefined);
  const [outcome, setOutcome] = useState<Reflection['outcome'] | undefined>(undefined);
  const [offset, setOffset] = useState(0);
  const [open, setOpen] = useState<number | null>(null);
  const cycles = reflectionCycles(run);
  const doneCycles = run.cycles.filter((c) => c.stages.some((s) => s.stage === 'regenerate' && (s.status === 'done' || s.status === 'failed'))).length;

  useEffect(() => {
    const q: ReflectionQuery = { run: run.id, offset, ...(cycle !== undefined ? { cycle } : {}), ...(outcome ? { outcome } : {}) };
    void load(q);
  }, [load, run.id, cycle, outcome, offset, doneCycles]);

  const current = page && page.query.run === run.id ? page : null;
  const shown = current?.items.find((r) => r.solutionId === open) ?? null;
  const total = current?.total ?? 0;
  return (
    <section className="reflections" aria-labelledby="reflections-title">
      <h3 id="reflections-title">Reflections</h3>
      <div className="toolbar">
        <label className="field inline">
          <span>Cycle</span>
          <select aria-label="Reflection cycle" value={cycle ?? ''} onChange={(e) => (setCycle(e.target.value === '' ? undefined : Number(e.target.value)), setOffset(0))}>
            <option value="">all cycles</option>
            {cycles.map((c) => (
              <option key={c} value={c}>
                cycle {c}
              </option>
            ))}
          </select>
        </label>
        <label className="field inline">
          <span>Outcome</span>
          <select aria-label="Reflection outcome" value={outcome ?? ''} onChange={(e) => (setOutcome((e.target.value || undefined) as Reflection['outcome'] | undefined), setOffset(0))}>
            <option value="">every outcome</option>
            {OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {OUTCOME_LABELS[o]}
              </option>
            ))}
          </select>
        </label>
        <span className="muted small" data-testid="reflections-total">
          {loading && !current ? 'Loading…' : `${total.toLocaleString()} diagnosed path${total === 1 ? '' : 's'}`}
        </span>
        {total > REFLECTIONS_PAGE && (
          <span className="pager-inline">
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - REFLECTIONS_PAGE))}>
              ‹ Prev
            </button>{' '}
            {offset + 1}–{Math.min(total, offset + REFLECTIONS_PAGE)}{' '}
            <button type="button" disabled={offset + REFLECTIONS_PAGE >= total} onClick={() => setOffset(offset + REFLECTIONS_PAGE)}>
              Next ›
            </button>
          </span>
        )}
      </div>
      {error && <ErrorNote message={error} onRetry={() => current && void load(current.query)} />}
      {current && current.items.length === 0 && (
        <p className="empty small">
          {run.config.reflect && (run.config.reflect as { enabled?: boolean }).enabled === false
            ? 'This run has reflection off: no wrong path was diagnosed.'
            : cycle !== undefined || outcome
              ? 'No diagnosed path matches these filters.'
              : 'No diagnosed path yet: they appear after a cycle’s reflect stage.'}
        </p>
      )}
      {current && current.items.length > 0 && (
        <div className="reflection-pane">
          <ul className="reflection-list" aria-label="Diagnosed paths">
            {current.items.map((r) => (
              <li key={r.solutionId}>
                <button type="button" className={r.solutionId === shown?.solutionId ? 'current' : undefined} onClick={() => setOpen(r.solutionId)}>
                  <span className="small muted">
                    c{r.cycle} · #{r.problemId}
                  </span>{' '}
                  <span className={`chip outcome-${r.outcome}`}>{OUTCOME_LABELS[r.outcome]}</span>
                  <span className="reflection-q small">{clip(r.question, 90)}</span>
                </button>
              </li>
            ))}
          </ul>
          {shown ? <ReflectionDetail r={shown} /> : <p className="muted">Open a diagnosed path to see its solution, the ORM’s diagnosis and the regenerations.</p>}
        </div>
      )}
    </section>
  );
}
