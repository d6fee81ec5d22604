// Batched PRM scoring through onnxruntime: many (question, steps, image) items, sorted by length and run
// in left-padded batches, one forward pass each; each step's score is read at its tag.
import type { Problem } from '../../../src-shared/domain';
import type { Manifest } from '../../../src-shared/manifest';
import { Engine, type ImageInput } from '../inference/engine';
import { problemImageData } from '../inference/backend';
import { preprocessImage } from '../inference/image';
import type { LoadedModel } from '../inference/model';
import { UserError } from '../errors';
import type { Store } from '../store';
import { prmSpec, renderPrmInput, stepScore, type PrmSpec } from './layout';

/** A problem's picture as a scorer reads it: preprocessed pixels in process, the file's bytes for an endpoint. */
export interface ScoreImage {
  key: string;
  pixels?: Float32Array;
  mime?: string;
  bytes?: Buffer;
}

export interface ScoreItem {
  question: string;
  steps: readonly string[];
  image?: ScoreImage;
}

/** What scoring jobs need from a PRM, in process (PrmScorer) or over an endpoint (RemotePrmScorer). */
export interface StepScorer {
  readonly manifest: Manifest;
  readonly stats: ScorerStats;
  /** the problem's picture in the form this scorer reads (undefined: none, or the PRM reads none) */
  imageFor(store: Store, p: Problem): Promise<ScoreImage | undefined>;
  score(items: readonly ScoreItem[], signal?: AbortSignal): Promise<number[][]>;
}

const pixelsOf = (image: ScoreImage | undefined): ImageInput | undefined => {
  if (!image) return undefined;
  if (!image.pixels) throw new Error(`image ${image.key} was not preprocessed for the vision encoder`);
  return { key: image.key, pixels: image.pixels };
};

export interface ScorerStats {
  items: number;
  steps: number;
  tokens: number;
  forwardCalls: number;
  /** steps left unscored because the input exceeded the context */
  truncatedSteps: number;
}

export class PrmScorer implements StepScorer {
  readonly spec: PrmSpec;
  readonly engine: Engine;
  readonly stats: ScorerStats = { items: 0, steps: 0, tokens: 0, forwardCalls: 0, truncatedSteps: 0 };
  private readonly tagId: number;
  private readonly yesId: number;
  private readonly noId: number;

  constructor(
    readonly model: LoadedModel,
    readonly opts: { maxBatch?: number; maxBatchTokens?: number; /** read a question once for all its solutions (default true) */ sharePrefix?: boolean } = {},
  ) {
    this.spec = prmSpec(model.manifest);
    const { prm, yes, no } = model.tokens;
    if (prm === undefined || yes === undefined || no === undefined) throw new UserError(`model "${model.manifest.name}": the tokenizer lacks the tag or Yes/No tokens`);
    this.tagId = prm;
    this.yesId = yes;
    this.noId = no;
    this.engine = new Engine(model, { prefixCacheSize: 64 });
  }

  get manifest(): Manifest {
    return this.model.manifest;
  }

  /** The problem's picture preprocessed for this PRM's vision encoder (none when its manifest has no image section). */
  async imageFor(store: Store, p: Problem): Promise<ScoreImage | undefined> {
    const settings = this.model.manifest.image;
    const data = problemImageData(store, p, { vision: Boolean(settings) });
    if (!data || !settings) return undefined;
    return { key: data.key, pixels: await preprocessImage(data.bytes, settings, `image ${data.key.slice(0, 12)}`) };
  }

  /** Token ids of an item and the positions of its step tags (inputs longer than the context are cut, dropping the steps that no longer fit). */
  encode(item: ScoreItem): { ids: number[]; positions: number[] } {
    if (item.image && !this.model.vision) throw new UserError(`PRM "${this.model.manifest.name}" has no vision encoder, but the problem has an image`);
    const text = renderPrmInput(this.spec, item.question, item.steps, Boolean(item.image && this.model.vision));
    let ids = this.engine.encodePrompt(text);
    const ctx = this.model.manifest.contextLength;
    if (ids.length > ctx) ids = ids.slice(0, ctx);
    const positions: number[] = [];
    ids.forEach((id, i) => id === this.tagId && positions.push(i));
    if (positions.length > item.steps.length) throw new UserError(`the question holds the step tag "${this.spec.tag}"; it cannot be scored`);
    this.stats.truncatedSteps += item.steps.length - positions.length;
    return { ids, positions };
  }

