// Checks an exported demo model folder against PyTorch reference outputs (export_onnx.py --check
// writes the fixture):
//   - manifest.json parses with src-shared/manifest.ts and its prompt template, step delimiter
//     and special tokens are format.ts's;
//   - onnxruntime-node on onnx/model.onnx gives PyTorch's logits at past length 0 and > 0, with
//     left padding and batch > 1, and the same greedy tokens with a raw KV-cache loop;
//   - embed_tokens + vision_encoder + decoder_model_merged give PyTorch's logits and greedy tokens
//     on image prompts;
//   - transformers.js loads the folder offline (AutoTokenizer, AutoModelForCausalLM) and its batched,
//     left-padded generate() gives the same greedy tokens.
// Prints human-readable lines, then one JSON line with the results; exits 1 when a check fails.
//
//   node bin/run-ts.js models/recipes/check_export.ts --model <dir> --fixture <file.json>
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { AutoModelForCausalLM, AutoTokenizer, env } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { Manifest } from '../../src-shared/manifest';
import { BOS_TOKEN, DEMO_IMAGE_SIZE, EOS_TOKEN, IMAGE_TOKEN, PAD_TOKEN, PROMPT_TEMPLATE, PRM_NO, PRM_TOKEN, PRM_YES, STEP_DELIMITER } from '../../src-main/core/demo';

/** Largest |logit| difference accepted between PyTorch and onnxruntime (float32, different kernels). */
const LOGIT_TOLERANCE = 1e-3;

interface Dense {
  dims: number[];
  data: number[];
}
interface Case {
  name: string;
  input_ids: Dense;
  attention_mask: Dense;
  position_ids: Dense;
  split: number;
  logits: Dense;
}
interface Fixture {
  pad_id: number;
  eos_id: number;
  image_id: number;
  cases: Case[];
  greedy: { prompts: string[]; prompt_ids: number[][]; tokens: number[][]; max_new_tokens: number };
  image?: {
    pixel_values: Dense;
    image_features: Dense;
    input_ids: Dense;
    attention_mask: Dense;
    position_ids: Dense;
    logits: Dense;
    greedy: number[][];
    prompt_ids: number[][];
  };
}

const { values } = parseArgs({ options: { model: { type: 'string' }, fixture: { type: 'string' } }, strict: true });
if (!values.model || !values.fixture) {
  console.error('usage: node bin/run-ts.js models/recipes/check_export.ts --model <dir> --fixture <file.json>');
  process.exit(2);
}
const dir = values.model;
const fx = JSON.parse(await readFile(values.fixture, 'utf8')) as Fixture;
const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as {
  num_hidden_layers: number;
  num_key_value_heads: number;
  head_dim: number;
  hidden_size: number;
};
const failures: string[] = [];
const result: Record<string, unknown> = {};

// ---- manifest
const rawManifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
const parsed = Manifest.safeParse(rawManifest);
if (!parsed.success) failures.push(`manifest.json: ${parsed.error.message}`);
else {
  const m = parsed.data;
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  if (!same(m.promptTemplate, { ...PROMPT_TEMPLATE })) failures.push('manifest promptTemplate differs from format.ts PROMPT_TEMPLATE');
  if (m.stepDelimiter !== STEP_DELIMITER) failures.push('manifest stepDelimiter differs from format.ts');
  const tokens = { bos: BOS_TOKEN, eos: EOS_TOKEN, pad: PAD_TOKEN, image: IMAGE_TOKEN, prm: PRM_TOKEN, yes: PRM_YES, no: PRM_NO };
  if (!same(m.specialTokens, tokens)) failures.push('manifest specialTokens differ from format.ts');
  if (m.image && m.image.size !== DEMO_IMAGE_SIZE) failures.push(`manifest image.size ${m.image.size} is not DEMO_IMAGE_SIZE ${DEMO_IMAGE_SIZE}`);
}
result.manifest_valid = parsed.success;
console.log(`manifest.json: ${parsed.success ? 'valid' : 'INVALID'}`);

