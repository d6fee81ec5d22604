// The search's rollout port over a model backend (in process or an endpoint): a prefix of steps continued to the end of a solution,
// verified against the problem's gold answer (by the rule verifier, or by a RolloutVerifier such as the
// rules and an LLM judge). Each rollout draws from its own random stream, derived from
// (seed, problem, node prefix, rollout index), so a tree does not depend on batching, order or resumes.
import { createHash } from 'node:crypto';
import type { Problem } from '../../../../src-shared/domain';
import { verifyProblem, type Verdict } from '../../data/verify';
import { stepsText, type ImageData, type ModelBackend } from '../../inference/backend';
import { splitSteps } from '../../inference/prompt';
import { mixSeed } from '../../rng';
import type { RolloutResult, SearchPorts } from '../../search/types';

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

/** An asynchronous verifier of a rollout's full solution (e.g. the rules and an LLM judge: JudgedVerifier). */
export interface RolloutVerifier {
  verify(problem: Problem, prediction: string): Promise<{ verdict: Verdict }>;
}

export function enginePort(opts: {
  backend: ModelBackend;
  problem: Problem;
  image?: ImageData;
  seed: number;
  sampling: SamplingSettings;
  signal?: AbortSignal;
  /** called after each policy call with the tokens it generated */
  onTokens?(n: number): void;
  /** verifies each rollout instead of the rule verifier alone (absent: `verify`, as always) */
  verifier?: RolloutVerifier;
}): SearchPorts {
  const { backend, problem } = opts;
  const manifest = backend.manifest;
  return {
    signal: opts.signal,
    async rollout(prefix, n, streamKey): Promise<RolloutResult[]> {
      // rollout k draws from mixSeed(seed, problem, key, k) = mixSeedFrom(this seed, k)
      const seed = mixSeed(opts.seed, problem.id, streamKeyNumber(streamKey));
      const [out] = await backend.complete(
        [{ question: problem.question, continuation: stepsText(prefix, manifest.stepDelimiter), image: opts.image, n, seed }],
        { ...opts.sampling, stopAtStep: false, signal: opts.signal },
      );
      let tokens = 0;
      const verifier = opts.verifier;
      const fulls: string[] = [];
      const results = out.map((r) => {
        tokens += r.tokens;
        const steps = splitSteps(r.text, manifest.stepDelimiter);
        const full = [...prefix, ...steps].join(manifest.stepDelimiter);
        fulls.push(full);
        return { steps, correct: verifier ? false : verifyProblem(problem, full).verdict === 'correct', tokens: r.tokens };
      });
      if (verifier) {
        // the rules first, then the judge where its mode says (requests of one batch in flight together)
        const verdicts = await Promise.all(fulls.map((full) => verifier.verify(problem, full)));
        results.forEach((r, i) => (r.correct = verdicts[i].verdict === 'correct'));
      }
      opts.onTokens?.(tokens);
      return results;
    },
  };
}
