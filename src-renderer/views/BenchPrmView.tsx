// A bench-prm evaluation (steplab bench-prm): the first-error table per split in percent as ProcessBench
// prints it, the benchmark's headline with its bootstrap interval (VisualProcessBench's step macro F1,
// PRMBench's PRMScore by class), the threshold sweep as a chart, and a browser of the rows with the
// first-error prediction against the label marked on the steps.
import { useEffect, useState } from 'react';
import type { BenchRowView } from '../../src-shared/benchmarks';
import type { EvaluationRecord } from '../../src-shared/domain';
import { ErrorNote } from '../components/ErrorNote';
import { ValueOptions } from '../components/ValueOptions';
import { MathText } from '../math/MathText';
import { useApp } from '../store';
import './benchprm.css';

interface SplitMetrics {
  rows: number;
  error_rows: number;
  correct_rows: number;
  error_acc: number | null;
  correct_acc: number | null;
  f1: number | null;
  macro_f1?: number;
}
interface PrmbenchClass {
  rows: number;
  prmScore: number;
  f1: number;
  negative_f1: number;
  first_error_acc: number;
}
/** What the core stores as a bench-prm evaluation's metrics (src-main/core/jobs/kinds/benchPrm.ts). */
interface BenchMetrics {
  kind: 'bench-prm';
  format: 'processbench' | 'visualprocessbench' | 'prmbench';
  dataset: string;
  split: string | null;
  prm: string | null;
  scores_file: { file: string; sha256: string } | null;
  threshold: number;
  threshold_mode: 'fixed' | 'oracle' | 'sweep-on';
  chosen_on: string | null;
  f1: number | null;
  error_acc: number | null;
  correct_acc: number | null;
  by_split: Record<string, SplitMetrics>;
  headline: { name: 'f1' | 'macro_f1' | 'prm_score'; value: number | null; ci: { low: number | null; high: number | null; resamples: number; seed: number } | null };
  macro_f1?: { macro_f1: number; steps: number };
  by_source?: Record<string, { macro_f1: number; rows: number }>;
  prmbench?: { prmScore: number; byClass: Record<string, PrmbenchClass>; groups: Record<string, number | null> };
  contamination: { checked: boolean; reason: string | null; annotationSet: string | null; problems: number; rows: number; list: { id: string; split: string; how: string }[] } | null;
  rows: number;
  provenance: { steplab: string; commit: string | null; threshold_rule: string; seed: number; scores_file_sha256: string | null };
}

export function isBenchPrm(ev: EvaluationRecord | null): boolean {
  return (ev?.metrics as { kind?: string } | undefined)?.kind === 'bench-prm';
}

const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : (100 * x).toFixed(1));
const FORMAT: Record<BenchMetrics['format'], string> = { processbench: 'ProcessBench', visualprocessbench: 'VisualProcessBench', prmbench: 'PRMBench' };
const HEADLINE: Record<BenchMetrics['headline']['name'], string> = { f1: 'F1 (mean over splits)', macro_f1: 'step macro F1', prm_score: 'PRMScore' };

function howChosen(m: BenchMetrics): string {
  if (m.threshold_mode === 'oracle') return 'oracle: chosen by the sweep on the rows it reports';
  if (m.threshold_mode === 'sweep-on') return `chosen by the sweep on ${m.chosen_on}`;
  return 'given';
}

function SplitTable({ m }: { m: BenchMetrics }) {
  const vpb = m.format === 'visualprocessbench';
  const splits = Object.entries(m.by_split);
  return (
    <table className="data-table" data-testid="bench-table">
      <caption>
        First error (%) at threshold {m.threshold}: error accuracy on rows with an error, correct accuracy on all-correct rows, F1 their harmonic mean
      </caption>
      <thead>
        <tr>
          <th>split</th>
          <th className="num">rows</th>
          <th className="num">error acc</th>
          <th className="num">correct acc</th>
          <th className="num">F1</th>
          {vpb && <th className="num">step macro F1</th>}
        </tr>
      </thead>
      <tbody>
        {splits.map(([sp, s]) => (
          <tr key={sp}>
            <td>{sp}</td>
            <td className="num">{s.rows}</td>
            <td className="num" title={`${s.error_rows} rows with an error`}>
              {pct(s.error_acc)}
            </td>
            <td className="num" title={`${s.correct_rows} all-correct rows`}>
              {pct(s.correct_acc)}
            </td>
            <td className="num">{pct(s.f1)}</td>
            {vpb && <td className="num">{pct(s.macro_f1)}</td>}
          </tr>
        ))}
        {splits.length > 1 && (
          <tr className="bench-mean">
            <td>mean</td>
            <td className="num">{m.rows}</td>
            <td className="num">{pct(m.error_acc)}</td>
            <td className="num">{pct(m.correct_acc)}</td>
            <td className="num">{pct(m.f1)}</td>
            {vpb && <td className="num">{pct(m.macro_f1?.macro_f1)}</td>}
          </tr>
        )}
      </tbody>
    </table>
  );
}

