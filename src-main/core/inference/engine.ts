// The decoding loop. Many rollouts are decoded in one batch; each continues from a prefix (prompt plus
// the steps so far) whose KV cache is computed once and copied to every rollout that shares it, and
// extended incrementally from the longest cached prefix (a tree node's prefix is its parent's plus one
// step). Finished rows leave the batch at once; every row stops at its step end, end of sequence or
// token limit; every row samples from its own random stream, so results do not depend on the batch.
import { UserError } from '../errors';
import { emptyCache, gatherRows, rowPositions, withPresent, type KvCache } from './kvcache';
import type { LoadedModel } from './model';
import { logSumExp, sampleToken, topTokens } from './sampling';
import { ort } from './session';
import { leftPad, PrefixCache, type PrefixState } from './prefixCache';
import type { EngineStats, FinishReason, GenerateOptions, ImageInput, Rollout, RolloutRequest } from './rollout';

export type { EngineStats, FinishReason, GenerateOptions, ImageInput, Rollout, RolloutRequest } from './rollout';
export { topTokens } from './sampling';

export class Engine {
  readonly stats: EngineStats = { forwardCalls: 0, prefillTokens: 0, decodeTokens: 0, prefixCacheHits: 0 };
  private readonly prefixes: PrefixCache;
  private readonly tokenTexts: string[];
  private readonly stopTokenCache = new Map<string, Set<number>>();

  constructor(
    readonly model: LoadedModel,
    opts: { prefixCacheSize?: number } = {},
  ) {
    this.prefixes = new PrefixCache(opts.prefixCacheSize ?? 256);
    this.tokenTexts = Array.from({ length: model.tokenizer.size }, (_, i) => model.tokenizer.decode([i]));
  }

  get provider(): string {
    return this.model.provider;
  }

  clearPrefixCache(): void {
    this.prefixes.clear();
  }

  /** Prompt text to token ids, with the image token expanded to the encoder's embedding count. */
  encodePrompt(text: string): number[] {
    const ids = this.model.tokenizer.encode(text);
    const img = this.model.tokens.image;
    const n = this.model.manifest.image?.tokens ?? 1;
    if (img === undefined || n === 1) return ids;
    return ids.flatMap((id) => (id === img ? Array<number>(n).fill(img) : [id]));
  }

  decode(ids: readonly number[]): string {
    return ids.length === 0 ? '' : this.model.tokenizer.decode(ids);
  }

  async generate(requests: RolloutRequest[], opts: GenerateOptions): Promise<Rollout[][]> {
    const ctx = this.model.manifest.contextLength;
    for (const r of requests) {
      if (r.prefix.length === 0) throw new UserError('empty prompt');
      if (r.prefix.length >= ctx) throw new UserError(`prompt is ${r.prefix.length} tokens, longer than the model's context of ${ctx} tokens`);
      if (r.image && !this.model.vision) throw new UserError(`model ${this.model.manifest.name} has no vision encoder, but the prompt has an image`);
    }
    const reuse = opts.reusePrefix ?? true;
    const rows: { req: number; k: number }[] = [];
    requests.forEach((r, req) => r.rngs.forEach((_, k) => rows.push({ req, k })));
    const out: Rollout[][] = requests.map((r) => new Array<Rollout>(r.rngs.length));
    const maxBatch = opts.maxBatch ?? 64;
    for (let start = 0; start < rows.length; start += maxBatch) {
      const chunk = rows.slice(start, start + maxBatch);
      const results = reuse ? await this.decodeShared(requests, chunk, opts) : await this.decodeRecomputed(requests, chunk, opts);
      chunk.forEach((row, i) => (out[row.req][row.k] = results[i]));
    }
    return out;
  }

