// The heatmap's colour scale: a value in [0, 1] (a PRM's P(good) or an MC value) to red-yellow-green,
// grey where a step has no value. Looked up in a 256-entry table so a 20,000-cell frame does no maths.
import { interpolateRdYlGn } from 'd3-scale-chromatic';
import type { Verdict } from '../../src-shared/domain';

export const NO_VALUE = '#9aa3ad';
export const VERDICT_COLOURS: Record<Verdict | 'none', string> = {
  correct: '#1a9850',
  incorrect: '#d73027',
  unparseable: '#f46d43',
  none: NO_VALUE,
};

const STEPS = 256;
const TABLE = Array.from({ length: STEPS }, (_, i) => rgbHex(interpolateRdYlGn(i / (STEPS - 1))));

/** The same table as packed little-endian RGBA words (0xAABBGGRR) for writing straight into ImageData. */
const WORDS = new Uint32Array(TABLE.map((hex) => packRgba(hex)));
const NO_VALUE_WORD = packRgba(NO_VALUE);

/** "#rrggbb" as an opaque RGBA word in the byte order of a Uint32Array view of ImageData on little-endian machines. */
export function packRgba(hex: string): number {
  const n = parseInt(hex.slice(1), 16);
  return ((0xff << 24) | ((n & 0xff) << 16) | (n & 0xff00) | ((n >> 16) & 0xff)) >>> 0;
}

/** colourOf as a packed RGBA word. */
export function colourWord(v: number | null | undefined): number {
  if (v === null || v === undefined || Number.isNaN(v)) return NO_VALUE_WORD;
  const x = Math.min(1, Math.max(0, v));
  return WORDS[Math.round(x * (STEPS - 1))];
}

/** d3 returns "rgb(r, g, b)"; canvases take either, hex keeps the table small and comparable in tests. */
function rgbHex(c: string): string {
  const m = /rgb\((\d+), ?(\d+), ?(\d+)\)/.exec(c);
  if (!m) return c;
  return `#${[m[1], m[2], m[3]].map((x) => Number(x).toString(16).padStart(2, '0')).join('')}`;
}

/** The colour of a value; values outside [0, 1] are clamped, null / NaN are grey. */
export function colourOf(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return NO_VALUE;
  const x = Math.min(1, Math.max(0, v));
  return TABLE[Math.round(x * (STEPS - 1))];
}

/** Stops for a CSS gradient legend of the same scale, low to high. */
export function legendGradient(stops = 6): string {
  return `linear-gradient(to right, ${Array.from({ length: stops }, (_, i) => colourOf(i / (stops - 1))).join(', ')})`;
}
