// What the engine is asked for and gives back: rollout requests (a prefix, an image, how many samples),
// the decoding options, the rollouts with their finish reason, and the engine's counters.
import type { SamplingParams } from './sampling';

export interface ImageInput {
  /** identifies the image in the prefix cache (e.g. its content hash) */
  key: string;
  /** preprocessed [1, C, H, W] */
  pixels: Float32Array;
}

export interface RolloutRequest {
  /** prefix token ids, as from `encodePrompt` (image token already expanded) */
  prefix: readonly number[];
  image?: ImageInput;
  /** one uniform [0, 1) stream per rollout; its length is the number of rollouts */
  rngs: (() => number)[];
}

export interface GenerateOptions extends SamplingParams {
  maxNewTokens: number;
  /** stop each rollout after the step delimiter (one step) instead of at end of sequence */
  stopAtStep: boolean;
  /** also stop a rollout once its text contains one of these (the text keeps it; callers trim) */
  stopStrings?: readonly string[];
  /** record, at every generated position, the this-many most likely tokens and their log-probabilities */
  topLogprobs?: number;
  /** with topLogprobs: these tokens are recorded too, wherever they rank (a PRM's Yes and No) */
  logprobTokens?: readonly number[];
  /** most rows decoded at once */
  maxBatch?: number;
  /** compute each request's prefix once and share it (default); false recomputes it for every row */
  reusePrefix?: boolean;
  signal?: AbortSignal;
}

export type FinishReason = 'step' | 'eos' | 'length';

export interface Rollout {
  tokens: number[];
  /** decoded text of `tokens` (the end-of-sequence token is not included) */
  text: string;
  /** per-token log-probability under the model (temperature 1, before top-k/top-p) */
  logprobs: number[];
  /** with GenerateOptions.topLogprobs: the most likely tokens at each position, best first */
  topLogprobs?: { token: number; logprob: number }[][];
  finish: FinishReason;
}

export interface EngineStats {
  forwardCalls: number;
  prefillTokens: number;
  decodeTokens: number;
  prefixCacheHits: number;
}
