// The config of every job kind as one zod schema each, with the papers' defaults, and their discriminated
// union (JobRequest): a door (CLI, HTTP, IPC) parses a job request once against it, the core stores the
// parsed value and hands it typed to the job's handler (a worker parses it once more when it reads the
// stored job back); the UI's config editor checks the text as it is typed against the same schemas.
import { z } from 'zod';
import { AGGREGATORS } from './aggregate';
import { BENCH_FORMATS, type BenchFormat } from './benchmarks';
import { CycleConfig } from './cycles';
import { FieldMap, ProblemFormat } from './domain';

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

/** What every search job has, whatever its algorithm. */
const SearchJobCommon = z.object({
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
});

/** A search job: the algorithm (`algo`) picks the schema of its settings (`config`, all defaults when absent). */
export const SearchJobConfig = z.discriminatedUnion('algo', [
  SearchJobCommon.extend({ algo: z.literal('omega'), config: OmegaConfig.prefault({}) }).strict(),
  SearchJobCommon.extend({ algo: z.literal('mc'), config: MathShepherdConfig.prefault({}) }).strict(),
]);
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

/** The launch editor's schema for each kind the UI starts. */
export const LAUNCH_SCHEMAS = { search: SearchJobConfig, bon: BonConfig } as const;

/** Registered model and job names: letters, digits, . _ - (max 100). */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * Size caps of an import (`--max-question-bytes`, `--max-answer-bytes`, `--max-image-bytes`,
 * `--max-image-mpx`): a question or answer longer than its cap (UTF-8 bytes), an image file larger than
 * its cap or with more pixels (read from its header, before any decode) is refused with the flag that
 * raises it. Absent: the defaults, 1 MiB, 64 KiB, 64 MiB and 100 Mpx (src-main/core/data/limits.ts).
 */
export const ImportLimits = z
  .object({
    questionBytes: z.number().int().min(1).optional(),
    answerBytes: z.number().int().min(1).optional(),
    imageBytes: z.number().int().min(1).optional(),
    /** million pixels (width × height / 10^6) */
    imageMpx: z.number().gt(0).optional(),
    /** one JSONL line before it is parsed; default: 8 MB or questionBytes + answerBytes + 1 MB, the larger */
    lineBytes: z.number().int().min(1).optional(),
    /** one item of a JSON array (or a file that is one JSON document) before it is parsed; the same default */
    itemBytes: z.number().int().min(1).optional(),
  })
  .strict();
export type ImportLimits = z.infer<typeof ImportLimits>;

/** Problems of a file into a dataset (JSONL, MM-PRM seed JSON or Parquet). */
export const ImportJobConfig = z.object({
  path: z.string().min(1),
  dataset: z.string().min(1).max(200),
  format: ProblemFormat.optional(),
  skipBad: z.boolean().default(false),
  /** Steplab field -> the file's column it is read from (`--field`) */
  fields: FieldMap.optional(),
  /** folder that relative image paths are read against and foreign absolute ones looked for under (`--image-root`) */
  imageRoot: z.string().min(1).optional(),
  /** read images outside the file's folder and the --image-root folder (`--allow-outside`) */
  allowOutside: z.boolean().default(false),
  /** size caps other than the defaults */
  limits: ImportLimits.optional(),
});
export type ImportJobConfig = z.infer<typeof ImportJobConfig>;

/**
 * The field's trees and step-label sets into a dataset (`steplab import-labels`): a file or a folder of
 * files in one of the formats of the label-format registry (src-main/core/data/labels/registry.ts;
 * `format` is checked against it when the job is started, and detected from the content when absent).
 */
export const ImportLabelsJobConfig = z
  .object({
    /** a file, or a folder of files (every .json, .jsonl, .gz and .parquet file under it) */
    path: z.string().min(1),
    /** the dataset the problems are matched into or added to; absent: every problem must be in the workspace already (import-trees) */
    dataset: z.string().min(1).max(200).optional(),
    format: z.string().min(1).max(100).optional(),
    /** the split of the problems this import adds to the dataset */
    split: z.string().min(1).max(100).optional(),
    /** folder image paths are read against / looked for under (`--image-root`) */
    imageRoot: z.string().min(1).optional(),
    /** the annotation set of the labelled paths (default: the file's or folder's name) */
    setName: z.string().min(1).max(200).optional(),
    /** import the good units and write a report of the bad ones */
    skipBad: z.boolean().default(false),
    /** read images outside the file's folder and the --image-root folder */
    allowOutside: z.boolean().default(false),
    /** size caps other than the defaults */
    limits: ImportLimits.optional(),
  })
  .strict();
export type ImportLabelsJobConfig = z.infer<typeof ImportLabelsJobConfig>;

