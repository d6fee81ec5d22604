// The decoding loop on the bundled tiny policy (real ONNX through onnxruntime-node).
import { copyFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, type RolloutRequest } from '../src-main/core/inference/engine';
import { preprocessImage } from '../src-main/core/inference/image';
import { loadModel, type LoadedModel } from '../src-main/core/inference/model';
import { renderPrompt } from '../src-main/core/inference/prompt';
import { createRng, mixSeed } from '../src-main/core/rng';
import { tempDir } from './helpers/tmp';

const MODEL = join(import.meta.dirname, '..', 'models', 'tiny-policy');
const DEMO = join(import.meta.dirname, '..', 'models', 'demo-data');
const rows = readFileSync(join(DEMO, 'problems.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { id: string; question: string; answer: string; image?: string; split: string })
  .filter((r) => r.split === 'test');
const textRows = rows.filter((r) => !r.image);
const imageRows = rows.filter((r) => r.image);

let model: LoadedModel;
let engine: Engine;
beforeAll(async () => {
  model = await loadModel(MODEL);
  engine = new Engine(model);
});
afterAll(async () => {
  await model?.release();
});

const greedy = { temperature: 0, topK: 0, topP: 1, maxNewTokens: 128, stopAtStep: false };
const streams = (seed: number, key: number, n: number) =>
  Array.from({ length: n }, (_, k) => {
    const r = createRng(mixSeed(seed, key, k));
    return () => r.next();
  });
const prompt = (q: string, hasImage = false) => engine.encodePrompt(renderPrompt(model.manifest, q, { hasImage }));

describe('engine', () => {
  it('loads the bundled policy on CPU and says why faster providers were not used', () => {
    expect(model.provider).toBe('cpu');
    expect(model.kv).toEqual({ layers: 4, heads: 2, headDim: 24 });
    expect(engine.encodePrompt('<image>').length).toBe(model.manifest.image!.tokens + 1); // + BOS
  });

  it('greedy decoding is the same alone, in a batch, and with or without prefix reuse', async () => {
    const qs = textRows.slice(0, 6);
    const alone = [];
    for (const r of qs) alone.push((await engine.generate([{ prefix: prompt(r.question), rngs: streams(0, 0, 1) }], greedy))[0][0].text);
    engine.clearPrefixCache();
    const batched = (await engine.generate(qs.map((r) => ({ prefix: prompt(r.question), rngs: streams(0, 0, 1) })), greedy)).map((x) => x[0].text);
    const recomputed = (await engine.generate(qs.map((r) => ({ prefix: prompt(r.question), rngs: streams(0, 0, 1) })), { ...greedy, reusePrefix: false })).map((x) => x[0].text);
    expect(batched).toEqual(alone);
    expect(recomputed).toEqual(alone);
    expect(alone.every((t) => /Answer: \d+\n$/.test(t))).toBe(true);
  });

  it('sampling is reproducible per stream, whatever else is in the batch', async () => {
    const p = prompt(textRows[0].question);
    const opts = { ...greedy, temperature: 1.5, topK: 50, topP: 1 };
    const a = await engine.generate([{ prefix: p, rngs: streams(7, 1, 8) }], opts);
    const b = await engine.generate([{ prefix: prompt(textRows[1].question), rngs: streams(7, 2, 5) }, { prefix: p, rngs: streams(7, 1, 8) }], { ...opts, maxBatch: 4 });
    expect(b[1].map((r) => r.text)).toEqual(a[0].map((r) => r.text));
    expect(new Set(a[0].map((r) => r.text)).size).toBeGreaterThan(1); // sampling does vary across streams
    const c = await engine.generate([{ prefix: p, rngs: streams(8, 1, 8) }], opts);
    expect(c[0].map((r) => r.text)).not.toEqual(a[0].map((r) => r.text));
  });

  it('stops at the step delimiter, at end of sequence or at the token limit, with per-token log-probabilities', async () => {
    const p = prompt(textRows[2].question);
    const [[step]] = await engine.generate([{ prefix: p, rngs: streams(0, 0, 1) }], { ...greedy, stopAtStep: true });
    expect(step.finish).toBe('step');
    expect(step.text.endsWith('\n')).toBe(true);
    expect(step.text.slice(0, -1)).not.toContain('\n');
    const [[full]] = await engine.generate([{ prefix: p, rngs: streams(0, 0, 1) }], greedy);
    expect(full.finish).toBe('eos');
    expect(full.text.startsWith(step.text)).toBe(true);
    expect(full.logprobs).toHaveLength(full.tokens.length);
    expect(full.logprobs.every((l) => l <= 0 && Number.isFinite(l))).toBe(true);
    const [[cut]] = await engine.generate([{ prefix: p, rngs: streams(0, 0, 1) }], { ...greedy, maxNewTokens: 5 });
    expect(cut).toMatchObject({ finish: 'length' });
    expect(cut.tokens).toEqual(full.tokens.slice(0, 5));
  });

  it('continues from a step prefix: the prefix cache extends the parent prompt instead of recomputing it', async () => {
    const q = textRows[3].question;
    const root = prompt(q);
    const [[first]] = await engine.generate([{ prefix: root, rngs: streams(0, 0, 1) }], { ...greedy, stopAtStep: true });
    const before = { ...engine.stats };
    const child = engine.encodePrompt(renderPrompt(model.manifest, q, { hasImage: false, steps: [first.text.trim()] }));
    expect(child.slice(0, root.length)).toEqual(root);
    const [[rest]] = await engine.generate([{ prefix: child, rngs: streams(0, 0, 1) }], greedy);
    const after = engine.stats;
    expect(after.prefixCacheHits).toBeGreaterThan(before.prefixCacheHits);
    // only the new step's tokens were prefilled, not the whole prompt again
    expect(after.prefillTokens - before.prefillTokens).toBeLessThan(child.length - root.length + 1);
    const [[whole]] = await engine.generate([{ prefix: root, rngs: streams(0, 0, 1) }], greedy);
    expect(first.text + rest.text).toBe(whole.text);
  });

  it('reads the image: image problems start with the count the picture shows', async () => {
    const picks = imageRows.slice(0, 12);
    const reqs: RolloutRequest[] = [];
    for (const r of picks) {
      const pixels = await preprocessImage(readFileSync(join(DEMO, r.image!)), model.manifest.image!);
      reqs.push({ prefix: prompt(r.question, true), image: { key: r.id, pixels }, rngs: streams(0, 0, 1) });
    }
    const out = await engine.generate(reqs, greedy);
    const meta = picks.map((r) => (JSON.parse(readFileSync(join(DEMO, 'problems.jsonl'), 'utf8').split('\n').find((l) => l.includes(`"${r.id}"`))!) as { image_count: number }).image_count);
    const right = out.filter((o, i) => o[0].text.startsWith(`count = ${meta[i]}\n`)).length;
    // chance is 1/9 per problem; the vision path must do far better
    expect(right).toBeGreaterThanOrEqual(8);
  });
});

describe('bad input', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    tmp = tempDir();
  });
  afterAll(() => tmp.cleanup());

  const broken = (name: string, change: (dir: string) => void): string => {
    const dir = join(tmp.dir, name);
    cpSync(MODEL, dir, { recursive: true });
    change(dir);
    return dir;
  };

  it('an ONNX file that is not a model', async () => {
    const dir = broken('not-onnx', (d) => writeFileSync(join(d, 'onnx', 'model.onnx'), 'this is not a model'));
    await expect(loadModel(dir)).rejects.toThrow(new RegExp(`^${join(dir, 'onnx', 'model.onnx')}: not a loadable ONNX model \\(`));
  });

  it('a decoder missing a declared input', async () => {
    const dir = broken('missing-input', (d) => copyFileSync(join(d, 'onnx', 'embed_tokens.onnx'), join(d, 'onnx', 'model.onnx')));
    await expect(loadModel(dir)).rejects.toThrow(/onnx\/model\.onnx: missing inputs "attention_mask", "position_ids", "past_key_values\.0\.key" and \d+ more/);
  });

  it('a tokenizer that does not fit the embedding', async () => {
    const dir = broken('vocab', (d) => {
      const c = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
      writeFileSync(join(d, 'config.json'), JSON.stringify({ ...c, vocab_size: 50 }));
    });
    await expect(loadModel(dir)).rejects.toThrow(/tokenizer\.json: the tokenizer has 85 tokens but the model's embedding has 50 rows/);
  });

  it('a manifest out of range', async () => {
    const dir = broken('manifest', (d) => {
      const m = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8'));
      writeFileSync(join(d, 'manifest.json'), JSON.stringify({ ...m, contextLength: 4096 }));
    });
    await expect(loadModel(dir)).rejects.toThrow(/manifest\.json: contextLength 4096 exceeds config\.json max_position_embeddings 512/);
  });

  it('an image that is not an image', async () => {
    await expect(preprocessImage(Buffer.from('GIF89a garbage'), model.manifest.image!, 'image "x.gif"')).rejects.toThrow(/^image "x\.gif": not a readable image/);
  });

  it('a prompt longer than the context', async () => {
    const long = prompt('x'.repeat(600));
    await expect(engine.generate([{ prefix: long, rngs: streams(0, 0, 1) }], greedy)).rejects.toThrow(/^prompt is \d+ tokens, longer than the model's context of 512 tokens$/);
  });
});
