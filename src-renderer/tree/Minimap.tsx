// The minimap: the whole tree in a small canvas (drawn once per layout into an off-screen copy, after the
// main canvas's first frame) with the main view's rectangle on it; a click or drag on it centres the main
// view there.
import { useEffect, useMemo, useRef, useState } from 'react';
import { drawScene, PATH_COLOR, type Scene } from './draw';
import type { TreeLayout } from './layout';
import type { View } from './TreeCanvas';

const W = 176;
const H = 96;
const PAD = 6;

/** The minimap's transform: the layout's bounds fitted into it. */
function mapTransform(layout: TreeLayout): View {
  const { minX, maxX, minY, maxY } = layout.bounds;
  const k = Math.min((W - 2 * PAD) / Math.max(1, maxX - minX), (H - 2 * PAD) / Math.max(1, maxY - minY), 1);
  return { k, x: PAD - minX * k + (W - 2 * PAD - (maxX - minX) * k) / 2, y: PAD - minY * k + (H - 2 * PAD - (maxY - minY) * k) / 2 };
}

export function Minimap({ layout, scene, view, width, height, onCenter }: { layout: TreeLayout; scene: Scene; view: View; width: number; height: number; onCenter(x: number, y: number): void }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const t = useMemo(() => mapTransform(layout), [layout]);
  const dpr = typeof window === 'undefined' ? 1 : window.devicePixelRatio || 1;
  // the overview is drawn off-screen once per scene, after the main canvas's first frame
  const [cached, setCached] = useState<HTMLCanvasElement | null>(null);
  useEffect(() => {
    // when the browser is idle (at most half a second on), so the main tree's first frames come first
    const later = (fn: () => void): (() => void) => {
      if (typeof requestIdleCallback === 'function') {
        const id = requestIdleCallback(fn, { timeout: 500 });
        return () => cancelIdleCallback(id);
      }
      const id = setTimeout(fn, 50);
      return () => clearTimeout(id);
    };
    return later(() => {
      const off = document.createElement('canvas');
      off.width = W * dpr;
      off.height = H * dpr;
      const g = off.getContext('2d')!;
      g.setTransform(dpr * t.k, 0, 0, dpr * t.k, dpr * t.x, dpr * t.y);
      drawScene(g, scene, t.k * 1.5);
      setCached(off);
    });
  }, [scene, t, dpr]);

  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    if (c.width !== W * dpr) c.width = W * dpr;
    if (c.height !== H * dpr) c.height = H * dpr;
    const g = c.getContext('2d')!;
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.clearRect(0, 0, c.width, c.height);
    if (cached) g.drawImage(cached, 0, 0);
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    // the main view's rectangle, in minimap pixels
    const x0 = ((0 - view.x) / view.k) * t.k + t.x;
    const y0 = ((0 - view.y) / view.k) * t.k + t.y;
    const w = (width / view.k) * t.k;
    const h = (height / view.k) * t.k;
    g.fillStyle = 'rgba(47,111,222,0.12)';
    g.fillRect(x0, y0, w, h);
    g.lineWidth = 1.5;
    g.strokeStyle = PATH_COLOR;
    g.strokeRect(x0, y0, w, h);
  }, [cached, view, width, height, t, dpr]);

  const centerAt = (e: { clientX: number; clientY: number }) => {
    const r = canvas.current!.getBoundingClientRect();
    onCenter((e.clientX - r.left - t.x) / t.k, (e.clientY - r.top - t.y) / t.k);
  };
  return (
    <canvas
      ref={canvas}
      className="tree-minimap"
      data-testid="tree-minimap"
      aria-label="Minimap: the whole tree and the part in view; click or drag to move the view"
      style={{ width: W, height: H }}
      onMouseDown={(e) => {
        e.stopPropagation();
        centerAt(e);
      }}
      onMouseMove={(e) => {
        if (e.buttons === 1) centerAt(e);
      }}
    />
  );
}
