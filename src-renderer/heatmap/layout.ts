// Geometry of the dataset heatmap canvas: a label gutter, a verdict strip, then one column per step;
// row height shrinks with the row count so a thousand problems fit a screen or two. Hit testing maps
// a pointer position back to (row, step), or null off the cells and past a row's last step.
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
  /** draw the problem ids in the gutter (rows tall enough for text) */
  labels: boolean;
}

export const MIN_ROW = 5;
export const MAX_ROW = 18;

export function heatLayout(rows: number, steps: number, opts: { availableWidth: number; targetHeight?: number }): HeatLayout {
  const target = opts.targetHeight ?? 640;
  const rowHeight = Math.max(MIN_ROW, Math.min(MAX_ROW, Math.floor(target / Math.max(1, rows))));
  const labels = rowHeight >= 12;
  const gutter = labels ? 150 : 8;
  const strip = 8;
  const cellWidth = Math.max(6, Math.min(40, Math.floor((opts.availableWidth - gutter - strip - 4) / Math.max(1, steps))));
  return { rows, steps, rowHeight, cellWidth, gutter, strip, labels, width: gutter + strip + 4 + cellWidth * Math.max(1, steps), height: rowHeight * Math.max(1, rows) };
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
