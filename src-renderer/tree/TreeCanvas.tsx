// The search tree drawn on a canvas: edges, then nodes coloured by MC and sized by visits, first-error
// nodes ringed, the selected node's path highlighted, search matches ringed, collapsed nodes with a count
// of what they hide, and in a replay only the nodes that existed then (the rest faint) with the event's
// node marked. Drag pans, the wheel zooms at the pointer, "Fit" frames the whole tree, the minimap moves
// the view; hover names the node, click selects it, double-click collapses or expands it; with the
// canvas focused, the arrow keys walk the tree (up: parent, down: first child, left/right: siblings),
// Home selects the root, Space or C collapses/expands the selected node.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { buildScene, drawScene, MATCH_COLOR, PATH_COLOR, ringsPath, TOUCHED_COLOR, type Scene, type SceneMarks } from './draw';
import { hitTest, moveSelection, type LaidNode, type TreeLayout } from './layout';
import { Legend } from './Legend';
import { Minimap } from './Minimap';
import type { ReplayFrame } from './replay';
import './tree.css';

export interface View {
  x: number;
  y: number;
  k: number;
}

export function fitView(layout: TreeLayout, width: number, height: number): View {
  const { minX, maxX, minY, maxY } = layout.bounds;
  const pad = 24;
  const k = Math.min(2, (width - 2 * pad) / Math.max(1, maxX - minX), (height - 2 * pad) / Math.max(1, maxY - minY));
  return { k, x: pad - minX * k + (width - 2 * pad - (maxX - minX) * k) / 2, y: pad - minY * k };
}

/** Nodes at most this many are drawn without a minimap unless asked for. */
const MINIMAP_FROM = 60;

export interface TreeCanvasProps {
  layout: TreeLayout;
  selected: number | null;
  onSelect(id: number | null): void;
  /** collapse or expand a node (double-click, Space or C) */
  onToggle?(id: number): void;
  /** search matches, ringed */
  matches?: readonly number[];
  /** a replay frame: only its nodes are drawn in full */
  frame?: ReplayFrame | null;
  /** centre the view on this node whenever `n` changes */
  focus?: { id: number; n: number } | null;
  /** the view is fitted again whenever this changes (a different tree) */
  fitKey?: string | number;
  testId?: string;
  /** what the canvas is called for assistive technology, before its node count */
  label?: string;
  height?: number;
  /** offer the minimap and the legend (the compare view leaves them out) */
  tools?: boolean;
  /** PRM scores of the hovered node, shown in its tooltip */
  prmScores?(id: number): { model: string; score: number }[];
  /** more about the hovered node for its tooltip (its gold label, a curated label) */
  describe?(id: number): string[];
  /** curated labels, first errors and gold first errors drawn over the search's own */
  marks?: SceneMarks;
  /** fill the parent's height (a flex column) instead of a height from the window */
  fill?: boolean;
}

function canvasHeight(): number {
  return Math.max(360, Math.min(720, window.innerHeight - 260));
}

