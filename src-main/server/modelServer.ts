// `steplab serve-model`: a registered ONNX model served over the OpenAI-compatible API, so that one
// machine can serve a model to another and the remote backend is tested against a real server here.
//   GET  /v1/models             the model, with its Steplab manifest (`steplab_manifest`)
//   POST /v1/completions        prompt (a string or a list), n, temperature, top_p, top_k, seed, stop,
//                               max_tokens, logprobs (0-20: the sampled token's and the top alternatives),
//                               and Steplab's `images` (one data-URL picture for the prompt's image token)
//   POST /v1/chat/completions   one user turn (text parts and data-URL pictures), optionally a partial
//                               assistant turn with continue_final_message; logprobs, top_logprobs
//   POST /tokenize              vLLM's tokenizer route: {prompt, add_special_tokens} -> {tokens, count}
//   GET  /health                200 when up (no token needed; says nothing else)
// Every other request needs `Authorization: Bearer <token>`. Completion k of a request with seed s samples
// from the stream mixSeedFrom(s, k) (mixSeedFrom(s, stream_offset + k) with Steplab's `stream_offset`), as
// the embedded backend does, so results equal in-process ones.
// Requests that arrive while the engine is busy are decoded together in one batch when their sampling
// settings agree (rows keep their own random streams, so batching does not change any result).
// The wire's request bodies are in openaiWire.ts, the batching in modelBatcher.ts.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { Manifest } from '../../src-shared/manifest';
import { requestPrompt, type EmbeddedBackend, type ImageData } from '../core/inference/backend';
import type { Rollout, RolloutRequest } from '../core/inference/engine';
import { CHAT_REFLECTION } from '../core/inference/remote';
import { UserError } from '../core/errors';
import { modelBatcher } from './modelBatcher';
import { BadRequest, ChatBody, CompletionsBody, imageFromDataUrl, parseBody, type Settings } from './openaiWire';

export const MAX_MODEL_BODY_BYTES = 32 * 1024 * 1024;

export interface ModelServerOptions {
  backend: EmbeddedBackend;
  /** the id clients name in `model` (default: the manifest's name) */
  servedName?: string;
  /** default 127.0.0.1 */
  host?: string;
  /** 0 (default): a free port */
  port?: number;
  /** default: 32 random bytes, base64url */
  token?: string;
  /** rows decoded at once */
  maxBatch?: number;
  onInternalError?: (e: unknown) => void;
}

