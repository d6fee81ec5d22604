/**
 * Count pictures for image problems: 1–9 filled shapes of one shape and colour, each in its own
 * cell of a 3×3 grid with jitter (so they never overlap), on a light background with a faint
 * band and a few specks. Drawn as SVG and rasterised by sharp; the same (count, seed) gives the
 * same bytes.
 */
import sharp from 'sharp';
import { createRng, mixSeed } from '../rng';

/** Side of the PNG stored with a problem, and the default for pixel dumps. */
export const DEMO_IMAGE_SIZE = 48;
export const MAX_COUNT = 9;

/** Drawing units; the SVG is scaled to the requested pixel size. */
const UNITS = 48;
const GRID = 3;
const CELL = UNITS / GRID;

/** Fill colours, all well darker than any background so they survive grey-scale conversion. */
const COLOURS = ['#c0392b', '#1f5fa8', '#238b45', '#7b3fa0', '#8c564b', '#d35400', '#333333'];
const SHAPES = ['circle', 'square', 'triangle', 'diamond'] as const;

function hex2(n: number): string {
  return Math.max(0, Math.min(255, Math.round(n))).toString(16).padStart(2, '0');
}

function f1(x: number): string {
  return x.toFixed(1);
}

/** The picture's SVG source at `size` pixels. */
export function countSvg(count: number, seed: number, size: number = DEMO_IMAGE_SIZE): string {
  if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) throw new RangeError(`count must be 1..${MAX_COUNT}, got ${count}`);
  if (!Number.isInteger(size) || size < 8 || size > 1024) throw new RangeError(`size must be 8..1024 px, got ${size}`);
  const rng = createRng(mixSeed(seed, 0x1c0de));
  const bg = [rng.int(228, 250), rng.int(228, 250), rng.int(222, 248)];
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${UNITS} ${UNITS}">`,
    `<rect width="${UNITS}" height="${UNITS}" fill="#${bg.map(hex2).join('')}"/>`,
  ];
  // A faint band in a random place and direction: background variation without a gradient's per-pixel noise.
  const band = rng.int(0, 2);
  if (band > 0) {
    const w = rng.int(8, 20);
    const at = rng.int(0, UNITS - w);
    const shade = hex2(rng.int(200, 225));
    const rect = band === 1 ? `x="${at}" y="0" width="${w}" height="${UNITS}"` : `x="0" y="${at}" width="${UNITS}" height="${w}"`;
    parts.push(`<rect ${rect} fill="#${shade}${shade}${shade}" fill-opacity="0.35"/>`);
  }
  const specks = rng.int(0, 6);
  for (let i = 0; i < specks; i++) {
    parts.push(`<circle cx="${f1(rng.next() * UNITS)}" cy="${f1(rng.next() * UNITS)}" r="0.6" fill="#888" fill-opacity="0.5"/>`);
  }

  const fill = rng.pick(COLOURS);
  const shape = rng.pick(SHAPES);
  const radius = 4 + rng.next() * 1.8;
  const cells = rng.shuffle([...Array(GRID * GRID).keys()]).slice(0, count);
  const slack = CELL / 2 - radius - 0.8;
  for (const cell of cells) {
    const cx = (cell % GRID) * CELL + CELL / 2 + (rng.next() * 2 - 1) * slack;
    const cy = Math.floor(cell / GRID) * CELL + CELL / 2 + (rng.next() * 2 - 1) * slack;
    const r = radius * (0.9 + rng.next() * 0.2);
    switch (shape) {
      case 'circle':
        parts.push(`<circle cx="${f1(cx)}" cy="${f1(cy)}" r="${f1(r)}" fill="${fill}"/>`);
        break;
      case 'square': {
        const s = r * 1.6;
        parts.push(`<rect x="${f1(cx - s / 2)}" y="${f1(cy - s / 2)}" width="${f1(s)}" height="${f1(s)}" fill="${fill}"/>`);
        break;
      }
      case 'triangle':
        parts.push(
          `<polygon points="${f1(cx)},${f1(cy - r)} ${f1(cx + r * 0.95)},${f1(cy + r * 0.8)} ${f1(cx - r * 0.95)},${f1(cy + r * 0.8)}" fill="${fill}"/>`,
        );
        break;
      case 'diamond':
        parts.push(`<polygon points="${f1(cx)},${f1(cy - r)} ${f1(cx + r)},${f1(cy)} ${f1(cx)},${f1(cy + r)} ${f1(cx - r)},${f1(cy)}" fill="${fill}"/>`);
        break;
    }
  }
  parts.push('</svg>');
  return parts.join('');
}

