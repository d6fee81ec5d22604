// The remote backend's error handling against a scripted HTTP server (the subject is the client, so a
// scripted server is the honest stand-in): malformed JSON, slow answers, 5xx then success, refused keys,
// failover between URLs, and response shapes as vLLM's documentation gives them for /v1/completions and
// /v1/chat/completions.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelRecord } from '../src-shared/domain';
import { OutageError, UserError } from '../src-main/core/errors';
import { RemoteBackend } from '../src-main/core/inference/remote';
import { prmSpec, renderPrmInput } from '../src-main/core/reward/layout';
import { RemotePrmScorer } from '../src-main/core/reward/remotePrm';

const MANIFEST = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'models', 'tiny-policy', 'manifest.json'), 'utf8'));
const OPTS = { temperature: 0.7, topK: 0, topP: 1, maxNewTokens: 32, stopAtStep: false };
const REQ = { question: 'Ann has 2 apples and buys 3 more. How many now?', continuation: '', n: 2, seed: 9 };

type Handler = (req: IncomingMessage, body: Record<string, unknown>, res: ServerResponse) => void;
const servers: Server[] = [];

async function scripted(handler: Handler): Promise<string> {
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => handler(req, raw ? (JSON.parse(raw) as Record<string, unknown>) : {}, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

/** A URL on a port nothing listens on. */
async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}/v1`;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

function backend(urls: string[], endpoint: Record<string, unknown> = {}): RemoteBackend {
  const rec = { name: 'served', version: 1, manifest: MANIFEST, endpoint: { urls, servedModel: 'm', retries: 2, backoffMs: 10, timeoutMs: 2000, ...endpoint } } as unknown as ModelRecord;
  return RemoteBackend.open(rec);
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

/** /v1/completions as vLLM documents it (extra fields included). */
const vllmCompletion = (n: number, text = '2 + 3 = 5\nAnswer: 5\n') => ({
  id: 'cmpl-1',
  object: 'text_completion',
  created: 1,
  model: 'm',
  choices: Array.from({ length: n }, (_, i) => ({ index: n - 1 - i, text: `${text}${i}`, logprobs: null, finish_reason: 'stop', stop_reason: null, prompt_logprobs: null })),
  usage: { prompt_tokens: 20, total_tokens: 20 + 10 * n, completion_tokens: 10 * n, prompt_tokens_details: null },
  service_tier: null,
  system_fingerprint: null,
  kv_transfer_params: null,
});

describe('remote backend error handling', () => {
  it('accepts vLLM completions: choices in index order, token counts from usage without logprobs, the body it sends', async () => {
    let seen: Record<string, unknown> = {};
    const url = await scripted((req, body, res) => {
      seen = { ...body, path: req.url, auth: req.headers.authorization };
      json(res, 200, vllmCompletion(2));
    });
    process.env.STEPLAB_ERR_KEY = 'sk-test';
    const out = await backend([url], { apiKeyEnv: 'STEPLAB_ERR_KEY' }).complete([REQ], OPTS);
    delete process.env.STEPLAB_ERR_KEY;
    expect(out[0].map((c) => c.text)).toEqual(['2 + 3 = 5\nAnswer: 5\n1', '2 + 3 = 5\nAnswer: 5\n0']);
    expect(out[0].map((c) => [c.tokens, c.finish])).toEqual([[10, 'eos'], [10, 'eos']]);
    expect(seen).toMatchObject({ path: '/v1/completions', auth: 'Bearer sk-test', model: 'm', n: 2, temperature: 0.7, top_p: 1, seed: 9, max_tokens: 32, logprobs: 0, prompt: `Q: ${REQ.question}\nS:\n` });
    expect(seen).not.toHaveProperty('top_k');
    expect(seen).not.toHaveProperty('stop');
  });

  it('accepts vLLM chat completions with a picture sent as a data URL and the steps as a partial assistant turn', async () => {
    let seen: Record<string, unknown> = {};
    const url = await scripted((req, body, res) => {
      seen = { ...body, path: req.url };
      json(res, 200, {
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1,
        model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', reasoning_content: null, content: '4 + 2 = 6\n', tool_calls: [] }, logprobs: { content: [{ token: '4', logprob: -0.1, bytes: [52], top_logprobs: [] }, { token: ' +', logprob: -0.2, bytes: [], top_logprobs: [] }] }, finish_reason: 'stop', stop_reason: '\n' }],
        usage: { prompt_tokens: 30, total_tokens: 33, completion_tokens: 3 },
        prompt_logprobs: null,
      });
    });
    const png = Buffer.from('89504e470d0a1a0a', 'hex');
    const out = await backend([url], { vision: true }).complete([{ ...REQ, n: 1, continuation: 'count = 4\n', reflection: 'count again', image: { key: 'k', mime: 'image/png', bytes: png } }], { ...OPTS, stopAtStep: true, topK: 5 });
    expect(out[0]).toEqual([{ text: '4 + 2 = 6\n', tokens: 2, finish: 'step' }]);
    expect(seen).toMatchObject({
      path: '/v1/chat/completions',
      top_k: 5,
      stop: ['\n'],
      include_stop_str_in_output: true,
      continue_final_message: true,
      add_generation_prompt: false,
      messages: [
        { role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}` } }, { type: 'text', text: `${REQ.question}\n\nReflection on an earlier attempt: count again` }] },
        { role: 'assistant', content: 'count = 4\n' },
      ],
    });
  });

  it('retries a 503 with backoff and succeeds; moves to the next URL when one is down', async () => {
    let calls = 0;
    const flaky = await scripted((_req, _body, res) => (++calls === 1 ? json(res, 503, { error: { message: 'loading model' } }) : json(res, 200, vllmCompletion(2))));
    const b = backend([flaky]);
    expect((await b.complete([REQ], OPTS))[0]).toHaveLength(2);
    expect(calls).toBe(2);
    expect(b.client.stats.retries).toBe(1);

    // the good server is slow (as on a busy machine): while it serves one request, the others must wait
    // for it rather than spend their retries on the URL that is down (the race behind "connection refused
    // (3 attempts)"); each answer takes 300 ms, far longer than the 10 + 20 ms of backoff, so the race is
    // not left to the machine's speed
    let served = 0;
    const good = await scripted((_req, _body, res) => {
      served++;
      setTimeout(() => json(res, 200, vllmCompletion(2)), 300);
    });
    const down = await deadUrl();
    const two = backend([down, good], { concurrency: 1 });
    const outs = await two.complete([REQ, REQ, REQ], OPTS);
    expect(outs.every((o) => o.length === 2)).toBe(true);
    expect(served).toBe(3);
  });

  it('names the endpoint and the cause: malformed JSON, a wrong shape, slowness, an outage, a refused key, a missing route', async () => {
    const cases: [Handler, RegExp, typeof UserError][] = [
      [(_q, _b, res) => json(res, 200, '{"choices": [tru'), /at http:\/\/127\.0\.0\.1:\d+\/v1 answered malformed JSON: "\{\\"choices\\": \[tru" \(3 attempts\)$/, OutageError],
      [(_q, _b, res) => json(res, 200, { choices: [{ index: 0 }] }), /answered JSON that is not a \/completions response: field "choices\.0\.text": .* \(3 attempts\)$/, OutageError],
      [(_q, _b, res) => setTimeout(() => json(res, 200, vllmCompletion(2)), 1500), /did not answer within 0\.3 s \(3 attempts\)$/, OutageError],
      [(_q, _b, res) => json(res, 500, { object: 'error', message: 'CUDA out of memory', type: 'InternalServerError', code: 500 }), /answered HTTP 500: CUDA out of memory \(3 attempts\)$/, OutageError],
      [(_q, _b, res) => json(res, 401, { error: { message: 'Invalid API key' } }), /refused the request \(HTTP 401: Invalid API key\): it needs an API key/, UserError],
      [(_q, _b, res) => json(res, 404, { detail: 'Not Found' }), /has no \/completions \(HTTP 404: Not Found\): is the URL the server's \/v1 base and "m" its model id\?$/, UserError],
      [(_q, _b, res) => json(res, 200, vllmCompletion(1)), /answered 1 completions, asked for 2$/, UserError],
    ];
    for (const [handler, msg, kind] of cases) {
      const url = await scripted(handler);
      const err = await backend([url], { timeoutMs: 300 }).complete([REQ], OPTS).then(() => null, (e: Error) => e);
      expect(err, String(msg)).toBeInstanceOf(kind);
      expect(err!.message).toMatch(/^endpoint model "served@1" \(m\) /);
      expect(err!.message).toMatch(msg);
    }
    const refused = await backend([await deadUrl()]).complete([REQ], OPTS).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(OutageError);
    expect((refused as Error).message).toMatch(/at http:\/\/127\.0\.0\.1:\d+\/v1 is unreachable: connection refused \(is the server running\?\) \(3 attempts\)$/);
  });

  it('refuses a missing API key variable before any request, and a picture for a model not marked as reading them', async () => {
    expect(() => backend(['http://127.0.0.1:9/v1'], { apiKeyEnv: 'STEPLAB_UNSET_KEY_VAR' })).toThrow(/reads its API key from the environment variable STEPLAB_UNSET_KEY_VAR, which is not set$/);
    const url = await scripted((_q, _b, res) => json(res, 200, vllmCompletion(1)));
    await expect(backend([url]).complete([{ ...REQ, n: 1, image: { key: 'k', mime: 'image/png', bytes: Buffer.alloc(4) } }], OPTS)).rejects.toThrow(/is not registered as reading pictures \(add-endpoint --vision\)/);
  });

  it("reads a PRM through vLLM's /pooling API: the whole input once, one row per step tag, P(good) from the configured column", async () => {
    const prmManifest = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'models', 'tiny-prm', 'manifest.json'), 'utf8'));
    const seen: { path?: string; body?: Record<string, unknown> }[] = [];
    let rows = [[0.3, 0.7], [0.9, 0.1]];
    const url = await scripted((req, body, res) => {
      seen.push({ path: req.url, body });
      // vLLM's /pooling response for a STEP pooler (one row per step tag, softmax over its returned ids)
      json(res, 200, { id: 'pool-1', object: 'list', created: 1, model: 'm', data: [{ index: 0, object: 'pooling', data: rows }], usage: { prompt_tokens: 40, total_tokens: 40, completion_tokens: 0 } });
    });
    const open = (endpoint: Record<string, unknown>): RemotePrmScorer =>
      RemotePrmScorer.open({ name: 'pooled', version: 1, manifest: prmManifest, endpoint: { urls: [url], servedModel: 'm', retries: 0, backoffMs: 10, timeoutMs: 2000, prmApi: 'pooling', ...endpoint } } as unknown as ModelRecord);
    const item = { question: 'Ann has 2 apples and buys 3 more. How many now?', steps: ['2 + 3 = 5', 'Answer: 5'] };
    expect(await open({ poolingGoodIndex: 1 }).score([item])).toEqual([[0.7, 0.1]]);
    expect(await open({ poolingGoodIndex: 0 }).score([item])).toEqual([[0.3, 0.9]]);
    expect(seen[0]).toEqual({ path: '/pooling', body: { model: 'm', input: renderPrmInput(prmSpec(prmManifest), item.question, item.steps, false) } });
    rows = [[0.3, 0.7]];
    await expect(open({}).score([item])).rejects.toThrow(/\/pooling answered 1 rows for 2 step tags \(each needs a column 1\); serve the PRM with a STEP pooler whose step tag is "<prm>"$/);
    await expect(open({ vision: true }).score([{ ...item, image: { key: 'k', mime: 'image/png', bytes: Buffer.alloc(4) } }])).rejects.toThrow(/is read through \/pooling, which takes no picture/);
  });
});
