// Inference throughput on the bundled tiny policy, the MCTS workload: 16 sampled rollouts continuing
// from a deep step prefix to the end of the solution (varied lengths), for a set of demo problems.
//   - Steplab's engine with prefix reuse (prefix computed once, KV copied to 16 rows, finished rows dropped)
//   - the same engine recomputing the prefix for every row
//   - transformers.js generate() on the same ONNX model, 16 left-padded copies, sampling
// plus plain tokens/s at batch 1 and batch 16. Useful tokens are counted up to each row's end of sequence.
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { AutoModelForCausalLM, AutoTokenizer, env, Tensor } from '@huggingface/transformers';
import { Engine } from '../src-main/core/inference/engine';
import { loadModel } from '../src-main/core/inference/model';
import { renderPrompt } from '../src-main/core/inference/prompt';
import { createRng, mixSeed } from '../src-main/core/rng';
import { fmt, median, type BenchResult } from './util';

const ROOT = join(import.meta.dirname, '..');
const MODEL = join(ROOT, 'models', 'tiny-policy');

interface Row {
  id: string;
  question: string;
  image?: string;
  steps?: string[];
  reference_steps: { text: string }[];
}

export async function benchInference(opts: { problems?: number; rollouts?: number; repeats?: number } = {}): Promise<{ results: BenchResult[]; notes: string[] }> {
  const P = opts.problems ?? 12;
  const K = opts.rollouts ?? 16;
  const repeats = opts.repeats ?? 3;
  const rows = readFileSync(join(ROOT, 'models', 'demo-data', 'problems.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Row)
    .filter((r) => !r.image && r.reference_steps.length >= 5)
    .slice(0, P);
  const model = await loadModel(MODEL);
  const engine = new Engine(model);
  const maxNewTokens = 96;
  // deep prefix: the prompt plus all reference steps but the last arithmetic one
  const prefixes = rows.map((r) => renderPrompt(model.manifest, r.question, { hasImage: false, steps: r.reference_steps.slice(0, -2).map((s) => s.text) }));
  const prefixIds = prefixes.map((p) => engine.encodePrompt(p));
  const streams = (seed: number, p: number) =>
    Array.from({ length: K }, (_, k) => {
      const r = createRng(mixSeed(seed, p, k));
      return () => r.next();
    });
  const sampling = { temperature: 1, topK: 0, topP: 1, maxNewTokens, stopAtStep: false };

  async function steplab(reusePrefix: boolean, seed: number): Promise<{ ms: number; tokens: number }> {
    engine.clearPrefixCache();
    let tokens = 0;
    const t0 = performance.now();
    for (let p = 0; p < rows.length; p++) {
      const out = await engine.generate([{ prefix: prefixIds[p], rngs: streams(seed, p) }], { ...sampling, reusePrefix });
      for (const r of out[0]) tokens += r.tokens.length + (r.finish === 'eos' ? 1 : 0);
    }
    return { ms: performance.now() - t0, tokens };
  }

  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = dirname(MODEL);
  const tok = await AutoTokenizer.from_pretrained(basename(MODEL));
  const tjs = await AutoModelForCausalLM.from_pretrained(basename(MODEL), { dtype: 'fp32', session_options: { intraOpNumThreads: 1 } });
  const eos = model.tokens.eos;
  async function transformersJs(): Promise<{ ms: number; tokens: number }> {
    let tokens = 0;
    const t0 = performance.now();
    for (let p = 0; p < rows.length; p++) {
      const ids = prefixIds[p];
      const input_ids = new Tensor('int64', BigInt64Array.from(Array.from({ length: K }, () => ids).flat(), BigInt), [K, ids.length]);
      const attention_mask = new Tensor('int64', new BigInt64Array(K * ids.length).fill(1n), [K, ids.length]);
      const out = (await tjs.generate({ input_ids, attention_mask, do_sample: true, temperature: 1, top_k: 0, max_new_tokens: maxNewTokens })) as unknown as { dims: number[]; data: BigInt64Array };
      const width = out.dims[1];
      for (let r = 0; r < K; r++) {
        const gen = Array.from(out.data.slice(r * width + ids.length, (r + 1) * width), Number);
        const end = gen.indexOf(eos);
        tokens += end >= 0 ? end + 1 : gen.length;
      }
    }
    return { ms: performance.now() - t0, tokens };
  }

  // plain decoding throughput: greedy, prompts only, batch 1 vs 16
  const plainPrompts = rows.slice(0, 16).map((r) => engine.encodePrompt(renderPrompt(model.manifest, r.question, { hasImage: false })));
  while (plainPrompts.length < 16) plainPrompts.push(plainPrompts[plainPrompts.length % rows.length]);
  async function plain(batch: number): Promise<number> {
    engine.clearPrefixCache();
    const greedy = { temperature: 0, topK: 0, topP: 1, maxNewTokens, stopAtStep: false };
    let tokens = 0;
    const t0 = performance.now();
    for (let i = 0; i < 16; i += batch) {
      const reqs = plainPrompts.slice(i, i + batch).map((prefix) => ({ prefix, rngs: [() => 0] }));
      const out = await engine.generate(reqs, { ...greedy, maxBatch: batch });
      for (const o of out) tokens += o[0].tokens.length + 1;
    }
    return tokens / ((performance.now() - t0) / 1000);
  }

  const reuse: number[] = [];
  const recompute: number[] = [];
  const tj: number[] = [];
  const b1: number[] = [];
  const b16: number[] = [];
  await steplab(true, 99); // warm up sessions
  await transformersJs();
  for (let rep = 0; rep < repeats; rep++) {
    const a = await steplab(true, rep);
    const b = await steplab(false, rep);
    const c = await transformersJs();
    reuse.push(a.tokens / (a.ms / 1000));
    recompute.push(b.tokens / (b.ms / 1000));
    tj.push(c.tokens / (c.ms / 1000));
    b1.push(await plain(1));
    b16.push(await plain(16));
  }
  await model.release();
  const workload = `${rows.length} problems x ${K} rollouts from a ${Math.round(median(prefixIds.map((p) => p.length)))}-token prefix`;
  return {
    results: [
      { name: `MCTS rollouts (${workload}): engine with prefix reuse`, unit: 'useful tokens/s', value: median(reuse), baseline: median(tj), baselineName: 'transformers.js generate()', goal: '>= 5x' },
      { name: `MCTS rollouts (${workload}): prefix reuse`, unit: 'useful tokens/s', value: median(reuse), baseline: median(recompute), baselineName: 'recomputing the prefix per rollout', goal: '>= 3x' },
      { name: 'greedy decoding, 16 prompts', unit: 'tokens/s', value: median(b16), baseline: median(b1), baselineName: 'batch 1' },
    ],
    notes: [`provider ${engine.provider}; tokens/s at batch 1: ${fmt(median(b1))}, batch 16: ${fmt(median(b16))}`],
  };
}
