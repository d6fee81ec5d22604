// A string hash for deterministic choices (down-sampling, scripted rollouts) that must not depend on order.

/** FNV-1a over the string's UTF-16 code units, 32-bit unsigned. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
