// Registering a model that a server serves over the OpenAI-compatible API, and checking its health.
// Everything is checked before anything is written: the URL answers, the API key is accepted, the server
// serves the named model, a manifest is known (offered by `steplab serve-model` in /v1/models, or given
// as a file), and it fits the role and the served context. A refusal is one line; the workspace is unchanged.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { EndpointConfig, ModelRole, type ModelRecord } from '../../../src-shared/domain';
import { Manifest } from '../../../src-shared/manifest';
import { UserError } from '../errors';
import type { Store } from '../store';
import { EndpointClient, EndpointError, serverRoot } from './remote';
import { formatZodIssue } from '../../../src-shared/zodMessage';

const ModelsList = z.object({
  data: z.array(
    z
      .object({
        id: z.string(),
        max_model_len: z.number().int().nullish(),
        steplab_manifest: z.unknown().optional(),
      })
      .passthrough(),
  ),
});

const Tokenized = z.object({ tokens: z.array(z.number().int()) }).passthrough();

/**
 * The special tokens a role reads one token's probability or end of (a PRM's tag, Yes and No; every
 * model's end of sequence) must each be one token of the served tokenizer. Asked through POST /tokenize
 * at the server's root (vLLM's and serve-model's); a server without it is not checked (said in the result).
 */
async function checkServedTokens(config: EndpointConfig, manifest: Manifest, role: ModelRole, label: string, apiKey: string | null): Promise<string> {
  const st = manifest.specialTokens;
  const wanted: [string, string][] = role === 'prm' ? [['prm', st.prm!], ['yes', st.yes!], ['no', st.no!]] : role === 'judge' ? [] : [['eos', st.eos]];
  if (wanted.length === 0) return 'not needed';
  const root = serverRoot(config.urls[0]);
  const client = new EndpointClient({ ...config, urls: [root] }, label, apiKey);
  for (const [field, tok] of wanted) {
    let ids: number[];
    try {
      ids = (await client.request('POST', '/tokenize', { model: config.servedModel, prompt: tok, add_special_tokens: false }, Tokenized, { retries: 0, timeoutMs: Math.min(config.timeoutMs, 15_000) })).tokens;
    } catch (e) {
      if (e instanceof EndpointError && (e.status === 404 || e.status === 405)) return 'not checked: the server has no /tokenize';
      throw e;
    }
    if (ids.length !== 1) {
      throw new UserError(`${label} cannot be registered as a ${role}: the served tokenizer makes ${ids.length} tokens of specialTokens.${field} "${tok}"; the manifest's special tokens must be single tokens of the served model`);
    }
  }
  return 'ok';
}

export interface AddEndpointOptions {
  name: string;
  urls: string[];
  servedModel: string;
  role: ModelRole;
  manifestFile?: string;
  apiKeyEnv?: string | null;
  concurrency?: number;
  timeoutMs?: number;
  retries?: number;
  api?: 'auto' | 'completions' | 'chat';
  vision?: boolean;
  prmApi?: 'logprobs' | 'pooling';
  poolingGoodIndex?: number;
}

function parseManifest(raw: unknown, where: string): Manifest {
  const r = Manifest.safeParse(raw);
  if (!r.success) throw new UserError(formatZodIssue(r.error.issues[0], { label: where, field: true }));
  return r.data;
}

/** Why a manifest does not fit a role, or null. */
export function roleMisfit(m: Manifest, role: ModelRole): string | null {
  if (role === 'judge') return null;
  if (m.role !== role) return `its manifest is for a ${m.role} model, not a ${role}`;
  if (role === 'prm' && (!m.specialTokens.prm || !m.specialTokens.yes || !m.specialTokens.no)) return 'a PRM needs specialTokens.prm, .yes and .no in its manifest';
  if (role === 'orm' && !m.ormTemplate) return 'an ORM needs an ormTemplate in its manifest';
  return null;
}

/** The config an add-endpoint call asks for, checked (one line on a bad value). */
export function endpointConfig(o: AddEndpointOptions): EndpointConfig {
  const r = EndpointConfig.safeParse({
    urls: o.urls.map((u) => u.replace(/\/+$/, '')),
    servedModel: o.servedModel,
    apiKeyEnv: o.apiKeyEnv ?? null,
    concurrency: o.concurrency,
    timeoutMs: o.timeoutMs,
    retries: o.retries,
    api: o.api,
    vision: o.vision ?? false,
    prmApi: o.prmApi,
    poolingGoodIndex: o.poolingGoodIndex,
  });
  if (!r.success) throw new UserError(`endpoint ${formatZodIssue(r.error.issues[0], { empty: 'config' })}`);
  return r.data;
}

