// manifest.json: what Steplab needs to know about a model folder beyond the onnx-community files.
// Load-time settings (files, layout, tokens) are separate from per-request parameters (sampling).
import { z } from 'zod';
import { ModelRole } from './domain';

export const MANIFEST_SCHEMA_VERSION = 1;

export const ManifestFiles = z
  .object({
    /** decoder taking input_ids (Optimum layout; what transformers.js loads): onnx/model.onnx */
    decoder: z.string().min(1),
    /** decoder taking inputs_embeds instead of input_ids (VLM layout), for prompts with images */
    decoderEmbeds: z.string().min(1).optional(),
    /** input_ids -> inputs_embeds */
    embedTokens: z.string().min(1).optional(),
    /** pixel_values -> image_features */
    visionEncoder: z.string().min(1).optional(),
    tokenizer: z.string().min(1).default('tokenizer.json'),
    config: z.string().min(1).default('config.json'),
  })
  .strict();

export const PromptTemplate = z
  .object({
    /** must contain {question} */
    question: z.string().refine((s) => s.includes('{question}'), 'must contain {question}'),
    image: z.string().optional(),
    /** optional MathSE reflection slot; must contain {reflection} */
    reflection: z
      .string()
      .refine((s) => s.includes('{reflection}'), 'must contain {reflection}')
      .optional(),
    /** text after which the solution starts */
    solution: z.string(),
  })
  .strict();

/**
 * How a PRM reads a solution (MM-PRM's layout): `{image}{question}{process}{step1}<tag>{sep}{step2}<tag>...`,
 * the tag being specialTokens.prm. Each step's score is softmax over the Yes/No logits at its tag.
 */
const CalculatorNote = z
  .string()
  .max(100)
  .refine((s) => s.includes('{value}'), 'must contain {value}');

export const PrmTemplate = z
  .object({
    /** placed first when the problem has an image */
    image: z.string().optional(),
    /** must contain {question} */
    question: z.string().refine((s) => s.includes('{question}'), 'must contain {question}'),
    process: z.string(),
    stepSeparator: z.string(),
    /**
     * a calculator's note after each `a op b = c` of a step, before its tag; must contain {value}, the exact
     * result of `a op b` (src-main/core/reward/layout.ts, calculatorNotes)
     */
    calculator: CalculatorNote.optional(),
    /** the note instead where the written c is not that result (needs calculator); without it every note is calculator */
    calculatorMismatch: CalculatorNote.optional(),
  })
  .strict()
  .refine((t) => t.calculatorMismatch === undefined || t.calculator !== undefined, { message: 'calculatorMismatch needs calculator', path: ['calculatorMismatch'] });
export type PrmTemplate = z.infer<typeof PrmTemplate>;

/**
 * How an ORM reads a solution: its promptTemplate with the solution's steps after `solution` (each
 * followed by stepDelimiter), then `verdict`, after which the model writes MathSE's JSON verdict
 * `{"status":...,"error_step":k,"error_analysis":...,"improvement_suggestion":...}` and its eos.
 */
export const OrmTemplate = z
  .object({
    verdict: z.string().min(1),
    /** diagnostic (MathSE): status, error step, analysis, suggestion; binary: status only */
    kind: z.enum(['diagnostic', 'binary']).default('diagnostic'),
  })
  .strict();
export type OrmTemplate = z.infer<typeof OrmTemplate>;

/** MM-PRM's layout: `Question: {q}\nProcess: {step1}<prm>\n\n{step2}<prm>...`. */
export const MMPRM_TEMPLATE: PrmTemplate = { image: '<image>\n', question: 'Question: {question}\n', process: 'Process: ', stepSeparator: '\n\n' };

export const SpecialTokens = z
  .object({
    bos: z.string().optional(),
    eos: z.string(),
    pad: z.string(),
    image: z.string().optional(),
    prm: z.string().optional(),
    yes: z.string().optional(),
    no: z.string().optional(),
  })
  .strict();

export const ImageSettings = z
  .object({
    /** how many embeddings the vision encoder produces; the image token is expanded to this many */
    tokens: z.number().int().min(1).max(4096),
    /** square input size in pixels */
    size: z.number().int().min(8).max(4096),
    channels: z.union([z.literal(1), z.literal(3)]),
    mean: z.array(z.number()).min(1).max(3),
    std: z.array(z.number().positive()).min(1).max(3),
  })
  .strict();

export const SamplingParameters = z
  .object({
    temperature: z.number().min(0).max(5).default(1),
    topK: z.number().int().min(0).max(100_000).default(0),
    topP: z.number().gt(0).max(1).default(1),
    maxNewTokens: z.number().int().min(1).max(1_000_000).default(256),
  })
  .strict();

export const Manifest = z
  .object({
    schemaVersion: z.literal(MANIFEST_SCHEMA_VERSION),
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, . _ - (max 100)'),
    role: ModelRole,
    /** models of one family share a tokenizer and template (policy, PRM and ORM of the demo) */
    family: z.string().min(1),
    /** Hugging Face model_type of the decoder (llama, qwen2, ...) */
    architecture: z.string().min(1),
    /** the folder's files (the onnx-community layout when absent; an endpoint's manifest needs none) */
    files: ManifestFiles.default({ decoder: 'onnx/model.onnx', tokenizer: 'tokenizer.json', config: 'config.json' }),
    /** input/output naming of the decoder: Hugging Face Optimum / onnx-community KV-cache layout */
    layout: z.literal('optimum-kv').default('optimum-kv'),
    promptTemplate: PromptTemplate,
    stepDelimiter: z.string().min(1),
    /** PRMs: the scoring layout (MM-PRM's when absent) */
    prmTemplate: PrmTemplate.optional(),
    /** ORMs: where the verdict starts (required for role orm) */
    ormTemplate: OrmTemplate.optional(),
    specialTokens: SpecialTokens,
    contextLength: z.number().int().min(16).max(10_000_000),
    image: ImageSettings.optional(),
    parameters: SamplingParameters.default({ temperature: 1, topK: 0, topP: 1, maxNewTokens: 256 }),
    provenance: z
      .object({
        parent: z.string().nullable().default(null),
        cycle: z.number().int().nullable().default(null),
        trainingDataHash: z.string().nullable().default(null),
        recipe: z.string().nullable().default(null),
        metrics: z.record(z.string(), z.unknown()).default({}),
      })
      .partial()
      .default({}),
  })
  .strict();
export type Manifest = z.infer<typeof Manifest>;