/**
 * What `steplab import-labels` and the import-labels form take: the job's config, or, with `format`
 * processbench, visualprocessbench or prmbench, a step-level benchmark's file or folder of split files
 * (benchmarks.importPath), which goes into a dataset and takes no annotation set and no skip-bad.
 */
export const ImportLabelsLaunchConfig = ImportLabelsJobConfig.superRefine((c, ctx) => {
  if (c.format === undefined || !isBenchFormat(c.format)) return;
  if (!c.dataset) ctx.addIssue({ code: 'custom', path: ['dataset'], message: `a ${c.format} import needs a dataset to put the benchmark's rows in` });
  if (c.setName !== undefined) ctx.addIssue({ code: 'custom', path: ['setName'], message: `an annotation set does not apply to format ${c.format} (the rows are solutions with gold step labels)` });
  if (c.skipBad) ctx.addIssue({ code: 'custom', path: ['skipBad'], message: `skip-bad does not apply to format ${c.format}: each file is imported whole or not at all` });
});

export const isBenchFormat = (format: string): format is BenchFormat => (BENCH_FORMATS as readonly string[]).includes(format);

/** Samples n solutions per problem with a policy, verifies and stores them. */
export const GenerateJobConfig = z
  .object({
    dataset: z.string().min(1),
    split: z.string().min(1).optional(),
    limit: z.number().int().min(1).optional(),
    model: z.string().min(1),
    n: z.number().int().min(1).max(1024),
    temperature: z.number().min(0).max(5).optional(),
    topK: z.number().int().min(0).optional(),
    topP: z.number().gt(0).max(1).optional(),
    maxNewTokens: z.number().int().min(1).max(100_000).optional(),
    seed: z.number().int().default(0),
    /** problems decoded together (their rollouts share one batch) */
    problemsPerBatch: z.number().int().min(1).max(256).default(8),
    /** verify with the rules and, where they cannot decide (by mode), an LLM judge */
    judge: JudgeConfig.optional(),
  })
  .strict();
export type GenerateJobConfig = z.infer<typeof GenerateJobConfig>;

/** Scores steps with a PRM: the stored solutions of a dataset, or the nodes of searches. */
export const ScoreJobConfig = z
  .object({
    prm: z.string().min(1),
    dataset: z.string().min(1).optional(),
    split: z.string().min(1).optional(),
    limit: z.number().int().min(1).optional(),
    /** search ids to score */
    searches: z.array(z.number().int().min(1)).min(1).optional(),
    /** score again what this PRM already scored */
    rescore: z.boolean().default(false),
    /** a step counts as good in the reported step metrics when its score is above this (src-shared/stepRule.ts) */
    threshold: z.number().gt(0).lt(1).default(0.5),
    /** solutions (dataset) or trees (searches) per committed batch */
    batch: z.number().int().min(1).max(4096).default(64),
  })
  .strict()
  .refine((c) => Boolean(c.dataset) !== Boolean(c.searches), { message: 'give either a dataset or searches, not both' })
  .refine((c) => !c.split || c.dataset, { message: 'split needs a dataset', path: ['split'] });
export type ScoreJobConfig = z.infer<typeof ScoreJobConfig>;