export interface ModelServer {
  /** base URL ending in /v1 */
  url: string;
  port: number;
  token: string;
  stats: { requests: number; batches: number; rows: number };
  close(): Promise<void>;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export async function startModelServer(opts: ModelServerOptions): Promise<ModelServer> {
  const backend = opts.backend;
  const engine = backend.engine;
  const manifest: Manifest = backend.manifest;
  const served = opts.servedName ?? manifest.name;
  const token = opts.token ?? randomBytes(32).toString('base64url');
  if (token.length < 16) throw new UserError('the server token must be at least 16 characters');
  const tokenDigest = digest(token);
  const stats = { requests: 0, batches: 0, rows: 0 };
  const created = Math.floor(Date.now() / 1000);
  const tokenText = (id: number): string => engine.decode([id]);

  // batching: requests queue while the engine decodes; equal settings are decoded together (modelBatcher.ts)
  const decode = modelBatcher(engine, stats, opts.maxBatch);

  const settingsOf = (b: z.infer<typeof CompletionsBody> | z.infer<typeof ChatBody>, topLogprobs: number): Settings => {
    if (b.stream) throw new BadRequest('stream: true is not supported; ask for the whole answer', 400, 'stream');
    if (b.echo) throw new BadRequest('echo is not supported', 400, 'echo');
    if (b.model !== undefined && b.model !== served) throw new BadRequest(`model "${b.model}" is not served here; this server serves "${served}"`, 404, 'model');
    const max = b.max_completion_tokens ?? b.max_tokens ?? manifest.parameters.maxNewTokens;
    return {
      temperature: b.temperature,
      topK: b.top_k && b.top_k > 0 ? b.top_k : 0,
      topP: b.top_p,
      maxNewTokens: Math.min(max, manifest.contextLength),
      stop: b.stop === undefined || b.stop === null ? [] : typeof b.stop === 'string' ? [b.stop] : b.stop,
      topLogprobs,
      logprobTokens: [],
    };
  };

  const request = async (prompt: string, image: ImageData | undefined, n: number, seed: number, offset: number): Promise<RolloutRequest> => {
    if (image && !backend.vision) throw new BadRequest(`model "${served}" does not read pictures`, 400, 'messages');
    const r = await backend.rolloutRequest(prompt, image, n, seed, offset);
    // checked here, not in the batch, so one long prompt does not fail the requests decoded with it
    if (r.prefix.length >= manifest.contextLength) throw new BadRequest(`the prompt is ${r.prefix.length} tokens; the model's context is ${manifest.contextLength}`, 400, 'prompt');
    return r;
  };

  /** The text up to the first stop string (kept when asked), and which one stopped it. */
  const cut = (r: Rollout, s: Settings, keepStop: boolean): { text: string; finish: string; stopReason: string | null } => {
    if (r.finish === 'step') {
      let at = -1;
      let which = '';
      for (const x of s.stop) {
        const i = r.text.indexOf(x);
        if (i >= 0 && (at < 0 || i < at)) {
          at = i;
          which = x;
        }
      }
      if (at >= 0) return { text: r.text.slice(0, at + (keepStop ? which.length : 0)), finish: 'stop', stopReason: which };
    }
    return { text: r.text, finish: r.finish === 'length' ? 'length' : 'stop', stopReason: null };
  };

  const usage = (reqs: RolloutRequest[], out: Rollout[][]): { prompt_tokens: number; completion_tokens: number; total_tokens: number } => {
    const p = reqs.reduce((a, r) => a + r.prefix.length, 0);
    const c = out.flat().reduce((a, r) => a + r.tokens.length, 0);
    return { prompt_tokens: p, completion_tokens: c, total_tokens: p + c };
  };

  const completions = async (raw: unknown): Promise<unknown> => {
    const b = parseBody(CompletionsBody, raw);
    const s = settingsOf(b, b.logprobs ?? 0);
    for (const t of b.logprob_tokens ?? []) {
      const id = backend.model.tokenizer.tokenToId(t);
      if (id === undefined) throw new BadRequest(`logprob_tokens: "${t}" is not a token of this model`, 400, 'logprob_tokens');
      s.logprobTokens.push(id);
    }
    const prompts = typeof b.prompt === 'string' ? [b.prompt] : b.prompt;
    const seed = b.seed ?? randomBytes(4).readUInt32LE(0);
    const image = b.images?.length ? imageFromDataUrl(b.images[0]) : undefined;
    const reqs = await Promise.all(prompts.map((p) => request(p, image, b.n, seed, b.stream_offset)));
    const out = await decode(s, reqs);
    const choices = out.flatMap((rolls, pi) =>
      rolls.map((r, k) => {
        const c = cut(r, s, b.include_stop_str_in_output);
        let logprobs: unknown = null;
        if (b.logprobs !== undefined && b.logprobs !== null) {
          const toks = r.tokens.map(tokenText);
          const offsets: number[] = [];
          let at = 0;
          for (const t of toks) {
            offsets.push(at);
            at += t.length;
          }
          logprobs = {
            tokens: toks,
            token_logprobs: r.logprobs,
            top_logprobs: b.logprobs > 0 ? r.topLogprobs!.map((row) => Object.fromEntries(row.map((t) => [tokenText(t.token), t.logprob]))) : null,
            text_offset: offsets,
          };
        }
        return { index: pi * b.n + k, text: c.text, logprobs, finish_reason: c.finish, stop_reason: c.stopReason };
      }),
    );
    return { id: `cmpl-${randomBytes(12).toString('hex')}`, object: 'text_completion', created: Math.floor(Date.now() / 1000), model: served, choices, usage: usage(reqs, out) };
  };

  const chat = async (raw: unknown): Promise<unknown> => {
    const b = parseBody(ChatBody, raw);
    const s = settingsOf(b, b.logprobs ? (b.top_logprobs ?? 0) : 0);
    const turns = b.messages.filter((m) => m.role !== 'system');
    const users = turns.filter((m) => m.role === 'user');
    if (users.length !== 1 || turns[0].role !== 'user') throw new BadRequest('one user turn is expected (the problem), optionally followed by a partial assistant turn', 400, 'messages');
    const last = turns[turns.length - 1];
    if (turns.length > 2 || (last.role === 'assistant' && !b.continue_final_message)) throw new BadRequest('the last message must be the user turn, or a partial assistant turn with continue_final_message: true', 400, 'messages');
    const parts = typeof users[0].content === 'string' ? [{ type: 'text' as const, text: users[0].content }] : users[0].content;
    const images = parts.flatMap((p) => (p.type === 'image_url' ? [imageFromDataUrl(p.image_url.url)] : []));
    if (images.length > 1) throw new BadRequest(`one picture per prompt is supported, got ${images.length}`, 400, 'messages');
    const text = parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('');
    const cutAt = text.indexOf(CHAT_REFLECTION);
    const question = cutAt >= 0 ? text.slice(0, cutAt) : text;
    const reflection = cutAt >= 0 ? text.slice(cutAt + CHAT_REFLECTION.length) : undefined;
    const continuation = last.role === 'assistant' ? (typeof last.content === 'string' ? last.content : last.content.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('')) : '';
    const prompt = requestPrompt(manifest, { question, reflection, continuation, image: images[0] });
    const seed = b.seed ?? randomBytes(4).readUInt32LE(0);
    const req = await request(prompt, images[0], b.n, seed, b.stream_offset);
    const [rolls] = await decode(s, [req]);
    const choices = rolls.map((r, k) => {
      const c = cut(r, s, b.include_stop_str_in_output);
      const logprobs = b.logprobs
        ? {
            content: r.tokens.map((t, j) => ({
              token: tokenText(t),
              logprob: r.logprobs[j],
              bytes: [...Buffer.from(tokenText(t), 'utf8')],
              top_logprobs: (r.topLogprobs?.[j] ?? []).map((x) => ({ token: tokenText(x.token), logprob: x.logprob, bytes: [...Buffer.from(tokenText(x.token), 'utf8')] })),
            })),
          }
        : null;
      return { index: k, message: { role: 'assistant', content: c.text }, logprobs, finish_reason: c.finish, stop_reason: c.stopReason };
    });
    return { id: `chatcmpl-${randomBytes(12).toString('hex')}`, object: 'chat.completion', created: Math.floor(Date.now() / 1000), model: served, choices, usage: usage([req], [rolls]) };
  };

  const TokenizeBody = z.object({ model: z.string().optional(), prompt: z.string(), add_special_tokens: z.boolean().default(true) });
  const tokenize = (raw: unknown): unknown => {
    const b = parseBody(TokenizeBody, raw);
    if (b.model !== undefined && b.model !== served) throw new BadRequest(`model "${b.model}" is not served here; this server serves "${served}"`, 404, 'model');
    const tokens = backend.model.tokenizer.encode(b.prompt, { addSpecialTokens: b.add_special_tokens });
    return { count: tokens.length, max_model_len: manifest.contextLength, tokens };
  };

  const models = (): unknown => ({
    object: 'list',
    data: [{ id: served, object: 'model', created, owned_by: 'steplab', max_model_len: manifest.contextLength, steplab_manifest: manifest, steplab_provider: backend.provider }],
  });

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    const data = Buffer.from(JSON.stringify(body), 'utf8');
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': data.length, 'cache-control': 'no-store' });
    res.end(data);
  };
  const sendError = (res: ServerResponse, status: number, message: string, param: string | null = null): void =>
    send(res, status, { error: { message, type: status === 401 ? 'authentication_error' : status === 404 ? 'not_found_error' : status >= 500 ? 'server_error' : 'invalid_request_error', param, code: status } });