function PrmbenchTable({ p }: { p: NonNullable<BenchMetrics['prmbench']> }) {
  return (
    <table className="data-table" data-testid="prmbench-table">
      <caption>
        PRMBench (mr_eval): PRMScore {pct(p.prmScore)} · {Object.entries(p.groups).map(([g, v]) => `${g} ${pct(v)}`).join(' · ')}
      </caption>
      <thead>
        <tr>
          <th>class</th>
          <th className="num">rows</th>
          <th className="num">PRMScore</th>
          <th className="num">F1</th>
          <th className="num">negative F1</th>
          <th className="num">first error acc</th>
        </tr>
      </thead>
      <tbody>
        {Object.entries(p.byClass).map(([c, s]) => (
          <tr key={c}>
            <td>{c}</td>
            <td className="num">{s.rows}</td>
            <td className="num">{pct(s.prmScore)}</td>
            <td className="num">{pct(s.f1)}</td>
            <td className="num">{pct(s.negative_f1)}</td>
            <td className="num" title={s.first_error_acc === -1 ? 'mr_eval -1: no first error step in this class' : undefined}>
              {s.first_error_acc === -1 ? 'n/a' : pct(s.first_error_acc)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const PAGE = 25;

/** The rows of the evaluation a page at a time, and one row's steps with the label and the prediction marked. */
function RowBrowser({ id, splits, threshold }: { id: number; splits: string[]; threshold: number }) {
  const fetchRows = useApp((s) => s.fetchBenchRows);
  const [split, setSplit] = useState('');
  const [outcome, setOutcome] = useState<'all' | 'hit' | 'miss'>('all');
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<{ total: number; items: BenchRowView[] } | null>(null);
  const [open, setOpen] = useState<BenchRowView | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    fetchRows({ id, offset, limit: PAGE, outcome, ...(split ? { split } : {}) })
      .then((r) => {
        if (!live) return;
        setPage(r);
        setError(null);
        setOpen((cur) => (cur && r.items.some((x) => x.solutionId === cur.solutionId) ? cur : (r.items[0] ?? null)));
      })
      .catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [fetchRows, id, offset, outcome, split]);
  // ProcessBench's 0-based index, with the step's number in the list below
  const where = (i: number): string => (i === -1 ? '-1 (no error)' : `${i} (step ${i + 1})`);
  return (
    <div className="bench-rows">
      <h4>Rows: the first-error prediction against the label</h4>
      <div className="bench-filters">
        <label>
          split{' '}
          <select aria-label="Split" value={split} onChange={(e) => (setSplit(e.target.value), setOffset(0))}>
            <option value="">all</option>
            <ValueOptions values={splits} />
          </select>
        </label>
        <label>
          rows{' '}
          <select aria-label="Outcome" value={outcome} onChange={(e) => (setOutcome(e.target.value as typeof outcome), setOffset(0))}>
            <option value="all">all</option>
            <option value="miss">prediction ≠ label</option>
            <option value="hit">prediction = label</option>
          </select>
        </label>
        {page && (
          <span className="muted small">
            {page.total === 0 ? 'none' : `${offset + 1}–${Math.min(offset + PAGE, page.total)} of ${page.total}`}{' '}
            <button type="button" className="link" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
              previous
            </button>{' '}
            <button type="button" className="link" disabled={offset + PAGE >= page.total} onClick={() => setOffset(offset + PAGE)}>
              next
            </button>
          </span>
        )}
      </div>
      {error && <ErrorNote message={error} />}
      <div className="bench-rows-pane">
        <table className="data-table bench-row-list" aria-label="Benchmark rows">
          <thead>
            <tr>
              <th>row</th>
              <th>label</th>
              <th>predicted</th>
            </tr>
          </thead>
          <tbody>
            {page?.items.map((r) => (
              <tr key={r.solutionId} className={open?.solutionId === r.solutionId ? 'current' : undefined}>
                <td>
                  <button type="button" className="link" onClick={() => setOpen(r)}>
                    {r.id}
                  </button>
                </td>
                <td>{where(r.label)}</td>
                <td className={r.match ? 'hit' : 'miss'}>
                  {where(r.prediction)} {r.match ? '✓' : '✗'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {open && (
          <div className="bench-row" data-testid="bench-row">
            <p className="small">
              <strong>{open.id}</strong> · {open.split} · by <span className="mono">{open.origin}</span>
              {open.classification && <> · class {open.classification}</>} · label <strong>{where(open.label)}</strong>, predicted{' '}
              <strong className={open.match ? 'hit' : 'miss'}>{where(open.prediction)}</strong> at threshold {threshold}
            </p>
            <div className="bench-question">
              <MathText text={open.question} />
            </div>
            <ol className="bench-steps">
              {open.steps.map((st, k) => {
                const accepted = st.score !== null && st.score > threshold;
                return (
                  <li key={k} className={k === open.label ? 'is-label' : k === open.prediction ? 'is-prediction' : undefined}>
                    <span className={`gold ${st.gold === 1 ? 'good' : st.gold === 0 ? 'bad' : 'none'}`} title="gold label">
                      {st.gold === 1 ? 'correct' : st.gold === 0 ? 'incorrect' : '—'}
                    </span>
                    <span className={`score ${accepted ? 'good' : 'bad'}`} title={accepted ? 'accepted (above the threshold)' : 'not accepted'}>
                      {st.score === null ? '–' : st.score.toFixed(3)}
                    </span>
                    <span className="text">
                      <MathText text={st.text} />
                    </span>
                    {k === open.label && <span className="marker label">first error (label)</span>}
                    {k === open.prediction && <span className="marker prediction">first not accepted (prediction)</span>}
                  </li>
                );
              })}
            </ol>
          </div>
        )}
      </div>
    </div>
  );
}

export function BenchPrmView({ evaluation: ev, chart }: { evaluation: EvaluationRecord; chart: { svg: string } | null }) {
  const m = ev.metrics as unknown as BenchMetrics;
  const c = m.contamination;
  const ci = m.headline.ci;
  return (
    <div className="bench-prm" data-testid="bench-prm">
      <h3>{ev.name}</h3>
      <p className="muted">
        {FORMAT[m.format]} · dataset <span className="mono">{m.dataset}</span>
        {m.split ? ` split ${m.split}` : ''} · {m.prm ? <>PRM <span className="mono">{m.prm}</span></> : <>scores from <span className="mono">{m.scores_file?.file}</span></>} · {m.rows} rows ·
        threshold {m.threshold} ({howChosen(m)})
      </p>
      {c && c.checked && c.problems > 0 && (
        <p className="banner warn" role="alert">
          {c.problems} benchmark problem{c.problems === 1 ? '' : 's'} ({c.rows} rows) appear in the PRM&apos;s training annotation set &quot;{c.annotationSet}&quot;:{' '}
          {c.list.slice(0, 10).map((x) => x.id).join(', ')}
          {c.rows > 10 ? ', …' : ''}
        </p>
      )}
      {c && !c.checked && <p className="muted small">Contamination not checked: {c.reason}</p>}
      <p className="bench-headline" data-testid="bench-headline">
        {HEADLINE[m.headline.name]} <strong>{pct(m.headline.value)}</strong>
        {ci && ci.low !== null && (
          <span className="muted">
            {' '}
            (95% interval {pct(ci.low)}–{pct(ci.high)}, bootstrap over rows, {ci.resamples} resamples)
          </span>
        )}
        {m.by_source && Object.keys(m.by_source).length > 0 && (
          <span className="muted"> · by data source: {Object.entries(m.by_source).map(([k, v]) => `${k} ${pct(v.macro_f1)}`).join(', ')}</span>
        )}
      </p>
      <SplitTable m={m} />
      {m.prmbench && <PrmbenchTable p={m.prmbench} />}
      {chart && (
        <figure>
          <img className="chart" alt="F1, error accuracy and correct accuracy against the threshold" src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(chart.svg)}`} />
          <figcaption className="muted small">The threshold sweep on the rows evaluated (0.00 to 1.00); the dashed line is the threshold used.</figcaption>
        </figure>
      )}
      <RowBrowser id={ev.id} splits={Object.keys(m.by_split)} threshold={m.threshold} />
      <p className="muted small">
        Steplab {m.provenance.steplab}
        {m.provenance.commit ? ` (${m.provenance.commit.slice(0, 10)})` : ''} · {m.provenance.threshold_rule} · bootstrap seed {m.provenance.seed}
        {m.provenance.scores_file_sha256 ? ` · scores sha256 ${m.provenance.scores_file_sha256.slice(0, 12)}…` : ''}
      </p>
    </div>
  );
}
