// The remote model backend against a real `steplab serve-model` process on this machine: the same seeded
// requests give the same tokens in process and over HTTP (text through /v1/completions, pictures through
// /v1/chat/completions), a search and a Best-of-N run through the endpoint equal in-process runs, a server
// killed mid-job pauses the job with a clear message and it resumes with exact counts once the server is
// back, and add-endpoint refuses bad endpoints in one line with the workspace unchanged.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job, Problem } from '../src-shared/domain';
import { EmbeddedBackend, problemImageData, stepsText, type CompletionOptions, type CompletionRequest } from '../src-main/core/inference/backend';
import { loadModel } from '../src-main/core/inference/model';
import { RemoteBackend } from '../src-main/core/inference/remote';
import { RemotePrmScorer } from '../src-main/core/reward/remotePrm';
import { openPrm } from '../src-main/core/reward/scoreJob';
import { openWorkbench, type Workbench } from '../src-main/core/workbench';
import { cli, startCli } from './helpers/cli';
import { tempDir } from './helpers/tmp';
import { onJobRow } from './helpers/jobRows';

const TOKEN = 'test-token-0123456789abcdef';
const KEY_ENV = 'STEPLAB_TEST_ENDPOINT_KEY';

interface Served {
  child: ChildProcess;
  url: string;
  port: number;
}

async function serve(ws: string, port = 0, model = 'tiny-policy'): Promise<Served> {
  const { child, done } = startCli(['serve-model', '--workspace', ws, '--model', model, '--port', String(port), '--token-env', 'SERVE_TOKEN', '--json'], { SERVE_TOKEN: TOKEN });
  const info = await new Promise<{ url: string; port: number }>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += String(d);
      const line = buf.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line));
    });
    void done.then((r) => reject(new Error(`serve-model exited ${r.code}: ${r.stderr}`)));
  });
  return { child, ...info };
}

async function stop(s: Served | null): Promise<void> {
  if (!s || s.child.exitCode !== null) return;
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGKILL');
  await exited;
}

const tmp = tempDir('steplab-remote-');
const ws = join(tmp.dir, 'ws');
let wb: Workbench;
let served: Served;

beforeAll(async () => {
  process.env[KEY_ENV] = TOKEN;
  expect((await cli('init', ws, '--demo')).code).toBe(0);
  served = await serve(ws);
  const add = await cli('models', 'add-endpoint', 'remote-policy', '--url', served.url, '--served-model', 'tiny-policy', '--role', 'policy', '--api-key-env', KEY_ENV, '--retries', '1', '--timeout', '60', '--workspace', ws);
  expect(add.err).toEqual([]);
  expect(add.out[0]).toMatch(/^registered remote-policy@1 \(policy\) served as "tiny-policy" at http:\/\/127\.0\.0\.1:\d+\/v1$/);
  wb = openWorkbench(ws);
}, 120_000);

afterAll(async () => {
  await wb?.close();
  await stop(served);
  delete process.env[KEY_ENV];
  tmp.cleanup();
});

function testProblems(): { text: Problem[]; image: Problem[] } {
  const id = wb.store.datasets.requireId('demo');
  const ps = [...wb.store.problems.iterateDataset(id, { split: 'test', limit: 40 })];
  return { text: ps.filter((p) => p.images.length === 0).slice(0, 3), image: ps.filter((p) => p.images.length > 0).slice(0, 2) };
}