/** Trains a PRM on an annotation set through the trainer protocol and registers it. */
export const TrainPrmJobConfig = z
  .object({
    annotations: z.string().min(1),
    /** the model to start from (a policy of the annotations' family); default: the policy that produced the set */
    base: z.string().min(1).optional(),
    /** name to register the PRM under; default prm-<set> */
    name: z.string().regex(MODEL_NAME, 'letters, digits, . _ - (max 100)').optional(),
    labels: z.enum(['soft', 'hard']).default('soft'),
    /**
     * the PRM reads a calculator's check after each `a op b = c` of a step, before the step's tag: " (=v)" when the
     * written result is v = a op b, " (!=v)" when it is not (the trainer's prm_template "mmprm-calculator"; the
     * manifest's prmTemplate.calculator / calculatorMismatch tell every scorer to write the same)
     */
    calculator: z.boolean().optional(),
    lr: z.number().gt(0).max(1).optional(),
    epochs: z.number().int().min(1).max(1000).optional(),
    batchSize: z.number().int().min(1).max(4096).optional(),
    maxSteps: z.number().int().min(1).optional(),
    seed: z.number().int().min(0).default(0),
    /** drop near-identical paths (same problem, same steps up to whitespace and case) */
    dedupe: z.boolean().default(true),
    maxPathsPerProblem: z.number().int().min(1).optional(),
    /** a held-out annotation set whose step metrics the trainer reports */
    valAnnotations: z.string().min(1).optional(),
    /** trainer command (argv); default: the reference trainer */
    trainer: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();
export type TrainPrmJobConfig = z.infer<typeof TrainPrmJobConfig>;

/**
 * Judges a PRM on an imported step-level benchmark (ProcessBench, VisualProcessBench, PRMBench): its step
 * scores from a registered PRM (`prm`, scored here) or from a file made elsewhere (`scores`, parsed by the
 * CLI: src-main/core/reward/benchScores.ts), the benchmark's metrics at a threshold that is given, the
 * oracle of a sweep on the rows evaluated, or chosen by a sweep on another split (`sweepOn`).
 */
export const BenchPrmJobConfig = z
  .object({
    dataset: z.string().min(1),
    /** the split evaluated (default: every split of the dataset's benchmark rows) */
    split: z.string().min(1).max(100).optional(),
    prm: z.string().min(1).optional(),
    scores: z
      .object({
        file: z.string().min(1).max(4096),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        /** by-id: lines {id, scores}; ordered: bare arrays in the imported file's row order */
        form: z.enum(['by-id', 'ordered']),
        lines: z.array(z.object({ line: z.number().int().min(1), id: z.string().min(1).optional(), scores: z.array(z.number()) }).strict()).min(1),
      })
      .strict()
      .optional(),
    /** a step is accepted when its score is above this (default 0.5) */
    threshold: z.number().min(0).max(1).optional(),
    /** choose the threshold on the rows evaluated (the oracle) */
    sweep: z.boolean().default(false),
    /** choose the threshold on this split and apply it to `split` */
    sweepOn: z.string().min(1).max(100).optional(),
    /** seed of the bootstrap */
    seed: z.number().int().min(0).default(0),
    /** bootstrap resamples for the headline's 95% interval (0: none) */
    resamples: z.number().int().min(0).max(100_000).default(1000),
    /** rows scored per committed batch (with prm) */
    batch: z.number().int().min(1).max(4096).default(32),
    name: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((c) => Boolean(c.prm) !== Boolean(c.scores), { message: 'give either a PRM or a scores file, not both' })
  .refine((c) => [c.threshold !== undefined, c.sweep, c.sweepOn !== undefined].filter(Boolean).length <= 1, { message: 'give at most one of threshold, sweep and sweepOn' })
  .refine((c) => c.sweepOn === undefined || c.split !== undefined, { message: 'sweepOn needs the split it is applied to', path: ['sweepOn'] })
  .refine((c) => c.sweepOn === undefined || c.sweepOn !== c.split, { message: 'sweepOn must be another split than the one evaluated', path: ['sweepOn'] });
export type BenchPrmJobConfig = z.infer<typeof BenchPrmJobConfig>;

/** Every job kind's config schema, by kind. */
export const JOB_CONFIGS = {
  import: ImportJobConfig,
  generate: GenerateJobConfig,
  search: SearchJobConfig,
  score: ScoreJobConfig,
  bon: BonConfig,
  'train-prm': TrainPrmJobConfig,
  cycle: CycleConfig,
  'bench-prm': BenchPrmJobConfig,
  'import-labels': ImportLabelsJobConfig,
} as const;
export type JobKind = keyof typeof JOB_CONFIGS;
export const JOB_KINDS = Object.keys(JOB_CONFIGS) as JobKind[];
/** The parsed config of a job kind. */
export type JobConfigOf<K extends JobKind> = z.output<(typeof JOB_CONFIGS)[K]>;
/** A job config as a caller writes it (defaults not yet filled in). */
export type JobConfigInput<K extends JobKind> = z.input<(typeof JOB_CONFIGS)[K]>;

/** A request to start a job: its kind and that kind's config, as one discriminated union. */
export const JobRequest = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('import'), config: ImportJobConfig }).strict(),
  z.object({ kind: z.literal('generate'), config: GenerateJobConfig }).strict(),
  z.object({ kind: z.literal('search'), config: SearchJobConfig }).strict(),
  z.object({ kind: z.literal('score'), config: ScoreJobConfig }).strict(),
  z.object({ kind: z.literal('bon'), config: BonConfig }).strict(),
  z.object({ kind: z.literal('train-prm'), config: TrainPrmJobConfig }).strict(),
  z.object({ kind: z.literal('cycle'), config: CycleConfig }).strict(),
  z.object({ kind: z.literal('bench-prm'), config: BenchPrmJobConfig }).strict(),
  z.object({ kind: z.literal('import-labels'), config: ImportLabelsJobConfig }).strict(),
]);
export type JobRequest = z.output<typeof JobRequest>;
/** A job request as a caller writes it (its config's defaults not yet filled in): what a door parses. */
export type JobRequestInput = z.input<typeof JobRequest>;
