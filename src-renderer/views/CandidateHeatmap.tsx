// Step-score heatmap of one problem's solutions: a row per solution, a cell per step, coloured by a
// PRM's score, the step's MC value (where a search labelled it) or the demo's gold label; rows sortable
// by an aggregation of the scores or by verdict; hover gives the exact values and the step. A click
// opens the step in its solution below, or hands it to the caller (the problem view highlights it).
// CandidateHeatmap fetches an evaluation's candidates; StepHeatmap draws any given solutions.
import { interpolateRdYlGn } from 'd3-scale-chromatic';
import { useEffect, useMemo, useState } from 'react';
import { colourOf, NO_VALUE } from '../heatmap/scale';
import type { ScoredSolution } from '../../src-shared/domain';
import { AGGREGATORS, aggregate, type Aggregator } from '../../src-shared/aggregate';
import { ErrorNote } from '../components/ErrorNote';
import { useApp } from '../store';

const GOLD = { 1: '#1a9850', 0: '#d73027' } as Record<number, string>;

type Colour = 'prm' | 'gold' | 'mc';

export function CandidateHeatmap({ problemId, solutionIds, prm }: { problemId: number; solutionIds: number[]; prm: string }) {
  const fetchSolutions = useApp((s) => s.fetchSolutions);
  const [rows, setRows] = useState<ScoredSolution[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setRows(null);
    fetchSolutions(problemId, solutionIds)
      .then((r) => {
        setRows(r);
        setError(null);
      })
      .catch((e: Error) => setError(e.message));
  }, [fetchSolutions, problemId, solutionIds]);
  if (error) return <ErrorNote message={error} />;
  if (!rows) return <p className="muted">Loading candidates…</p>;
  return <StepHeatmap rows={rows} prm={prm} />;
}

/** The heatmap over given solutions; onOpen takes a clicked step instead of the list below the table. */
export function StepHeatmap({
  rows,
  prm,
  onOpen,
  current,
}: {
  rows: ScoredSolution[];
  prm: string;
  onOpen?: (solutionId: number, step: number) => void;
  current?: { sol: number; step: number };
}) {
  const [colour, setColour] = useState<Colour>('prm');
  const [sort, setSort] = useState<Aggregator | 'verdict'>('min');
  const [open, setOpen] = useState<{ sol: number; step: number } | null>(null);
  const hasMc = rows.some((r) => r.mc?.some((v) => v !== null));
  useEffect(() => setOpen(null), [rows]);
  const sorted = useMemo(() => {
    if (!rows) return [];
    const key = (s: ScoredSolution): number => (sort === 'verdict' ? (s.verdict === 'correct' ? 1 : 0) : aggregate(s.scores[prm] ?? [], sort));
    return [...rows].sort((a, b) => key(b) - key(a) || a.id - b.id);
  }, [rows, sort, prm]);
  const width = Math.max(...rows.map((r) => r.steps.length), 1);
  const opened = open ? rows.find((r) => r.id === open.sol) : undefined;
  return (
    <div className="heatmap" data-testid="heatmap">
      <div className="heatmap-tools">
        <label>
          colour by{' '}
          <select aria-label="Colour by" value={colour} onChange={(e) => setColour(e.target.value as Colour)}>
            <option value="prm">PRM score ({prm})</option>
            {hasMc && <option value="mc">MC value (search)</option>}
            <option value="gold">gold step label</option>
          </select>
        </label>{' '}
        <label>
          sort by{' '}
          <select aria-label="Sort by" value={sort} onChange={(e) => setSort(e.target.value as Aggregator | 'verdict')}>
            {AGGREGATORS.map((a) => (
              <option key={a} value={a}>
                PRM {a.replace(/_/g, ' ')}
              </option>
            ))}
            <option value="verdict">verdict</option>
          </select>
        </label>
        <span className="legend">
          {colour !== 'gold' ? (
            <>
              {colour === 'prm' ? 'score' : 'MC'} <span className="ramp" /> 0 … 1 <span className="dot unknown" /> none
            </>
          ) : (
            <>
              <span className="dot" style={{ background: GOLD[1] }} /> right <span className="dot" style={{ background: GOLD[0] }} /> wrong
            </>
          )}
        </span>
      </div>
      <table className="heat" aria-label="Step scores by solution">
        <thead>
          <tr>
            <th>candidate</th>
            <th>verdict</th>
            <th className="num">{sort === 'verdict' ? 'min' : sort.replace(/_/g, ' ')}</th>
            {Array.from({ length: width }, (_, i) => (
              <th key={i}>{i + 1}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {sorted.map((s) => {
            const sc = s.scores[prm] ?? [];
            return (
              <tr key={s.id} data-verdict={s.verdict ?? 'none'}>
                <td className="mono small">#{s.id}</td>
                <td className={s.verdict === 'correct' ? 'ok' : 'bad'}>{s.verdict === 'correct' ? '✓' : '✗'} {s.finalAnswer ?? '–'}</td>
                <td className="num">{sc.length ? aggregate(sc, sort === 'verdict' ? 'min' : sort).toFixed(3) : ''}</td>
                {Array.from({ length: width }, (_, i) => {
                  const step = s.steps[i];
                  if (!step) return <td key={i} />;
                  const v = sc[i];
                  const mc = s.mc?.[i] ?? null;
                  const bg =
                    colour === 'prm' ? (v === undefined ? NO_VALUE : interpolateRdYlGn(v)) : colour === 'mc' ? colourOf(mc) : step.goldLabel === null ? NO_VALUE : GOLD[step.goldLabel];
                  const here = current && current.sol === s.id && current.step === i;
                  return (
                    <td
                      key={i}
                      className={here ? 'cell here' : 'cell'}
                      style={{ background: bg }}
                      title={`${step.text}\nPRM ${v === undefined ? '–' : v.toFixed(3)} · MC ${mc === null ? '–' : mc.toFixed(3)} · gold ${step.goldLabel === null ? '–' : step.goldLabel ? 'right' : 'wrong'}`}
                    >
                      <button type="button" aria-label={`candidate ${s.id} step ${i + 1}`} onClick={() => (onOpen ? onOpen(s.id, i) : setOpen({ sol: s.id, step: i }))} />
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
      {opened && open && (
        <ol className="solution mono small" data-testid="heatmap-solution">
          {opened.steps.map((st, i) => (
            <li key={i} className={i === open.step ? 'current' : undefined}>
              {st.text} <span className="muted">· PRM {(opened.scores[prm]?.[i] ?? NaN).toFixed(3)}{st.goldLabel !== null ? ` · gold ${st.goldLabel ? 'right' : 'wrong'}` : ''}</span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