describe('remote backend over steplab serve-model', () => {
  it('gives the same tokens as the engine in process for the same seeded requests (text, pictures, prefixes, reflections, one step)', async () => {
    const local = new EmbeddedBackend(await loadModel(wb.store.models.byName('tiny-policy').path));
    const remote = RemoteBackend.open(wb.store.models.byName('remote-policy'));
    try {
      expect(remote.vision).toBe(true);
      const { text, image } = testProblems();
      expect(image.length).toBe(2);
      const req = (p: Problem, extra: Partial<CompletionRequest> = {}): CompletionRequest => ({ question: p.question, continuation: '', image: problemImageData(wb.store, p, local), n: 3, seed: 1234 + p.id, ...extra });
      const reqs: CompletionRequest[] = [
        ...text.map((p) => req(p)),
        ...image.map((p) => req(p)),
        req(text[0], { continuation: stepsText(['2 + 3 = 5'], '\n'), reflection: 'step 2: check the operands', offset: 5 }),
        req(image[0], { continuation: stepsText(['count = 4'], '\n'), reflection: 'count the picture again' }),
      ];
      const settings: CompletionOptions[] = [
        { temperature: 0.8, topK: 0, topP: 1, maxNewTokens: 64, stopAtStep: false },
        { temperature: 1, topK: 20, topP: 0.9, maxNewTokens: 64, stopAtStep: true },
        { temperature: 0, topK: 0, topP: 1, maxNewTokens: 64, stopAtStep: false },
      ];
      for (const s of settings) {
        const a = await local.complete(reqs, s);
        const b = await remote.complete(reqs, s);
        expect(b).toEqual(a);
        if (s.stopAtStep) expect(a.flat().every((c) => c.finish !== 'eos' || !c.text.includes('\n'))).toBe(true);
      }
      expect(remote.client.stats.requests).toBe(settings.length * reqs.length);
      // --api completions carries the picture in serve-model's `images` extension: the same tokens
      const rec = wb.store.models.byName('remote-policy');
      const viaCompletions = RemoteBackend.open({ ...rec, endpoint: { ...rec.endpoint!, api: 'completions' } });
      expect(await viaCompletions.complete(reqs, settings[0])).toEqual(await local.complete(reqs, settings[0]));
      expect(remote.provider).toBe(`endpoint ${served.url} (tiny-policy)`);
    } finally {
      await local.release();
    }
  }, 120_000);

  it('runs a search through the endpoint node for node like the one in process, and records the backend', async () => {
    const config = { maxSearchCount: 3, rolloutBudget: 40, rolloutsPerState: 8, lengthScale: 50 };
    const run = async (model: string): Promise<Job> => wb.runner.wait(wb.runner.submit('search', { dataset: 'demo', split: 'test', limit: 3, model, algo: 'omega', config, seed: 11 }).id);
    const a = await run('tiny-policy');
    const b = await run('remote-policy');
    expect(a.state).toBe('done');
    expect(b.state).toBe('done');
    const ids = (j: Job): number[] => (j.result as { searchIds: number[] }).searchIds;
    const shape = (searchId: number): unknown[] => wb.store.trees.nodes(searchId).map((n) => [n.depth, n.stepText, n.visits, n.rollouts, n.correct, n.mc, n.q, n.firstError]);
    expect(ids(b).length).toBe(3);
    ids(a).forEach((s, i) => expect(shape(ids(b)[i])).toEqual(shape(s)));
    expect(wb.store.trees.getSearch(ids(b)[0]).stats.provider).toBe(`endpoint ${served.url} (tiny-policy)`);
    expect(wb.store.trees.getSearch(ids(a)[0]).stats.provider).toBe('cpu');
  }, 180_000);

  it('runs Best-of-N with the policy behind the endpoint: the same candidates and numbers as in process', async () => {
    const run = async (policy: string): Promise<Job> => wb.runner.wait(wb.runner.submit('bon', { dataset: 'demo', split: 'test', policy, prm: 'tiny-prm', n: 4, limit: 4, seed: 5 }).id);
    const a = await run('tiny-policy');
    const b = await run('remote-policy');
    expect(b.state).toBe('done');
    const ra = a.result as { accuracy: unknown; splits: unknown; generated: number };
    const rb = b.result as { accuracy: unknown; splits: unknown; generated: number };
    expect(rb.generated).toBe(4 * 5);
    expect(rb.accuracy).toEqual(ra.accuracy);
    expect(rb.splits).toEqual(ra.splits);
    const texts = (jobId: number): string[] =>
      (wb.store.db.prepare("SELECT s.problem_id AS p, s.settings AS st, group_concat(x.text, '|') AS t FROM solutions s JOIN steps x ON x.solution_id = s.id WHERE s.job_id = ? GROUP BY s.id ORDER BY s.problem_id, s.id").all(jobId) as { p: number; t: string }[]).map((r) => `${r.p}:${r.t}`);
    expect(texts(b.id)).toEqual(texts(a.id));
    const providers = wb.store.db.prepare('SELECT DISTINCT provider FROM solutions WHERE job_id = ?').all(b.id) as { provider: string }[];
    expect(providers).toEqual([{ provider: `endpoint ${served.url} (tiny-policy)` }]);
  }, 180_000);

  it('pauses a job when the server dies, says why, and resumes it with exact counts once the server is back', async () => {
    const config = { dataset: 'demo', split: 'val', limit: 6, model: 'remote-policy', n: 2, seed: 3, problemsPerBatch: 1 };
    const job = wb.runner.submit('generate', config);
    let killed = false;
    const off = onJobRow(wb, (j) => {
      if (j.id === job.id && j.progress.done >= 2 && !killed) {
        killed = true;
        served.child.kill('SIGKILL');
      }
    });
    const paused = await wb.runner.wait(job.id);
    off();
    expect(killed).toBe(true);
    expect(paused.state).toBe('interrupted');
    expect(paused.error).toMatch(/^endpoint model "remote-policy@1" \(tiny-policy\) at http:\/\/127\.0\.0\.1:\d+\/v1 is unreachable: connection refused \(is the server running\?\) \(2 attempts\); the job is paused with its work saved/);
    const before = (wb.store.db.prepare('SELECT count(*) AS n FROM solutions WHERE job_id = ?').get(job.id) as { n: number }).n;
    expect(before).toBeGreaterThanOrEqual(4);
    expect(before).toBeLessThan(12);
    expect(before % 2).toBe(0);

    served = await serve(ws, served.port);
    wb.runner.resume(job.id);
    const end = await wb.runner.wait(job.id);
    expect(end.state).toBe('done');
    const rows = wb.store.db.prepare('SELECT problem_id AS p, count(*) AS n FROM solutions WHERE job_id = ? GROUP BY problem_id').all(job.id) as { p: number; n: number }[];
    expect(rows.length).toBe(6);
    expect(rows.every((r) => r.n === 2)).toBe(true);
    // the resumed run equals an uninterrupted one in process
    const local = await wb.runner.wait(wb.runner.submit('generate', { ...config, model: 'tiny-policy' }).id);
    const texts = (jobId: number): string[] =>
      (wb.store.db.prepare("SELECT group_concat(x.text, '|') AS t FROM solutions s JOIN steps x ON x.solution_id = s.id WHERE s.job_id = ? GROUP BY s.id ORDER BY s.problem_id, s.id").all(jobId) as { t: string }[]).map((r) => r.t);
    expect(texts(job.id)).toEqual(texts(local.id));
  }, 180_000);
});