// ---- onnxruntime-node
const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };
const L = config.num_hidden_layers;
const KV = config.num_key_value_heads;
const HD = config.head_dim;

const i64 = (data: number[], dims: number[]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(data.map((x) => BigInt(x))), dims);
const f32 = (data: Float32Array | number[], dims: number[]): ort.Tensor => new ort.Tensor('float32', Float32Array.from(data), dims);

/** Columns [from, to) of a row-major [B, S] tensor given as a flat array. */
function cols(d: Dense, from: number, to: number): { data: number[]; dims: number[] } {
  const [b, s] = d.dims;
  const out: number[] = [];
  for (let r = 0; r < b; r++) out.push(...d.data.slice(r * s + from, r * s + to));
  return { data: out, dims: [b, to - from] };
}

function emptyPast(batch: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (let i = 0; i < L; i++) {
    feeds[`past_key_values.${i}.key`] = f32([], [batch, KV, 0, HD]);
    feeds[`past_key_values.${i}.value`] = f32([], [batch, KV, 0, HD]);
  }
  return feeds;
}

function presentAsPast(out: ort.InferenceSession.OnnxValueMapType): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (let i = 0; i < L; i++) {
    feeds[`past_key_values.${i}.key`] = out[`present.${i}.key`] as ort.Tensor;
    feeds[`past_key_values.${i}.value`] = out[`present.${i}.value`] as ort.Tensor;
  }
  return feeds;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return m;
}

const decoder = await ort.InferenceSession.create(join(dir, 'onnx/model.onnx'), opts);
const caseDiffs: Record<string, number> = {};
for (const c of fx.cases) {
  const [b, s] = c.input_ids.dims;
  let past = emptyPast(b);
  if (c.split > 0) {
    const ids = cols(c.input_ids, 0, c.split);
    const first = await decoder.run({
      input_ids: i64(ids.data, ids.dims),
      attention_mask: i64(cols(c.attention_mask, 0, c.split).data, ids.dims),
      position_ids: i64(cols(c.position_ids, 0, c.split).data, ids.dims),
      ...past,
    });
    past = presentAsPast(first);
  }
  const ids = cols(c.input_ids, c.split, s);
  const out = await decoder.run({
    input_ids: i64(ids.data, ids.dims),
    attention_mask: i64(c.attention_mask.data, [b, s]),
    position_ids: i64(cols(c.position_ids, c.split, s).data, ids.dims),
    ...past,
  });
  const d = maxDiff((out.logits as ort.Tensor).data as Float32Array, c.logits.data);
  caseDiffs[c.name] = d;
  console.log(`model.onnx ${c.name} (past ${c.split}): max |logit diff| ${d.toExponential(2)}`);
  if (!(d <= LOGIT_TOLERANCE)) failures.push(`model.onnx ${c.name}: logit diff ${d}`);
}
result.max_abs_logit_diff = caseDiffs;

function argmaxLast(logits: ort.Tensor, row: number): number {
  const [, t, v] = logits.dims as number[];
  const data = logits.data as Float32Array;
  const base = (row * t + (t - 1)) * v;
  let best = 0;
  for (let j = 1; j < v; j++) if (data[base + j] > data[base + best]) best = j;
  return best;
}

/** Greedy decoding of one prompt with the KV cache; `first` runs the prompt, `next` one token. */
async function greedyLoop(
  promptLen: number,
  maxNew: number,
  first: (past: Record<string, ort.Tensor>) => Promise<ort.InferenceSession.OnnxValueMapType>,
  next: (token: number, total: number, past: Record<string, ort.Tensor>) => Promise<ort.InferenceSession.OnnxValueMapType>,
): Promise<number[]> {
  let out = await first(emptyPast(1));
  const tokens: number[] = [];
  for (let n = 0; n < maxNew; n++) {
    const tok = argmaxLast(out.logits as ort.Tensor, 0);
    tokens.push(tok);
    if (tok === fx.eos_id) break;
    out = await next(tok, promptLen + n + 1, presentAsPast(out));
  }
  return tokens;
}

