// What a MathSE cycle needs from models, behind two small interfaces: a policy that continues step
// prefixes (with an optional reflection in its prompt) and an ORM that judges whole solutions. The real
// ones run the workspace's models (ONNX in process, or endpoints) through a ModelBackend; tests of the orchestration may script them.
import type { Problem } from '../../../src-shared/domain';
import type { OrmVerdictRecord } from '../../../src-shared/cycles';
import { UserError } from '../errors';
import { openBackend, problemImageData, stepsText, type CompletionRequest, type ModelBackend } from '../inference/backend';
import { splitSteps } from '../inference/prompt';
import { parseOrmOutput } from '../reward/orm';
import { mixSeed } from '../rng';
import type { Store } from '../store';
import { modelLabel } from '../../../src-shared/modelLabel';

export interface GenRequest {
  problem: Problem;
  /** steps kept from an earlier solution; the policy continues after them */
  prefixSteps: readonly string[];
  /** MathSE reflection placed in the prompt (null: none) */
  reflection: string | null;
  /** continuations wanted */
  n: number;
  /** seeds the request's samples: the same key gives the same continuations */
  seedKey: readonly number[];
}

export interface GenOutput {
  /** the whole solution: prefix steps, then the continuation's */
  steps: string[];
  tokens: number;
  finish: string;
}

export interface Sampling {
  /** 0: greedy */
  temperature: number;
  maxNewTokens?: number;
}

export interface PolicyHandle {
  readonly modelId: number;
  readonly label: string;
  readonly provider: string;
  generate(reqs: readonly GenRequest[], sampling: Sampling, signal: AbortSignal): Promise<GenOutput[][]>;
  release(): Promise<void>;
}

export interface OrmHandle {
  readonly modelId: number;
  readonly label: string;
  /** a status-only ORM: WRONG comes without a step, so regeneration restarts from the question */
  readonly binary: boolean;
  judge(items: readonly { problem: Problem; steps: readonly string[] }[], signal: AbortSignal): Promise<OrmVerdictRecord[]>;
  release(): Promise<void>;
}

export interface CyclePorts {
  openPolicy(modelId: number): Promise<PolicyHandle>;
  openOrm(modelId: number, maxNewTokens: number): Promise<OrmHandle>;
}

/** A parsed ORM output as stored with the solution it judges. */
export function ormRecord(raw: string, steps: number, binary: boolean): OrmVerdictRecord {
  const p = parseOrmOutput(raw, steps, { binary });
  if (!p.ok) return { ok: false, status: null, errorStep: null, errorAnalysis: '', improvementSuggestion: '', reason: p.reason, raw };
  return { ok: true, ...p.verdict, reason: null, raw };
}

/** A backend request for a problem: its picture when the model reads pictures. */
function completionRequest(store: Store, backend: ModelBackend, problem: Problem, rest: Omit<CompletionRequest, 'question' | 'image'>): CompletionRequest {
  return { question: problem.question, image: problemImageData(store, problem, backend), ...rest };
}

class BackendPolicy implements PolicyHandle {
  constructor(
    private readonly store: Store,
    private readonly backend: ModelBackend,
    readonly modelId: number,
    readonly label: string,
  ) {}

  get provider(): string {
    return this.backend.provider;
  }

  async generate(reqs: readonly GenRequest[], sampling: Sampling, signal: AbortSignal): Promise<GenOutput[][]> {
    const m = this.backend.manifest;
    // continuation k of a request draws from mixSeed(...seedKey, k) = mixSeedFrom(mixSeed(...seedKey), k)
    const requests = reqs.map((r) =>
      completionRequest(this.store, this.backend, r.problem, { reflection: r.reflection ?? undefined, continuation: stepsText(r.prefixSteps, m.stepDelimiter), n: r.n, seed: mixSeed(...r.seedKey) }),
    );
    const out = await this.backend.complete(requests, {
      temperature: sampling.temperature,
      topK: m.parameters.topK,
      topP: m.parameters.topP,
      maxNewTokens: sampling.maxNewTokens ?? m.parameters.maxNewTokens,
      stopAtStep: false,
      signal,
    });
    return out.map((rolls, i) => rolls.map((r) => ({ steps: [...reqs[i].prefixSteps, ...splitSteps(r.text, m.stepDelimiter)], tokens: r.tokens, finish: r.finish })));
  }

  release(): Promise<void> {
    return this.backend.release();
  }
}

class BackendOrm implements OrmHandle {
  readonly binary: boolean;
  constructor(
    private readonly store: Store,
    private readonly backend: ModelBackend,
    readonly modelId: number,
    readonly label: string,
    private readonly maxNewTokens: number,
  ) {
    this.binary = backend.manifest.ormTemplate?.kind === 'binary';
  }

  async judge(items: readonly { problem: Problem; steps: readonly string[] }[], signal: AbortSignal): Promise<OrmVerdictRecord[]> {
    const m = this.backend.manifest;
    if (!m.ormTemplate) throw new UserError(`model ${this.label} has no ormTemplate`);
    // the ORM reads the solution after the solution marker, then its verdict marker (renderOrmPrompt)
    const requests = items.map((it) => completionRequest(this.store, this.backend, it.problem, { continuation: stepsText(it.steps, m.stepDelimiter) + m.ormTemplate!.verdict, n: 1, seed: 0 }));
    const out = await this.backend.complete(requests, { temperature: 0, topK: 0, topP: 1, maxNewTokens: this.maxNewTokens, stopAtStep: false, signal });
    return out.map((r, i) => ormRecord(r[0].text, items[i].steps.length, this.binary));
  }

  release(): Promise<void> {
    return this.backend.release();
  }
}

/** Ports over the workspace's registered models: ONNX folders in process, or endpoints. */
export function enginePorts(store: Store): CyclePorts {
  return {
    async openPolicy(modelId) {
      const rec = store.models.get(modelId);
      return new BackendPolicy(store, await openBackend(rec), rec.id, modelLabel(rec));
    },
    async openOrm(modelId, maxNewTokens) {
      const rec = store.models.get(modelId);
      return new BackendOrm(store, await openBackend(rec), rec.id, modelLabel(rec), maxNewTokens);
    },
  };
}