describe('a PRM over an endpoint', () => {
  let prmServer: Served | null = null;
  afterAll(() => stop(prmServer));

  it('scores steps through logprobs at each tag like the PRM in process, pictures included, and in a score job', async () => {
    prmServer = await serve(ws, 0, 'tiny-prm');
    const add = await cli('models', 'add-endpoint', 'remote-prm', '--url', prmServer.url, '--served-model', 'tiny-prm', '--role', 'prm', '--api-key-env', KEY_ENV, '--workspace', ws);
    expect(add.err).toEqual([]);
    const local = await openPrm(wb.store, 'tiny-prm');
    const remote = await openPrm(wb.store, 'remote-prm');
    try {
      const { text, image } = testProblems();
      const items = [];
      for (const p of [...text.slice(0, 2), ...image]) {
        const steps = ['count = 3', '3 + 2 = 5', 'Answer: 5'].slice(p.images.length ? 0 : 1);
        items.push({ local: { question: p.question, steps, image: await local.scorer.imageFor(wb.store, p) }, remote: { question: p.question, steps, image: await remote.scorer.imageFor(wb.store, p) } });
      }
      expect(items.filter((i) => i.remote.image?.bytes).length).toBe(2);
      const a = await local.scorer.score(items.map((i) => i.local));
      const b = await remote.scorer.score(items.map((i) => i.remote));
      expect(b.map((r) => r.length)).toEqual(a.map((r) => r.length));
      a.forEach((row, i) => row.forEach((x, j) => expect(b[i][j]).toBeCloseTo(x, 4)));
      expect((remote.scorer as RemotePrmScorer).bounded).toBe(0);
    } finally {
      await local.release();
      await remote.release();
    }
    // a score job over a search's nodes gives the same scores through the endpoint
    const made = await wb.runner.wait(wb.runner.submit('search', { dataset: 'demo', split: 'val', limit: 1, model: 'tiny-policy', algo: 'omega', config: { maxSearchCount: 3, rolloutBudget: 32, rolloutsPerState: 8, lengthScale: 50 }, seed: 2 }).id);
    const search = wb.store.trees.getSearch((made.result as { searchIds: number[] }).searchIds[0]);
    const run = async (prm: string): Promise<Job> => wb.runner.wait(wb.runner.submit('score', { prm, searches: [search.id] }).id);
    const ja = await run('tiny-prm');
    const jb = await run('remote-prm');
    expect(jb.state).toBe('done');
    const sa = wb.store.scores.nodeScores(wb.store.models.byName('tiny-prm').id, search.id);
    const sb = wb.store.scores.nodeScores(wb.store.models.byName('remote-prm').id, search.id);
    expect(sb.size).toBe(sa.size);
    expect(sa.size).toBeGreaterThan(0);
    for (const [k, v] of sa) expect(sb.get(k)).toBeCloseTo(v, 4);
    expect(ja.state).toBe('done');
  }, 120_000);
});

