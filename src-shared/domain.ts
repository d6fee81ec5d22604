// Domain types shared by core, hosts and renderer. Pure: zod schemas and the types inferred from them.
import { z } from 'zod';
import { BON_METHODS } from './aggregate';

export const AnswerType = z.enum(['number', 'fraction', 'choice', 'expression', 'text']);
export type AnswerType = z.infer<typeof AnswerType>;

export const Verdict = z.enum(['correct', 'incorrect', 'unparseable']);
export type Verdict = z.infer<typeof Verdict>;

export const ImageRef = z.object({
  hash: z.string(),
  mime: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  bytes: z.number().int(),
});
export type ImageRef = z.infer<typeof ImageRef>;

export const Problem = z.object({
  id: z.number().int(),
  /** the id the problem had in its source file (or a content-derived one when it had none) */
  extId: z.string(),
  question: z.string(),
  answer: z.string(),
  answerType: AnswerType,
  source: z.string().nullable(),
  split: z.string().nullable(),
  tags: z.array(z.string()),
  images: z.array(ImageRef),
  /** every field of the source row that Steplab does not model (the row of the dataset it is seen through), exported back unchanged */
  meta: z.record(z.string(), z.unknown()),
});
export type Problem = z.infer<typeof Problem>;

export const Dataset = z.object({
  id: z.number().int(),
  name: z.string(),
  version: z.number().int(),
  description: z.string().nullable(),
  problemCount: z.number().int(),
  imageCount: z.number().int(),
  splits: z.record(z.string(), z.number().int()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Dataset = z.infer<typeof Dataset>;

export const JobState = z.enum(['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted']);
export type JobState = z.infer<typeof JobState>;

export const JobProgress = z.object({
  done: z.number(),
  total: z.number().nullable(),
  message: z.string().nullable(),
});
export type JobProgress = z.infer<typeof JobProgress>;

export const Job = z.object({
  id: z.number().int(),
  kind: z.string(),
  config: z.unknown(),
  state: JobState,
  progress: JobProgress,
  result: z.unknown().nullable(),
  error: z.string().nullable(),
  attempts: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
  /** a cancel was asked for and the job has not stopped yet (absent: not asked) */
  cancelRequested: z.boolean().optional(),
});
export type Job = z.infer<typeof Job>;

export const ImportReport = z.object({
  imported: z.number().int(),
  images: z.number().int(),
  skipped: z.number().int(),
  /** already in the dataset before this import (idempotent re-import) */
  unchanged: z.number().int(),
  badLines: z.array(z.object({ line: z.number().int(), message: z.string() })),
  reportPath: z.string().nullable(),
});
export type ImportReport = z.infer<typeof ImportReport>;

/** What an import-labels job did (steplab import-labels; src-main/core/jobs/kinds/importLabels.ts). */
export const ImportLabelsReport = z.object({
  format: z.string(),
  /** why the format was taken from the content (`outputs/ab12.json has ...`); null when --format named it */
  detected: z.string().nullable(),
  annotationSet: z.string(),
  /** files read */
  files: z.number().int(),
  /** problems this import added to the dataset */
  problems: z.number().int(),
  searches: z.number().int(),
  nodes: z.number().int(),
  annotations: z.number().int(),
  /** the steps of the annotations added (one label each) */
  labelledSteps: z.number().int(),
  /** labelled paths without a tree, stored as solutions (origin "import") with their annotation */
  solutions: z.number().int(),
  /** bad units left out (--skip-bad) */
  skipped: z.number().int(),
  /** units imported before (the same content), left as they were */
  unchanged: z.number().int(),
  /** counts that do not add up and such: in the report, not refused */
  warnings: z.number().int(),
  badLines: z.array(z.object({ where: z.string(), message: z.string() })),
  reportPath: z.string().nullable(),
});
export type ImportLabelsReport = z.infer<typeof ImportLabelsReport>;

export const ProblemFormat = z.enum(['jsonl', 'mmprm-seed', 'parquet']);
export type ProblemFormat = z.infer<typeof ProblemFormat>;

/** The MM-PRM Best-of-N evaluators whose rollout files `score --rollouts --shape` reads (eval/prm/evaluate_<shape>_prm.py). */
export const ROLLOUT_SHAPES = ['k12', 'mathvista', 'mathverse', 'mathvision', 'olympiadbench'] as const;
export type RolloutShape = (typeof ROLLOUT_SHAPES)[number];

/** The Steplab fields a `--field <field>=<column>` mapping can point at a source column. */
export const FieldTarget = z.enum(['id', 'question', 'answer', 'answer_type', 'images', 'split', 'source', 'tags']);
export type FieldTarget = z.infer<typeof FieldTarget>;
/** Steplab field -> the source column it is read from; a mapped field is read from that column only. */
export const FieldMap = z.partialRecord(FieldTarget, z.string().min(1));
export type FieldMap = z.infer<typeof FieldMap>;

/** jsonl: the import format; mmprm-seed: MM-PRM's seed JSON array (id, question, correct_answer, image_path) */
export const ProblemExportFormat = z.enum(['jsonl', 'mmprm-seed']);
export type ProblemExportFormat = z.infer<typeof ProblemExportFormat>;
export const AnnotationExportFormat = z.enum(['trl', 'mmprm', 'math-shepherd', 'prm800k', 'openrlhf', 'processbench']);
export type AnnotationExportFormat = z.infer<typeof AnnotationExportFormat>;

export const ModelRole = z.enum(['policy', 'prm', 'orm', 'judge']);
export type ModelRole = z.infer<typeof ModelRole>;

/**
 * A model served over an OpenAI-compatible API (vLLM, SGLang, llama.cpp server, `steplab serve-model`).
 * The API key is read at run time from the environment variable `apiKeyEnv` names; it is never stored.
 */
export const EndpointConfig = z
  .object({
    /** base URLs ending in /v1, one per server; requests are spread over them */
    urls: z
      .array(z.string().url().refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL'))
      .min(1)
      .max(64),
    /** the model id the server knows (its /v1/models id) */
    servedModel: z.string().min(1),
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
      .nullable()
      .default(null),
    /** requests in flight per URL */
    concurrency: z.number().int().min(1).max(1024).default(4),
    timeoutMs: z.number().int().min(100).max(3_600_000).default(120_000),
    /** further attempts after a failed request (connection refused, timeout, 5xx, 429, malformed JSON) */
    retries: z.number().int().min(0).max(20).default(3),
    /** first backoff in ms; doubled after every failed attempt */
    backoffMs: z.number().int().min(0).max(60_000).default(500),
    /** auto: /v1/completions for text, /v1/chat/completions when a picture goes with the prompt */
    api: z.enum(['auto', 'completions', 'chat']).default('auto'),
    /** the served model reads pictures (sent as data URLs) */
    vision: z.boolean().default(false),
    /**
     * how a PRM is read: `logprobs` of its Yes/No tokens after each step tag (/v1/completions; a PRM with an
     * LM head, as MM-PRM's), or vLLM's `pooling` API (/pooling at the server root; a reward model served with
     * a STEP pooler, whose rows are the softmax over its returned token ids at each step tag)
     */
    prmApi: z.enum(['logprobs', 'pooling']).default('logprobs'),
    /** pooling: which column of a row is P(good) (the order of the server's returned token ids or labels) */
    poolingGoodIndex: z.number().int().min(0).max(15).default(1),
  })
  .strict();
export type EndpointConfig = z.infer<typeof EndpointConfig>;

export const ModelRecord = z.object({
  id: z.number().int(),
  name: z.string(),
  version: z.number().int(),
  role: ModelRole,
  family: z.string().nullable(),
  /** the model folder in the workspace; for an endpoint its first URL */
  path: z.string(),
  manifest: z.unknown(),
  provenance: z.unknown().nullable(),
  /** set for a model served over an OpenAI-compatible endpoint */
  endpoint: EndpointConfig.nullish(),
  createdAt: z.string(),
});
export type ModelRecord = z.infer<typeof ModelRecord>;

export const SearchSummary = z.object({
  id: z.number().int(),
  problemId: z.number().int(),
  modelId: z.number().int().nullable(),
  algorithm: z.string(),
  config: z.unknown(),
  seed: z.number().int().nullable(),
  status: z.string(),
  stats: z.record(z.string(), z.unknown()),
  jobId: z.number().int().nullable(),
  createdAt: z.string(),
  /** the name given to it (manage.rename); null: it is known by its problem's dataset id */
  name: z.string().nullable().optional(),
  /** the dataset the problem is first a member of, and its id there (the id a researcher knows it by) */
  dataset: z.string().nullable().optional(),
  extId: z.string().nullable().optional(),
});
export type SearchSummary = z.infer<typeof SearchSummary>;

export const TreeNode = z.object({
  id: z.number().int(),
  searchId: z.number().int(),
  parentId: z.number().int().nullable(),
  depth: z.number().int(),
  stepText: z.string(),
  visits: z.number().int(),
  rollouts: z.number().int(),
  correct: z.number().int(),
  mc: z.number().nullable(),
  q: z.number().nullable(),
  firstError: z.boolean(),
  meta: z.unknown(),
});
export type TreeNode = z.infer<typeof TreeNode>;

/** One PRM's scores of a search's nodes: node id (as a string key) -> P(good) of the node's last step. */
export const NodePrmScores = z.object({ model: z.string(), modelId: z.number().int(), scores: z.record(z.string(), z.number()) });
export type NodePrmScores = z.infer<typeof NodePrmScores>;

export const EvaluationSummary = z.object({ id: z.number().int(), name: z.string(), createdAt: z.string(), jobId: z.number().int().nullable() });
export type EvaluationSummary = z.infer<typeof EvaluationSummary>;

export const EvaluationRecord = z.object({
  id: z.number().int(),
  name: z.string(),
  createdAt: z.string(),
  dataset: z.string().nullable(),
  policy: z.string().nullable(),
  prm: z.string().nullable(),
  jobId: z.number().int().nullable(),
  config: z.record(z.string(), z.unknown()),
  /** Best-of-N: accuracy by split, N and method, the chosen method, step-level metrics */
  metrics: z.record(z.string(), z.unknown()),
});
export type EvaluationRecord = z.infer<typeof EvaluationRecord>;

/** One side of an evaluations.compare: the evaluation, its policy and PRM, and the method read on it. */
const ComparedEvaluation = z.object({
  id: z.number().int(),
  name: z.string(),
  policy: z.string(),
  prm: z.string(),
  method: z.enum(BON_METHODS),
  /** the split the method was chosen on (the evaluation's own choice); null when one method was named for both */
  chosenOn: z.string().nullable(),
  voteWeight: z.string(),
});

/** Two Best-of-N evaluations of the same problems: accuracy of a minus b at each N, with the paired bootstrap interval over problems. */
export const EvaluationComparison = z.object({
  dataset: z.string(),
  split: z.string(),
  problems: z.number().int(),
  /** both read the very same candidates (same policy, sampling and seed): only the PRM differs */
  sameCandidates: z.boolean(),
  a: ComparedEvaluation,
  b: ComparedEvaluation,
  rows: z.array(z.object({ n: z.number().int(), a: z.number(), b: z.number(), diff: z.number(), interval: z.tuple([z.number(), z.number()]) })),
});
export type EvaluationComparison = z.infer<typeof EvaluationComparison>;

/** A stored solution with its steps (gold labels on the demo domain) and every PRM's step scores. */
export const ScoredSolution = z.object({
  id: z.number().int(),
  modelId: z.number().int().nullable(),
  origin: z.string(),
  verdict: z.enum(['correct', 'incorrect', 'unparseable']).nullable(),
  finalAnswer: z.string().nullable(),
  steps: z.array(z.object({ idx: z.number().int(), text: z.string(), goldLabel: z.number().int().nullable() })),
  /** PRM (name@version) -> one score per step */
  scores: z.record(z.string(), z.array(z.number())),
  /** each step's Monte-Carlo value where a search labelled that step prefix (or an annotation of this solution), else null */
  mc: z.array(z.number().nullable()).optional(),
});
export type ScoredSolution = z.infer<typeof ScoredSolution>;

/** One problem of an evaluation: how many candidates, how many correct. */
export const EvaluationProblem = z.object({ problemId: z.number().int(), candidates: z.number().int(), correct: z.number().int() });

/** A tree node whose PRM score and MC label disagree (gap = |score - MC|, larger first). */
export const NodeDisagreement = z.object({
  searchId: z.number().int(),
  nodeId: z.number().int(),
  problemId: z.number().int(),
  stepText: z.string(),
  mc: z.number(),
  score: z.number(),
  gap: z.number(),
  /** the node's last step: the line stating the final answer, or a reasoning step */
  kind: z.enum(['answer', 'reasoning']).optional(),
  /** the problem's dataset id and question, and the steps from the question to the node (the node's last) */
  extId: z.string().nullable().optional(),
  question: z.string().optional(),
  path: z.array(z.string()).optional(),
});
export type NodeDisagreement = z.infer<typeof NodeDisagreement>;

export const CurationActionSchema = z.enum(['accept', 'reject', 'relabel', 'comment', 'text']);

/** One curation record (who, when, what, comment); undone records stay, marked. A bulk action is one batch. */
export const CurationEdit = z.object({
  id: z.number().int(),
  batch: z.number().int(),
  stepIdx: z.number().int().nullable(),
  action: CurationActionSchema,
  value: z.number().nullable(),
  text: z.string().nullable(),
  comment: z.string().nullable(),
  author: z.string().nullable(),
  createdAt: z.string(),
  undone: z.boolean(),
});
export type CurationEdit = z.infer<typeof CurationEdit>;

/** A stored solution whose verdict and the PRM's ranking among its problem's candidates conflict (gap = |verdict - score|). */
export const SolutionConflict = z.object({
  solutionId: z.number().int(),
  problemId: z.number().int(),
  question: z.string(),
  verdict: z.enum(['correct', 'incorrect', 'unparseable']),
  /** wrong-top: a wrong solution ranked first above a correct candidate; correct-bottom: a correct one ranked last below a wrong one; correct-low: a correct one in the bottom share of its candidates below a wrong one (or under an absolute threshold when one is given) */
  kind: z.enum(['wrong-top', 'correct-bottom', 'correct-low']),
  score: z.number(),
  /** 1 = the PRM's top candidate; candidates with equal scores share the best rank (1-2-2-4) */
  rank: z.number().int(),
  candidates: z.number().int(),
  gap: z.number(),
  steps: z.number().int(),
  /** the step with the lowest PRM score */
  weakestStep: z.number().int(),
});
export type SolutionConflict = z.infer<typeof SolutionConflict>;

/** A labelled step sequence with its curation applied (originals kept beside the effective labels). */
export const AnnotationRecord = z.object({
  id: z.number().int(),
  problemId: z.number().int(),
  searchId: z.number().int().nullable(),
  solutionId: z.number().int().nullable(),
  setName: z.string(),
  provenance: z.record(z.string(), z.unknown()),
  rejected: z.boolean(),
  accepted: z.boolean(),
  /** at least one curation edit is in force */
  curated: z.boolean(),
  createdAt: z.string(),
  steps: z.array(
    z.object({
      idx: z.number().int(),
      /** the curated text when a text edit is in force */
      text: z.string(),
      originalText: z.string(),
      textEdited: z.boolean(),
      originalSoft: z.number(),
      originalHard: z.number().int(),
      softLabel: z.number(),
      hardLabel: z.number().int(),
      edited: z.boolean(),
      comments: z.array(z.string()),
    }),
  ),
  /** every curation record, oldest first */
  history: z.array(CurationEdit),
});
export type AnnotationRecord = z.infer<typeof AnnotationRecord>;

export const SearchEventRecord = z.object({ seq: z.number().int(), kind: z.string(), data: z.unknown() });

export const AnnotationSet = z.object({
  name: z.string(),
  annotations: z.number().int(),
  problems: z.number().int(),
  steps: z.number().int(),
  searches: z.number().int(),
  createdAt: z.string(),
});
