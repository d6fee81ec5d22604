// The configs of the jobs a researcher launches (search, Best-of-N) as zod schemas with the papers'
// defaults: the core checks every job against them, and the UI's config editor checks the text as it is
// typed against the same schemas (one contract, no copy).
import { z } from 'zod';
import { AGGREGATORS } from './aggregate';

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

/** How a judge is consulted: where the rules give `unparseable`, also where they give `incorrect`, or always. */
export const JUDGE_MODES = ['undecided', 'incorrect', 'all'] as const;
export type JudgeMode = (typeof JUDGE_MODES)[number];

/**
 * An LLM judge for answer verification (src-main/core/data/verify/judge.ts): a registered model of role
 * `judge` served over an endpoint, asked whether a final answer matches the gold answer where the rule
 * verifier cannot decide (`undecided`), also where it says `incorrect`, or for every answer (`all`).
 */
export const JudgeConfig = z
  .object({
    model: z.string().min(1),
    mode: z.enum(JUDGE_MODES).default('undecided'),
  })
  .strict();
export type JudgeConfig = z.infer<typeof JudgeConfig>;

export const SearchJobConfig = z
  .object({
    dataset: z.string().min(1),
    split: z.string().min(1).optional(),
    limit: z.number().int().min(1).optional(),
    /**
     * search only shard `index` of `count` (1-based), chosen by each problem's content fingerprint, after
     * the split and `limit` are applied: shards 1..count together are exactly the unsharded problem list
     */
    shard: z
      .object({ index: z.number().int().min(1), count: z.number().int().min(1) })
      .strict()
      .refine((s) => s.index <= s.count, { message: 'the shard index must be between 1 and the shard count', path: ['index'] })
      .optional(),
    model: z.string().min(1),
    algo: z.enum(['omega', 'mc']),
    /** algorithm settings (validated by parseSearchConfig) */
    config: z.record(z.string(), z.unknown()).default({}),
    seed: z.number().int().default(0),
    /** MM-PRM's sampling defaults */
    temperature: z.number().min(0).max(5).default(1),
    topK: z.number().int().min(0).default(50),
    topP: z.number().gt(0).max(1).default(0.9),
    maxNewTokens: z.number().int().min(1).max(100_000).optional(),
    annotationSet: z.string().min(1).max(200).optional(),
    annotationMode: z.enum(['mmprm', 'all-paths']).default('mmprm'),
    /** verify rollouts with the rules and, where they cannot decide (by mode), an LLM judge */
    judge: JudgeConfig.optional(),
  })
  .strict();
export type SearchJobConfig = z.infer<typeof SearchJobConfig>;

export const BonConfig = z
  .object({
    dataset: z.string().min(1),
    split: z.string().min(1),
    /** a second split on which the PRM method and the step threshold are chosen */
    selectOn: z.string().min(1).optional(),
    policy: z.string().min(1),
    prm: z.string().min(1),
    n: z.number().int().min(1, 'N must be at least 1').max(1024),
    limit: z.number().int().min(1).optional(),
    seed: z.number().int().default(0),
    temperature: z.number().gt(0).max(5).optional(),
    topK: z.number().int().min(0).optional(),
    topP: z.number().gt(0).max(1).optional(),
    maxNewTokens: z.number().int().min(1).max(100_000).optional(),
    /** aggregation whose (non-negative) value weights the PRM-weighted vote */
    voteWeight: z.enum(AGGREGATORS).refine((a) => a !== 'sum_log_odds', 'the vote weight must be non-negative (not sum_log_odds)').default('product'),
    problemsPerBatch: z.number().int().min(1).max(256).default(8),
    name: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((c) => c.selectOn !== c.split, { message: 'selectOn must be another split than the one reported', path: ['selectOn'] });
export type BonConfig = z.infer<typeof BonConfig>;

/**
 * What the launch editor checks a search against: the job's fields with `config` checked by the chosen
 * algorithm's own schema (the core does the same in two steps: SearchJobConfig, then parseSearchConfig).
 */
export const SearchLaunchConfig = z.discriminatedUnion('algo', [
  SearchJobConfig.extend({ algo: z.literal('omega'), config: OmegaConfig.optional() }),
  SearchJobConfig.extend({ algo: z.literal('mc'), config: MathShepherdConfig.optional() }),
]);

/** The launch editor's schema for each kind the UI starts. */
export const LAUNCH_SCHEMAS = { search: SearchLaunchConfig, bon: BonConfig } as const;
