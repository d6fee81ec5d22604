// Geometry of the dataset heatmap canvas: a label gutter with every problem's id, a verdict strip, then
// one column per step, the columns sharing the panel's width. Rows are at least MIN_ROW px (tall enough
// for their id): a big dataset scrolls instead of shrinking to unreadable lines, and the row height can
// be zoomed. Hit testing maps a pointer position back to (row, step), or null off the cells and past a
// row's last step.
export interface HeatLayout {
  rows: number;
  steps: number;
  /** CSS pixels */
  rowHeight: number;
  cellWidth: number;
  gutter: number;
  strip: number;
  width: number;
  height: number;
  /** draw the problem ids in the gutter (always: rows are tall enough) */
  labels: boolean;
}

export const MIN_ROW = 12;
export const MAX_ROW = 40;
export const GUTTER = 150;

export function heatLayout(rows: number, steps: number, opts: { availableWidth: number; rowHeight?: number }): HeatLayout {
  const rowHeight = Math.max(MIN_ROW, Math.min(MAX_ROW, Math.round(opts.rowHeight ?? 18)));
  const gutter = GUTTER;
  const strip = 8;
  const cellWidth = Math.max(8, Math.floor((opts.availableWidth - gutter - strip - 4) / Math.max(1, steps)));
  return { rows, steps, rowHeight, cellWidth, gutter, strip, labels: true, width: gutter + strip + 4 + cellWidth * Math.max(1, steps), height: rowHeight * Math.max(1, rows) };
}

/** The x of a step's cell. */
export const cellX = (l: HeatLayout, step: number): number => l.gutter + l.strip + 4 + step * l.cellWidth;

/** The cell under (x, y) in CSS pixels of the canvas: row index and step index, or null. */
export function hitTest(l: HeatLayout, x: number, y: number, stepsInRow: (row: number) => number): { row: number; step: number } | null {
  if (y < 0 || y >= l.rows * l.rowHeight) return null;
  const x0 = cellX(l, 0);
  if (x < x0) return null;
  const row = Math.floor(y / l.rowHeight);
  const step = Math.floor((x - x0) / l.cellWidth);
  if (step >= stepsInRow(row)) return null;
  return { row, step };
}