export function TreeCanvas(props: TreeCanvasProps) {
  const { layout, selected, onSelect, onToggle, matches, frame, focus, fitKey, testId = 'tree-canvas', label = 'Search tree', height, tools = true, prmScores, describe, marks, fill = false } = props;
  const canvas = useRef<HTMLCanvasElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ width: 0, height: height ?? 520 });
  const [view, setView] = useState<View | null>(null);
  const [hover, setHover] = useState<{ n: LaidNode; px: number; py: number } | null>(null);
  const [minimapOn, setMinimapOn] = useState<boolean | null>(null);
  const drag = useRef<{ x: number; y: number; moved: boolean } | null>(null);

  // measure before the first paint, so the tree is drawn once at its real size
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = () => setSize((s) => {
      const next = { width: el.clientWidth, height: fill ? Math.max(160, el.clientHeight) : (height ?? canvasHeight()) };
      return s.width === next.width && s.height === next.height ? s : next;
    });
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, [height, fill]);

  // fit a new tree, and again when the canvas is resized (a pane settling to its size) unless the view was
  // moved by hand; a node put in focus stays centred through a resize. Collapsing or expanding keeps the view.
  const fitted = useRef<{ key: unknown; size: string | null; mode: 'fit' | 'focus' | 'user'; focusId: number | null }>({ key: undefined, size: null, mode: 'fit', focusId: null });
  /** the view with the node in it: unchanged when the node is already well inside, else centred on it */
  const centred = useCallback(
    (id: number, base: View): View | null => {
      const n = layout.byId.get(id);
      if (!n) return null;
      const sx = n.x * base.k + base.x;
      const sy = n.y * base.k + base.y;
      const margin = 12;
      if (sx > margin && sx < size.width - margin && sy > margin && sy < size.height - margin) return base;
      const k = Math.max(base.k, 0.8);
      return { k, x: size.width / 2 - n.x * k, y: size.height / 2 - n.y * k };
    },
    [layout, size],
  );
  useLayoutEffect(() => {
    if (size.width === 0) return;
    const sizeKey = `${size.width}x${size.height}`;
    const f = fitted.current;
    const sameTree = f.size !== null && f.key === fitKey;
    if (sameTree && (f.mode === 'user' || f.size === sizeKey)) return;
    const mode = sameTree ? f.mode : 'fit';
    const focusId = sameTree ? f.focusId : null;
    fitted.current = { key: fitKey, size: sizeKey, mode, focusId };
    const base = fitView(layout, size.width, size.height);
    setView((mode === 'focus' && focusId !== null ? centred(focusId, base) : null) ?? base);
  }, [fitKey, layout, size, centred]);
  const moved = () => {
    fitted.current.mode = 'user';
  };
  const fit = useCallback(() => {
    if (size.width === 0) return;
    fitted.current.mode = 'fit';
    setView(fitView(layout, size.width, size.height));
  }, [layout, size]);

  useEffect(() => {
    if (!focus || size.width === 0 || !layout.byId.has(focus.id)) return;
    fitted.current.mode = 'focus';
    fitted.current.focusId = focus.id;
    setView((v) => centred(focus.id, v && fitted.current.size !== null ? v : fitView(layout, size.width, size.height)) ?? v);
  }, [focus?.n, focus?.id, size.width === 0]);

  const scene = useMemo(() => buildScene(layout, undefined, marks), [layout, marks]);
  const live = useMemo<Scene | null>(() => (frame ? buildScene(layout, frame) : null), [layout, frame]);
  const matchRings = useMemo(() => (matches && matches.length ? ringsPath(layout, matches, 3.5) : null), [layout, matches]);
  const collapsed = useMemo(() => layout.nodes.filter((n) => n.hidden > 0), [layout]);
  const onPath = useMemo(() => {
    const out: LaidNode[] = [];
    for (let n = selected === null ? undefined : layout.byId.get(selected); n; n = n.parent ?? undefined) out.push(n);
    return out;
  }, [layout, selected]);

  useEffect(() => {
    const c = canvas.current;
    if (!c || !view || size.width === 0) return;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.round(size.width * dpr);
    const h = Math.round(size.height * dpr);
    if (c.width !== w) c.width = w;
    if (c.height !== h) c.height = h;
    const g = c.getContext('2d')!;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, size.width, size.height);
    g.setTransform(dpr * view.k, 0, 0, dpr * view.k, dpr * view.x, dpr * view.y);
    if (live) {
      // a replay shows the search as it ran: the faint finished tree under it, without curation or gold
      drawScene(g, scene, view.k, 0.13);
      drawScene(g, live, view.k);
    } else {
      drawScene(g, scene, view.k);
    }
    if (onPath.length > 1) {
      g.lineWidth = 3 / view.k;
      g.strokeStyle = PATH_COLOR;
      g.beginPath();
      for (const n of onPath) {
        if (!n.parent) continue;
        g.moveTo(n.parent.x, n.parent.y);
        g.lineTo(n.x, n.y);
      }
      g.stroke();
    }
    if (matchRings) {
      g.lineWidth = 2.5 / view.k;
      g.strokeStyle = MATCH_COLOR;
      g.stroke(matchRings);
    }
    // a ring round a node, `gap` screen pixels out from it
    const ring = (n: { x: number; y: number; r: number }, gap: number, color: string): void => {
      g.lineWidth = 3 / view.k;
      g.strokeStyle = color;
      g.beginPath();
      g.arc(n.x, n.y, n.r + gap / view.k, 0, 2 * Math.PI);
      g.stroke();
    };
    const sel = onPath[0];
    if (sel) ring(sel, 1.5, PATH_COLOR);
    const touched = frame?.touched === null || frame?.touched === undefined ? undefined : layout.byId.get(frame.touched);
    if (touched) ring(touched, 6, TOUCHED_COLOR);
    // collapsed nodes: a "+count" badge at a constant screen size
    if (collapsed.length) {
      g.setTransform(dpr, 0, 0, dpr, 0, 0);
      g.font = '11px system-ui, sans-serif';
      g.textBaseline = 'middle';
      for (const n of collapsed) {
        const sx = n.x * view.k + view.x;
        const sy = n.y * view.k + view.y;
        if (sx < -40 || sy < -20 || sx > size.width + 40 || sy > size.height + 20) continue;
        const text = `+${n.hidden.toLocaleString()}`;
        const tw = g.measureText(text).width;
        const bx = sx + n.r * view.k + 3;
        g.fillStyle = PATH_COLOR;
        g.beginPath();
        g.roundRect(bx, sy - 8, tw + 8, 16, 8);
        g.fill();
        g.fillStyle = '#fff';
        g.fillText(text, bx + 4, sy + 0.5);
      }
    }
  }, [scene, live, view, size, onPath, matchRings, frame, collapsed, layout]);

  const toTree = (e: { clientX: number; clientY: number }): { x: number; y: number; px: number; py: number } => {
    const r = canvas.current!.getBoundingClientRect();
    const px = e.clientX - r.left;
    const py = e.clientY - r.top;
    const v = view ?? { x: 0, y: 0, k: 1 };
    return { x: (px - v.x) / v.k, y: (py - v.y) / v.k, px, py };
  };
  const k = view?.k ?? 1;
  const hidden = collapsed.reduce((t, n) => t + n.hidden, 0);
  const showMinimap = tools && (minimapOn ?? layout.nodes.length >= MINIMAP_FROM);
  const hoverScores = hover && prmScores ? prmScores(hover.n.node.id) : [];
  const hoverMore = hover && describe ? describe(hover.n.node.id) : [];

  return (
    <div className={`tree-canvas themed${fill ? ' fill' : ''}`}>
      <div className="tree-canvas-box" ref={box}>
      <canvas
        ref={canvas}
        style={{ width: size.width || '100%', height: size.height }}
        aria-label={`${label}, ${layout.nodes.length} nodes${hidden ? `, ${hidden} more in collapsed subtrees` : ''}`}
        data-testid={testId}
        tabIndex={0}
        onKeyDown={(e) => {
          if ((e.key === ' ' || e.key === 'c' || e.key === 'C') && onToggle && selected !== null) {
            e.preventDefault();
            onToggle(selected);
            return;
          }
          if (!['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Home', 'Escape'].includes(e.key)) return;
          e.preventDefault();
          onSelect(e.key === 'Escape' ? null : moveSelection(layout, selected, e.key));
        }}
        onMouseDown={(e) => (drag.current = { x: e.clientX, y: e.clientY, moved: false })}
        onMouseMove={(e) => {
          const d = drag.current;
          if (d && e.buttons === 1) {
            const dx = e.clientX - d.x;
            const dy = e.clientY - d.y;
            if (Math.abs(dx) + Math.abs(dy) > 2) d.moved = true;
            d.x = e.clientX;
            d.y = e.clientY;
            setView((v) => (v ? { ...v, x: v.x + dx, y: v.y + dy } : v));
            moved();
            if (hover) setHover(null);
            return;
          }
          const p = toTree(e);
          const n = hitTest(layout, p.x, p.y, 3 / k);
          setHover(n ? { n, px: p.px, py: p.py } : null);
        }}
        onMouseUp={(e) => {
          const d = drag.current;
          drag.current = null;
          if (d?.moved) return;
          const p = toTree(e);
          onSelect(hitTest(layout, p.x, p.y, 3 / k)?.node.id ?? null);
        }}
        onDoubleClick={(e) => {
          const p = toTree(e);
          const n = hitTest(layout, p.x, p.y, 3 / k);
          if (n && onToggle) onToggle(n.node.id);
        }}
        onMouseLeave={() => setHover(null)}
        onWheel={(e) => {
          const p = toTree(e);
          const nk = Math.min(8, Math.max(0.02, k * Math.exp(-e.deltaY * 0.0015)));
          moved();
          setView({ k: nk, x: p.px - p.x * nk, y: p.py - p.y * nk });
        }}
      />
      {hover && (
        <div className="tree-tip" style={{ left: Math.min(hover.px + 14, Math.max(0, size.width - 320)), top: hover.py + 10 }} role="tooltip">
          <div className="mono">
            #{hover.n.node.id} · {hover.n.node.stepText || '(question)'}
          </div>
          <div className="muted small">
            N {hover.n.node.visits} · rollouts {hover.n.node.rollouts} · MC {hover.n.node.mc?.toFixed(3) ?? '–'} · Q {hover.n.node.q?.toFixed(3) ?? '–'}
            {hover.n.node.firstError ? ' · first error' : ''}
            {hover.n.hidden ? ` · ${hover.n.hidden} collapsed below` : ''}
            {hoverScores.map((s) => ` · ${s.model} ${s.score.toFixed(3)}`).join('')}
          </div>
          {hoverMore.map((line) => (
            <div key={line} className="small">
              {line}
            </div>
          ))}
        </div>
      )}
      </div>
      {tools && (
        <div className="tree-tools">
          <div className="tree-tools-left">
            <button type="button" onClick={fit}>
              Fit
            </button>
            <label className="small">
              <input type="checkbox" checked={showMinimap} onChange={(e) => setMinimapOn(e.target.checked)} /> minimap
            </label>
            <Legend gold={Boolean(marks?.goldFirstError)} scale={marks?.scale} />
          </div>
          {/* beside the tree, never over it */}
          {showMinimap && view && size.width > 0 && (
            <Minimap layout={layout} scene={scene} view={view} width={size.width} height={size.height} onCenter={(x, y) => (moved(), setView((v) => (v ? { ...v, x: size.width / 2 - x * v.k, y: size.height / 2 - y * v.k } : v)))} />
          )}
        </div>
      )}
    </div>
  );
}
