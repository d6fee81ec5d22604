// Batched PRM scoring through onnxruntime: many (question, steps, image) items, sorted by length and run
// in left-padded batches, one forward pass each; each step's score is read at its tag.
import { Engine, type ImageInput } from '../inference/engine';
import type { LoadedModel } from '../inference/model';
import { UserError } from '../errors';
import { prmSpec, renderPrmInput, stepScore, type PrmSpec } from './layout';

export interface ScoreItem {
  question: string;
  steps: readonly string[];
  image?: ImageInput;
}

export interface ScorerStats {
  items: number;
  steps: number;
  tokens: number;
  forwardCalls: number;
  /** steps left unscored because the input exceeded the context */
  truncatedSteps: number;
}

export class PrmScorer {
  readonly spec: PrmSpec;
  readonly engine: Engine;
  readonly stats: ScorerStats = { items: 0, steps: 0, tokens: 0, forwardCalls: 0, truncatedSteps: 0 };
  private readonly tagId: number;
  private readonly yesId: number;
  private readonly noId: number;

  constructor(
    readonly model: LoadedModel,
    readonly opts: { maxBatch?: number; maxBatchTokens?: number } = {},
  ) {
    this.spec = prmSpec(model.manifest);
    const { prm, yes, no } = model.tokens;
    if (prm === undefined || yes === undefined || no === undefined) throw new UserError(`model "${model.manifest.name}": the tokenizer lacks the tag or Yes/No tokens`);
    this.tagId = prm;
    this.yesId = yes;
    this.noId = no;
    this.engine = new Engine(model, { prefixCacheSize: 1 });
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

  /** One score array per item, aligned with its steps (shorter where the context cut steps off). */
  async score(items: readonly ScoreItem[], signal?: AbortSignal): Promise<number[][]> {
    const enc = items.map((it) => this.encode(it));
    const order = items.map((_, i) => i).sort((a, b) => Number(Boolean(items[a].image)) - Number(Boolean(items[b].image)) || enc[a].ids.length - enc[b].ids.length);
    const out: number[][] = new Array(items.length);
    const maxBatch = this.opts.maxBatch ?? 32;
    const maxTokens = this.opts.maxBatchTokens ?? 8192;
    let start = 0;
    while (start < order.length) {
      if (signal?.aborted) throw new Error('scoring aborted');
      let end = start + 1;
      const image = Boolean(items[order[start]].image);
      // rows are sorted by length, so the last row added sets the padded width
      while (end < order.length && end - start < maxBatch && Boolean(items[order[end]].image) === image && (end - start + 1) * enc[order[end]].ids.length <= maxTokens) end++;
      const batch = order.slice(start, end).filter((i) => enc[i].positions.length > 0);
      for (const i of order.slice(start, end)) if (enc[i].positions.length === 0) out[i] = [];
      if (batch.length) {
        const logits = await this.engine.logitsAt(
          batch.map((i) => ({ ids: enc[i].ids, image: items[i].image, positions: enc[i].positions })),
          [this.yesId, this.noId],
        );
        this.stats.forwardCalls++;
        batch.forEach((i, b) => {
          const l = logits[b];
          out[i] = enc[i].positions.map((_, j) => stepScore(l[2 * j], l[2 * j + 1]));
          this.stats.tokens += enc[i].ids.length;
          this.stats.steps += out[i].length;
        });
      }
      this.stats.items += end - start;
      start = end;
    }
    return out;
  }
}