  /** Prefix computed (or found) once per request, its cache copied to each of the request's rows. */
  private async decodeShared(requests: RolloutRequest[], rows: { req: number; k: number }[], opts: GenerateOptions): Promise<Rollout[]> {
    const states = new Map<number, PrefixState>();
    const reqs = [...new Set(rows.map((r) => r.req))];
    // text prompts with nothing cached to extend are prefilled together in one left-padded batch
    const fresh = reqs.filter((req) => !requests[req].image && !this.prefixes.longest(null, requests[req].prefix));
    const uniqueFresh = [...new Map(fresh.map((req) => [PrefixCache.key(null, requests[req].prefix), req])).values()];
    const batched = uniqueFresh.length > 1 ? await this.prefillBatch(uniqueFresh.map((req) => requests[req].prefix)) : new Map<string, PrefixState>();
    for (const req of reqs) {
      const key = PrefixCache.key(null, requests[req].prefix);
      states.set(req, (!requests[req].image && batched.get(key)) || (await this.prefixState(requests[req].prefix, requests[req].image)));
    }
    const cache = gatherRows(rows.map(({ req }) => ({ cache: states.get(req)!.cache, row: 0 })));
    const logits = rows.map(({ req }) => states.get(req)!.logits);
    return this.decodeLoop(cache, logits, rows.map(({ req, k }) => requests[req].rngs[k]), rows.map(({ req }) => requests[req].prefix.length), opts);
  }

  /** Baseline: every row runs its own prefix in one left-padded batched prefill. */
  private async decodeRecomputed(requests: RolloutRequest[], rows: { req: number; k: number }[], opts: GenerateOptions): Promise<Rollout[]> {
    if (rows.some(({ req }) => requests[req].image)) throw new UserError('reusePrefix: false is not supported for prompts with images');
    const { cache, logits } = await this.prefillRows(rows.map(({ req }) => requests[req].prefix));
    return this.decodeLoop(cache, logits, rows.map(({ req, k }) => requests[req].rngs[k]), rows.map(({ req }) => requests[req].prefix.length), opts);
  }

  /** The prefix's KV cache and last logits, extended from the longest cached prefix. */
  private async prefixState(ids: readonly number[], image?: ImageInput): Promise<PrefixState> {
    const imageKey = image?.key ?? null;
    const hit = this.prefixes.get(imageKey, ids);
    if (hit) {
      this.stats.prefixCacheHits++;
      return hit;
    }
    const base = this.prefixes.longest(imageKey, ids);
    // an exact match was a hit above, so a base here is strictly shorter
    let state: PrefixState;
    if (base) {
      this.stats.prefixCacheHits++;
      const rest = ids.slice(base.ids.length);
      const { cache, lastLogits } = await this.forward({ ids: BigInt64Array.from(rest, BigInt) }, rest.length, base.cache, new Uint8Array(rest.length).fill(1));
      state = { ids: [...ids], imageKey, cache, logits: lastLogits };
    } else if (image) {
      const embeds = await this.embedWithImage(ids, image);
      const { cache, lastLogits } = await this.forward({ embeds }, ids.length, emptyCache(this.model.kv, 1), new Uint8Array(ids.length).fill(1));
      state = { ids: [...ids], imageKey, cache, logits: lastLogits };
    } else {
      const { cache, logits } = await this.prefillRows([ids]);
      state = { ids: [...ids], imageKey, cache, logits: logits[0] };
    }
    this.prefixes.set(state);
    return state;
  }

  /** One left-padded batched prefill of text prefixes: the batch's cache and each row's last logits. */
  private async prefillRows(prefixes: readonly (readonly number[])[]): Promise<{ cache: KvCache; logits: Float32Array[] }> {
    const { ids, mask, len } = leftPad(prefixes, this.model.tokens.pad);
    const { cache, lastLogits } = await this.forward({ ids }, len, emptyCache(this.model.kv, prefixes.length), mask);
    const V = this.model.config.vocabSize;
    return { cache, logits: prefixes.map((_, r) => lastLogits.slice(r * V, (r + 1) * V)) };
  }

  /** Prefills several text prefixes in one batched call and caches each row as its own prefix state. */
  private async prefillBatch(prefixes: (readonly number[])[]): Promise<Map<string, PrefixState>> {
    const { cache, logits } = await this.prefillRows(prefixes);
    const out = new Map<string, PrefixState>();
    prefixes.forEach((p, r) => {
      const state: PrefixState = { ids: [...p], imageKey: null, cache: gatherRows([{ cache, row: r }]), logits: logits[r] };
      this.prefixes.set(state);
      out.set(PrefixCache.key(null, p), state);
    });
    return out;
  }