describe('steplab serve-model', () => {
  const post = async (path: string, body: unknown, token: string | null = TOKEN): Promise<{ status: number; body: { error?: { message: string; param: string | null } } & Record<string, unknown> }> => {
    const res = await fetch(served.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as never };
  };

  it('answers OpenAI-shaped completions with logprobs and top_logprobs, and trims at a stop string', async () => {
    const r = await post('/completions', { model: 'tiny-policy', prompt: 'Q: Ann has 2 apples and buys 3 more. How many now?\nS:\n', n: 2, temperature: 0, max_tokens: 40, logprobs: 2, stop: ['\n'] });
    expect(r.status).toBe(200);
    const choices = r.body.choices as { index: number; text: string; finish_reason: string; stop_reason: string; logprobs: { tokens: string[]; token_logprobs: number[]; top_logprobs: Record<string, number>[] } }[];
    expect(choices.map((c) => c.index)).toEqual([0, 1]);
    expect(choices[0].text).not.toContain('\n');
    expect(choices[0]).toMatchObject({ finish_reason: 'stop', stop_reason: '\n' });
    expect(choices[0].logprobs.tokens.join('')).toBe(choices[0].text + '\n');
    expect(Object.keys(choices[0].logprobs.top_logprobs[0])).toHaveLength(2);
    expect(Math.max(...Object.values(choices[0].logprobs.top_logprobs[0]))).toBeCloseTo(choices[0].logprobs.token_logprobs[0], 5);
    expect(r.body.usage).toMatchObject({ completion_tokens: expect.any(Number), prompt_tokens: expect.any(Number) });
  });

  it('refuses requests it cannot answer with an OpenAI error naming the field', async () => {
    const cases: [unknown, string | null, number, RegExp][] = [
      [{ prompt: 'x', n: 0 }, TOKEN, 400, /^field "n": /],
      [{ prompt: 'x' }, null, 401, /missing or wrong API key/],
      [{ prompt: 'x' }, 'wrong-token-0123456789', 401, /missing or wrong API key/],
      [{ prompt: 'x', model: 'gpt-4' }, TOKEN, 404, /model "gpt-4" is not served here; this server serves "tiny-policy"/],
      [{ prompt: 'x', stream: true }, TOKEN, 400, /stream: true is not supported/],
      [{ prompt: 'x '.repeat(600) }, TOKEN, 400, /the prompt is \d+ tokens; the model's context is 512/],
    ];
    for (const [body, token, status, msg] of cases) {
      const r = await post('/completions', body, token);
      expect(r.status, JSON.stringify(body).slice(0, 60)).toBe(status);
      expect(r.body.error!.message).toMatch(msg);
    }
    const chat = await post('/chat/completions', { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }, { type: 'text', text: 'q' }] }] });
    expect(chat.status).toBe(400);
    expect(chat.body.error!.message).toMatch(/only data: URLs/);
    const unauth = await fetch(served.url + '/models');
    expect(unauth.status).toBe(401);
  });
});

