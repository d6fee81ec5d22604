// The OpenAI-compatible wire as `serve-model` reads it: the request bodies (with Steplab's extensions),
// the sampling settings they come to, and a bad request as the status and parameter it names.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ImageData } from '../core/inference/backend';
import { formatZodIssue, issuePath } from '../../src-shared/zodMessage';

export class BadRequest extends Error {
  constructor(
    message: string,
    readonly status = 400,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

const Stop = z.union([z.string(), z.array(z.string()).max(16)]).nullish();
const Common = {
  model: z.string().optional(),
  n: z.number().int().min(1).max(256).default(1),
  temperature: z.number().min(0).max(5).default(1),
  top_p: z.number().gt(0).max(1).default(1),
  top_k: z.number().int().min(-1).max(100_000).nullish(),
  seed: z.number().int().nullish(),
  /** Steplab's extension: completion k samples from stream stream_offset + k (continues an earlier set) */
  stream_offset: z.number().int().min(0).max(1_000_000).default(0),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  stop: Stop,
  include_stop_str_in_output: z.boolean().default(false),
  stream: z.boolean().nullish(),
  echo: z.boolean().nullish(),
};
export const CompletionsBody = z.object({
  ...Common,
  prompt: z.union([z.string(), z.array(z.string()).min(1).max(256)]),
  logprobs: z.number().int().min(0).max(20).nullish(),
  /** Steplab's extension: one data-URL picture for the prompt's image token (a vision PRM's raw layout) */
  images: z.array(z.string()).max(1).nullish(),
  /** Steplab's extension: tokens whose log-probabilities are returned in top_logprobs wherever they rank (a PRM's Yes and No) */
  logprob_tokens: z.array(z.string()).max(16).nullish(),
});
const ContentPart = z.union([
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('image_url'), image_url: z.object({ url: z.string() }) }),
]);
const Message = z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.union([z.string(), z.array(ContentPart)]) });
export const ChatBody = z.object({
  ...Common,
  messages: z.array(Message).min(1).max(16),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  continue_final_message: z.boolean().default(false),
  add_generation_prompt: z.boolean().default(true),
});

export interface Settings {
  temperature: number;
  topK: number;
  topP: number;
  maxNewTokens: number;
  stop: string[];
  topLogprobs: number;
  logprobTokens: number[];
}

export function parseBody<T>(schema: z.ZodType<T>, raw: unknown): T {
  const r = schema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new BadRequest(formatZodIssue(i, { field: true }), 400, issuePath(i) || null);
  }
  return r.data;
}

export function imageFromDataUrl(url: string): ImageData {
  const m = /^data:(image\/[A-Za-z0-9.+-]+);base64,([A-Za-z0-9+/=\s]+)$/.exec(url);
  if (!m) throw new BadRequest('image_url: only data: URLs with base64 pictures are accepted (this server fetches nothing)', 400, 'messages');
  const bytes = Buffer.from(m[2], 'base64');
  return { key: createHash('sha256').update(bytes).digest('hex'), mime: m[1], bytes };
}
