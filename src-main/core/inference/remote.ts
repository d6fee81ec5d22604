// A model on a server that speaks the OpenAI-compatible API: vLLM, SGLang, llama.cpp's server, or
// `steplab serve-model`. Text prompts go to /v1/completions with the model's own template; a prompt with
// a picture goes to /v1/chat/completions, the picture as a data URL and the steps so far as a partial
// assistant turn that the server continues (vLLM's `continue_final_message`). The n completions of one
// prefix travel in one request (`n`), so a server with prefix caching computes the prefix once.
//
// Every request has a timeout; a refused connection, a timeout, a 5xx or 429 answer or a body that is not
// the JSON expected is retried with doubling backoff, on the next URL when there are several, and then
// fails with one line naming the endpoint and the cause. A job stops there with its work committed and
// resumes from its checkpoint.
import { z } from 'zod';
import { EndpointConfig, type ModelRecord } from '../../../src-shared/domain';
import { Manifest } from '../../../src-shared/manifest';
import { OutageError, UserError } from '../errors';
import { requestPrompt, type Completion, type CompletionOptions, type CompletionRequest, type ImageData, type ModelBackend } from './backend';
import type { FinishReason } from './engine';
import { formatZodIssue } from '../../../src-shared/zodMessage';
import { modelLabel } from '../../../src-shared/modelLabel';

/** The separator between a question and its reflection in a chat user turn (also the ShareGPT export's). */
export const CHAT_REFLECTION = '\n\nReflection on an earlier attempt: ';

/** What a failed request says to the researcher: the endpoint, the model and the cause. */
export class EndpointError extends UserError {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** the HTTP status when the server answered with an error */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'EndpointError';
  }
}

const CompletionChoice = z.object({
  index: z.number().int().min(0),
  text: z.string(),
  finish_reason: z.string().nullable().optional(),
  stop_reason: z.union([z.string(), z.number()]).nullable().optional(),
  logprobs: z
    .object({
      tokens: z.array(z.string()).optional(),
      token_logprobs: z.array(z.number().nullable()).optional(),
      top_logprobs: z.array(z.record(z.string(), z.number()).nullable()).nullable().optional(),
    })
    .nullable()
    .optional(),
});

const ChatChoice = z.object({
  index: z.number().int().min(0),
  message: z.object({ role: z.string().optional(), content: z.string().nullable() }),
  finish_reason: z.string().nullable().optional(),
  stop_reason: z.union([z.string(), z.number()]).nullable().optional(),
  logprobs: z
    .object({
      content: z
        .array(
          z.object({
            token: z.string(),
            logprob: z.number(),
            top_logprobs: z.array(z.object({ token: z.string(), logprob: z.number() })).optional(),
          }),
        )
        .nullable()
        .optional(),
    })
    .nullable()
    .optional(),
});

const Usage = z.object({ prompt_tokens: z.number().optional(), completion_tokens: z.number().optional() }).nullable().optional();

export const CompletionResponse = z.object({ choices: z.array(CompletionChoice), usage: Usage });
export const ChatResponse = z.object({ choices: z.array(ChatChoice), usage: Usage });
export type CompletionResponse = z.infer<typeof CompletionResponse>;
export type ChatResponse = z.infer<typeof ChatResponse>;

