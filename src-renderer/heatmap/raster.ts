// The heatmap's cells as one pixel each: a steps × rows RGBA buffer (transparent past a row's last
// step) that the canvas scales up in a single drawImage, instead of 20,000 fillRect calls.
import { colourWord } from './scale';

export function rasterize(rows: readonly { scores: readonly (number | null)[] }[], steps: number): Uint32Array {
  const px = new Uint32Array(Math.max(1, steps) * Math.max(1, rows.length));
  for (let r = 0; r < rows.length; r++) {
    const sc = rows[r].scores;
    const base = r * steps;
    for (let s = 0; s < sc.length && s < steps; s++) px[base + s] = colourWord(sc[s]);
  }
  return px;
}
