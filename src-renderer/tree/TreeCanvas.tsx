// The search tree drawn on a canvas: edges, then nodes coloured by MC and sized by visits, first-error
// nodes ringed, the selected node's path highlighted. Drag pans, the wheel zooms at the pointer, "Fit"
// frames the whole tree; hover names the node, click selects it; with the canvas focused, the arrow keys
// walk the tree (up: parent, down: first child, left/right: siblings), Home selects the root.
import { useCallback, useEffect, useRef, useState } from 'react';
import { hitTest, moveSelection, type LaidNode, type TreeLayout } from './layout';

interface View {
  x: number;
  y: number;
  k: number;
}

function fitView(layout: TreeLayout, width: number, height: number): View {
  const { minX, maxX, minY, maxY } = layout.bounds;
  const pad = 24;
  const k = Math.min(2, (width - 2 * pad) / Math.max(1, maxX - minX), (height - 2 * pad) / Math.max(1, maxY - minY));
  return { k, x: pad - minX * k + (width - 2 * pad - (maxX - minX) * k) / 2, y: pad - minY * k };
}

export function TreeCanvas({ layout, selected, onSelect }: { layout: TreeLayout; selected: number | null; onSelect(id: number | null): void }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [size, setSize] = useState({ width: 800, height: 520 });
  const [view, setView] = useState<View>({ x: 0, y: 0, k: 1 });
  const [hover, setHover] = useState<{ n: LaidNode; px: number; py: number } | null>(null);
  const drag = useRef<{ x: number; y: number; moved: boolean } | null>(null);

  useEffect(() => {
    const el = canvas.current?.parentElement;
    if (!el) return;
    const ro = new ResizeObserver(() => setSize({ width: el.clientWidth, height: Math.max(360, Math.min(720, window.innerHeight - 260)) }));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const fit = useCallback(() => setView(fitView(layout, size.width, size.height)), [layout, size]);
  useEffect(fit, [fit]);

  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = size.width * dpr;
    c.height = size.height * dpr;
    const g = c.getContext('2d')!;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, size.width, size.height);
    g.setTransform(dpr * view.k, 0, 0, dpr * view.k, dpr * view.x, dpr * view.y);
    const onPath = new Set<number>();
    for (let n = selected === null ? undefined : layout.byId.get(selected); n; n = n.parent ?? undefined) onPath.add(n.node.id);
    g.lineWidth = 1 / view.k;
    g.strokeStyle = 'rgba(120,130,140,0.55)';
    g.beginPath();
    for (const n of layout.nodes) {
      if (!n.parent || onPath.has(n.node.id)) continue;
      g.moveTo(n.parent.x, n.parent.y);
      g.lineTo(n.x, n.y);
    }
    g.stroke();
    if (onPath.size) {
      g.lineWidth = 3 / view.k;
      g.strokeStyle = '#2f6fde';
      g.beginPath();
      for (const id of onPath) {
        const n = layout.byId.get(id)!;
        if (!n.parent) continue;
        g.moveTo(n.parent.x, n.parent.y);
        g.lineTo(n.x, n.y);
      }
      g.stroke();
    }
    for (const n of layout.nodes) {
      g.beginPath();
      g.arc(n.x, n.y, n.r, 0, 2 * Math.PI);
      g.fillStyle = n.color;
      g.fill();
      if (n.node.firstError || n.node.id === selected) {
        g.lineWidth = (n.node.id === selected ? 3 : 2) / view.k;
        g.strokeStyle = n.node.id === selected ? '#2f6fde' : '#b3001b';
        g.stroke();
      }
    }
  }, [layout, view, size, selected]);

  const toTree = (e: { clientX: number; clientY: number }): { x: number; y: number; px: number; py: number } => {
    const r = canvas.current!.getBoundingClientRect();
    const px = e.clientX - r.left;
    const py = e.clientY - r.top;
    return { x: (px - view.x) / view.k, y: (py - view.y) / view.k, px, py };
  };

  return (
    <div className="tree-canvas">
      <canvas
        ref={canvas}
        style={{ width: size.width, height: size.height }}
        aria-label={`Search tree, ${layout.nodes.length} nodes`}
        data-testid="tree-canvas"
        tabIndex={0}
        onKeyDown={(e) => {
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
            setView((v) => ({ ...v, x: v.x + dx, y: v.y + dy }));
            return;
          }
          const p = toTree(e);
          const n = hitTest(layout, p.x, p.y, 3 / view.k);
          setHover(n ? { n, px: p.px, py: p.py } : null);
        }}
        onMouseUp={(e) => {
          const d = drag.current;
          drag.current = null;
          if (d?.moved) return;
          const p = toTree(e);
          onSelect(hitTest(layout, p.x, p.y, 3 / view.k)?.node.id ?? null);
        }}
        onMouseLeave={() => setHover(null)}
        onWheel={(e) => {
          const p = toTree(e);
          const k = Math.min(8, Math.max(0.02, view.k * Math.exp(-e.deltaY * 0.0015)));
          setView({ k, x: p.px - p.x * k, y: p.py - p.y * k });
        }}
      />
      {hover && (
        <div className="tree-tip" style={{ left: hover.px + 14, top: hover.py + 10 }} role="tooltip">
          <div className="mono">{hover.n.node.stepText || '(question)'}</div>
          <div className="muted small">
            N {hover.n.node.visits} · rollouts {hover.n.node.rollouts} · MC {hover.n.node.mc?.toFixed(3) ?? '–'} · Q {hover.n.node.q?.toFixed(3) ?? '–'}
            {hover.n.node.firstError ? ' · first error' : ''}
          </div>
        </div>
      )}
      <div className="tree-tools">
        <button type="button" onClick={fit}>
          Fit
        </button>
        <span className="legend" aria-label="MC colour scale">
          MC <span className="ramp" /> 0 … 1 · <span className="dot unknown" /> unknown · <span className="dot ring" /> first error · size = visits · arrow keys walk the tree
        </span>
      </div>
    </div>
  );
}
