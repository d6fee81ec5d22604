// What jobs.start refuses before a job is made: the checks a job would otherwise fail on after minutes of
// work (an unknown model or dataset, a split the dataset does not have, a model of another role, a judge
// that is not one, a cycle's missing split, a PRM's base of another family, an import file that is empty,
// not UTF-8 or not a problems file, the reference trainer without PyTorch). Each is one line, and nothing
// is written: no job row either.
import { spawnSync } from 'node:child_process';
import type { JobRequest } from '../../../src-shared/jobConfigs';
import { checkCycleRun } from '../cycles/check';
import { inspectProblemFile } from '../data/inputFile';
import { judgeModel } from '../data/verify/judge';
import { UserError } from '../errors';
import { checkTrainPrm } from '../reward/trainPrmJob';
import { checkBenchPrm } from './kinds/benchPrm';
import { checkLabelImport } from '../data/labels/check';
import type { Store } from '../store';
import { REFERENCE_TRAINER } from '../training/protocol';

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
      store.models.withRole(request.config.prm, 'prm');
      if (request.config.dataset) requireProblems(store, request.config.dataset, request.config.split);
      return request;
    case 'bon':
      store.models.withRole(request.config.policy, 'policy');
      store.models.withRole(request.config.prm, 'prm');
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
      return request;
    case 'import-labels':
      checkLabelImport(request.config);
      return request;
  }
}
