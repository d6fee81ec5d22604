// A PRM served over an OpenAI-compatible endpoint, scored like the local one (or, with prmApi `pooling`,
// through vLLM's /pooling API for a reward model served with a STEP pooler: one request per solution, one
// row per step tag, P(good) in the configured column): for each step, the PRM input
// up to and including that step's tag is sent to /v1/completions with max_tokens 1 and logprobs 20, and
// the step's score is softmax over the log-probabilities of the Yes and No tokens as the next token, which
// equals softmax over their logits at the tag (the local PrmScorer's score). The steps of all items are
// asked concurrently (the endpoint's limit applies), so a server with prefix caching reads each prefix once.
// A picture goes as a `data:` URL in `images` (a `steplab serve-model` extension; other servers ignore it,
// so serve a vision PRM with steplab serve-model). `logprob_tokens` (also serve-model's) returns Yes and No
// wherever they rank; from other servers they must be among the top 20, or the step is refused in one line.
import { z } from 'zod';
import { EndpointConfig, type ModelRecord, type Problem } from '../../../src-shared/domain';
import { Manifest } from '../../../src-shared/manifest';
import { UserError } from '../errors';
import { problemImageData } from '../inference/backend';
import { CompletionResponse, dataUrl, EndpointClient, EndpointError, endpointProvider, serverRoot } from '../inference/remote';
import type { Store } from '../store';
import { prmSpec, renderPrmInput, stepScore, type PrmSpec } from './layout';
import type { ScoreImage, ScoreItem, ScorerStats, StepScorer } from './scorer';
import { modelLabel } from '../../../src-shared/modelLabel';

/** vLLM's /pooling answer: one item per input, its data one row per step tag for a STEP pooler. */
const PoolingResponse = z.object({
  data: z.array(z.object({ index: z.number().int().optional(), data: z.array(z.union([z.array(z.number()), z.number()])) })).min(1),
  usage: z.object({ prompt_tokens: z.number().optional() }).nullable().optional(),
});

/** How many alternatives the server is asked for at each tag; Yes and No must be among them. */
export const PRM_TOP_LOGPROBS = 20;

export class RemotePrmScorer implements StepScorer {
  readonly stats: ScorerStats = { items: 0, steps: 0, tokens: 0, forwardCalls: 0, truncatedSteps: 0 };
  readonly spec: PrmSpec;
  readonly client: EndpointClient;
  /** steps whose Yes or No was not among the top alternatives (scored with that one's bound) */
  bounded = 0;

  /** the same servers at their root, where vLLM serves /pooling */
  private readonly poolingClient: EndpointClient;

  private constructor(
    readonly manifest: Manifest,
    readonly config: EndpointConfig,
    label: string,
    apiKey: string | null,
  ) {
    this.spec = prmSpec(manifest);
    this.client = new EndpointClient(config, label, apiKey);
    this.poolingClient = new EndpointClient({ ...config, urls: config.urls.map(serverRoot) }, label, apiKey);
  }

  static open(rec: Pick<ModelRecord, 'name' | 'version' | 'manifest' | 'endpoint'>): RemotePrmScorer {
    const config = EndpointConfig.parse(rec.endpoint);
    const label = `endpoint PRM "${modelLabel(rec)}" (${config.servedModel})`;
    return new RemotePrmScorer(Manifest.parse(rec.manifest), config, label, EndpointClient.apiKeyFor(config, label));
  }

  get provider(): string {
    return endpointProvider(this.config);
  }

  async imageFor(store: Store, p: Problem): Promise<ScoreImage | undefined> {
    return problemImageData(store, p, this.config);
  }

  /** The texts to send for an item: its PRM input cut after each step's tag. */
  prompts(item: ScoreItem): string[] {
    const text = renderPrmInput(this.spec, item.question, item.steps, Boolean(item.image));
    const head = renderPrmInput(this.spec, item.question, [], Boolean(item.image));
    if (head.includes(this.spec.tag)) throw new UserError(`the question holds the step tag "${this.spec.tag}"; it cannot be scored`);
    const out: string[] = [];
    for (let at = text.indexOf(this.spec.tag, head.length); at >= 0; at = text.indexOf(this.spec.tag, at + this.spec.tag.length)) out.push(text.slice(0, at + this.spec.tag.length));
    return out;
  }

