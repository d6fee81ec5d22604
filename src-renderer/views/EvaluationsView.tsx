// Best-of-N evaluations: the list (virtualized over evaluations.list's pages, newest first), and for the one open its accuracy table (methods x N, the rule chosen
// on the selection split marked, the best selection rule at each N in bold, both said in the caption),
// step-level metrics and the accuracy-vs-N chart (every method of the table, in the UI's theme).
import { useEffect, useRef, useState } from 'react';
import type { EvaluationComparison, EvaluationSummary } from '../../src-shared/domain';
import { describeError } from '../errors';
import { ErrorNote } from '../components/ErrorNote';
import { ManageButtons } from '../components/ManageDialog';
import { ViewHeader } from '../components/ViewHeader';
import { usePagedRows } from '../hooks/usePagedRows';
import { useVirtualPaged } from '../hooks/useVirtualPaged';
import { useTheme } from '../hooks/useTheme';
import { useApp, useConnection } from '../store';
import { CandidateHeatmap } from './CandidateHeatmap';
import { BenchPrmView, isBenchPrm } from './BenchPrmView';

type Row = Record<string, number>;
interface SplitReport {
  problems: number;
  candidates: number;
  byN: Record<string, Row>;
  steps: { threshold: number; processbench: { f1: number; errorAccuracy: number; correctAccuracy: number; flawed: number; correct: number }; stepF1: { macroF1: number } } | null;
  /** absent in evaluations stored before it was computed */
  pairwise?: { aggregator: string; accuracy: number; pairs: number; problems: number; interval: [number, number] };
  differences?: { a: string; b: string; n: number; diff: number; interval: [number, number] }[];
}
interface BonMetrics {
  n: number;
  chosen: string;
  chosen_on: string;
  splits: Record<string, SplitReport>;
  generated: number;
  reused: number;
}

const LABELS: Record<string, string> = {
  random: 'random pick',
  greedy: 'greedy',
  majority: 'majority vote',
  prm_min: 'PRM min',
  prm_last: 'PRM last',
  prm_product: 'PRM product',
  prm_mean: 'PRM mean',
  prm_max: 'PRM max',
  prm_sum_log_odds: 'PRM sum of log-odds',
  prm_mean_odds: 'PRM mean odds',
  prm_weighted_vote: 'PRM-weighted vote',
  pass_at_n: 'pass@N (oracle)',
};

const pct = (x: number | undefined): string => (x === undefined ? '' : (100 * x).toFixed(1));

