// OmegaPRM's binary search for the first wrong step of an incorrect rollout (Luo et al. 2024, §3.2).

export interface Probe {
  /** steps of the rollout in the probed prefix (1..M) */
  length: number;
  mc: number;
  /** MC > 0: the first error lies to the right of the prefix; MC = 0: at or left of its last step */
  direction: 'right' | 'left';
}

export interface FirstErrorSearch {
  /** 0-based index into the rollout's steps of the first wrong step, or null when none was found */
  firstError: number | null;
  probes: Probe[];
  /** the estimate declined (budget spent) before the range closed; firstError is then null */
  stopped: boolean;
}

/**
 * MC of the prefix made of the rollout's first `length` steps (after the state the rollout came from),
 * or null to stop the search (no estimate can be afforded).
 */
export type EstimateMc = (length: number, prefix: readonly string[]) => Promise<number | null>;

/**
 * Searches the steps s_1..s_M of a rollout that ended wrong, from a state whose MC is > 0. Each probe is
 * the prefix ending at the middle step of the open range: MC > 0 moves right past it, MC = 0 moves
 * left of it. Like MM-PRM's `binary_search_phase`, the range is closed completely, so the full rollout
 * itself can be probed (its MC is known, 0 for a wrong answer: the caller answers it without rolling
 * out); the search then makes ⌊log2(M+1)⌋ or ⌈log2(M+1)⌉ probes against M for brute force. With MC
 * monotone along the rollout (0 from the first wrong step on) the result is the first wrong step; the
 * MC of a real policy need not be, and then it is the first MC = 0 prefix the probes met.
 */
export async function binarySearchFirstError(steps: readonly string[], estimate: EstimateMc): Promise<FirstErrorSearch> {
  const probes: Probe[] = [];
  let firstError: number | null = null;
  let lo = 0;
  let hi = steps.length - 1;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    const mc = await estimate(mid + 1, steps.slice(0, mid + 1));
    if (mc === null) return { firstError: null, probes, stopped: true };
    if (mc > 0) {
      probes.push({ length: mid + 1, mc, direction: 'right' });
      lo = mid + 1;
    } else {
      probes.push({ length: mid + 1, mc, direction: 'left' });
      firstError = mid;
      hi = mid - 1;
    }
  }
  return { firstError, probes, stopped: false };
}