describe('models add-endpoint and models', () => {
  let scripted: Server;
  let scriptedUrl = '';
  beforeAll(async () => {
    // a server with an OpenAI-style model list and no Steplab manifest (as vLLM), one model with a small context
    // and a PRM whose served tokenizer splits its tag (POST /tokenize answers two ids)
    const prmManifest = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'models', 'tiny-prm', 'manifest.json'), 'utf8'));
    scripted = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/tokenize') return res.end(JSON.stringify({ count: 2, max_model_len: 512, tokens: [17, 18] }));
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'Qwen/Qwen2.5-VL-7B', object: 'model', max_model_len: 128 }, { id: 'split-prm', object: 'model', max_model_len: 512, steplab_manifest: prmManifest }] }));
    });
    await new Promise<void>((r) => scripted.listen(0, '127.0.0.1', r));
    scriptedUrl = `http://127.0.0.1:${(scripted.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => new Promise<void>((r) => scripted.close(() => r())));

  const count = (): number => (wb.store.db.prepare('SELECT count(*) AS n FROM models').get() as { n: number }).n;

  it('refuses a bad endpoint in one line before anything is written', async () => {
    const before = count();
    const free = createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const deadPort = (free.address() as AddressInfo).port;
    await new Promise<void>((r) => free.close(() => r()));
    const add = (...a: string[]) => cli('models', 'add-endpoint', 'x', '--workspace', ws, ...a);
    const cases: [string[], RegExp][] = [
      [['--url', `http://127.0.0.1:${deadPort}/v1`, '--served-model', 'm', '--role', 'policy'], /^error: endpoint "x" \(m\) at http:\/\/127\.0\.0\.1:\d+\/v1 is unreachable: connection refused/],
      [['--url', served.url, '--served-model', 'tiny-policy', '--role', 'policy'], /refused the request \(HTTP 401: missing or wrong API key .*\): it needs an API key \(models add-endpoint --api-key-env VAR\)$/],
      [['--url', served.url, '--served-model', 'tiny-policy', '--role', 'policy', '--api-key-env', 'STEPLAB_WRONG_KEY'], /reads its API key from the environment variable STEPLAB_WRONG_KEY, which is not set$/],
      [['--url', served.url, '--served-model', 'nope', '--role', 'policy', '--api-key-env', KEY_ENV], /does not serve "nope"; it serves "tiny-policy"$/],
      [['--url', served.url, '--served-model', 'tiny-policy', '--role', 'prm', '--api-key-env', KEY_ENV], /cannot be registered as a prm: its manifest is for a policy model, not a prm$/],
      [['--url', scriptedUrl, '--served-model', 'Qwen/Qwen2.5-VL-7B', '--role', 'policy'], /offers no Steplab manifest for "Qwen\/Qwen2\.5-VL-7B" \(only steplab serve-model does\); give one with --manifest <file>$/],
      [['--url', scriptedUrl, '--served-model', 'Qwen/Qwen2.5-VL-7B', '--role', 'policy', '--manifest', join(import.meta.dirname, '..', 'models', 'tiny-policy', 'manifest.json')], /the server's context is 128 tokens, smaller than the manifest's contextLength 512$/],
      [['--url', scriptedUrl, '--served-model', 'split-prm', '--role', 'prm'], /cannot be registered as a prm: the served tokenizer makes 2 tokens of specialTokens\.prm "<prm>"; the manifest's special tokens must be single tokens of the served model$/],
      [['--url', 'ftp://example/v1', '--served-model', 'm', '--role', 'policy'], /^error: endpoint urls\.0: must be an http\(s\) URL$/],
      [['--url', served.url, '--served-model', 'tiny-policy', '--role', 'critic'], /--role.*critic.*is invalid/],
    ];
    process.env.STEPLAB_WRONG_KEY_UNUSED = '1';
    for (const [args, msg] of cases) {
      const r = await add(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err.length, r.err.join('\n')).toBeGreaterThanOrEqual(1);
      expect(r.err[0]).toMatch(msg);
    }
    process.env.STEPLAB_BAD_KEY = 'not-the-token-at-all';
    const wrong = await add('--url', served.url, '--served-model', 'tiny-policy', '--role', 'policy', '--api-key-env', 'STEPLAB_BAD_KEY');
    expect(wrong.err[0]).toMatch(/refused the request \(HTTP 401: .*\): check the API key in \$STEPLAB_BAD_KEY$/);
    delete process.env.STEPLAB_BAD_KEY;
    expect(count()).toBe(before);
  }, 60_000);

  it('lists endpoints with their health: up, and down with the reason', async () => {
    const up = await cli('models', '--workspace', ws, '--json');
    const list = JSON.parse(up.out[0]) as { models: { name: string; endpoint: unknown; health?: { ok: boolean; detail: string }[] }[] };
    const remote = list.models.find((m) => m.name === 'remote-policy')!;
    expect(remote.health![0].ok).toBe(true);
    expect(remote.health![0].detail).toMatch(/^up, \d+ ms$/);
    expect(list.models.find((m) => m.name === 'tiny-policy')!.health).toBeUndefined();
    const text = await cli('models', '--workspace', ws);
    expect(text.out.join('\n')).toMatch(/remote-policy\s+v1\s+policy\s+steplab-demo\s+ENDPOINT\s+http:\/\/127\.0\.0\.1:\d+\/v1 \(tiny-policy\): up, \d+ ms/);
    await stop(served);
    const down = await cli('models', '--workspace', ws, '--json');
    const d = (JSON.parse(down.out[0]) as typeof list).models.find((m) => m.name === 'remote-policy')!;
    expect(d.health![0]).toMatchObject({ ok: false, detail: expect.stringMatching(/unreachable: connection refused/) });
    served = await serve(ws, served.port);
  }, 60_000);
});
