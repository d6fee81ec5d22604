// Token sampling from one row of logits: temperature, top-k, top-p, greedy. Pure; randomness comes in.

export interface SamplingParams {
  /** 0 = greedy */
  temperature: number;
  /** 0 = off */
  topK: number;
  /** 1 = off */
  topP: number;
}

export interface Sampled {
  token: number;
  /** log-probability of the token under the model (temperature 1, no filtering) */
  logprob: number;
}

/** log-softmax normaliser of a logits row: log Σ exp(x). */
export function logSumExp(logits: Float32Array, offset = 0, length = logits.length - offset): number {
  let max = -Infinity;
  for (let i = 0; i < length; i++) if (logits[offset + i] > max) max = logits[offset + i];
  let s = 0;
  for (let i = 0; i < length; i++) s += Math.exp(logits[offset + i] - max);
  return max + Math.log(s);
}

/**
 * Samples one token from logits[offset .. offset+vocab). `u` is uniform in [0, 1): the caller owns the
 * random stream, so a row's tokens depend only on its own stream, not on the batch around it.
 */
export function sampleToken(logits: Float32Array, offset: number, vocab: number, p: SamplingParams, u: number, banned?: ReadonlySet<number>): Sampled {
  const lse = logSumExp(logits, offset, vocab);
  const allowed = (i: number): boolean => !banned || !banned.has(i);
  if (p.temperature <= 0) {
    let best = -1;
    let max = -Infinity;
    for (let i = 0; i < vocab; i++) {
      if (allowed(i) && logits[offset + i] > max) {
        max = logits[offset + i];
        best = i;
      }
    }
    return { token: best, logprob: logits[offset + best] - lse };
  }
  // candidates sorted by logit, cut by top-k, then by cumulative probability top-p
  const idx: number[] = [];
  for (let i = 0; i < vocab; i++) if (allowed(i)) idx.push(i);
  idx.sort((a, b) => logits[offset + b] - logits[offset + a] || a - b);
  let n = p.topK > 0 ? Math.min(p.topK, idx.length) : idx.length;
  const t = p.temperature;
  const top = logits[offset + idx[0]] / t;
  const w = new Float64Array(n);
  let total = 0;
  for (let j = 0; j < n; j++) {
    w[j] = Math.exp(logits[offset + idx[j]] / t - top);
    total += w[j];
  }
  if (p.topP < 1) {
    let cum = 0;
    let keep = n;
    for (let j = 0; j < n; j++) {
      cum += w[j] / total;
      if (cum >= p.topP) {
        keep = j + 1;
        break;
      }
    }
    n = keep;
    total = 0;
    for (let j = 0; j < n; j++) total += w[j];
  }
  let r = u * total;
  let chosen = idx[n - 1];
  for (let j = 0; j < n; j++) {
    r -= w[j];
    if (r < 0) {
      chosen = idx[j];
      break;
    }
  }
  return { token: chosen, logprob: logits[offset + chosen] - lse };
}

/** The k most likely tokens of one logits row and their log-probabilities (temperature 1), best first. */
export function topTokens(logits: Float32Array, offset: number, vocab: number, k: number): { token: number; logprob: number }[] {
  const lse = logSumExp(logits, offset, vocab);
  const best: { token: number; logprob: number }[] = [];
  for (let i = 0; i < vocab; i++) {
    const lp = logits[offset + i] - lse;
    if (best.length < k || lp > best[best.length - 1].logprob) {
      best.push({ token: i, logprob: lp });
      best.sort((a, b) => b.logprob - a.logprob || a.token - b.token);
      if (best.length > k) best.pop();
    }
  }
  return best;
}