function AccuracyTable({ split, report, chosen, chosenOn }: { split: string; report: SplitReport; chosen: string; chosenOn: string }) {
  const ns = Object.keys(report.byN);
  const methods = Object.keys(report.byN[ns[0]] ?? {});
  // the best selection rule at each N (the oracle and greedy aside: neither picks among the N candidates)
  const best = Object.fromEntries(ns.map((n) => [n, Math.max(...methods.filter((m) => m !== 'pass_at_n' && m !== 'greedy').map((m) => report.byN[n][m]))]));
  const isBest = (n: string, m: string): boolean => report.byN[n][m] === best[n] && m !== 'pass_at_n' && m !== 'greedy';
  return (
    <table className="data-table" data-testid={`bon-table-${split}`}>
      <caption>
        {split}: {report.problems.toLocaleString()} problems, {report.candidates.toLocaleString()} candidates · accuracy (%) · ★ the rule chosen on {chosenOn} ·{' '}
        <strong>bold</strong>: the best selection rule at each N (ties all bold; greedy and the pass@N oracle are not compared: neither picks among the N)
      </caption>
      <thead>
        <tr>
          <th>method</th>
          {ns.map((n) => (
            <th key={n} className="num">
              N={n}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {methods.map((m) => (
          <tr key={m} className={m === chosen ? 'chosen' : undefined}>
            <td>
              {LABELS[m] ?? m}
              {m === chosen && <span title={`chosen on ${chosenOn}`}> ★</span>}
            </td>
            {ns.map((n) => (
              <td key={n} className={isBest(n, m) ? 'num best' : 'num'} style={{ fontWeight: isBest(n, m) ? 700 : undefined }}>
                {pct(report.byN[n][m])}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function EvaluationsView() {
  const list = useApp((s) => s.evaluations);
  const loaded = useApp((s) => s.evaluationsLoaded);
  const error = useApp((s) => s.evaluationsError);
  const load = useApp((s) => s.loadEvaluations);
  const ev = useApp((s) => s.evaluation);
  const chart = useApp((s) => s.evaluationChart);
  const evError = useApp((s) => s.evaluationError);
  const open = useApp((s) => s.openEvaluation);
  const problems = useApp((s) => s.evaluationProblems);
  const [problem, setProblem] = useState<number | null>(null);
  const shown = problems.find((p) => p.problemId === problem) ?? problems[0];

  useEffect(() => {
    void load();
  }, [load]);
  // the route says which evaluation is open (a reload, Back, a link); none: the newest
  const wanted = useApp((s) => s.evaluationId);
  const theme = useTheme();
  useEffect(() => {
    if (wanted !== undefined) {
      if (ev?.id !== wanted) void open(wanted, undefined, theme);
    } else if (list.length > 0) {
      void open(list[0].id, undefined, theme);
    }
  }, [wanted, ev?.id, list, open]);
  // the chart is drawn in the theme's colours: drawn again when the theme changes
  useEffect(() => {
    if (ev && chart) void open(ev.id, chart.split, theme);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [theme]);

  const m = ev?.metrics as unknown as BonMetrics | undefined;
  const splits = m?.splits ? Object.keys(m.splits) : [];
  return (
    <section aria-labelledby="evaluations-title">
      <ViewHeader id="evaluations-title" title="Evaluations" onRefresh={() => void load()} error={error} loading={!loaded} />
      {loaded && list.length === 0 && (
        <p className="empty">
          No evaluations yet. Run one with <code>steplab bon --workspace &lt;dir&gt; --dataset demo --split test --select-on val --policy tiny-policy --prm tiny-prm --n 16</code>.
        </p>
      )}
      {list.length > 0 && (
        <div className="split-pane">
          <EvaluationList current={ev?.id} onOpen={(id) => void open(id)} />
          <div className="detail">
            {evError && <ErrorNote message={evError} onRetry={() => ev && void open(ev.id)} />}
            {ev && isBenchPrm(ev) && <BenchPrmView evaluation={ev} chart={chart} />}
            {ev && m?.splits && (
              <>
                <h3>{ev.name}</h3>
                <p className="muted">
                  policy <span className="mono">{ev.policy}</span> · PRM <span className="mono">{ev.prm}</span> · dataset <span className="mono">{ev.dataset}</span> · {m.generated.toLocaleString()} solutions
                  generated, {m.reused.toLocaleString()} reused
                </p>
                {splits
                  .slice()
                  .reverse()
                  .map((sp) => (
                    <div key={sp}>
                      <AccuracyTable split={sp} report={m.splits[sp]} chosen={m.chosen} chosenOn={m.chosen_on} />
                      {m.splits[sp].steps && (
                        <p className="small" data-testid={`step-metrics-${sp}`}>
                          Step level against gold labels (threshold {m.splits[sp].steps!.threshold}): ProcessBench F1 {pct(m.splits[sp].steps!.processbench.f1)} (first error{' '}
                          {pct(m.splits[sp].steps!.processbench.errorAccuracy)}% of {m.splits[sp].steps!.processbench.flawed} flawed, no error {pct(m.splits[sp].steps!.processbench.correctAccuracy)}% of{' '}
                          {m.splits[sp].steps!.processbench.correct} correct) · step macro F1 {pct(m.splits[sp].steps!.stepF1.macroF1)}
                        </p>
                      )}
                      {m.splits[sp].pairwise && m.splits[sp].pairwise!.pairs > 0 && (
                        <p className="small" data-testid={`pairwise-${sp}`}>
                          Pairwise: a correct candidate&apos;s {m.splits[sp].pairwise!.aggregator} step score is above an incorrect one&apos;s of the same problem in{' '}
                          {pct(m.splits[sp].pairwise!.accuracy)}% of {m.splits[sp].pairwise!.pairs.toLocaleString()} pairs (95% interval {pct(m.splits[sp].pairwise!.interval[0])}–
                          {pct(m.splits[sp].pairwise!.interval[1])}% over {m.splits[sp].pairwise!.problems} problems; chance 50%)
                        </p>
                      )}
                      {(m.splits[sp].differences ?? []).length > 0 && (
                        <p className="small" data-testid={`differences-${sp}`}>
                          At N={m.splits[sp].differences![0].n}, {LABELS[m.splits[sp].differences![0].a] ?? m.splits[sp].differences![0].a} minus:{' '}
                          {m.splits[sp].differences!.map((d) => `${LABELS[d.b] ?? d.b} ${d.diff >= 0 ? '+' : ''}${pct(d.diff)} [${pct(d.interval[0])}, ${pct(d.interval[1])}]`).join(' · ')} points (95% intervals, paired bootstrap over
                          problems)
                        </p>
                      )}
                    </div>
                  ))}
                {chart && (
                  <figure>
                    <img className="chart" alt={`Accuracy against N on ${chart.split}`} src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(chart.svg)}`} />
                    <figcaption className="muted small" data-testid="chart-caption">
                      Accuracy against N on {chart.split}: every method of the table above is drawn (lines with equal accuracies lie on top of each other)
                      {splits.length > 1 && (
                        <>
                          {' '}
                          · show{' '}
                          {splits.map((sp, i) => (
                            <span key={sp}>
                              {i > 0 && ' / '}
                              <button type="button" className="link" disabled={sp === chart.split} onClick={() => void open(ev.id, sp, theme)}>
                                {sp}
                              </button>
                            </span>
                          ))}
                        </>
                      )}
                    </figcaption>
                  </figure>
                )}
                <CompareWith id={ev.id} others={list.filter((e) => e.id !== ev.id)} />
                {shown && ev.prm && (
                  <div>
                    <h4>Candidates of one problem ({splits.at(-1)} split): step scores</h4>
                    <label>
                      problem{' '}
                      <select aria-label="Problem" value={shown.problemId} onChange={(e) => setProblem(Number(e.target.value))}>
                        {problems.slice(0, 500).map((p) => (
                          <option key={p.problemId} value={p.problemId}>
                            {p.extId ?? `problem row ${p.problemId}`}: {p.correct}/{p.candidates} correct
                          </option>
                        ))}
                      </select>
                    </label>
                    <CandidateHeatmap problemId={shown.problemId} solutionIds={shown.solutionIds} prm={ev.prm} />
                  </div>
                )}
              </>
            )}
          </div>
        </div>
      )}
    </section>
  );
}

/**
 * The open evaluation against another of the same problems (MM-PRM's ablations: two PRMs on the same
 * candidates): each one's chosen rule, this minus that at each N, with the paired bootstrap interval
 * (evaluations.compare), and whether the interval leaves 0.
 */
function CompareWith({ id, others }: { id: number; others: EvaluationSummary[] }) {
  const { api } = useConnection();
  const [other, setOther] = useState<number | null>(null);
  const [result, setResult] = useState<EvaluationComparison | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setOther(null);
    setResult(null);
    setError(null);
  }, [id]);
  useEffect(() => {
    if (other === null) return;
    let live = true;
    setResult(null);
    api['evaluations.compare']({ a: id, b: other }).then(
      (r) => live && (setResult(r), setError(null)),
      (e: unknown) => live && setError(describeError(e)),
    );
    return () => {
      live = false;
    };
  }, [api, id, other]);
  if (others.length === 0) return null;
  const signed = (x: number) => `${x >= 0 ? '+' : '\u2212'}${Math.abs(100 * x).toFixed(1)}`;
  const rule = (s: EvaluationComparison['a']) => `${LABELS[s.method] ?? s.method}${s.chosenOn ? ` (chosen on ${s.chosenOn})` : ''}`;
  return (
    <div data-testid="compare">
      <h4>Against another evaluation of the same problems</h4>
      <label>
        compare with{' '}
        <select aria-label="Compare with" value={other ?? ''} onChange={(e) => setOther(e.target.value === '' ? null : Number(e.target.value))}>
          <option value="">(choose an evaluation)</option>
          {others.map((e) => (
            <option key={e.id} value={e.id}>
              #{e.id} {e.name}
            </option>
          ))}
        </select>
      </label>
      {error && <ErrorNote message={error} />}
      {result && (
        <table className="data-table" data-testid="compare-table">
          <caption>
            {result.dataset}/{result.split}, {result.problems.toLocaleString()} problems, {result.sameCandidates ? 'the same candidates' : 'different candidates (another policy, sampling or seed)'} ·
            accuracy (%) · this: PRM <span className="mono">{result.a.prm}</span>, {rule(result.a)} · that (#{result.b.id}): PRM <span className="mono">{result.b.prm}</span>, {rule(result.b)} ·
            95% interval of a paired bootstrap over problems
          </caption>
          <thead>
            <tr>
              <th className="num">N</th>
              <th className="num">this</th>
              <th className="num">that</th>
              <th className="num">this − that</th>
              <th>95% interval</th>
            </tr>
          </thead>
          <tbody>
            {result.rows.map((r) => (
              <tr key={r.n}>
                <td className="num">{r.n}</td>
                <td className="num">{pct(r.a)}</td>
                <td className="num">{pct(r.b)}</td>
                <td className="num">{signed(r.diff)}</td>
                <td>
                  [{signed(r.interval[0])}, {signed(r.interval[1])}] {r.interval[0] > 0 ? 'above 0' : r.interval[1] < 0 ? 'below 0' : 'covers 0'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** The evaluations, newest first, a window at a time as the list scrolls (rows measured: names wrap). */
function EvaluationList({ current, onOpen }: { current: number | undefined; onOpen: (id: number) => void }) {
  const { api } = useConnection();
  const version = useApp((s) => s.evaluationsVersion);
  const rows = usePagedRows<EvaluationSummary>(`evaluations#${version}`, (offset, limit) => api['evaluations.list']({ offset, limit }));
  const scroller = useRef<HTMLDivElement>(null);
  const { count, virtualizer, items, padTop } = useVirtualPaged(rows, scroller, 58, 8);
  return (
    <div className="list-scroll" ref={scroller}>
      {rows.error && <ErrorNote message={rows.error} onRetry={rows.retry} />}
      {count > 20 && <p className="muted small">{count.toLocaleString()} evaluations, newest first</p>}
      {/* as tall as all its rows (estimated until measured), so the scroll box has a size before the first row is drawn */}
      <ul className="list" aria-label="Evaluations" style={{ boxSizing: 'border-box', height: virtualizer.getTotalSize(), paddingTop: padTop }}>
        {items.map((v) => {
          const e = rows.rowAt(v.index);
          return (
            <li key={v.key} data-index={v.index} ref={virtualizer.measureElement}>
              {e ? (
                <>
                  <button type="button" className={current === e.id ? 'link current' : 'link'} onClick={() => onOpen(e.id)}>
                    {e.name}
                  </button>
                  <ManageButtons compact target={{ kind: 'evaluation', ref: e.id, label: `“${e.name}”`, name: e.name }} />
                  <div className="muted small">{new Date(e.createdAt).toLocaleString()}</div>
                </>
              ) : (
                <span className="muted">…</span>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
