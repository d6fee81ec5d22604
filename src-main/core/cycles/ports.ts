// What a MathSE cycle needs from models, behind two small interfaces: a policy that continues step
// prefixes (with an optional reflection in its prompt) and an ORM that judges whole solutions. The real
// ones run the workspace's ONNX models through the engine; tests of the orchestration may script them.
import type { Problem } from '../../../src-shared/domain';
import type { OrmVerdictRecord } from '../../../src-shared/cycles';
import { Engine, type RolloutRequest } from '../inference/engine';
import { problemImage } from '../inference/generateJob';
import { loadModel, type LoadedModel } from '../inference/model';
import { renderOrmPrompt, renderPrompt, splitSteps } from '../inference/prompt';
import { parseOrmOutput } from '../reward/orm';
import { createRng, mixSeed } from '../rng';
import type { Store } from '../store';

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

/** One rollout request per item: its problem's image (when the model reads images) and its prompt. */
async function requestsFor<T extends { problem: Problem }>(
  store: Store,
  engine: Engine,
  items: readonly T[],
  prompt: (item: T, hasImage: boolean) => string,
  rollouts: (item: T) => (() => number)[],
): Promise<RolloutRequest[]> {
  const out: RolloutRequest[] = [];
  for (const it of items) {
    const image = await problemImage(store, it.problem, engine);
    out.push({ prefix: engine.encodePrompt(prompt(it, Boolean(image))), image, rngs: rollouts(it) });
  }
  return out;
}

function rngsFor(n: number, key: readonly number[]): (() => number)[] {
  return Array.from({ length: n }, (_, k) => {
    const r = createRng(mixSeed(...key, k));
    return () => r.next();
  });
}

class EnginePolicy implements PolicyHandle {
  readonly provider: string;
  private readonly engine: Engine;
  constructor(
    private readonly store: Store,
    private readonly model: LoadedModel,
    readonly modelId: number,
    readonly label: string,
  ) {
    this.engine = new Engine(model);
    this.provider = this.engine.provider;
  }

  async generate(reqs: readonly GenRequest[], sampling: Sampling, signal: AbortSignal): Promise<GenOutput[][]> {
    const m = this.model.manifest;
    const requests = await requestsFor(
      this.store,
      this.engine,
      reqs,
      (r, hasImage) => renderPrompt(m, r.problem.question, { hasImage, reflection: r.reflection ?? undefined, steps: r.prefixSteps }),
      (r) => rngsFor(r.n, r.seedKey),
    );
    const out = await this.engine.generate(requests, {
      temperature: sampling.temperature,
      topK: m.parameters.topK,
      topP: m.parameters.topP,
      maxNewTokens: sampling.maxNewTokens ?? m.parameters.maxNewTokens,
      stopAtStep: false,
      signal,
    });
    return out.map((rolls, i) => rolls.map((r) => ({ steps: [...reqs[i].prefixSteps, ...splitSteps(r.text, m.stepDelimiter)], tokens: r.tokens.length, finish: r.finish })));
  }

  release(): Promise<void> {
    return this.model.release();
  }
}

class EngineOrm implements OrmHandle {
  readonly binary: boolean;
  private readonly engine: Engine;
  constructor(
    private readonly store: Store,
    private readonly model: LoadedModel,
    readonly modelId: number,
    readonly label: string,
    private readonly maxNewTokens: number,
  ) {
    this.engine = new Engine(model);
    this.binary = model.manifest.ormTemplate?.kind === 'binary';
  }

  async judge(items: readonly { problem: Problem; steps: readonly string[] }[], signal: AbortSignal): Promise<OrmVerdictRecord[]> {
    const m = this.model.manifest;
    const requests = await requestsFor(this.store, this.engine, items, (it, hasImage) => renderOrmPrompt(m, it.problem.question, { hasImage, steps: it.steps }), () => rngsFor(1, [0]));
    const out = await this.engine.generate(requests, { temperature: 0, topK: 0, topP: 1, maxNewTokens: this.maxNewTokens, stopAtStep: false, signal });
    return out.map((r, i) => ormRecord(r[0].text, items[i].steps.length, this.binary));
  }

  release(): Promise<void> {
    return this.model.release();
  }
}

/** Ports over the workspace's registered ONNX models. */
export function enginePorts(store: Store): CyclePorts {
  return {
    async openPolicy(modelId) {
      const rec = store.models.get(modelId);
      return new EnginePolicy(store, await loadModel(rec.path), rec.id, `${rec.name}@${rec.version}`);
    },
    async openOrm(modelId, maxNewTokens) {
      const rec = store.models.get(modelId);
      return new EngineOrm(store, await loadModel(rec.path), rec.id, `${rec.name}@${rec.version}`, maxNewTokens);
    },
  };
}
