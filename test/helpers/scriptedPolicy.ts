// A scripted stand-in for the policy, for testing the search and measuring its cost without a model:
// every problem has a reference solution, and whether a rollout is right, and where a wrong one first
// goes wrong, is a pure function of (seed, stream key, rollout index).
import { mixSeed } from '../../src-main/core/rng';
import { fnv1a32 } from '../../src-main/core/search/hash';
import type { RolloutResult, SearchPorts } from '../../src-main/core/search/types';

export interface ScriptedProblem {
  /** the correct solution, one string per step; the last one carries the answer */
  reference: readonly string[];
  /** chance that a rollout from a clean prefix (every step so far the reference's) ends correct */
  pCorrect: number;
  seed: number;
}

export interface ScriptedRollout extends RolloutResult {
  /** 0-based position in the whole solution (prefix + continuation) of the first wrong step, null if none */
  firstError: number | null;
}

const WRONG = '✗';

/** The wrong step a rollout writes at 0-based position `at` (variant v tells rollouts apart). */
export function wrongStep(at: number, v: number): string {
  return `${WRONG} step ${at + 1} goes wrong v${v}`;
}

/** A later step of a solution already gone wrong: the error carried forward. */
function carriedStep(at: number, v: number): string {
  return `${WRONG} step ${at + 1} carries the error v${v}`;
}

/** Whether a step was written by a rollout that had gone wrong (a wrong or carried step). */
export function isWrongStep(step: string): boolean {
  return step.startsWith(WRONG);
}

/** `1 + 1 = 2`, `2 + 1 = 3` … `Answer: m`: a reference of m steps of five words or fewer, like the demo's. */
export function referenceSolution(m: number): string[] {
  const steps: string[] = [];
  for (let i = 1; i < m; i++) steps.push(`${i} + 1 = ${i + 1}`);
  steps.push(`Answer: ${m}`);
  return steps;
}

/** uniform in [0, 1), from (seed, stream, index, salt) alone */
function unit(seed: number, streamKey: string, index: number, salt: number): number {
  return mixSeed(seed, fnv1a32(streamKey), index, salt) / 0x100000000;
}

/**
 * Rollout `index` of the stream `streamKey` from `prefix`. From a clean prefix of p steps it is the
 * reference's remaining steps with chance pCorrect; otherwise it goes wrong at a position drawn in
 * [p, M) and carries the error to the end. From a prefix holding any wrong step, every rollout carries
 * the error and ends wrong, so MC is 0 from the first wrong step on (monotone). From a complete
 * solution the continuation is empty and the verdict is the solution's.
 */
export function scriptedRollout(problem: ScriptedProblem, prefix: readonly string[], streamKey: string, index: number): ScriptedRollout {
  const ref = problem.reference;
  const m = ref.length;
  const p = prefix.length;
  const clean = p <= m && prefix.every((s, i) => s === ref[i]);
  const v = mixSeed(problem.seed, fnv1a32(streamKey), index, 3) % 1000;
  let steps: string[];
  let firstError: number | null;
  if (!clean) {
    steps = [];
    for (let i = p; i < m; i++) steps.push(carriedStep(i, v));
    firstError = prefix.findIndex((s, i) => s !== ref[i]);
  } else if (p === m || unit(problem.seed, streamKey, index, 1) < problem.pCorrect) {
    steps = ref.slice(p);
    firstError = null;
  } else {
    const at = p + Math.floor(unit(problem.seed, streamKey, index, 2) * (m - p));
    steps = [...ref.slice(p, at), wrongStep(at, v)];
    for (let i = at + 1; i < m; i++) steps.push(carriedStep(i, v));
    firstError = at;
  }
  const tokens = steps.reduce((t, s) => t + s.length, 0) + 1;
  return { steps, correct: firstError === null, tokens, firstError };
}

export interface ScriptedPortOptions {
  signal?: AbortSignal;
  /** called with every batch the search asks for, before it is answered */
  onCall?(prefix: readonly string[], n: number, streamKey: string): void;
}

/** A port answering every batch with scripted rollouts 0..n-1 of the stream. */
export function scriptedPort(problem: ScriptedProblem, opts: ScriptedPortOptions = {}): SearchPorts {
  return {
    signal: opts.signal,
    async rollout(prefix, n, streamKey) {
      opts.onCall?.(prefix, n, streamKey);
      const out: RolloutResult[] = [];
      for (let i = 0; i < n; i++) {
        const { steps, correct, tokens } = scriptedRollout(problem, prefix, streamKey, i);
        out.push({ steps, correct, tokens });
      }
      return out;
    },
  };
}
