// OmegaPRM's selection score, one named function per term.
import type { OmegaConfig } from './config';

/** OmegaPRM (Luo et al. 2024, §3.3): Q(s, r) = α^(1 − MC(s)) · β^(len(r) / L). */
export function qValue(mc: number, rolloutLength: number, c: Pick<OmegaConfig, 'alpha' | 'beta' | 'lengthScale'>): number {
  return c.alpha ** (1 - mc) * c.beta ** (rolloutLength / c.lengthScale);
}

/** OmegaPRM (Luo et al. 2024, §3.3): U(s) = c_puct · √(Σ_i N(s_i)) / (1 + N(s)), the sum over the whole tree. */
export function uValue(totalVisits: number, nodeVisits: number, cPuct: number): number {
  return (cPuct * Math.sqrt(totalVisits)) / (1 + nodeVisits);
}

/** MM-PRM `omegaprm.py` compute_Q: len(r) = whitespace-separated words of the rollout's steps joined by newlines. */
export function wordCount(steps: readonly string[]): number {
  let n = 0;
  for (const s of steps) for (const w of s.split(/\s+/)) if (w !== '') n++;
  return n;
}
