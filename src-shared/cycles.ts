// The config of a MathSE cycle run (DESIGN.md "MathSE cycle"), as one zod schema with defaults: the
// core checks every run against it, the CLI reads `--config file.json` through it, and the Cycles screen's
// Monaco editor validates the text as it is typed against the same schema.
import { z } from 'zod';

const ModelName = z.string().min(1).max(200);
const Split = z.string().min(1).max(100);
const Temperature = z.number().min(0).max(5);
const Tokens = z.number().int().min(1).max(100_000);

export const CycleConfig = z
  .object({
    /** a name for the run (default: `<dataset>-<policy>-<date>`) */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, . _ - (max 100)').optional(),
    dataset: ModelName,
    /** the stage-0 policy (name or name@version) */
    policy: ModelName,
    /** the outcome reward model that diagnoses wrong paths; required while reflect.enabled */
    orm: ModelName.nullable().default(null),
    cycles: z.number().int().min(1).max(50),
    trainSplit: Split.default('train'),
    /** held-out split every cycle is measured on */
    evalSplit: Split.default('test'),
    /** infer: k samples per problem of the train pool with the current policy */
    infer: z
      .object({
        /** problems of the train split per cycle (the first ones in dataset order; null = all) */
        problems: z.number().int().min(1).nullable().default(400),
        /** take a different slice of the train split in every cycle (wrapping around) instead of the same one */
        rotate: z.boolean().default(false),
        samples: z.number().int().min(1).max(256).default(4),
        temperature: Temperature.default(0.8),
        maxNewTokens: Tokens.optional(),
        seed: z.number().int().default(0),
      })
      .strict()
      .prefault({}),
    /** collect: verified-correct paths, deduplicated, capped per problem */
    collect: z
      .object({ maxPerProblem: z.number().int().min(1).max(256).default(2) })
      .strict()
      .prefault({}),
    /**
     * reflect (diagnose): the ORM judges each wrong path and names its first wrong step. `enabled: false`
     * skips diagnosis and regeneration: plain rejection-sampling self-training (the ablation).
     */
    reflect: z
      .object({
        enabled: z.boolean().default(true),
        /** wrong paths diagnosed per problem */
        maxPerProblem: z.number().int().min(1).max(256).default(2),
        maxNewTokens: Tokens.default(160),
      })
      .strict()
      .prefault({}),
    /** regenerate from the prefix before the flagged step with the diagnosis in context */
    regenerate: z
      .object({
        /** m tries per diagnosed path */
        tries: z.number().int().min(1).max(64).default(2),
        /** another registered policy regenerates (MathSE used a stronger teacher); null = the current policy */
        regenerator: ModelName.nullable().default(null),
        /** put the ORM's diagnosis in the prompt (false: regenerate from the same prefix without it) */
        withReflection: z.boolean().default(true),
        temperature: Temperature.default(0.8),
        /** a corrected path must also be judged CORRECT by the ORM, not only verified against gold */
        ormRecheck: z.boolean().default(true),
        /** corrected paths kept per diagnosed path */
        keepPerPath: z.number().int().min(1).max(64).default(1),
      })
      .strict()
      .prefault({}),
    /** build the training set: correct + corrected paths */
    build: z
      .object({
        /** `prompt`: a corrected path is trained with its diagnosis as the prompt's reflection line; `none`: with the plain question */
        reflectionInTraining: z.enum(['none', 'prompt']).default('none'),
        /** at most this many corrected rows per correct row (null = no cap) */
        correctedPerCorrect: z.number().min(0).nullable().default(null),
        /**
         * MathSE's D_SFT keeps the distilled stage-0 data: this many train-split problems (taken from the end
         * of the split, away from the infer pool) join every cycle's training set with their reference
         * solution (`reference_steps` of the problem, as the demo domain has); 0 = none
         */
        distilled: z.number().int().min(0).max(1_000_000).default(0),
        /** cumulative: every earlier cycle's rows too; cycle: this cycle's rows only */
        pool: z.enum(['cumulative', 'cycle']).default('cumulative'),
      })
      .strict()
      .prefault({}),
    /** fine-tune through the trainer protocol */
    finetune: z
      .object({
        /** previous: from the last cycle's model; base: every cycle from the stage-0 policy */
        from: z.enum(['previous', 'base']).default('previous'),
        /** the trainer command (default: Steplab's reference trainer, models/recipes/trainer.py) */
        trainer: z.array(z.string().min(1)).min(1).nullable().default(null),
        lr: z.number().gt(0).max(1).default(2e-4),
        epochs: z.number().int().min(1).max(100).default(2),
        batchSize: z.number().int().min(1).max(1024).default(16),
        maxSteps: z.number().int().min(1).nullable().default(null),
        seed: z.number().int().default(0),
      })
      .strict()
      .prefault({}),
    /** evaluate on the held-out split: greedy accuracy, pass@k, per-difficulty accuracy */
    evaluate: z
      .object({
        /** problems of the eval split (null = all) */
        problems: z.number().int().min(1).nullable().default(null),
        /** k for pass@k */
        samples: z.number().int().min(1).max(256).default(4),
        temperature: Temperature.default(0.8),
        seed: z.number().int().default(1),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.reflect.enabled && !c.orm) ctx.addIssue({ code: 'custom', path: ['orm'], message: 'an ORM is required while reflect.enabled is true (set reflect.enabled to false for correct paths only)' });
    if (c.trainSplit === c.evalSplit) ctx.addIssue({ code: 'custom', path: ['evalSplit'], message: `must differ from trainSplit ("${c.trainSplit}"): the eval split is held out` });
  });
export type CycleConfig = z.infer<typeof CycleConfig>;
export type CycleConfigInput = z.input<typeof CycleConfig>;

/** The stages of one cycle, in order. */
export const CYCLE_STAGES = ['infer', 'verify', 'collect', 'reflect', 'regenerate', 'build', 'finetune', 'register', 'evaluate'] as const;
export type CycleStage = (typeof CYCLE_STAGES)[number];

/** A cycle's headline numbers (also the `--json` line's per-cycle object). */
export const CycleMetrics = z.object({
  test_accuracy: z.number().nullable(),
  pass_at_k: z.number().nullable(),
  strict_accuracy: z.number().nullable(),
  by_difficulty: z.record(z.string(), z.object({ n: z.number(), accuracy: z.number() })),
  correct_paths: z.number(),
  diagnosed: z.number(),
  corrected: z.number(),
  train_examples: z.number(),
  /**
   * greedy accuracy minus the stage-0 policy's on the same held-out problems, with the 95% paired bootstrap
   * interval over problems (1000 resamples, seed 0); null for cycle 0 and for a run measured before it existed
   */
  vs_base: z.object({ diff: z.number(), lo: z.number(), hi: z.number(), problems: z.number() }).nullable(),
});
export type CycleMetrics = z.infer<typeof CycleMetrics>;

/** A cycle's vs_base as the CLI table and the experiment recipe print it, in points: "+9.2 [+6.2, +12.4]". */
export function formatVsBase(v: NonNullable<CycleMetrics['vs_base']>): string {
  const signed = (x: number): string => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;
  return `${signed(v.diff)} [${signed(v.lo)}, ${signed(v.hi)}]`;
}

export const StageStatus = z.enum(['pending', 'running', 'done', 'failed', 'skipped']);
export type StageStatus = z.infer<typeof StageStatus>;

export const CycleStageRecord = z.object({
  stage: z.enum(CYCLE_STAGES),
  status: StageStatus,
  counts: z.record(z.string(), z.number()),
  artifacts: z.record(z.string(), z.unknown()),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
});
export type CycleStageRecord = z.infer<typeof CycleStageRecord>;

export const CycleSummary = z.object({
  id: z.number(),
  /** 0: the stage-0 policy, evaluated only */
  idx: z.number(),
  status: z.enum(['pending', 'running', 'done', 'failed']),
  /** the policy this cycle started from (for idx 0: the base policy itself) */
  parentModel: z.string().nullable(),
  /** the policy this cycle produced (idx 0: the base) */
  model: z.string().nullable(),
  metrics: CycleMetrics.partial(),
  stages: z.array(CycleStageRecord),
});
export type CycleSummary = z.infer<typeof CycleSummary>;

export const CycleRun = z.object({
  id: z.number(),
  name: z.string(),
  dataset: z.string(),
  baseModel: z.string(),
  config: z.record(z.string(), z.unknown()),
  jobId: z.number().nullable(),
  jobState: z.string().nullable(),
  createdAt: z.string(),
  cycles: z.array(CycleSummary),
});
export type CycleRun = z.infer<typeof CycleRun>;

export const OrmVerdictRecord = z.object({
  ok: z.boolean(),
  status: z.enum(['CORRECT', 'WRONG']).nullable(),
  errorStep: z.number().nullable(),
  errorAnalysis: z.string(),
  improvementSuggestion: z.string(),
  /** why the output could not be read (ok false) */
  reason: z.string().nullable(),
  raw: z.string(),
});
export type OrmVerdictRecord = z.infer<typeof OrmVerdictRecord>;

/** A diagnosed wrong path with its regenerations, for the reflection browser. */
export const Reflection = z.object({
  cycle: z.number(),
  solutionId: z.number(),
  problemId: z.number(),
  question: z.string(),
  steps: z.array(z.object({ text: z.string(), goldLabel: z.number().nullable() })),
  /** 0-based gold first error (demo domain), null when unknown or none */
  goldFirstError: z.number().nullable(),
  verdict: OrmVerdictRecord,
  regenerations: z.array(
    z.object({
      solutionId: z.number(),
      /** steps kept from the original */
      prefixSteps: z.number(),
      reflection: z.string().nullable(),
      steps: z.array(z.object({ text: z.string(), goldLabel: z.number().nullable() })),
      verdict: z.string().nullable(),
      recheck: OrmVerdictRecord.nullable(),
      /** went into the training set */
      kept: z.boolean(),
    }),
  ),
  outcome: z.enum(['corrected', 'not-corrected', 'unparsed', 'judged-correct']),
});
export type Reflection = z.infer<typeof Reflection>;