  /**
   * Logits of the given tokens at the given positions of whole sequences, in one batched forward pass
   * with no generation (how a reward model reads its Yes/No logits at each step tag). Rows are
   * left-padded; a row with an image goes through the embeddings path, and then so does the batch.
   * Returns per row `positions.length * tokenIds.length` logits, position-major.
   */
  async logitsAt(rows: readonly { ids: readonly number[]; image?: ImageInput; positions: readonly number[] }[], tokenIds: readonly number[]): Promise<Float32Array[]> {
    if (rows.length === 0) return [];
    const m = this.model;
    const ctx = m.manifest.contextLength;
    for (const r of rows) {
      if (r.ids.length === 0) throw new UserError('empty input');
      if (r.ids.length > ctx) throw new UserError(`input is ${r.ids.length} tokens, longer than the model's context of ${ctx} tokens`);
      if (r.image && !m.vision) throw new UserError(`model ${m.manifest.name} has no vision encoder, but the input has an image`);
      for (const p of r.positions) if (!Number.isInteger(p) || p < 0 || p >= r.ids.length) throw new Error(`position ${p} outside a ${r.ids.length}-token row`);
    }
    const B = rows.length;
    const T = Math.max(...rows.map((r) => r.ids.length));
    const mask = new Uint8Array(B * T);
    rows.forEach((r, i) => mask.fill(1, i * T + T - r.ids.length, (i + 1) * T));
    let input: { ids?: BigInt64Array; embeds?: Float32Array };
    if (rows.some((r) => r.image)) {
      if (!m.embedTokens || !m.decoderEmbeds) throw new UserError(`model ${m.manifest.name} cannot take images: no embed_tokens / decoder_model_merged graph`);
      const H = m.config.hiddenSize;
      const embeds = new Float32Array(B * T * H);
      for (let i = 0; i < B; i++) {
        const r = rows[i];
        const e = r.image ? await this.embedWithImage(r.ids, r.image) : await this.embedIds(r.ids);
        embeds.set(e, (i * T + T - r.ids.length) * H);
      }
      input = { embeds };
    } else {
      input = { ids: leftPad(rows.map((r) => r.ids), m.tokens.pad).ids };
    }
    const { logits } = await this.forward(input, T, emptyCache(m.kv, B), mask, true);
    const V = m.config.vocabSize;
    const K = tokenIds.length;
    return rows.map((r, i) => {
      const out = new Float32Array(r.positions.length * K);
      const shift = T - r.ids.length;
      r.positions.forEach((p, j) => tokenIds.forEach((tok, k) => (out[j * K + k] = logits![(i * T + shift + p) * V + tok])));
      return out;
    });
  }

  /**
   * Like logitsAt for rows that all continue one shared prefix (a question read once for its N candidate
   * solutions): the prefix's KV cache is computed once (and kept in the prefix cache), copied to every
   * row, and only each row's continuation is run, right-padded. `positions` count from the continuation's
   * first token.
   */
  async logitsAfterPrefix(
    prefix: readonly number[],
    image: ImageInput | undefined,
    rows: readonly { ids: readonly number[]; positions: readonly number[] }[],
    tokenIds: readonly number[],
  ): Promise<Float32Array[]> {
    if (rows.length === 0) return [];
    const m = this.model;
    if (prefix.length === 0) throw new UserError('empty prefix');
    if (image && !m.vision) throw new UserError(`model ${m.manifest.name} has no vision encoder, but the input has an image`);
    for (const r of rows) {
      if (r.ids.length === 0) throw new Error('empty continuation');
      if (prefix.length + r.ids.length > m.manifest.contextLength) throw new UserError(`input is ${prefix.length + r.ids.length} tokens, longer than the model's context of ${m.manifest.contextLength} tokens`);
      for (const p of r.positions) if (!Number.isInteger(p) || p < 0 || p >= r.ids.length) throw new Error(`position ${p} outside a ${r.ids.length}-token continuation`);
    }
    const state = await this.prefixState(prefix, image);
    const B = rows.length;
    const T = Math.max(...rows.map((r) => r.ids.length));
    const ids = new BigInt64Array(B * T).fill(BigInt(m.tokens.pad));
    const mask = new Uint8Array(B * T);
    rows.forEach((r, i) => {
      r.ids.forEach((id, t) => (ids[i * T + t] = BigInt(id)));
      mask.fill(1, i * T, i * T + r.ids.length);
    });
    const cache = gatherRows(rows.map(() => ({ cache: state.cache, row: 0 })));
    const { logits } = await this.forward({ ids }, T, cache, mask, true);
    const V = m.config.vocabSize;
    const K = tokenIds.length;
    return rows.map((r, i) => {
      const out = new Float32Array(r.positions.length * K);
      r.positions.forEach((p, j) => tokenIds.forEach((tok, k) => (out[j * K + k] = logits![(i * T + p) * V + tok])));
      return out;
    });
  }

