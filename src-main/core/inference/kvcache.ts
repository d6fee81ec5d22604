// A batch's key/value cache in the Optimum layout: per layer, key and value of shape
// [batch, kvHeads, length, headDim], row-major Float32Array. Rows are left-padded; the attention mask
// says which positions are real.

export interface KvShape {
  layers: number;
  heads: number;
  headDim: number;
}

export interface KvCache {
  shape: KvShape;
  batch: number;
  length: number;
  /** 2 * layers arrays: key0, value0, key1, value1, ... */
  data: Float32Array[];
  /** [batch * length] 1 for a real position, 0 for padding */
  mask: Uint8Array;
}

export function emptyCache(shape: KvShape, batch: number): KvCache {
  return { shape, batch, length: 0, data: Array.from({ length: 2 * shape.layers }, () => new Float32Array(0)), mask: new Uint8Array(0) };
}

/**
 * Builds a batch from rows taken out of source caches: row r is `sources[r].cache` row `sources[r].row`.
 * Shorter rows are left-padded (zeros, mask 0) to the longest. This is both prefix expansion (the same
 * source row many times) and compaction (dropping finished rows).
 */
export function gatherRows(sources: { cache: KvCache; row: number }[]): KvCache {
  if (sources.length === 0) throw new Error('gatherRows: no rows');
  const shape = sources[0].cache.shape;
  const length = Math.max(...sources.map((s) => realSpan(s.cache, s.row)));
  const { heads, headDim } = shape;
  const batch = sources.length;
  const data = Array.from({ length: 2 * shape.layers }, () => new Float32Array(batch * heads * length * headDim));
  const mask = new Uint8Array(batch * length);
  sources.forEach((src, r) => {
    const c = src.cache;
    const span = realSpan(c, src.row);
    const skip = c.length - span; // leading columns of the source row that are padding for every row we keep
    const pad = length - span;
    for (let t = 0; t < span; t++) mask[r * length + pad + t] = c.mask[src.row * c.length + skip + t];
    for (let a = 0; a < data.length; a++) {
      const from = c.data[a];
      const to = data[a];
      for (let h = 0; h < heads; h++) {
        const srcBase = ((src.row * heads + h) * c.length + skip) * headDim;
        const dstBase = ((r * heads + h) * length + pad) * headDim;
        to.set(from.subarray(srcBase, srcBase + span * headDim), dstBase);
      }
    }
  });
  return { shape, batch, length, data, mask };
}

/** Columns from the row's first real position to the end (leading padding is dropped). */
function realSpan(c: KvCache, row: number): number {
  let first = 0;
  while (first < c.length && c.mask[row * c.length + first] === 0) first++;
  return c.length - first;
}

/** Number of real positions of a row (its next position id). */
export function rowPositions(c: KvCache, row: number): number {
  let n = 0;
  for (let t = 0; t < c.length; t++) n += c.mask[row * c.length + t];
  return n;
}

/** Appends new columns returned by the model (`present` = old + new) and their mask values. */
export function withPresent(c: KvCache, present: Float32Array[], added: number, addedMask: Uint8Array): KvCache {
  const length = c.length + added;
  const mask = new Uint8Array(c.batch * length);
  for (let r = 0; r < c.batch; r++) {
    mask.set(c.mask.subarray(r * c.length, (r + 1) * c.length), r * length);
    mask.set(addedMask.subarray(r * added, (r + 1) * added), r * length + c.length);
  }
  return { shape: c.shape, batch: c.batch, length, data: present, mask };
}
