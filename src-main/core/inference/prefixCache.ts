// The KV cache of prefixes the engine decodes from: a bounded LRU keyed by image and token ids, with the
// longest cached prefix of a sequence (a tree node's prefix is its parent's plus one step); and the left
// padding of a batch of prefixes.
import type { KvCache } from './kvcache';

export interface PrefixState {
  ids: readonly number[];
  imageKey: string | null;
  cache: KvCache;
  /** logits after the last prefix token */
  logits: Float32Array;
}

/** A bounded LRU of prefix states, keyed by image + token ids. */
export class PrefixCache {
  private readonly entries = new Map<string, PrefixState>();
  constructor(private readonly capacity: number) {}

  static key(imageKey: string | null, ids: readonly number[]): string {
    return `${imageKey ?? ''}|${ids.join(',')}`;
  }

  get(imageKey: string | null, ids: readonly number[]): PrefixState | undefined {
    const k = PrefixCache.key(imageKey, ids);
    const e = this.entries.get(k);
    if (e) {
      this.entries.delete(k);
      this.entries.set(k, e);
    }
    return e;
  }

  /** the longest cached state whose ids are a prefix of `ids` (same image) */
  longest(imageKey: string | null, ids: readonly number[]): PrefixState | undefined {
    let best: PrefixState | undefined;
    for (const e of this.entries.values()) {
      if (e.imageKey !== imageKey || e.ids.length > ids.length || (best && e.ids.length <= best.ids.length)) continue;
      let same = true;
      for (let i = 0; i < e.ids.length; i++) {
        if (e.ids[i] !== ids[i]) {
          same = false;
          break;
        }
      }
      if (same) best = e;
    }
    return best;
  }

  set(s: PrefixState): void {
    const k = PrefixCache.key(s.imageKey, s.ids);
    this.entries.delete(k);
    this.entries.set(k, s);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  clear(): void {
    this.entries.clear();
  }
}

/** Left-pads token sequences to one width: ids [B*len] and a mask with 0 on the padding. */
export function leftPad(prefixes: readonly (readonly number[])[], pad: number): { ids: BigInt64Array; mask: Uint8Array; len: number } {
  const len = Math.max(...prefixes.map((p) => p.length));
  const ids = new BigInt64Array(prefixes.length * len);
  const mask = new Uint8Array(prefixes.length * len);
  prefixes.forEach((p, r) => {
    const offset = len - p.length;
    for (let t = 0; t < len; t++) {
      ids[r * len + t] = BigInt(t < offset ? pad : p[t - offset]);
      mask[r * len + t] = t < offset ? 0 : 1;
    }
  });
  return { ids, mask, len };
}