  private async embedIds(ids: readonly number[]): Promise<Float32Array> {
    const m = this.model;
    const out = await m.embedTokens!.session.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]) });
    return out[m.embedTokens!.outputNames[0]].data as Float32Array;
  }

  /** Token embeddings with the image token positions replaced by the vision encoder's features. */
  private async embedWithImage(ids: readonly number[], image: ImageInput): Promise<Float32Array> {
    const m = this.model;
    const img = m.manifest.image!;
    const embeds = new Float32Array(await this.embedIds(ids));
    const pixels = new ort.Tensor('float32', image.pixels, [1, img.channels, img.size, img.size]);
    const visOut = await m.vision!.session.run({ pixel_values: pixels });
    const feats = visOut[m.vision!.outputNames[0]].data as Float32Array;
    const H = m.config.hiddenSize;
    const positions = ids.flatMap((id, i) => (id === m.tokens.image ? [i] : []));
    if (positions.length !== img.tokens) throw new UserError(`prompt has ${positions.length} image tokens, the vision encoder produces ${img.tokens}`);
    positions.forEach((pos, j) => embeds.set(feats.subarray(j * H, (j + 1) * H), pos * H));
    return embeds;
  }

  /**
   * One decoder call for T new positions per row. `newMask` [B*T] marks real positions (0 = left pad).
   * Returns the cache extended by T columns and the logits of each row's last position (and, with
   * keepAll, the logits of every position, [B, T, V]).
   */
  private async forward(
    input: { ids?: BigInt64Array; embeds?: Float32Array },
    T: number,
    past: KvCache,
    newMask: Uint8Array,
    keepAll = false,
  ): Promise<{ cache: KvCache; lastLogits: Float32Array; logits?: Float32Array }> {
    const m = this.model;
    const B = past.batch;
    const S = past.length + T;
    const { layers, heads, headDim } = m.kv;
    const attn = new BigInt64Array(B * S);
    const pos = new BigInt64Array(B * T);
    for (let r = 0; r < B; r++) {
      let p = rowPositions(past, r);
      for (let t = 0; t < past.length; t++) attn[r * S + t] = BigInt(past.mask[r * past.length + t]);
      for (let t = 0; t < T; t++) {
        const real = newMask[r * T + t];
        attn[r * S + past.length + t] = BigInt(real);
        pos[r * T + t] = BigInt(real ? p : 0);
        if (real) p++;
      }
    }
    const feeds: Record<string, ort.Tensor> = {
      attention_mask: new ort.Tensor('int64', attn, [B, S]),
      position_ids: new ort.Tensor('int64', pos, [B, T]),
    };
    for (let i = 0; i < layers; i++) {
      feeds[`past_key_values.${i}.key`] = new ort.Tensor('float32', past.data[2 * i], [B, heads, past.length, headDim]);
      feeds[`past_key_values.${i}.value`] = new ort.Tensor('float32', past.data[2 * i + 1], [B, heads, past.length, headDim]);
    }
    let session = m.decoder.session;
    if (input.embeds) {
      session = m.decoderEmbeds!.session;
      feeds.inputs_embeds = new ort.Tensor('float32', input.embeds, [B, T, m.config.hiddenSize]);
    } else {
      feeds.input_ids = new ort.Tensor('int64', input.ids!, [B, T]);
    }
    const out = await session.run(feeds);
    this.stats.forwardCalls++;
    if (T > 1) this.stats.prefillTokens += B * T;
    else this.stats.decodeTokens += B;
    const V = m.config.vocabSize;
    const logits = out.logits.data as Float32Array;
    const lastLogits = new Float32Array(B * V);
    for (let r = 0; r < B; r++) lastLogits.set(logits.subarray((r * T + T - 1) * V, (r * T + T) * V), r * V);
    const present: Float32Array[] = [];
    for (let i = 0; i < layers; i++) present.push(out[`present.${i}.key`].data as Float32Array, out[`present.${i}.value`].data as Float32Array);
    return { cache: withPresent(past, present, T, newMask), lastLogits, logits: keepAll ? logits : undefined };
  }

  private async decodeLoop(cache: KvCache, firstLogits: Float32Array[], rngs: (() => number)[], prefixLens: number[], opts: GenerateOptions): Promise<Rollout[]> {
    const m = this.model;
    const V = m.config.vocabSize;
    const ctx = m.manifest.contextLength;
    const n = rngs.length;
    const tokens: number[][] = Array.from({ length: n }, () => []);
    const logprobs: number[][] = Array.from({ length: n }, () => []);
    const tops: { token: number; logprob: number }[][][] | null = opts.topLogprobs ? Array.from({ length: n }, () => []) : null;
    // one step ends at the step delimiter: the first stop string
    const stops = [...(opts.stopAtStep ? [m.manifest.stepDelimiter] : []), ...(opts.stopStrings ?? [])].filter((x) => x.length > 0);
    const stopTokens = this.stopTokens(stops);
    const finish: (FinishReason | null)[] = new Array(n).fill(null);
    // never sample padding or the image placeholder
    const banned = new Set<number>([m.tokens.pad, ...(m.tokens.image !== undefined ? [m.tokens.image] : [])]);
    banned.delete(m.tokens.eos);
    let active = Array.from({ length: n }, (_, i) => i); // active[j] = result index of batch row j
    let logits: Float32Array = new Float32Array(n * V);
    firstLogits.forEach((l, i) => logits.set(l, i * V));
    while (active.length > 0) {
      if (opts.signal?.aborted) throw new Error('generation aborted');
      const next: number[] = [];
      const stillActive: number[] = [];
      const keepRows: number[] = [];
      active.forEach((idx, j) => {
        const s = sampleToken(logits, j * V, V, opts, rngs[idx](), banned);
        if (tops) {
          const row = topTokens(logits, j * V, V, opts.topLogprobs!);
          const extra = (opts.logprobTokens ?? []).filter((t) => !row.some((r) => r.token === t));
          if (extra.length) {
            const lse = logSumExp(logits, j * V, V);
            for (const t of extra) row.push({ token: t, logprob: logits[j * V + t] - lse });
          }
          tops[idx].push(row);
        }
        if (s.token === m.tokens.eos) {
          finish[idx] = 'eos';
          return;
        }
        tokens[idx].push(s.token);
        logprobs[idx].push(s.logprob);
        if (stopTokens.has(s.token) && this.endsAStop(tokens[idx], stops)) finish[idx] = 'step';
        else if (tokens[idx].length >= opts.maxNewTokens || prefixLens[idx] + tokens[idx].length >= ctx) finish[idx] = 'length';
        if (finish[idx] === null) {
          stillActive.push(idx);
          keepRows.push(j);
          next.push(s.token);
        }
      });
      if (stillActive.length === 0) break;
      // finished rows leave the batch, so the rest never pay for them
      if (keepRows.length !== active.length) cache = gatherRows(keepRows.map((row) => ({ cache, row })));
      active = stillActive;
      const { cache: c2, lastLogits } = await this.forward({ ids: BigInt64Array.from(next, BigInt) }, 1, cache, new Uint8Array(active.length).fill(1));
      cache = c2;
      logits = lastLogits;
    }
    return tokens.map((t, i) => ({ tokens: t, text: this.decode(t), logprobs: logprobs[i], ...(tops ? { topLogprobs: tops[i] } : {}), finish: finish[i] ?? 'length' }));
  }

  /** Whether the generated text holds one of the stop strings (decoded once). */
  private endsAStop(tokens: readonly number[], stops: readonly string[]): boolean {
    const text = this.decode(tokens);
    return stops.some((x) => text.includes(x));
  }

  /** Tokens whose text holds the last character of one of the stop strings: only then is the row's text checked. */
  private stopTokens(stops: readonly string[]): Set<number> {
    const key = stops.join('\u0000');
    let set = this.stopTokenCache.get(key);
    if (!set) {
      const lasts = new Set(stops.map((x) => x[x.length - 1]));
      set = new Set(this.tokenTexts.flatMap((t, i) => ([...lasts].some((c) => t.includes(c)) ? [i] : [])));
      this.stopTokenCache.set(key, set);
    }
    return set;
  }
}