  /** Token ids of the part every solution of a question shares: image, question, process marker. */
  private prefixIds(item: ScoreItem): number[] {
    const full = renderPrmInput(this.spec, item.question, [], Boolean(item.image && this.model.vision));
    // the rendered steps part of an empty list is "", so this is exactly the shared text
    return this.engine.encodePrompt(full);
  }

  /**
   * One score array per item, aligned with its steps (shorter where the context cut steps off). Items
   * of the same question (and image) share one prefix computation; the rest run in batches.
   */
  async score(items: readonly ScoreItem[], signal?: AbortSignal): Promise<number[][]> {
    const out: number[][] = new Array(items.length);
    const enc = items.map((it) => this.encode(it));
    const groups = new Map<string, { prefix: number[]; image: ImageInput | undefined; members: number[] }>();
    const prefixes = new Map<string, number[]>(); // one tokenization per question (and image)
    const loose: number[] = [];
    items.forEach((it, i) => {
      if (enc[i].positions.length === 0) {
        out[i] = [];
        return;
      }
      const qkey = `${it.image?.key ?? ''}\u0000${it.question}`;
      let prefix = prefixes.get(qkey);
      if (!prefix) prefixes.set(qkey, (prefix = this.prefixIds(it)));
      // a tokenizer may merge across the boundary; then the item runs whole
      const shared = prefix.length < enc[i].ids.length && prefix.length <= enc[i].positions[0] && prefix.every((id, k) => enc[i].ids[k] === id);
      if (!shared || this.opts.sharePrefix === false) return void loose.push(i);
      const key = `${it.image?.key ?? ''}\u0000${prefix.join(',')}`;
      const g = groups.get(key) ?? { prefix, image: pixelsOf(it.image), members: [] };
      g.members.push(i);
      groups.set(key, g);
    });
    const maxBatch = this.opts.maxBatch ?? 32;
    const maxTokens = this.opts.maxBatchTokens ?? 8192;
    const finish = (i: number, l: Float32Array): void => {
      out[i] = enc[i].positions.map((_, j) => stepScore(l[2 * j], l[2 * j + 1]));
      this.stats.tokens += enc[i].ids.length;
      this.stats.steps += out[i].length;
      this.stats.items++;
    };
    for (const g of groups.values()) {
      const P = g.prefix.length;
      const order = [...g.members].sort((a, b) => enc[a].ids.length - enc[b].ids.length);
      for (const batch of chunk(order, (i) => enc[i].ids.length - P, maxBatch, maxTokens)) {
        if (signal?.aborted) throw new Error('scoring aborted');
        const logits = await this.engine.logitsAfterPrefix(
          g.prefix,
          g.image,
          batch.map((i) => ({ ids: enc[i].ids.slice(P), positions: enc[i].positions.map((p) => p - P) })),
          [this.yesId, this.noId],
        );
        this.stats.forwardCalls++;
        batch.forEach((i, b) => finish(i, logits[b]));
      }
    }
    const order = loose.sort((a, b) => Number(Boolean(items[a].image)) - Number(Boolean(items[b].image)) || enc[a].ids.length - enc[b].ids.length);
    for (const batch of chunk(order, (i) => enc[i].ids.length, maxBatch, maxTokens, (i) => Boolean(items[i].image))) {
      if (signal?.aborted) throw new Error('scoring aborted');
      const logits = await this.engine.logitsAt(
        batch.map((i) => ({ ids: enc[i].ids, image: pixelsOf(items[i].image), positions: enc[i].positions })),
        [this.yesId, this.noId],
      );
      this.stats.forwardCalls++;
      batch.forEach((i, b) => finish(i, logits[b]));
    }
    return out;
  }
}

/** Splits length-sorted indices into batches of at most maxBatch rows and maxTokens padded tokens (and one kind per batch). */
function chunk(sorted: readonly number[], len: (i: number) => number, maxBatch: number, maxTokens: number, kind: (i: number) => unknown = () => 0): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  for (const i of sorted) {
    // rows are sorted by length, so the row being added sets the padded width
    if (cur.length && (cur.length >= maxBatch || (cur.length + 1) * len(i) > maxTokens || kind(cur[0]) !== kind(i))) {
      out.push(cur);
      cur = [];
    }
    cur.push(i);
  }
  if (cur.length) out.push(cur);
  return out;
}
