// Search settings as the user writes them (a JSON file, CLI flags): zod schemas with the papers'
// defaults, validated ranges, and one readable line for the first thing wrong.
import { z } from 'zod';
import { UserError } from '../errors';

/** Rollouts in one batch from one prefix. */
const batchSize = z.number().int().min(1).max(1024);

/**
 * OmegaPRM as MM-PRM runs it (`run_data_pipeline.sh`, the paper's §4.1 values). The length in Q's
 * length penalty is counted in words (whitespace-separated) of the rollout's steps, as MM-PRM's
 * `compute_Q` does, not in tokens as the OmegaPRM paper does; `lengthScale` is in the same unit.
 */
export const OmegaConfig = z
  .object({
    /** exploration weight in U(s) */
    cPuct: z.number().min(0).default(0.125),
    /** Q's base for 1 − MC(s): favours rollouts from states that are usually solved */
    alpha: z.number().gt(0).max(1).default(0.5),
    /** Q's base for len(r)/L: favours short rollouts */
    beta: z.number().gt(0).max(1).default(0.9),
    /** L, in words of the rollout's steps (MM-PRM's script: 2000; its argparse default and OpenR: 500) */
    lengthScale: z.number().gt(0).default(2000),
    /** k: rollouts per Monte-Carlo estimate of a state */
    rolloutsPerState: batchSize.default(16),
    /** selections (pool pops) before the search stops */
    maxSearchCount: z.number().int().min(1).default(200),
    /** policy rollouts in all, the root's included; a batch that would cross it is never made */
    rolloutBudget: z.number().int().min(1).default(1000),
    /**
     * OmegaPRM App. A: estimate the pass rate first and skip questions that are always or never solved.
     * When enabled, this batch is the root's Monte-Carlo estimate (it replaces the k-rollout one).
     */
    questionFilter: z
      .object({ enabled: z.boolean().default(false), rollouts: batchSize.default(32) })
      .strict()
      .default({ enabled: false, rollouts: 32 }),
    /** a correct rollout becomes a complete-solution child node with MC = 1, as in MM-PRM's `add_correct_rollout` */
    keepCorrectRollouts: z.boolean().default(true),
  })
  .strict()
  .superRefine((c, ctx) => {
    const first = rootBatch(c);
    if (c.rolloutBudget < first) {
      const what = c.questionFilter.enabled ? 'questionFilter.rollouts' : 'rolloutsPerState';
      ctx.addIssue({ code: 'custom', path: ['rolloutBudget'], message: `must be >= ${what} (${first}), the root's first batch` });
    }
  });
export type OmegaConfig = z.infer<typeof OmegaConfig>;
export type OmegaConfigInput = z.input<typeof OmegaConfig>;

/** Size of the root's first batch: the question filter's when enabled, else k. */
export function rootBatch(c: Pick<OmegaConfig, 'questionFilter' | 'rolloutsPerState'>): number {
  return c.questionFilter.enabled ? c.questionFilter.rollouts : c.rolloutsPerState;
}

/** Math-Shepherd's brute-force Monte Carlo: sample solutions, then k completions from every step prefix. */
export const MathShepherdConfig = z
  .object({
    /** solutions sampled from the question; their step prefixes are what gets labelled */
    samplesPerSolution: batchSize.default(4),
    /** completions per step prefix (Math-Shepherd's N; the paper uses 8) */
    k: batchSize.default(16),
  })
  .strict();
export type MathShepherdConfig = z.infer<typeof MathShepherdConfig>;
export type MathShepherdConfigInput = z.input<typeof MathShepherdConfig>;

/**
 * Budgets for the bundled tiny demo policy. Its solutions have 2–5 steps of about 5 words, so a binary
 * search needs at most 3 probes and a search saturates long before MM-PRM's 200 selections / 1000
 * rollouts; every rollout is a CPU decode, so the paper-scale budget would cost minutes per problem for
 * no extra labels. 20 / 200 are MM-PRM's own argparse defaults (and OpenR's), k = 8 is the OmegaPRM
 * paper's k. L is scaled with the text: MM-PRM's L = 2000 words against rollouts of a few hundred words
 * leaves the length term a few percent; against 10–25-word demo rollouts it would vanish, while L = 50
 * keeps it at that size.
 */
export const DEMO_SCALE = {
  omega: { maxSearchCount: 20, rolloutBudget: 200, rolloutsPerState: 8, lengthScale: 50 },
  mc: { samplesPerSolution: 4, k: 8 },
} as const satisfies { omega: OmegaConfigInput; mc: MathShepherdConfigInput };

export const SEARCH_ALGORITHMS = ['omega', 'mc'] as const;
export type SearchAlgorithm = (typeof SEARCH_ALGORITHMS)[number];

/**
 * Validates a user's search config for an algorithm (a missing config means all defaults). Throws
 * UserError with one line: `config: cPuct: must be >= 0`, or `unknown algorithm "x" (omega or mc)`.
 */
export function parseSearchConfig(algo: 'omega', raw: unknown): OmegaConfig;
export function parseSearchConfig(algo: 'mc', raw: unknown): MathShepherdConfig;
export function parseSearchConfig(algo: string, raw: unknown): OmegaConfig | MathShepherdConfig;
export function parseSearchConfig(algo: string, raw: unknown): OmegaConfig | MathShepherdConfig {
  const input = raw === undefined ? {} : raw;
  if (algo === 'omega') return parseOrThrow(OmegaConfig, input);
  if (algo === 'mc') return parseOrThrow(MathShepherdConfig, input);
  throw new UserError(`unknown algorithm "${algo}" (${SEARCH_ALGORITHMS.join(' or ')})`);
}

function parseOrThrow<T>(schema: z.ZodType<T>, raw: unknown): T {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue.path.map(String).join('.');
  throw new UserError(`config: ${path === '' ? '' : `${path}: `}${describeIssue(issue)}`);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_small':
      return `must be ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
    case 'too_big':
      return `must be ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`;
    case 'invalid_type':
      if (issue.expected === 'int') return 'must be an integer';
      if (issue.expected === 'number') return 'must be a finite number';
      if (issue.expected === 'boolean') return 'must be true or false';
      if (issue.expected === 'object') return 'must be an object';
      return `must be ${issue.expected}`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    default:
      return issue.message;
  }
}
