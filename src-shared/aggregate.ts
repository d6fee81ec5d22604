// Step scores to one solution score (MM-PRM's extract_calculate.py aggregations), and Best-of-N selection
// rules over a problem's candidates. Ties are resolved in expectation (a uniformly random pick among the
// tied), so no rule gains from candidate order.

export const AGGREGATORS = ['min', 'last', 'product', 'mean', 'max', 'sum_log_odds', 'mean_odds'] as const;

/** Best-of-N's selection methods: the baselines, each PRM aggregation (best candidate), the PRM-weighted vote and the oracle. */
export const BON_METHODS = ['random', 'greedy', 'majority', ...AGGREGATORS.map((a) => `prm_${a}` as const), 'prm_weighted_vote', 'pass_at_n'] as const;
export type BonMethod = (typeof BON_METHODS)[number];
export type Aggregator = (typeof AGGREGATORS)[number];

/** Scores are clamped into [EPS, 1 - EPS] before logs and odds, so a saturated PRM stays finite. */
const EPS = 1e-6;
const clamp = (p: number): number => Math.min(1 - EPS, Math.max(EPS, p));
const odds = (p: number): number => clamp(p) / (1 - clamp(p));

/** A solution's score under an aggregation; a solution with no scored step gets -Infinity (never preferred). */
export function aggregate(scores: readonly number[], how: Aggregator): number {
  if (scores.length === 0) return -Infinity;
  switch (how) {
    case 'min':
      return Math.min(...scores);
    case 'last':
      return scores[scores.length - 1];
    case 'product':
      return scores.reduce((a, p) => a * p, 1);
    case 'mean':
      return scores.reduce((a, p) => a + p, 0) / scores.length;
    case 'max':
      return Math.max(...scores);
    case 'sum_log_odds':
      return scores.reduce((a, p) => a + Math.log(odds(p)), 0);
    case 'mean_odds':
      return scores.reduce((a, p) => a + odds(p), 0) / scores.length;
  }
}

export interface Candidate {
  correct: boolean;
  /** normalised final answer; null when none could be extracted */
  answer: string | null;
  /** PRM step scores (may be empty when no PRM is involved) */
  scores: readonly number[];
}

/** Expected correctness of a random pick among the candidates with the highest value. */
function pickBest(cands: readonly Candidate[], value: (c: Candidate) => number): number {
  let best = -Infinity;
  let hits = 0;
  let tied = 0;
  for (const c of cands) {
    const v = value(c);
    if (v > best) [best, hits, tied] = [v, 0, 0];
    if (v === best) {
      tied++;
      if (c.correct) hits++;
    }
  }
  return tied ? hits / tied : 0;
}

/** Expected accuracy of picking one of the candidates uniformly at random (MM-PRM's baseline). */
export const randomPick = (cands: readonly Candidate[]): number => (cands.length ? cands.filter((c) => c.correct).length / cands.length : 0);

/** 1 when any candidate is correct. */
export const passAtN = (cands: readonly Candidate[]): number => (cands.some((c) => c.correct) ? 1 : 0);

/** The candidate with the best aggregated PRM score. */
export const bestOfN = (cands: readonly Candidate[], how: Aggregator): number => pickBest(cands, (c) => aggregate(c.scores, how));

/**
 * Voting over final answers: each candidate adds its weight to its answer; the answer with the largest
 * total wins. Candidates without an answer do not vote. An answer counts as correct when its first
 * candidate was verified correct.
 */
export function vote(cands: readonly Candidate[], weight: (c: Candidate) => number): number {
  const groups = new Map<string, { total: number; correct: boolean }>();
  for (const c of cands) {
    if (c.answer === null) continue;
    const g = groups.get(c.answer) ?? { total: 0, correct: c.correct };
    g.total += weight(c);
    groups.set(c.answer, g);
  }
  if (groups.size === 0) return 0;
  const top = Math.max(...[...groups.values()].map((g) => g.total));
  const winners = [...groups.values()].filter((g) => g.total === top);
  return winners.filter((g) => g.correct).length / winners.length;
}

export const majorityVote = (cands: readonly Candidate[]): number => vote(cands, () => 1);

/** Votes weighted by a non-negative aggregation of each candidate's step scores (OmegaPRM weights by the product). */
export function weightedVote(cands: readonly Candidate[], how: Aggregator = 'product'): number {
  if (how === 'sum_log_odds') throw new Error('weightedVote needs a non-negative aggregation');
  return vote(cands, (c) => Math.max(0, aggregate(c.scores, how)));
}

/** Normalises a final answer for voting: trimmed, lower case, inner whitespace removed. */
export function answerKey(answer: string | null | undefined): string | null {
  if (answer === null || answer === undefined) return null;
  const k = answer.trim().toLowerCase().replace(/\s+/g, '');
  return k === '' ? null : k;
}
