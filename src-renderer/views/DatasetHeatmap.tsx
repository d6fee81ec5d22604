// Problems × steps for a dataset (or a split), drawn on one canvas that fills its panel: a row per problem
// (its id in the gutter; its chosen solution, or for MC its search-labelled path), a column per step (the
// step numbers in a header that stays in view), a cell coloured by a PRM's score or the step's MC value;
// rows at least 12 px (zoomable; a big dataset scrolls), sortable by min or mean score and by verdict;
// hover names the problem, step, value and the step's text; a click opens that step in its problem, or a
// search-labelled step at its node in the tree.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type MouseEvent } from 'react';
import type { Input, Output } from '../../src-shared/api';
import { ErrorNote } from '../components/ErrorNote';
import { describeError } from '../errors';
import { clip } from '../format';
import { cellX, heatLayout, hitTest, MAX_ROW, MIN_ROW, type HeatLayout } from '../heatmap/layout';
import { useFillHeight } from '../hooks/useFillHeight';
import { rasterize } from '../heatmap/raster';
import { legendGradient, NO_VALUE, VERDICT_COLOURS } from '../heatmap/scale';
import { aggregateRow, sortRows, type SortDir, type SortKey } from '../heatmap/sort';
import { useApp, useConnection } from '../store';
import { modelsOfRole } from '../store/selectors';
import './ProblemsView.css';
import { modelLabel } from '../../src-shared/modelLabel';

type Data = Output<'heatmap.dataset'>;
type Row = Data['rows'][number];
type Source = 'prm' | 'mc';
type Pick = 'best' | 'worst' | 'first';

const NO_SPLIT = '(none)';
const AXIS_HEIGHT = 22;
const SEARCH_STRIP = '#6d5bd0';

const PICK_TEXT: Record<Pick, (prm: string | null) => string> = {
  best: (prm) => `the solution ${prm ?? 'the PRM'} scores highest by its minimum step score (the Best-of-N choice)`,
  worst: (prm) => `the solution ${prm ?? 'the PRM'} scores lowest by its minimum step score`,
  first: () => 'the first solution stored',
};

function draw(canvas: HTMLCanvasElement, l: HeatLayout, rows: Row[]): void {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.ceil(l.width * dpr);
  canvas.height = Math.ceil(l.height * dpr);
  canvas.style.width = `${l.width}px`;
  canvas.style.height = `${l.height}px`;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const css = getComputedStyle(canvas);
  const surface = css.getPropertyValue('--surface').trim() || '#fff';
  ctx.fillStyle = surface;
  ctx.fillRect(0, 0, l.width, l.height);
  // cells: one pixel per cell, scaled up without smoothing
  const steps = Math.max(1, l.steps);
  const px = rasterize(rows, steps);
  const cells = document.createElement('canvas');
  cells.width = steps;
  cells.height = Math.max(1, rows.length);
  cells.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(px.buffer as ArrayBuffer), steps, cells.height), 0, 0);
  ctx.imageSmoothingEnabled = false;
  const x0 = cellX(l, 0);
  ctx.drawImage(cells, x0, 0, steps * l.cellWidth, rows.length * l.rowHeight);
  // verdict strip, grouped by colour
  for (const v of ['correct', 'incorrect', 'unparseable', 'none'] as const) {
    ctx.fillStyle = VERDICT_COLOURS[v];
    ctx.beginPath();
    for (let r = 0; r < rows.length; r++) if (rows[r].searchId === undefined && (rows[r].verdict ?? 'none') === v) ctx.rect(l.gutter, r * l.rowHeight, l.strip, l.rowHeight);
    ctx.fill();
  }
  // a search-labelled path has no verdict: its strip says where it came from
  ctx.fillStyle = SEARCH_STRIP;
  ctx.beginPath();
  for (let r = 0; r < rows.length; r++) if (rows[r].searchId !== undefined) ctx.rect(l.gutter, r * l.rowHeight, l.strip, l.rowHeight);
  ctx.fill();
  // a 1 px gap between cells when they are big enough to need one
  if (l.rowHeight >= 8) {
    ctx.fillStyle = surface;
    for (let r = 1; r <= rows.length; r++) ctx.fillRect(l.gutter, r * l.rowHeight - 1, l.width - l.gutter, 1);
    for (let s = 1; s <= steps; s++) ctx.fillRect(x0 + s * l.cellWidth - 1, 0, 1, l.height);
  }
  if (l.labels) {
    ctx.font = `${Math.min(13, l.rowHeight - 2)}px ui-monospace, monospace`;
    ctx.textBaseline = 'middle';
    ctx.fillStyle = css.getPropertyValue('--muted').trim() || '#555';
    for (let r = 0; r < rows.length; r++) ctx.fillText(clip(rows[r].extId, 20), 4, r * l.rowHeight + l.rowHeight / 2, l.gutter - 8);
  }
}