/** The picture as an RGB PNG of DEMO_IMAGE_SIZE × DEMO_IMAGE_SIZE pixels. */
export async function renderCountImage(count: number, seed: number, size: number = DEMO_IMAGE_SIZE): Promise<Buffer> {
  return sharp(Buffer.from(countSvg(count, seed, size)))
    .removeAlpha()
    .png({ compressionLevel: 9, adaptiveFiltering: true })
    .toBuffer();
}

/** The same picture as `size × size` grey-scale bytes, row-major (for training a count classifier). */
export async function renderCountPixels(count: number, seed: number, size: number = DEMO_IMAGE_SIZE): Promise<Uint8Array> {
  const { data, info } = await sharp(Buffer.from(countSvg(count, seed, size)))
    .removeAlpha()
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 1 || info.width !== size || info.height !== size) {
    throw new Error(`count picture: expected ${size}x${size}x1, sharp gave ${info.width}x${info.height}x${info.channels}`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Pictures per sheet in renderCountPixelsMany. */
const SHEET_COLUMNS = 8;
const SHEET_TILES = 64;

/**
 * Many pictures' grey-scale bytes, concatenated (N × size × size). Each sheet of 64 pictures is
 * one SVG with a nested, clipping <svg> per tile, rasterised in one sharp call: about 5× faster
 * than one call per picture, and byte-identical to renderCountPixels (tiles sit on whole pixels).
 */
export async function renderCountPixelsMany(items: readonly { count: number; seed: number }[], size: number = DEMO_IMAGE_SIZE): Promise<Uint8Array> {
  const tile = size * size;
  const out = new Uint8Array(items.length * tile);
  for (let first = 0; first < items.length; first += SHEET_TILES) {
    const chunk = items.slice(first, first + SHEET_TILES);
    const cols = Math.min(SHEET_COLUMNS, chunk.length);
    const rows = Math.ceil(chunk.length / cols);
    const width = cols * size;
    const tiles = chunk.map((it, i) =>
      countSvg(it.count, it.seed, size).replace('<svg ', `<svg x="${(i % cols) * size}" y="${Math.floor(i / cols) * size}" `),
    );
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${rows * size}">${tiles.join('')}</svg>`;
    const { data, info } = await sharp(Buffer.from(svg)).removeAlpha().greyscale().raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 1 || info.width !== width || info.height !== rows * size) {
      throw new Error(`count sheet: expected ${width}x${rows * size}x1, sharp gave ${info.width}x${info.height}x${info.channels}`);
    }
    chunk.forEach((_, i) => {
      const ox = (i % cols) * size;
      const oy = Math.floor(i / cols) * size;
      const base = (first + i) * tile;
      for (let y = 0; y < size; y++) {
        const from = (oy + y) * width + ox;
        out.set(data.subarray(from, from + size), base + y * size);
      }
    });
  }
  return out;
}

/** Grey-scale bytes of any image (e.g. a problem's PNG), resized to `size × size`, as the vision path sees it. */
export async function imageToPixels(image: Buffer, size: number = DEMO_IMAGE_SIZE): Promise<Uint8Array> {
  const { data } = await sharp(image)
    .removeAlpha()
    .resize(size, size, { fit: 'fill' })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