/** One base URL and the requests now in flight there. */
interface Slot {
  url: string;
  inFlight: number;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('aborted'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export interface ClientStats {
  requests: number;
  retries: number;
  /** ms spent waiting on the servers (request sent to body parsed) */
  waitMs: number;
}

/**
 * HTTP to the endpoint's URLs: a concurrency limit per URL, the least busy URL first, a timeout per
 * request, retries with doubling backoff that move to another URL, and one-line errors.
 */
export class EndpointClient {
  readonly stats: ClientStats = { requests: 0, retries: 0, waitMs: 0 };
  private readonly slots: Slot[];
  private readonly waiters: (() => void)[] = [];

  constructor(
    readonly config: EndpointConfig,
    readonly label: string,
    private readonly apiKey: string | null,
  ) {
    this.slots = config.urls.map((u) => ({ url: u.replace(/\/+$/, ''), inFlight: 0 }));
  }

  /** The API key from the environment variable the config names (never from the workspace). */
  static apiKeyFor(config: EndpointConfig, label: string): string | null {
    if (!config.apiKeyEnv) return null;
    const key = process.env[config.apiKeyEnv];
    if (!key) throw new UserError(`${label} reads its API key from the environment variable ${config.apiKeyEnv}, which is not set`);
    return key;
  }

  /**
   * A slot on a URL this request has not failed on, waiting for one to be free when they are all busy; a
   * URL it failed on is tried again only when every URL has failed it. (Taking a free failed URL while a
   * good one was busy made a request spend its retries on a server that was down.)
   */
  private async acquire(exclude: ReadonlySet<string>, signal?: AbortSignal): Promise<Slot> {
    for (;;) {
      if (signal?.aborted) throw new Error('aborted');
      const untried = this.slots.filter((s) => !exclude.has(s.url));
      const pool = (untried.length ? untried : this.slots).filter((s) => s.inFlight < this.config.concurrency);
      const pick = pool.sort((a, b) => a.inFlight - b.inFlight)[0];
      if (pick) {
        pick.inFlight++;
        return pick;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private release(slot: Slot): void {
    slot.inFlight--;
    this.waiters.shift()?.();
  }

  /** GET or POST `path` (e.g. /completions) and parse the JSON body with `schema`. */
  async request<T>(method: 'GET' | 'POST', path: string, body: unknown, schema: z.ZodType<T>, opts: { signal?: AbortSignal; timeoutMs?: number; retries?: number } = {}): Promise<T> {
    const retries = opts.retries ?? this.config.retries;
    const failed = new Set<string>();
    let last: EndpointError | null = null;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        this.stats.retries++;
        await sleep(this.config.backoffMs * 2 ** (attempt - 1), opts.signal);
      }
      const slot = await this.acquire(failed, opts.signal);
      try {
        return await this.once(slot.url, method, path, body, schema, opts.signal, opts.timeoutMs ?? this.config.timeoutMs);
      } catch (e) {
        if (opts.signal?.aborted) throw e;
        if (!(e instanceof EndpointError)) throw e;
        last = e;
        failed.add(slot.url);
        if (!e.retryable) break;
      } finally {
        this.release(slot);
      }
    }
    const tries = retries + 1;
    if (last!.retryable) throw new OutageError(`${last!.message}${tries > 1 ? ` (${tries} attempts)` : ''}`);
    throw last!;
  }

  private async once<T>(base: string, method: string, path: string, body: unknown, schema: z.ZodType<T>, signal: AbortSignal | undefined, timeoutMs: number): Promise<T> {
    const where = `${this.label} at ${base}`;
    const timeout = AbortSignal.timeout(timeoutMs);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    const t0 = performance.now();
    this.stats.requests++;
    let res: Response;
    let text: string;
    try {
      res = await fetch(base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      text = await res.text();
    } catch (e) {
      if (signal?.aborted) throw e;
      if (timeout.aborted) throw new EndpointError(`${where} did not answer within ${timeoutMs / 1000} s`, true);
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code === 'ECONNREFUSED' ? 'connection refused (is the server running?)' : cause?.code === 'ENOTFOUND' ? 'host not found' : (cause?.message ?? (e as Error).message);
      throw new EndpointError(`${where} is unreachable: ${why}`, true);
    } finally {
      this.stats.waitMs += performance.now() - t0;
    }
    if (!res.ok) {
      const detail = errorDetail(text);
      if (res.status === 401 || res.status === 403) {
        throw new EndpointError(`${where} refused the request (HTTP ${res.status}${detail ? `: ${detail}` : ''}): ${this.config.apiKeyEnv ? `check the API key in $${this.config.apiKeyEnv}` : 'it needs an API key (models add-endpoint --api-key-env VAR)'}`, false, res.status);
      }
      if (res.status === 404) throw new EndpointError(`${where} has no ${path} (HTTP 404${detail ? `: ${detail}` : ''}): is the URL the server's /v1 base and "${this.config.servedModel}" its model id?`, false, 404);
      const retryable = res.status >= 500 || res.status === 429 || res.status === 408;
      throw new EndpointError(`${where} answered HTTP ${res.status}${detail ? `: ${detail}` : ''}`, retryable, res.status);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new EndpointError(`${where} answered malformed JSON: ${JSON.stringify(text.slice(0, 80))}${text.length > 80 ? '...' : ''}`, true);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new EndpointError(`${where} answered JSON that is not a ${path} response: ${formatZodIssue(parsed.error.issues[0], { field: true })}`, true);
    }
    return parsed.data;
  }
}

function errorDetail(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: { message?: string } | string; message?: string; detail?: string };
    const m = typeof j.error === 'string' ? j.error : (j.error?.message ?? j.message ?? j.detail);
    if (typeof m === 'string') return m.slice(0, 200);
  } catch {
    // not JSON: show the start of the text
  }
  return text.trim().slice(0, 120);
}

/** How a result names where an endpoint model ran (the `provider` stored with it). */
export function endpointProvider(c: Pick<EndpointConfig, 'urls' | 'servedModel'>): string {
  return `endpoint ${c.urls.join(' ')} (${c.servedModel})`;
}

/** A /v1 base URL's server root, where vLLM serves /tokenize and /pooling. */
export function serverRoot(url: string): string {
  return url.replace(/\/v1\/?$/, '');
}

export function dataUrl(image: ImageData): string {
  return `data:${image.mime};base64,${image.bytes.toString('base64')}`;
}

/** The chat messages of a request: the picture and question (and reflection), then the partial assistant turn. */
export function chatMessages(r: Pick<CompletionRequest, 'question' | 'reflection' | 'continuation' | 'image'>): unknown[] {
  const text = r.question + (r.reflection ? CHAT_REFLECTION + r.reflection : '');
  const user = { role: 'user', content: [...(r.image ? [{ type: 'image_url', image_url: { url: dataUrl(r.image) } }] : []), { type: 'text', text }] };
  return r.continuation ? [user, { role: 'assistant', content: r.continuation }] : [user];
}

/** eos, step (stopped at the step delimiter) or length, from an OpenAI choice. */
function finishOf(reason: string | null | undefined, stopReason: unknown, text: string, delimiter: string, stopAtStep: boolean): FinishReason {
  if (reason === 'length') return 'length';
  if (stopAtStep && (stopReason === delimiter || ((stopReason === null || stopReason === undefined) && text.endsWith(delimiter)))) return 'step';
  return 'eos';
}

/** A registered endpoint model as a ModelBackend. */
export class RemoteBackend implements ModelBackend {
  readonly remote = true;
  readonly client: EndpointClient;

  private constructor(
    readonly manifest: Manifest,
    readonly config: EndpointConfig,
    label: string,
    apiKey: string | null,
  ) {
    this.client = new EndpointClient(config, label, apiKey);
  }

  static open(rec: Pick<ModelRecord, 'name' | 'version' | 'manifest' | 'endpoint'>): RemoteBackend {
    const config = EndpointConfig.parse(rec.endpoint);
    const label = `endpoint model "${modelLabel(rec)}" (${config.servedModel})`;
    return new RemoteBackend(Manifest.parse(rec.manifest), config, label, EndpointClient.apiKeyFor(config, label));
  }

  get provider(): string {
    return endpointProvider(this.config);
  }

  get vision(): boolean {
    return this.config.vision;
  }

  private useChat(r: CompletionRequest): boolean {
    return this.config.api === 'chat' || (this.config.api === 'auto' && Boolean(r.image));
  }

  async complete(reqs: readonly CompletionRequest[], opts: CompletionOptions): Promise<Completion[][]> {
    return Promise.all(reqs.map((r) => this.completeOne(r, opts)));
  }

  private async completeOne(r: CompletionRequest, opts: CompletionOptions): Promise<Completion[]> {
    if (r.image && !this.vision) throw new UserError(`model ${this.manifest.name} is not registered as reading pictures (add-endpoint --vision), but the prompt has one`);
    const delim = this.manifest.stepDelimiter;
    const common = {
      model: this.config.servedModel,
      n: r.n,
      temperature: opts.temperature,
      top_p: opts.topP,
      ...(opts.topK > 0 ? { top_k: opts.topK } : {}),
      seed: r.seed >>> 0,
      // Steplab's extension (other servers ignore it): completion k uses stream offset + k
      ...(r.offset ? { stream_offset: r.offset } : {}),
      max_tokens: opts.maxNewTokens,
      ...(opts.stopAtStep ? { stop: [delim], include_stop_str_in_output: true } : {}),
    };
    let choices: { index: number; text: string; finish: FinishReason; tokens: number | null }[];
    let usageTokens: number | undefined;
    if (this.useChat(r)) {
      const body = { ...common, messages: chatMessages(r), ...(r.continuation ? { continue_final_message: true, add_generation_prompt: false } : {}), logprobs: true, top_logprobs: 0 };
      const res = await this.client.request('POST', '/chat/completions', body, ChatResponse, { signal: opts.signal });
      usageTokens = res.usage?.completion_tokens;
      choices = res.choices.map((c) => ({ index: c.index, text: c.message.content ?? '', finish: finishOf(c.finish_reason, c.stop_reason, c.message.content ?? '', delim, opts.stopAtStep), tokens: c.logprobs?.content?.length ?? null }));
    } else {
      // with --api completions a picture rides in `images`, serve-model's extension (other servers drop it)
      const body = { ...common, prompt: requestPrompt(this.manifest, r), logprobs: 0, ...(r.image ? { images: [dataUrl(r.image)] } : {}) };
      const res = await this.client.request('POST', '/completions', body, CompletionResponse, { signal: opts.signal });
      usageTokens = res.usage?.completion_tokens;
      choices = res.choices.map((c) => ({ index: c.index, text: c.text, finish: finishOf(c.finish_reason, c.stop_reason, c.text, delim, opts.stopAtStep), tokens: c.logprobs?.tokens?.length ?? null }));
    }
    if (choices.length !== r.n) throw new EndpointError(`${this.client.label} answered ${choices.length} completions, asked for ${r.n}`, false);
    choices.sort((a, b) => a.index - b.index);
    const share = usageTokens !== undefined ? Math.round(usageTokens / r.n) : 0;
    return choices.map((c) => ({
      // a server that dropped the stop string (include_stop_str_in_output unknown to it) gets it back
      text: c.finish === 'step' && !c.text.includes(delim) ? c.text + delim : c.text,
      tokens: c.tokens ?? share,
      finish: c.finish,
    }));
  }

  async release(): Promise<void> {}
}