export function DatasetHeatmap({ dataset }: { dataset: string }) {
  const { api } = useConnection();
  const datasets = useApp((s) => s.datasets);
  const navigate = useApp((s) => s.navigate);
  const go = useApp((s) => s.go);
  const info = datasets.find((d) => d.name === dataset);

  const [split, setSplit] = useState('');
  const [source, setSource] = useState<Source>('prm');
  const [prm, setPrm] = useState('');
  const [policy, setPolicy] = useState('');
  const [pick, setPick] = useState<Pick>('best');
  const [rowHeight, setRowHeight] = useState(18);
  const [sort, setSort] = useState<SortKey>('dataset');
  const [dir, setDir] = useState<SortDir>('asc');
  const [data, setData] = useState<Data | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const policies = useApp(modelsOfRole('policy'));
  const loadModels = useApp((s) => s.loadModels);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    void loadModels();
  }, [loadModels]);

  useEffect(() => {
    let live = true;
    setLoading(true);
    const q: Input<'heatmap.dataset'> = { dataset, source, pick, ...(split ? { split } : {}), ...(prm ? { prm } : {}), ...(policy ? { policy } : {}) };
    performance.mark('steplab:heatmap-request');
    api['heatmap.dataset'](q)
      .then((d) => {
        if (!live) return;
        performance.mark('steplab:heatmap-data');
        setData(d);
        setError(null);
      })
      .catch((e: unknown) => {
        if (!live) return;
        setData(null);
        setError(describeError(e));
      })
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [api, dataset, split, source, prm, policy, pick, reload]);

  const rows = useMemo(() => (data ? sortRows(data.rows, sort, dir) : []), [data, sort, dir]);
  const steps = useMemo(() => rows.reduce((m, r) => Math.max(m, r.scores.length), 0), [rows]);
  const wrap = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState<number | null>(null);
  const hasRows = rows.length > 0;
  // measured before the first paint, so the first frame is drawn once at the right width
  useLayoutEffect(() => {
    const el = wrap.current;
    if (!el) return;
    setWidth(el.clientWidth);
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, [hasRows]);
  const layout = useMemo(() => heatLayout(rows.length, steps, { availableWidth: width ?? 1000, rowHeight }), [rows.length, steps, width, rowHeight]);
  const fillHeight = useFillHeight(wrap, { min: 240, ready: hasRows });
  const [drawn, setDrawn] = useState(0);
  useLayoutEffect(() => {
    if (!canvas.current || rows.length === 0 || width === null) return;
    draw(canvas.current, layout, rows);
    // for the benchmark: request -> data -> drawn
    performance.mark('steplab:heatmap-drawn');
    setDrawn((n) => n + 1);
  }, [layout, rows, width]);

  // hover: exact values, and the step's text fetched once per solution
  const [tip, setTip] = useState<{ x: number; y: number; row: Row; step: number } | null>(null);
  const texts = useRef(new Map<string, string[] | 'loading'>());
  const [, bump] = useState(0);
  const stepText = useCallback(
    (r: Row): string[] | null => {
      const key = r.solutionId !== null ? `s${r.solutionId}` : `a${r.annotationId}`;
      const have = texts.current.get(key);
      if (have === 'loading') return null;
      if (have) return have;
      texts.current.set(key, 'loading');
      const fetched: Promise<string[]> =
        r.solutionId !== null
          ? api['solutions.forProblem']({ problemId: r.problemId, ids: [r.solutionId] }).then((s) => s[0]?.steps.map((x) => x.text) ?? [])
          : api['annotations.forSearch']({ searchId: r.searchId! }).then((list) => list.find((a) => a.id === r.annotationId)?.steps.map((x) => x.text) ?? []);
      fetched.then(
        (t) => {
          texts.current.set(key, t);
          bump((n) => n + 1);
        },
        () => texts.current.delete(key),
      );
      return null;
    },
    [api],
  );
  const at = (e: MouseEvent<HTMLCanvasElement>) => {
    const b = e.currentTarget.getBoundingClientRect();
    return hitTest(layout, e.clientX - b.left, e.clientY - b.top, (r) => rows[r]?.scores.length ?? 0);
  };
  const onMove = (e: MouseEvent<HTMLCanvasElement>) => {
    const h = at(e);
    setTip(h ? { x: e.clientX, y: e.clientY, row: rows[h.row], step: h.step } : null);
  };
  const onClick = (e: MouseEvent<HTMLCanvasElement>) => {
    const h = at(e);
    if (!h) return;
    const r = rows[h.row];
    if (r.solutionId !== null) navigate({ view: 'problems', dataset, focus: { kind: 'ref', extId: r.extId, solution: r.solutionId, step: h.step } });
    else if (r.searchId !== undefined) navigate({ view: 'searches', dataset, search: r.searchId, node: r.nodes?.[h.step] ?? undefined });
  };

  const splits = Object.keys(info?.splits ?? {})
    .filter((s) => s !== NO_SPLIT)
    .sort();
  const valueName = source === 'prm' ? `PRM score${data?.prm ? ` (${data.prm})` : ''}` : 'MC value';
  const tipText = tip ? stepText(tip.row) : null;
  const tipValue = tip?.row.scores[tip.step];

  return (
    <section aria-labelledby="heatmap-title" className="dataset-heatmap">
      <div className="view-head">
        <h2 id="heatmap-title">
          Dataset heatmap <span className="muted">of {dataset}</span>
        </h2>
        <button type="button" className="link" onClick={() => go('problems', dataset)}>
          ← Problems table
        </button>
      </div>
      <div className="controls">
        <label className="field inline">
          <span>Split</span>
          <select aria-label="Split" value={split} onChange={(e) => setSplit(e.target.value)}>
            <option value="">All splits</option>
            {splits.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <div className="field inline">
          <span>Colour by</span>
          <div className="segmented" role="group" aria-label="Colour by">
            <button type="button" aria-pressed={source === 'prm'} onClick={() => setSource('prm')}>
              PRM score
            </button>
            <button type="button" aria-pressed={source === 'mc'} onClick={() => setSource('mc')}>
              MC value
            </button>
          </div>
        </div>
        <label className="field inline">
          <span>PRM</span>
          <select aria-label="PRM" value={prm} onChange={(e) => setPrm(e.target.value)}>
            <option value="">{data?.prm && !prm ? `${data.prm} (latest)` : 'latest that scored it'}</option>
            {(data?.prms ?? []).map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
        <label className="field inline">
          <span>Row per problem</span>
          <select aria-label="Row per problem" value={pick} onChange={(e) => setPick(e.target.value as Pick)}>
            <option value="best">{source === 'mc' ? 'best path / PRM’s best solution' : 'PRM’s best solution'}</option>
            <option value="worst">{source === 'mc' ? 'worst path / PRM’s worst solution' : 'PRM’s worst solution'}</option>
            <option value="first">{source === 'mc' ? 'longest path / first solution' : 'first solution'}</option>
          </select>
        </label>
        <label className="field inline">
          <span>Policy</span>
          <select aria-label="Policy" value={policy} onChange={(e) => setPolicy(e.target.value)}>
            <option value="">any</option>
            {policies.map((m) => (
              <option key={m.id} value={modelLabel(m)}>
                {m.name}@{m.version}
              </option>
            ))}
          </select>
        </label>
        <label className="field inline">
          <span>Sort rows by</span>
          <select aria-label="Sort rows by" value={sort} onChange={(e) => setSort(e.target.value as SortKey)}>
            <option value="dataset">dataset order</option>
            <option value="min">min score</option>
            <option value="mean">mean score</option>
            <option value="verdict">verdict</option>
          </select>
        </label>
        <button type="button" aria-label="Sort direction" onClick={() => setDir((d) => (d === 'asc' ? 'desc' : 'asc'))}>
          {dir === 'asc' ? '↑ ascending' : '↓ descending'}
        </button>
        <label className="field inline">
          <span>Row height</span>
          <input type="range" aria-label="Row height" min={MIN_ROW} max={MAX_ROW} value={rowHeight} onChange={(e) => setRowHeight(Number(e.target.value))} />
        </label>
      </div>
      {error && <ErrorNote message={error} onRetry={() => setReload((n) => n + 1)} />}
      {data && (
        <>
          <p className="explain muted small" data-testid="heatmap-explain">
            One row per problem: {PICK_TEXT[data.pick](data.prm)}
            {data.policy ? ` among ${data.policy}'s solutions` : ''}; cells are its steps coloured by {valueName}.
            {source === 'mc' &&
              ` MC is the share of rollouts from that step prefix that reached the gold answer. A searched problem shows one of its search-labelled paths (${
                pick === 'first' ? 'the longest' : pick === 'best' ? 'the one whose lowest label is highest' : 'the one whose lowest label is lowest'
              }, curation applied); ${(data.fromSearches ?? 0).toLocaleString()} rows come from searches, the rest from solutions matched against the trees.`}{' '}
            {rows.length.toLocaleString()} of {data.problems.toLocaleString()} problems have {source === 'mc' ? 'a labelled path or a solution' : 'a solution'}
            {loading ? ' · loading…' : ''}.
          </p>
          <div className="heat-legend" data-testid="heatmap-legend">
            <span>
              {valueName} 0 <span className="bar" style={{ background: legendGradient() }} /> 1
            </span>
            <span>
              <span className="swatch" style={{ background: NO_VALUE }} />
              no value
            </span>
            <span>verdict strip:</span>
            {(['correct', 'incorrect', 'unparseable', 'none'] as const).map((v) => (
              <span key={v}>
                <span className="swatch" style={{ background: VERDICT_COLOURS[v] }} />
                {v === 'none' ? 'not verified' : v}
              </span>
            ))}
            {(data.fromSearches ?? 0) > 0 && (
              <span>
                <span className="swatch" style={{ background: SEARCH_STRIP }} />
                search-labelled path
              </span>
            )}
          </div>
          {rows.length === 0 ? (
            <p className="empty">
              {source === 'mc'
                ? 'No problem here has a search-labelled path or a stored solution yet: run a search job on this dataset.'
                : 'No problem here has a stored solution yet: run a generate or Best-of-N job on this dataset, then score it with a PRM.'}
            </p>
          ) : (
<div className="heat-scroll" ref={wrap} style={{ height: Math.min(fillHeight, layout.height + AXIS_HEIGHT + 2) }} data-testid="heatmap-scroll">
              {/* the step numbers stay in view as the rows scroll, and move sideways with the cells */}
              <div className="heat-axis" data-testid="heatmap-axis" style={{ width: layout.width, height: AXIS_HEIGHT }}>
                <span className="heat-axis-corner" style={{ width: cellX(layout, 0) }}>
                  problem \ step
                </span>
                {Array.from({ length: steps }, (_, i) => (
                  <span key={i} className="heat-axis-step" style={{ left: cellX(layout, i), width: layout.cellWidth }}>
                    {i + 1}
                  </span>
                ))}
              </div>
              <canvas
                ref={canvas}
                data-testid="dataset-heatmap-canvas"
                data-rows={rows.length}
                data-row-height={layout.rowHeight}
                data-drawn={drawn}
                data-order={rows.map((r) => r.problemId).join(',')}
                role="img"
                aria-label={`Dataset heatmap, ${rows.length} problems × ${steps} steps, coloured by ${valueName}`}
                onMouseMove={onMove}
                onMouseLeave={() => setTip(null)}
                onClick={onClick}
              />
            </div>
          )}
          {tip && (
            <div className="heat-tip" style={{ left: tip.x + 14, top: tip.y + 14 }} data-testid="heatmap-tip">
              <strong className="mono">{tip.row.extId}</strong> · step {tip.step + 1} of {tip.row.scores.length} ·{' '}
              {tip.row.solutionId !== null ? `solution #${tip.row.solutionId} (${tip.row.verdict ?? 'not verified'})` : `search #${tip.row.searchId}, path #${tip.row.annotationId} (click: its node in the tree)`}
              {'\n'}
              {source === 'prm' ? 'PRM' : 'MC'} {tipValue === null || tipValue === undefined ? '– (none)' : tipValue.toFixed(4)} · min {fmtAgg(aggregateRow(tip.row.scores, 'min'))} · mean{' '}
              {fmtAgg(aggregateRow(tip.row.scores, 'mean'))}
              {'\n'}
              <span className="muted">{tipText ? clip(tipText[tip.step] ?? '', 160) : 'loading the step…'}</span>
            </div>
          )}
        </>
      )}
      {!data && !error && <p className="muted">Loading the heatmap…</p>}
    </section>
  );
}

const fmtAgg = (v: number | null): string => (v === null ? '–' : v.toFixed(3));