export async function addEndpoint(store: Store, o: AddEndpointOptions): Promise<ModelRecord> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(o.name)) throw new UserError(`model name "${o.name}": letters, digits, . _ - (max 100)`);
  const role = ModelRole.safeParse(o.role);
  if (!role.success) throw new UserError(`--role must be one of policy, prm, orm, judge, got "${o.role}"`);
  let fileManifest: Manifest | undefined;
  if (o.manifestFile) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(o.manifestFile, 'utf8'));
    } catch (e) {
      throw new UserError(`${o.manifestFile}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `not valid JSON (${(e as Error).message})`}`);
    }
    fileManifest = parseManifest(raw, o.manifestFile);
  }
  const config = endpointConfig(o);
  const label = `endpoint "${o.name}" (${config.servedModel})`;
  const apiKey = EndpointClient.apiKeyFor(config, label);
  // every URL must answer and serve the model
  let offered: unknown;
  let servedContext: number | null = null;
  for (const url of config.urls) {
    const one = new EndpointClient({ ...config, urls: [url] }, label, apiKey);
    const list = await one.request('GET', '/models', undefined, ModelsList, { retries: 0, timeoutMs: Math.min(config.timeoutMs, 15_000) });
    const entry = list.data.find((d) => d.id === config.servedModel);
    if (!entry) throw new UserError(`${url} does not serve "${config.servedModel}"; it serves ${list.data.map((d) => `"${d.id}"`).join(', ') || 'no model'}`);
    offered ??= entry.steplab_manifest;
    if (entry.max_model_len) servedContext = Math.min(servedContext ?? Infinity, entry.max_model_len);
  }
  const manifest = fileManifest ?? (offered === undefined ? undefined : parseManifest(offered, `the manifest ${config.urls[0]} offers`));
  if (!manifest) throw new UserError(`${config.urls[0]} offers no Steplab manifest for "${config.servedModel}" (only steplab serve-model does); give one with --manifest <file>`);
  const misfit = roleMisfit(manifest, role.data);
  if (misfit) throw new UserError(`${label} cannot be registered as a ${role.data}: ${misfit}`);
  if (servedContext !== null && servedContext < manifest.contextLength) {
    throw new UserError(`${label}: the server's context is ${servedContext} tokens, smaller than the manifest's contextLength ${manifest.contextLength}`);
  }
  const tokenizerCheck = await checkServedTokens(config, manifest, role.data, label, apiKey);
  // a served model reads pictures when asked to, or by default when its manifest has a picture slot
  const endpoint = o.vision === undefined ? { ...config, vision: Boolean(manifest.image || manifest.specialTokens.image) } : config;
  return store.models.register({
    name: o.name,
    role: role.data,
    family: manifest.family,
    path: config.urls[0],
    manifest: { ...manifest, name: o.name },
    provenance: { source: 'endpoint', servedModel: config.servedModel, manifestFrom: fileManifest ? o.manifestFile : 'server', validatedWith: 'endpoint', tokenizerCheck },
    endpoint,
  });
}

export interface EndpointHealth {
  url: string;
  ok: boolean;
  ms: number;
  detail: string;
}

/** GET /models on every URL of an endpoint model: up (and serving the model) or why not. */
export async function endpointHealth(rec: ModelRecord, timeoutMs = 3000): Promise<EndpointHealth[]> {
  const config = EndpointConfig.parse(rec.endpoint);
  const label = `endpoint "${rec.name}"`;
  let key: string | null;
  try {
    key = EndpointClient.apiKeyFor(config, label);
  } catch (e) {
    return config.urls.map((url) => ({ url, ok: false, ms: 0, detail: (e as Error).message }));
  }
  return Promise.all(
    config.urls.map(async (url) => {
      const t0 = performance.now();
      try {
        const list = await new EndpointClient({ ...config, urls: [url] }, label, key).request('GET', '/models', undefined, ModelsList, { retries: 0, timeoutMs });
        const ms = Math.round(performance.now() - t0);
        const serves = list.data.some((d) => d.id === config.servedModel);
        return { url, ok: serves, ms, detail: serves ? `up, ${ms} ms` : `up, but does not serve "${config.servedModel}"` };
      } catch (e) {
        return { url, ok: false, ms: Math.round(performance.now() - t0), detail: e instanceof EndpointError ? e.message.replace(`${label} at ${url} `, '') : (e as Error).message };
      }
    }),
  );
}
