// The Cycles screen's charts, drawn by Chart.js on a canvas (bundled: no CDN, no eval, so it runs under the
// renderer's CSP offline): per cycle, test accuracy and pass@k as lines over the per-stage counts as bars;
// and the fine-tune loss of each cycle. Colours come from the theme's CSS variables and follow a theme switch.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import { useEffect, useRef, useState } from 'react';
import { COUNT_LABELS, type ChartSeries } from './model';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);

/** Bumps when the resolved theme (data-theme on <html>) changes, so charts redraw in its colours. */
function useThemeVersion(): number {
  const [v, setV] = useState(0);
  useEffect(() => {
    const o = new MutationObserver(() => setV((x) => x + 1));
    o.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    return () => o.disconnect();
  }, []);
  return v;
}

function themeColours() {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return { text: v('--text', '#1b1f24'), muted: v('--muted', '#5f6b7a'), grid: v('--border', '#d9dee5'), accent: v('--accent', '#2f6fde'), ok: v('--ok', '#1e8a4c') };
}

// counts: a sequential-ish palette that reads in both themes; lines use the theme's accent and ok colours
const BAR_COLOURS: Record<keyof ChartSeries['counts'], string> = {
  correct_paths: 'rgba(120, 144, 176, 0.55)',
  diagnosed: 'rgba(230, 145, 56, 0.6)',
  corrected: 'rgba(155, 89, 182, 0.6)',
  train_examples: 'rgba(70, 170, 160, 0.55)',
};

/** A Chart.js chart over a canvas, rebuilt when its config changes (they are small: rebuilding is cheap). */
function useChart(config: () => ChartConfiguration, deps: unknown[]) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, config());
    return () => chart.destroy();
  }, deps);
  return canvas;
}

export function CycleChart({ series }: { series: ChartSeries }) {
  const theme = useThemeVersion();
  const key = JSON.stringify(series);
  const canvas = useChart(() => {
    const c = themeColours();
    const bars = (Object.keys(series.counts) as (keyof ChartSeries['counts'])[]).map((k) => ({
      type: 'bar' as const,
      label: COUNT_LABELS[k],
      data: series.counts[k],
      backgroundColor: BAR_COLOURS[k],
      yAxisID: 'count',
      order: 2,
    }));
    const line = (label: string, data: (number | null)[], colour: string, dash: number[]) => ({
      type: 'line' as const,
      label,
      data,
      borderColor: colour,
      backgroundColor: colour,
      borderDash: dash,
      borderWidth: 2.5,
      pointRadius: 4,
      spanGaps: true,
      yAxisID: 'pct',
      order: 1,
    });
    return {
      type: 'bar',
      data: {
        labels: series.labels,
        datasets: [line('test accuracy (%)', series.accuracy, c.accent, []), line(`pass@${series.k ?? 'k'} (%)`, series.passAtK, c.ok, [6, 4]), ...bars],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        plugins: { legend: { position: 'bottom', labels: { color: c.text, boxWidth: 14 } }, tooltip: { enabled: true } },
        scales: {
          x: { ticks: { color: c.text }, grid: { color: c.grid } },
          pct: { position: 'left', min: 0, max: 100, title: { display: true, text: 'accuracy (%)', color: c.muted }, ticks: { color: c.text }, grid: { color: c.grid } },
          count: { position: 'right', beginAtZero: true, title: { display: true, text: 'paths / examples', color: c.muted }, ticks: { color: c.text, precision: 0 }, grid: { display: false } },
        },
      },
    } as ChartConfiguration;
  }, [key, theme]);
  const last = series.accuracy.filter((x) => x !== null);
  return (
    <div className="cycle-chart" data-testid="cycle-chart">
      <canvas ref={canvas} role="img" aria-label={`Test accuracy per cycle: ${series.labels.map((l, i) => `${l} ${series.accuracy[i] ?? '–'}%`).join(', ')}`} />
      {last.length === 0 && <p className="muted small chart-note">No cycle has been evaluated yet.</p>}
    </div>
  );
}

/** Fine-tune loss against step, one line per cycle ("loss c1", "loss c2" …). */
export function LossChart({ series }: { series: Record<string, [number, number][]> }) {
  const theme = useThemeVersion();
  const key = JSON.stringify(series);
  const canvas = useChart(() => {
    const c = themeColours();
    const names = Object.keys(series).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    const hues = [210, 25, 140, 280, 350, 60, 180];
    return {
      type: 'line',
      data: {
        datasets: names.map((n, i) => ({
          label: n,
          data: series[n].map(([x, y]) => ({ x, y })),
          borderColor: `hsl(${hues[i % hues.length]} 65% 50%)`,
          backgroundColor: `hsl(${hues[i % hues.length]} 65% 50%)`,
          borderWidth: 2,
          pointRadius: series[n].length > 40 ? 0 : 2.5,
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        plugins: { legend: { position: 'bottom', labels: { color: c.text, boxWidth: 14 } } },
        scales: {
          x: { type: 'linear', title: { display: true, text: 'step', color: c.muted }, ticks: { color: c.text, precision: 0 }, grid: { color: c.grid } },
          y: { title: { display: true, text: 'loss', color: c.muted }, ticks: { color: c.text }, grid: { color: c.grid } },
        },
      },
    } as ChartConfiguration;
  }, [key, theme]);
  return (
    <div className="loss-chart" data-testid="loss-chart">
      <canvas ref={canvas} role="img" aria-label={`Fine-tune loss per step for ${Object.keys(series).join(', ')}`} />
    </div>
  );
}
