// What jobs.start refuses before a job is made: the checks a job would otherwise fail on after minutes of
// work (an unknown model or dataset, a split the dataset does not have, a model of another role, a judge
// that is not one, a cycle's missing split, a PRM's base of another family, an import file that is empty,
// not UTF-8 or not a problems file, the reference trainer without PyTorch, a PRM whose manifest or
// tokenizer lacks its tag or Yes/No tokens, an endpoint model whose servers do not answer). Each is one
// line, and nothing is written: no job row either.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelRecord } from '../../../src-shared/domain';
import type { JobRequest } from '../../../src-shared/jobConfigs';
import { Manifest } from '../../../src-shared/manifest';
import { checkCycleRun } from '../cycles/check';
import { inspectProblemFile } from '../data/inputFile';
import { judgeModel } from '../data/verify/judge';
import { UserError } from '../errors';
import { endpointHealth, type EndpointHealth } from '../inference/endpoints';
import { readManifest } from '../inference/model';
import { loadTokenizer } from '../inference/tokenizer';
import { prmSpec } from '../reward/layout';
import { checkTrainPrm } from '../reward/trainPrmJob';
import { checkBenchPrm } from './kinds/benchPrm';
import { checkLabelImport } from '../data/labels/check';
import type { Store } from '../store';
import { REFERENCE_TRAINER } from '../training/protocol';
import { formatZodIssue } from '../../../src-shared/zodMessage';
import { modelLabel } from '../../../src-shared/modelLabel';

/** Refuses a dataset without problems, or without the split named. */
function requireProblems(store: Store, dataset: string, split: string | undefined): void {
  const ds = store.datasets.get(dataset);
  const splits = Object.entries(ds.splits)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  if (ds.problemCount === 0) throw new UserError(`dataset "${dataset}" has no problems`);
  if (split !== undefined && !(ds.splits[split] > 0)) throw new UserError(`dataset "${dataset}" has no split "${split}" (its splits: ${splits})`);
}

/** How to get PyTorch where the reference trainer looks for it (DESIGN.md, Training). */
export const TORCH_INSTALL = 'apt-get install -y --no-install-recommends python3-torch python3-onnx libopenblas0-pthread';

/** Whether a Python can import torch, and why not (its last stderr line). */
export type TorchProbe = (python: string) => { ok: boolean; detail: string };

export const probeTorch: TorchProbe = (python) => {
  const r = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } });
  if (r.error) return { ok: false, detail: r.error.message };
  const last = (r.stderr ?? '').trim().split('\n').pop() ?? '';
  return { ok: r.status === 0, detail: last };
};

// asked once per process: the Python install does not change under a running host (a new host asks again)
const torchChecked = new Map<string, { ok: boolean; detail: string }>();

/**
 * Refuses, in one line with the install command, a job that would start the reference trainer where its
 * Python has no PyTorch; a job with its own trainer command is not asked about (that command may not be Python).
 */
export function checkReferenceTrainer(trainer: readonly string[] | null | undefined, probe: TorchProbe = probeTorch): void {
  if (trainer && trainer.length > 0) return;
  const python = REFERENCE_TRAINER[0];
  let r = probe === probeTorch ? torchChecked.get(python) : undefined;
  if (!r) {
    r = probe(python);
    if (probe === probeTorch) torchChecked.set(python, r);
  }
  if (!r.ok) {
    throw new UserError(
      `PyTorch is not installed for ${python}, which runs the reference trainer${r.detail ? ` (${r.detail})` : ''}: install it with \`${TORCH_INSTALL}\`, or set a trainer command of your own`,
    );
  }
}

/** Checks a request against the workspace; returns it as the job is to be stored (an import's format read from its file). */
export function preflight(store: Store, request: JobRequest, probe: TorchProbe = probeTorch): JobRequest {
  switch (request.kind) {
    case 'import': {
      const c = request.config;
      return { kind: 'import', config: { ...c, format: inspectProblemFile(c.path, c.format) } };
    }
    case 'generate': {
      const c = request.config;
      store.models.byName(c.model);
      requireProblems(store, c.dataset, c.split);
      if (c.judge) judgeModel(store, c.judge.model);
      return request;
    }
    case 'search': {
      const c = request.config;
      store.models.withRole(c.model, 'policy');
      requireProblems(store, c.dataset, c.split);
      if (c.judge) judgeModel(store, c.judge.model);
      return request;
    }
    case 'score':
      checkPrmTokens(store, request.config.prm);
      if (request.config.dataset) requireProblems(store, request.config.dataset, request.config.split);
      return request;
    case 'bon':
      store.models.withRole(request.config.policy, 'policy');
      checkPrmTokens(store, request.config.prm);
      requireProblems(store, request.config.dataset, request.config.split);
      if (request.config.selectOn) requireProblems(store, request.config.dataset, request.config.selectOn);
      return request;
    case 'train-prm':
      checkTrainPrm(store, request.config);
      checkReferenceTrainer(request.config.trainer, probe);
      return request;
    case 'cycle':
      checkCycleRun(store, request.config);
      checkReferenceTrainer(request.config.finetune.trainer, probe);
      return request;
    case 'bench-prm':
      checkBenchPrm(store, request.config);
      if (request.config.prm) checkPrmTokens(store, request.config.prm);
      return request;
    case 'import-labels':
      checkLabelImport(request.config);
      return request;
  }
}

