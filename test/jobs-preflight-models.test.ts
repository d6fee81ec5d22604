// The pre-flight's model checks, before any job row is made: a PRM whose manifest lacks its tag or Yes/No
// tokens, or whose tokenizer does not know them, is refused with the reason; a job on an endpoint model
// whose servers do not answer (a real closed port) is refused naming the URL and what to do, while one
// whose server answers (a scripted server, awaited listening) passes. Through jobs.start as every door
// calls it: the job table is unchanged after each refusal.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EndpointConfig } from '../src-shared/domain';
import { checkEndpoints, checkPrmTokens, preflightJob } from '../src-main/core/jobs/preflight';
import { openWorkbench, type Workbench } from '../src-main/core/workbench';
import { tempDir } from './helpers/tmp';

const TINY_PRM = join(import.meta.dirname, '..', 'models', 'tiny-prm');
const prmManifest = JSON.parse(readFileSync(join(TINY_PRM, 'manifest.json'), 'utf8')) as { specialTokens: Record<string, string> };

let wb: Workbench;
let tmp: ReturnType<typeof tempDir>;

/** A PRM record over a folder with the tiny PRM's tokenizer and this manifest (all the pre-flight reads). */
function prmFolder(name: string, specialTokens: Record<string, string | undefined>): void {
  const dir = join(tmp.dir, name);
  mkdirSync(dir);
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(TINY_PRM, f), join(dir, f));
  const manifest = { ...prmManifest, name, specialTokens };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  wb.store.models.register({ name, role: 'prm', family: 'steplab-demo', path: dir, manifest });
}

function endpointPrm(name: string, url: string): void {
  wb.store.models.register({
    name,
    role: 'prm',
    family: 'steplab-demo',
    path: url,
    manifest: { ...prmManifest, name },
    endpoint: EndpointConfig.parse({ urls: [url], servedModel: 'served-prm', retries: 0 }),
  });
}

const jobRows = (): number => (wb.store.db.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number }).n;
const score = (prm: string) => ({ kind: 'score' as const, config: { prm, searches: [1], rescore: false, threshold: 0.5, batch: 64 } });

beforeAll(() => {
  tmp = tempDir('steplab-preflight-models-');
  wb = openWorkbench(join(tmp.dir, 'ws'), { create: true });
  prmFolder('good-prm', prmManifest.specialTokens);
  prmFolder('no-yes-prm', { ...prmManifest.specialTokens, yes: undefined });
  prmFolder('unknown-tag-prm', { ...prmManifest.specialTokens, prm: '<step_tag>', no: '<no_token>' });
});
afterAll(async () => {
  await wb?.close();
  tmp?.cleanup();
});

describe("a PRM's tag and Yes/No tokens", () => {
  it('passes a PRM whose tokenizer knows them', () => {
    expect(() => checkPrmTokens(wb.store, 'good-prm')).not.toThrow();
  });

  it("refuses a manifest without one, with prmSpec's reason", () => {
    expect(() => checkPrmTokens(wb.store, 'no-yes-prm')).toThrow(
      'PRM "no-yes-prm@1": model "no-yes-prm" cannot score steps: its manifest has no specialTokens.yes (a PRM needs the step tag and the Yes/No tokens)',
    );
  });

  it('refuses tokens the tokenizer does not know, naming each and the tokenizer file', () => {
    expect(() => checkPrmTokens(wb.store, 'unknown-tag-prm')).toThrow(
      /^PRM "unknown-tag-prm@1" cannot score steps: its tokenizer \(.*tokenizer\.json\) does not know specialTokens\.prm "<step_tag>", specialTokens\.no "<no_token>" from its manifest/,
    );
  });

  it('refuses through jobs.start before a job row exists', async () => {
    const before = jobRows();
    await expect(Promise.resolve(wb.handlers['jobs.start'](score('unknown-tag-prm')))).rejects.toThrow(/does not know specialTokens\.prm "<step_tag>"/);
    await expect(Promise.resolve(wb.handlers['jobs.start'](score('no-yes-prm')))).rejects.toThrow(/has no specialTokens\.yes/);
    expect(jobRows()).toBe(before);
  });
});

describe('an endpoint model whose server is down', () => {
  let up: Server;
  let upUrl = '';
  let deadUrl = '';
  const asked: string[] = [];

  beforeAll(async () => {
    // a closed port: a server is opened to get a free port, then closed (nothing listens there)
    const free = createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const deadPort = (free.address() as AddressInfo).port;
    await new Promise<void>((r) => free.close(() => r()));
    deadUrl = `http://127.0.0.1:${deadPort}/v1`;
    // a scripted OpenAI-style server that serves "served-prm"
    up = createServer((req, res) => {
      asked.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'served-prm', object: 'model' }] }));
    });
    await new Promise<void>((r) => up.listen(0, '127.0.0.1', r));
    upUrl = `http://127.0.0.1:${(up.address() as AddressInfo).port}/v1`;
    endpointPrm('down-prm', deadUrl);
    endpointPrm('up-prm', upUrl);
  });
  afterAll(() => new Promise<void>((r) => up.close(() => r())));

  it('refuses in one line naming the URL and what to do, with no job row', async () => {
    const before = jobRows();
    const message = `model "down-prm@1" is served over an endpoint and no server answers: ${deadUrl} (is unreachable: connection refused`;
    await expect(checkEndpoints(wb.store, score('down-prm'))).rejects.toThrow(message);
    const err = await Promise.resolve(wb.handlers['jobs.start'](score('down-prm'))).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toContain(message);
    expect(err?.message).toMatch(/start its server \(vLLM, or `steplab serve-model`\) or check the URL and the API key, then start the job again$/);
    expect(err?.message.split('\n')).toHaveLength(1);
    expect(jobRows()).toBe(before);
  });

  it('jobs.check answers the refusal a form shows live, and null for a job that would start, making nothing', async () => {
    const before = jobRows();
    expect((await wb.handlers['jobs.check'](score('down-prm'))).refused).toMatch(/^model "down-prm@1" is served over an endpoint and no server answers: http:\/\/127\.0\.0\.1:\d+\/v1 \(is unreachable/);
    expect((await wb.handlers['jobs.check'](score('unknown-tag-prm'))).refused).toMatch(/does not know specialTokens\.prm "<step_tag>"/);
    expect(await wb.handlers['jobs.check'](score('up-prm'))).toEqual({ refused: null });
    expect(jobRows()).toBe(before);
  });

  it('passes an endpoint whose server answers, asking it once', async () => {
    asked.length = 0;
    await expect(preflightJob(wb.store, score('up-prm'))).resolves.toEqual(score('up-prm'));
    expect(asked).toEqual(['GET /v1/models']);
  });

  it('does not ask about a model in a folder', async () => {
    await expect(checkEndpoints(wb.store, score('good-prm'), () => Promise.reject(new Error('asked')))).resolves.toBeUndefined();
  });
});