  private async stepScore(prompt: string, image: ScoreImage | undefined, signal?: AbortSignal): Promise<number> {
    const body = {
      model: this.config.servedModel,
      prompt,
      max_tokens: 1,
      temperature: 0,
      n: 1,
      logprobs: PRM_TOP_LOGPROBS,
      // Steplab's extension (serve-model): Yes and No are returned wherever they rank; other servers ignore it
      logprob_tokens: [this.spec.yes, this.spec.no],
      ...(image?.bytes ? { images: [dataUrl({ key: image.key, mime: image.mime ?? 'image/png', bytes: image.bytes })] } : {}),
    };
    const res = await this.client.request('POST', '/completions', body, CompletionResponse, { signal });
    this.stats.forwardCalls++;
    this.stats.tokens += res.usage?.prompt_tokens ?? 0;
    const top = res.choices[0]?.logprobs?.top_logprobs?.[0];
    if (!top) throw new EndpointError(`${this.client.label} answered no top_logprobs: the server must return logprobs for PRM scoring`, false);
    const find = (tok: string): number | undefined => top[tok] ?? Object.entries(top).find(([k]) => k.trim() === tok.trim())?.[1];
    let yes = find(this.spec.yes);
    let no = find(this.spec.no);
    if (yes === undefined && no === undefined) {
      throw new EndpointError(`${this.client.label}: neither "${this.spec.yes}" nor "${this.spec.no}" is among the ${PRM_TOP_LOGPROBS} likeliest tokens after a step tag; is it a PRM with this manifest's tokens?`, false);
    }
    if (yes === undefined || no === undefined) {
      // the missing one is at most the least likely listed alternative
      const floor = Math.min(...Object.values(top));
      this.bounded++;
      yes ??= floor;
      no ??= floor;
    }
    return stepScore(yes, no);
  }

  /** vLLM's pooling API: the whole PRM input once, one row per step tag, P(good) in column poolingGoodIndex. */
  private async pooledScores(item: ScoreItem, steps: number, signal?: AbortSignal): Promise<number[]> {
    const input = renderPrmInput(this.spec, item.question, item.steps, Boolean(item.image));
    const res = await this.poolingClient.request('POST', '/pooling', { model: this.config.servedModel, input }, PoolingResponse, { signal });
    this.stats.forwardCalls++;
    this.stats.tokens += res.usage?.prompt_tokens ?? 0;
    const rows = res.data[0]?.data ?? [];
    const k = this.config.poolingGoodIndex;
    if (rows.length !== steps || rows.some((r) => !Array.isArray(r) || r.length <= k)) {
      throw new EndpointError(
        `${this.client.label}: /pooling answered ${rows.length} rows for ${steps} step tags (each needs a column ${k}); serve the PRM with a STEP pooler whose step tag is "${this.spec.tag}"`,
        false,
      );
    }
    return rows.map((r) => (r as number[])[k]);
  }

  async score(items: readonly ScoreItem[], signal?: AbortSignal): Promise<number[][]> {
    return Promise.all(
      items.map(async (it) => {
        if (it.image && !this.config.vision) throw new UserError(`${this.client.label} is not registered as reading pictures (add-endpoint --vision), but the problem has one`);
        if (it.image && this.config.prmApi === 'pooling') throw new UserError(`${this.client.label} is read through /pooling, which takes no picture; serve a vision PRM with steplab serve-model (logprobs)`);
        const prompts = this.prompts(it);
        const scores = this.config.prmApi === 'pooling' ? await this.pooledScores(it, prompts.length, signal) : await Promise.all(prompts.map((p) => this.stepScore(p, it.image, signal)));
        this.stats.items++;
        this.stats.steps += scores.length;
        return scores;
      }),
    );
  }
}

