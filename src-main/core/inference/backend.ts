// One interface for every place a model writes text (search rollouts, sampled solutions, Best-of-N
// candidates, MathSE inference, regeneration and ORM verdicts), whether the model runs in process on
// onnxruntime (EmbeddedBackend) or on a server speaking the OpenAI-compatible API (RemoteBackend, in
// remote.ts). Callers describe a prompt by its parts (question, optional reflection, the text after the
// solution marker, the picture) and a 32-bit seed; rollout k of a request draws from the stream
// `mixSeedFrom(seed, k)`, so the same request gives the same tokens in process and through
// `steplab serve-model`.
import { readFileSync } from 'node:fs';
import type { ModelRecord, Problem } from '../../../src-shared/domain';
import type { Manifest } from '../../../src-shared/manifest';
import { imagePath } from '../data/images';
import { UserError } from '../errors';
import { createRng, mixSeedFrom } from '../rng';
import type { Store } from '../store';
import { Engine, type FinishReason, type ImageInput, type RolloutRequest } from './engine';
import { preprocessImage } from './image';
import { loadModel, type LoadedModel } from './model';
import { renderPrompt } from './prompt';

/** A problem's picture as stored: its content hash, type and bytes. */
export interface ImageData {
  key: string;
  mime: string;
  bytes: Buffer;
}

export interface CompletionRequest {
  question: string;
  /** MathSE's reflection, placed in the prompt's reflection slot */
  reflection?: string;
  /** text after the solution marker that the model continues: steps so far, or a solution and a verdict marker */
  continuation: string;
  image?: ImageData;
  /** completions wanted */
  n: number;
  /** 32-bit seed; completion k samples from createRng(mixSeedFrom(seed, offset + k)) */
  seed: number;
  /** index of the first completion's stream (default 0): continues a set of samples where it stopped */
  offset?: number;
}

export interface CompletionOptions {
  /** 0: greedy */
  temperature: number;
  topK: number;
  topP: number;
  maxNewTokens: number;
  /** stop after one step (at the manifest's step delimiter) instead of at the end of the solution */
  stopAtStep: boolean;
  signal?: AbortSignal;
}

export interface Completion {
  text: string;
  /** tokens generated */
  tokens: number;
  finish: FinishReason;
}

export interface ModelBackend {
  readonly manifest: Manifest;
  /** where the model runs, stored with every result: the execution provider, or `endpoint <url> (<model>)` */
  readonly provider: string;
  /** the model reads pictures */
  readonly vision: boolean;
  readonly remote: boolean;
  complete(reqs: readonly CompletionRequest[], opts: CompletionOptions): Promise<Completion[][]>;
  release(): Promise<void>;
}

/** The prompt text a request stands for, in the model's template. */
export function requestPrompt(manifest: Manifest, r: Pick<CompletionRequest, 'question' | 'reflection' | 'continuation' | 'image'>): string {
  return renderPrompt(manifest, r.question, { hasImage: Boolean(r.image), reflection: r.reflection }) + r.continuation;
}

/** Steps written after the solution marker, each followed by the delimiter (how renderPrompt writes them). */
export function stepsText(steps: readonly string[], delimiter: string): string {
  return steps.map((s) => s + delimiter).join('');
}

/** The random streams of a request's completions. */
export function completionRngs(seed: number, n: number, offset = 0): (() => number)[] {
  return Array.from({ length: n }, (_, k) => {
    const r = createRng(mixSeedFrom(seed, offset + k));
    return () => r.next();
  });
}

/** The problem's first picture, for a model that reads pictures. */
export function problemImageData(store: Store, p: Problem, backend: Pick<ModelBackend, 'vision'>): ImageData | undefined {
  const img = p.images[0];
  if (!img || !backend.vision) return undefined;
  return { key: img.hash, mime: img.mime, bytes: readFileSync(imagePath(store.paths.imagesDir, img)) };
}

/** The model running in this process on onnxruntime. */
export class EmbeddedBackend implements ModelBackend {
  readonly engine: Engine;
  readonly remote = false;
  private readonly pixels = new Map<string, Float32Array>();

  constructor(readonly model: LoadedModel) {
    this.engine = new Engine(model);
  }

  get manifest(): Manifest {
    return this.model.manifest;
  }

  get provider(): string {
    return this.engine.provider;
  }

  get vision(): boolean {
    return Boolean(this.model.vision && this.model.manifest.image);
  }

  /** A picture preprocessed for the vision encoder (kept for the next request with the same picture). */
  async imageInput(image: ImageData): Promise<ImageInput> {
    let px = this.pixels.get(image.key);
    if (!px) {
      px = await preprocessImage(image.bytes, this.model.manifest.image!, `image ${image.key.slice(0, 12)}`);
      if (this.pixels.size >= 64) this.pixels.delete(this.pixels.keys().next().value!);
      this.pixels.set(image.key, px);
    }
    return { key: image.key, pixels: px };
  }

  /** The engine's request for a prompt text: its ids, its picture preprocessed, n random streams from the seed. */
  async rolloutRequest(prompt: string, image: ImageData | undefined, n: number, seed: number, offset = 0): Promise<RolloutRequest> {
    if (image && !this.vision) throw new UserError(`model ${this.manifest.name} does not read pictures, but the prompt has one`);
    return { prefix: this.engine.encodePrompt(prompt), image: image ? await this.imageInput(image) : undefined, rngs: completionRngs(seed, n, offset) };
  }

  async rolloutRequests(reqs: readonly CompletionRequest[]): Promise<RolloutRequest[]> {
    const out: RolloutRequest[] = [];
    for (const r of reqs) out.push(await this.rolloutRequest(requestPrompt(this.manifest, r), r.image, r.n, r.seed, r.offset ?? 0));
    return out;
  }

  async complete(reqs: readonly CompletionRequest[], opts: CompletionOptions): Promise<Completion[][]> {
    const out = await this.engine.generate(await this.rolloutRequests(reqs), opts);
    return out.map((rolls) => rolls.map((r) => ({ text: r.text, tokens: r.tokens.length, finish: r.finish })));
  }

  release(): Promise<void> {
    return this.model.release();
  }
}

/**
 * The backend of a registered model: its ONNX folder loaded in process, or its endpoint. The remote
 * module is loaded only for endpoints.
 */
export async function openBackend(rec: ModelRecord): Promise<ModelBackend> {
  if (rec.endpoint) {
    const { RemoteBackend } = await import('./remote');
    return RemoteBackend.open(rec);
  }
  return new EmbeddedBackend(await loadModel(rec.path));
}
