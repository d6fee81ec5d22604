// The search's rollout port over Steplab's engine: a prefix of steps continued to the end of a solution,
// verified against the problem's gold answer. Each rollout draws from its own random stream, derived from
// (seed, problem, node prefix, rollout index), so a tree does not depend on batching, order or resumes.
import { createHash } from 'node:crypto';
import type { Problem } from '../../../src-shared/domain';
import { verify } from '../data/verify';
import type { Engine, ImageInput } from '../inference/engine';
import { renderPrompt, splitSteps } from '../inference/prompt';
import { createRng, mixSeed } from '../rng';
import type { RolloutResult, SearchPorts } from './types';

export interface SamplingSettings {
  temperature: number;
  topK: number;
  topP: number;
  maxNewTokens: number;
}

/** A 32-bit number from a node's stream key (its prefix), stable across runs. */
export function streamKeyNumber(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32LE(0);
}

export function enginePort(opts: {
  engine: Engine;
  problem: Problem;
  image?: ImageInput;
  seed: number;
  sampling: SamplingSettings;
  signal?: AbortSignal;
  /** called after each policy call with the tokens it generated */
  onTokens?(n: number): void;
}): SearchPorts {
  const { engine, problem } = opts;
  const manifest = engine.model.manifest;
  return {
    signal: opts.signal,
    async rollout(prefix, n, streamKey): Promise<RolloutResult[]> {
      const key = streamKeyNumber(streamKey);
      const rngs = Array.from({ length: n }, (_, k) => {
        const r = createRng(mixSeed(opts.seed, problem.id, key, k));
        return () => r.next();
      });
      const ids = engine.encodePrompt(renderPrompt(manifest, problem.question, { hasImage: Boolean(opts.image), steps: prefix }));
      const [out] = await engine.generate([{ prefix: ids, image: opts.image, rngs }], { ...opts.sampling, stopAtStep: false, signal: opts.signal });
      let tokens = 0;
      const results = out.map((r) => {
        tokens += r.tokens.length;
        const steps = splitSteps(r.text, manifest.stepDelimiter);
        const full = [...prefix, ...steps].join(manifest.stepDelimiter);
        return { steps, correct: verify({ answer: problem.answer, prediction: full, answerType: problem.answerType }).verdict === 'correct', tokens: r.tokens.length };
      });
      opts.onTokens?.(tokens);
      return results;
    },
  };
}
