/**
 * Seeded pseudo-random numbers. Everything the demo domain generates (problems,
 * phrasings, image layouts) comes from here, so one seed reproduces a dataset byte for byte.
 */

/** A deterministic random source; each instance owns its state. */
export interface Rng {
  /** uniform in [0, 1) */
  next(): number;
  /** uniform 32-bit unsigned integer */
  uint32(): number;
  /** uniform integer in [lo, hi], both ends included */
  int(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
  /** index chosen with probability proportional to its weight (weights >= 0, at least one > 0) */
  weighted(weights: readonly number[]): number;
  /** Fisher–Yates shuffle in place; returns the same array */
  shuffle<T>(items: T[]): T[];
}

/** Murmur3's 32-bit finalizer: a cheap bijective mix of all input bits. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Combines integers into one 32-bit seed (order matters). Used to derive independent streams,
 * e.g. `mixSeed(seed, 1)` for images and `mixSeed(seed, 2)` for problems. Accepts any safe
 * integer; bits above 32 are folded in, so seeds 1 and 2**32 + 1 differ.
 */
export function mixSeed(...parts: number[]): number {
  return mixSeedFrom(0x9e3779b9, ...parts);
}

/**
 * Continues mixSeed's fold from an earlier result: `mixSeedFrom(mixSeed(a, b), c) === mixSeed(a, b, c)`.
 * A request that carries one 32-bit seed (an OpenAI-style `seed`) can so derive its rollouts' streams
 * `mixSeedFrom(seed, k)` exactly as a caller holding the parts would.
 */
export function mixSeedFrom(state: number, ...parts: number[]): number {
  let h = state >>> 0;
  for (const p of parts) {
    if (!Number.isSafeInteger(p)) throw new RangeError(`seed part must be a safe integer, got ${p}`);
    const lo = p >>> 0;
    const hi = Math.floor(p / 0x100000000) >>> 0;
    h = fmix32((h ^ lo) + 0x6d2b79f5);
    h = fmix32((h ^ hi) + 0x6d2b79f5);
  }
  return h;
}

/** mulberry32 (Tommy Ettinger's public-domain generator): 32-bit state, period 2^32. */
export function createRng(seed: number): Rng {
  let state = mixSeed(seed);
  const uint32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = (): number => uint32() / 0x100000000;
  const int = (lo: number, hi: number): number => {
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) throw new RangeError(`bad integer range [${lo}, ${hi}]`);
    return lo + Math.floor(next() * (hi - lo + 1));
  };
  return {
    next,
    uint32,
    int,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[int(0, items.length - 1)];
    },
    weighted(weights: readonly number[]): number {
      let total = 0;
      for (const w of weights) {
        if (!(w >= 0)) throw new RangeError(`negative or NaN weight ${w}`);
        total += w;
      }
      if (total <= 0) throw new RangeError('all weights are zero');
      let x = next() * total;
      for (let i = 0; i < weights.length; i++) {
        x -= weights[i];
        if (x < 0) return i;
      }
      // Rounding can leave x at 0 after the last positive weight.
      for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
      throw new Error('unreachable');
    },
    shuffle<T>(items: T[]): T[] {
      for (let i = items.length - 1; i > 0; i--) {
        const j = int(0, i);
        const tmp = items[i];
        items[i] = items[j];
        items[j] = tmp;
      }
      return items;
    },
  };
}