  const readBody = (req: IncomingMessage): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_MODEL_BODY_BYTES) {
          reject(new BadRequest(`request body over ${MAX_MODEL_BODY_BYTES} bytes`, 413));
          req.destroy();
        } else chunks.push(c);
      });
      req.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (e) {
          reject(new BadRequest(`the body is not JSON: ${(e as Error).message}`));
        }
      });
      req.on('error', reject);
    });

  const authorized = (req: IncomingMessage): boolean => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    return Boolean(m) && timingSafeEqual(digest(m![1]), tokenDigest);
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '') || '/';
    void (async () => {
      try {
        if (req.method === 'GET' && path === '/health') return send(res, 200, { status: 'ok' });
        if (!authorized(req)) return sendError(res, 401, 'missing or wrong API key (Authorization: Bearer <token>)');
        stats.requests++;
        if (req.method === 'GET' && path === '/v1/models') return send(res, 200, models());
        if (req.method === 'POST' && path === '/v1/completions') return send(res, 200, await completions(await readBody(req)));
        if (req.method === 'POST' && path === '/v1/chat/completions') return send(res, 200, await chat(await readBody(req)));
        if (req.method === 'POST' && path === '/tokenize') return send(res, 200, tokenize(await readBody(req)));
        return sendError(res, 404, `no route ${req.method} ${path}`);
      } catch (e) {
        if (e instanceof BadRequest) return sendError(res, e.status, e.message, e.param);
        if (e instanceof UserError) return sendError(res, 400, e.message);
        opts.onInternalError?.(e);
        return sendError(res, 500, `internal error: ${(e as Error).message}`);
      }
    })();
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${urlHost}:${port}/v1`,
    port,
    token,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