/** The registered models a request runs on (by name as given), each with the role it is used in. */
export function requestModels(request: JobRequest): { name: string; role: 'policy' | 'prm' | 'orm' | 'judge' }[] {
  const out: { name: string; role: 'policy' | 'prm' | 'orm' | 'judge' }[] = [];
  const add = (name: string | null | undefined, role: 'policy' | 'prm' | 'orm' | 'judge'): void => {
    if (name && !out.some((m) => m.name === name)) out.push({ name, role });
  };
  switch (request.kind) {
    case 'generate':
    case 'search':
      add(request.config.model, 'policy');
      add(request.config.judge?.model, 'judge');
      break;
    case 'score':
      add(request.config.prm, 'prm');
      break;
    case 'bon':
      add(request.config.policy, 'policy');
      add(request.config.prm, 'prm');
      break;
    case 'bench-prm':
      add(request.config.prm, 'prm');
      break;
    case 'cycle':
      add(request.config.policy, 'policy');
      add(request.config.orm, 'orm');
      add(request.config.regenerate.regenerator, 'policy');
      break;
    default:
      break;
  }
  return out;
}

// a tokenizer file read once per (path, size, mtime): a form asks again as it is edited
const tokenizerChecked = new Map<string, string | null>();

/**
 * Refuses a PRM that could not score one step: a manifest without the tag or the Yes/No tokens (prmSpec's
 * reason), or, for a model folder, a tokenizer that does not know one of them (loadModel's check, asked
 * here before the job is made rather than in its worker). An endpoint PRM's served tokenizer was asked at
 * registration (`add-endpoint` tokenizes each of them), so only its manifest is read here.
 */
export function checkPrmTokens(store: Store, name: string): void {
  const rec = store.models.withRole(name, 'prm');
  const label = `PRM "${modelLabel(rec)}"`;
  let manifest: Manifest;
  if (rec.endpoint) {
    const r = Manifest.safeParse(rec.manifest);
    if (!r.success) throw new UserError(`${label} cannot score steps: its stored manifest does not read (${formatZodIssue(r.error.issues[0], { empty: '' })})`);
    manifest = r.data;
  } else {
    manifest = readManifest(rec.path);
  }
  try {
    prmSpec(manifest);
  } catch (e) {
    throw new UserError(`${label}: ${(e as Error).message}`);
  }
  if (rec.endpoint) return;
  const file = join(rec.path, manifest.files.tokenizer);
  let key: string;
  try {
    const st = statSync(file);
    key = `${file}\u0000${st.size}\u0000${st.mtimeMs}\u0000${manifest.specialTokens.prm}\u0000${manifest.specialTokens.yes}\u0000${manifest.specialTokens.no}`;
  } catch {
    throw new UserError(`${label} cannot score steps: its tokenizer ${file} is missing`);
  }
  let why = tokenizerChecked.get(key);
  if (why === undefined) {
    const config = join(rec.path, 'tokenizer_config.json');
    const tok = loadTokenizer(file, existsSync(config) ? config : undefined);
    const st = manifest.specialTokens;
    const unknown = (['prm', 'yes', 'no'] as const).filter((k) => tok.tokenToId(st[k]!) === undefined);
    why = unknown.length
      ? `${label} cannot score steps: its tokenizer (${file}) does not know ${unknown.map((k) => `specialTokens.${k} "${st[k]}"`).join(', ')} from its manifest (a PRM reads its score at the tag from the Yes/No logits): add the token${unknown.length > 1 ? 's' : ''} to the tokenizer or fix the manifest, and register the model again`
      : null;
    tokenizerChecked.set(key, why);
  }
  if (why) throw new UserError(why);
}

/** GET /models on an endpoint model's servers, as endpointHealth does (a test gives its own). */
export type HealthProbe = (rec: ModelRecord, timeoutMs: number) => Promise<EndpointHealth[]>;

/** How long the pre-flight waits for an endpoint's server to answer. */
export const ENDPOINT_PROBE_MS = 3000;

/**
 * Refuses a job whose model is served over an endpoint on which no server answers: one GET /models per
 * URL with a short timeout, before the job row is made. One URL up is enough (requests move to the next
 * URL on failure); the message names every URL and why it failed, and what to do.
 */
export async function checkEndpoints(store: Store, request: JobRequest, health: HealthProbe = endpointHealth, timeoutMs = ENDPOINT_PROBE_MS): Promise<void> {
  for (const { name } of requestModels(request)) {
    const rec = store.models.byName(name);
    if (!rec.endpoint) continue;
    const answers = await health(rec, timeoutMs);
    if (answers.some((a) => a.ok)) continue;
    const where = answers.map((a) => `${a.url} (${a.detail.replace(/^endpoint "[^"]*" at \S+ /, '')})`).join('; ');
    throw new UserError(
      `model "${modelLabel(rec)}" is served over an endpoint and no server answers: ${where}; start its server (vLLM, or \`steplab serve-model\`) or check the URL and the API key, then start the job again`,
    );
  }
}

/**
 * The whole pre-flight of a job request: the workspace checks (preflight), then one health probe of each
 * endpoint model it uses. What every door's jobs.start runs before the job row is made.
 */
export async function preflightJob(store: Store, request: JobRequest, opts: { probe?: TorchProbe; health?: HealthProbe; timeoutMs?: number } = {}): Promise<JobRequest> {
  const checked = preflight(store, request, opts.probe);
  await checkEndpoints(store, checked, opts.health, opts.timeoutMs);
  return checked;
}
