// A model folder loaded for inference: manifest.json, config.json, tokenizer.json and ONNX sessions.
// Loading validates everything a run would trip over later, each failure one line naming file and mismatch.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Manifest } from '../../../src-shared/manifest';
import { UserError } from '../errors';
import type { KvShape } from './kvcache';
import type { Provider } from './providers';
import { loadSession, type LoadedSession } from './session';
import { loadTokenizer, type TextTokenizer } from './tokenizer';
import { formatZodIssue } from '../../../src-shared/zodMessage';

export interface DecoderConfig {
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  layers: number;
  kvHeads: number;
  headDim: number;
  maxPositions: number;
}

export interface LoadedModel {
  dir: string;
  manifest: Manifest;
  config: DecoderConfig;
  tokenizer: TextTokenizer;
  decoder: LoadedSession;
  decoderEmbeds?: LoadedSession;
  embedTokens?: LoadedSession;
  vision?: LoadedSession;
  kv: KvShape;
  provider: Provider;
  /** why faster providers were not used */
  fallbacks: string[];
  tokens: { eos: number; pad: number; bos?: number; image?: number; prm?: number; yes?: number; no?: number };
  release(): Promise<void>;
}

function readJson(file: string, what: string): unknown {
  if (!existsSync(file)) throw new UserError(`${file}: file not found (${what})`);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

export function readManifest(dir: string): Manifest {
  const file = join(dir, 'manifest.json');
  const raw = readJson(file, 'every Steplab model folder has a manifest.json');
  const r = Manifest.safeParse(raw);
  if (!r.success) throw new UserError(formatZodIssue(r.error.issues[0], { label: file, field: true }));
  if (r.data.role === 'orm' && !r.data.ormTemplate) {
    throw new UserError(`${file}: field "ormTemplate": required for role orm (where the JSON verdict starts, e.g. {"verdict": "J:\\n"})`);
  }
  return r.data;
}

export function readDecoderConfig(file: string): DecoderConfig {
  const c = readJson(file, 'the Hugging Face config of the decoder') as Record<string, unknown>;
  const num = (k: string, fallback?: number): number => {
    const v = c[k] ?? (c.text_config as Record<string, unknown> | undefined)?.[k];
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
    if (fallback !== undefined) return fallback;
    throw new UserError(`${file}: field "${k}": required positive integer`);
  };
  const hidden = num('hidden_size');
  const heads = num('num_attention_heads');
  return {
    modelType: typeof c.model_type === 'string' ? c.model_type : 'unknown',
    vocabSize: num('vocab_size'),
    hiddenSize: hidden,
    layers: num('num_hidden_layers'),
    kvHeads: num('num_key_value_heads', heads),
    headDim: num('head_dim', hidden / heads),
    maxPositions: num('max_position_embeddings'),
  };
}

/** Checks a decoder's inputs/outputs against the Optimum KV-cache layout. */
export function checkDecoderLayout(file: string, s: Pick<LoadedSession, 'inputNames' | 'outputNames'>, layers: number, tokenInput: 'input_ids' | 'inputs_embeds'): void {
  const need = [tokenInput, 'attention_mask', 'position_ids'];
  for (let i = 0; i < layers; i++) need.push(`past_key_values.${i}.key`, `past_key_values.${i}.value`);
  const missing = need.filter((n) => !s.inputNames.includes(n));
  if (missing.length) {
    const extra = s.inputNames.filter((n) => n.startsWith('past_key_values.') && !need.includes(n)).length;
    throw new UserError(
      `${file}: missing input${missing.length > 1 ? 's' : ''} ${missing.slice(0, 3).map((m) => `"${m}"`).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}` +
        (extra ? ` (the graph has past_key_values for more layers than config.json's ${layers})` : ` (has: ${s.inputNames.slice(0, 6).join(', ')}${s.inputNames.length > 6 ? ', ...' : ''})`),
    );
  }
  const outs = ['logits'];
  for (let i = 0; i < layers; i++) outs.push(`present.${i}.key`, `present.${i}.value`);
  const missingOut = outs.filter((n) => !s.outputNames.includes(n));
  if (missingOut.length) throw new UserError(`${file}: missing output "${missingOut[0]}" (has: ${s.outputNames.slice(0, 6).join(', ')})`);
}

function tokenId(tok: TextTokenizer, file: string, token: string | undefined, field: string): number | undefined {
  if (token === undefined) return undefined;
  const id = tok.tokenToId(token);
  if (id === undefined) throw new UserError(`${file}: special token ${field} "${token}" from manifest.json is not in the tokenizer`);
  return id;
}

export async function loadModel(dir: string, opts: { providers?: readonly Provider[] } = {}): Promise<LoadedModel> {
  if (!existsSync(dir)) throw new UserError(`${dir}: model folder not found`);
  const manifest = readManifest(dir);
  const configFile = join(dir, manifest.files.config);
  const config = readDecoderConfig(configFile);
  if (manifest.contextLength > config.maxPositions) {
    throw new UserError(`${join(dir, 'manifest.json')}: contextLength ${manifest.contextLength} exceeds config.json max_position_embeddings ${config.maxPositions}`);
  }
  const tokFile = join(dir, manifest.files.tokenizer);
  const tokConfig = join(dir, 'tokenizer_config.json');
  const tokenizer = loadTokenizer(tokFile, existsSync(tokConfig) ? tokConfig : undefined);
  if (tokenizer.size > config.vocabSize) {
    throw new UserError(`${tokFile}: the tokenizer has ${tokenizer.size} tokens but the model's embedding has ${config.vocabSize} rows (config.json vocab_size): they do not fit`);
  }
  const st = manifest.specialTokens;
  const tokens = {
    eos: tokenId(tokenizer, tokFile, st.eos, 'eos')!,
    pad: tokenId(tokenizer, tokFile, st.pad, 'pad')!,
    bos: tokenId(tokenizer, tokFile, st.bos, 'bos'),
    image: tokenId(tokenizer, tokFile, st.image, 'image'),
    prm: tokenId(tokenizer, tokFile, st.prm, 'prm'),
    yes: tokenId(tokenizer, tokFile, st.yes, 'yes'),
    no: tokenId(tokenizer, tokFile, st.no, 'no'),
  };
  const sessions: LoadedSession[] = [];
  const load = async (rel: string): Promise<LoadedSession> => {
    const s = await loadSession(join(dir, rel), opts.providers);
    sessions.push(s);
    return s;
  };
  try {
    const decoderFile = join(dir, manifest.files.decoder);
    const decoder = await load(manifest.files.decoder);
    checkDecoderLayout(decoderFile, decoder, config.layers, 'input_ids');
    const decoderEmbeds = manifest.files.decoderEmbeds ? await load(manifest.files.decoderEmbeds) : undefined;
    if (decoderEmbeds) checkDecoderLayout(join(dir, manifest.files.decoderEmbeds!), decoderEmbeds, config.layers, 'inputs_embeds');
    const embedTokens = manifest.files.embedTokens ? await load(manifest.files.embedTokens) : undefined;
    if (embedTokens && !embedTokens.inputNames.includes('input_ids')) throw new UserError(`${join(dir, manifest.files.embedTokens!)}: missing input "input_ids"`);
    const vision = manifest.files.visionEncoder ? await load(manifest.files.visionEncoder) : undefined;
    if (vision && !vision.inputNames.includes('pixel_values')) throw new UserError(`${join(dir, manifest.files.visionEncoder!)}: missing input "pixel_values"`);
    if (vision && (!decoderEmbeds || !embedTokens || !manifest.image || tokens.image === undefined)) {
      throw new UserError(`${join(dir, 'manifest.json')}: a vision encoder needs files.decoderEmbeds, files.embedTokens, an image section and specialTokens.image`);
    }
    return {
      dir,
      manifest,
      config,
      tokenizer,
      decoder,
      decoderEmbeds,
      embedTokens,
      vision,
      kv: { layers: config.layers, heads: config.kvHeads, headDim: config.headDim },
      provider: decoder.provider,
      fallbacks: decoder.fallbacks,
      tokens,
      async release() {
        await Promise.all(sessions.map((s) => s.session.release()));
      },
    };
  } catch (e) {
    await Promise.all(sessions.map((s) => s.session.release()));
    throw e;
  }
}