const same = (a: number[], b: number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

let ortGreedy = 0;
for (const [r, prompt] of fx.greedy.prompt_ids.entries()) {
  const n = prompt.length;
  const tokens = await greedyLoop(
    n,
    fx.greedy.max_new_tokens,
    (past) =>
      decoder.run({
        input_ids: i64(prompt, [1, n]),
        attention_mask: i64(Array(n).fill(1), [1, n]),
        position_ids: i64([...Array(n).keys()], [1, n]),
        ...past,
      }),
    (tok, total, past) =>
      decoder.run({ input_ids: i64([tok], [1, 1]), attention_mask: i64(Array(total).fill(1), [1, total]), position_ids: i64([total - 1], [1, 1]), ...past }),
  );
  if (same(tokens, fx.greedy.tokens[r])) ortGreedy++;
  else failures.push(`model.onnx greedy prompt ${r}: ${tokens} vs torch ${fx.greedy.tokens[r]}`);
}
result.ort_greedy_match = `${ortGreedy}/${fx.greedy.prompt_ids.length}`;
console.log(`model.onnx raw greedy loop: ${result.ort_greedy_match} prompts give PyTorch's tokens`);

// ---- image path: embed_tokens + vision_encoder + decoder_model_merged
if (fx.image) {
  const im = fx.image;
  const embed = await ort.InferenceSession.create(join(dir, 'onnx/embed_tokens.onnx'), opts);
  const vision = await ort.InferenceSession.create(join(dir, 'onnx/vision_encoder.onnx'), opts);
  const merged = await ort.InferenceSession.create(join(dir, 'onnx/decoder_model_merged.onnx'), opts);
  const feats = (await vision.run({ pixel_values: f32(im.pixel_values.data, im.pixel_values.dims) })).image_features as ort.Tensor;
  const featDiff = maxDiff(feats.data as Float32Array, im.image_features.data);
  const H = config.hidden_size;
  const T = (feats.dims as number[])[1];

  /** inputs_embeds for ids, with image-token rows replaced by image `img`'s features in order. */
  async function embedWithImages(ids: number[], dims: number[], images: number[]): Promise<ort.Tensor> {
    const e = (await embed.run({ input_ids: i64(ids, dims) })).inputs_embeds as ort.Tensor;
    const data = Float32Array.from(e.data as Float32Array);
    const fd = feats.data as Float32Array;
    const [b, s] = dims;
    for (let r = 0; r < b; r++) {
      let k = 0;
      for (let j = 0; j < s; j++) {
        if (ids[r * s + j] !== fx.image_id) continue;
        const img = images[r];
        data.set(fd.subarray((img * T + k) * H, (img * T + k + 1) * H), (r * s + j) * H);
        k++;
      }
    }
    return f32(data, [b, s, H]);
  }

  const [b, s] = im.input_ids.dims;
  const out = await merged.run({
    inputs_embeds: await embedWithImages(im.input_ids.data, [b, s], [0, 1]),
    attention_mask: i64(im.attention_mask.data, [b, s]),
    position_ids: i64(im.position_ids.data, [b, s]),
    ...emptyPast(b),
  });
  const imgDiff = maxDiff((out.logits as ort.Tensor).data as Float32Array, im.logits.data);
  let imgGreedy = 0;
  for (const [r, prompt] of im.prompt_ids.entries()) {
    const n = prompt.length;
    const tokens = await greedyLoop(
      n,
      fx.greedy.max_new_tokens,
      async (past) =>
        merged.run({
          inputs_embeds: await embedWithImages(prompt, [1, n], [r]),
          attention_mask: i64(Array(n).fill(1), [1, n]),
          position_ids: i64([...Array(n).keys()], [1, n]),
          ...past,
        }),
      async (tok, total, past) =>
        merged.run({
          inputs_embeds: (await embed.run({ input_ids: i64([tok], [1, 1]) })).inputs_embeds as ort.Tensor,
          attention_mask: i64(Array(total).fill(1), [1, total]),
          position_ids: i64([total - 1], [1, 1]),
          ...past,
        }),
    );
    if (same(tokens, im.greedy[r])) imgGreedy++;
    else failures.push(`image greedy prompt ${r}: ${tokens} vs torch ${im.greedy[r]}`);
  }
  result.vision_max_abs_diff = featDiff;
  result.image_prompt_max_abs_logit_diff = imgDiff;
  result.image_greedy_match = `${imgGreedy}/${im.prompt_ids.length}`;
  console.log(`vision_encoder.onnx: max |feature diff| ${featDiff.toExponential(2)}`);
  console.log(`embed_tokens + decoder_model_merged, 2 image prompts, left padding: max |logit diff| ${imgDiff.toExponential(2)}`);
  console.log(`image prompts greedy (merged decoder, KV cache): ${result.image_greedy_match} give PyTorch's tokens`);
  if (!(featDiff <= LOGIT_TOLERANCE)) failures.push(`vision_encoder feature diff ${featDiff}`);
  if (!(imgDiff <= LOGIT_TOLERANCE)) failures.push(`decoder_model_merged logit diff ${imgDiff}`);
}

// ---- transformers.js, offline
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = dirname(dir);
const t0 = performance.now();
const name = basename(dir);
const tokenizer = await AutoTokenizer.from_pretrained(name);
const model = await AutoModelForCausalLM.from_pretrained(name, { dtype: 'fp32', session_options: { intraOpNumThreads: 1 } });
const loadMs = performance.now() - t0;
const enc = tokenizer(fx.greedy.prompts, { padding: true });
const width = (enc.input_ids.dims as number[])[1];
const ids = Array.from(enc.input_ids.data as BigInt64Array, Number);
let idsMatch = 0;
fx.greedy.prompt_ids.forEach((p, r) => {
  const row = ids.slice(r * width, (r + 1) * width).slice(width - p.length);
  if (same(row, p)) idsMatch++;
  else failures.push(`transformers.js tokenizer prompt ${r}: ${row} vs ${p}`);
});
const gen = (await model.generate({ ...enc, max_new_tokens: fx.greedy.max_new_tokens, do_sample: false })) as { dims: number[]; data: BigInt64Array };
const genWidth = gen.dims[1];
let tjsMatch = 0;
fx.greedy.tokens.forEach((want, r) => {
  const row = Array.from(gen.data.slice(r * genWidth + width, (r + 1) * genWidth), Number);
  const eos = row.indexOf(fx.eos_id);
  const got = eos >= 0 ? row.slice(0, eos + 1) : row;
  if (same(got, want)) tjsMatch++;
  else failures.push(`transformers.js greedy prompt ${r}: ${got} vs torch ${want}`);
});
result.transformersjs = {
  load_ms: Math.round(loadMs),
  tokenizer_ids_match: `${idsMatch}/${fx.greedy.prompt_ids.length}`,
  batched_left_padded_greedy_match: `${tjsMatch}/${fx.greedy.tokens.length}`,
  sample_output: tokenizer.decode(fx.greedy.tokens[0], { skip_special_tokens: true }),
};
console.log(`transformers.js offline: loaded in ${Math.round(loadMs)} ms; tokenizer ids ${idsMatch}/${fx.greedy.prompt_ids.length}; batched greedy ${tjsMatch}/${fx.greedy.tokens.length} match PyTorch`);

result.ok = failures.length === 0;
result.failures = failures;
for (const f of failures) console.log(`FAIL ${f}`);
console.log(JSON.stringify(result));
process.exit(failures.length === 0 ? 0 : 1);
