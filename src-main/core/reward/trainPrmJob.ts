// The `train-prm` job: exports an annotation set as TRL stepwise rows, runs the trainer (task "prm")
// through the trainer protocol, stores its loss curve as it streams, and registers the model it wrote
// with provenance (annotation set and its hash, options, parent). The work folder is removed whatever
// happens, and the model is registered only after the trainer reported a complete folder, so a crash,
// a failure or a cancel leaves nothing half registered. A resumed job trains again from the start.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Job } from '../../../src-shared/domain';
import { exportAnnotations } from '../data/exportAnnotations';
import { NotFoundError, UserError } from '../errors';
import type { JobHandler } from '../jobs/types';
import { registerModel } from '../models/registry';
import type { Store } from '../store';
import { REFERENCE_TRAINER, runTrainerInJob } from '../training/protocol';

export { TrainPrmJobConfig as TrainPrmConfig } from '../../../src-shared/jobConfigs';
import { TrainPrmJobConfig as TrainPrmConfig } from '../../../src-shared/jobConfigs';
import { modelLabel } from '../../../src-shared/modelLabel';

export interface TrainPrmResult {
  model: string;
  modelId: number;
  steps: number;
  finalLoss: number | null;
  annotationSet: string;
  annotationHash: string;
  rows: number;
}

const workDir = (store: Store, job: Job): string => join(store.paths.dir, 'tmp', `train-prm-${job.id}`);

/** The family of the policy that produced an annotation set, and that policy's name, when known. */
export function annotationSource(store: Store, set: string): { model: string | null; family: string | null } {
  if (!store.annotations.sets().some((s) => s.name === set)) {
    const have = store.annotations.sets().map((s) => s.name);
    throw new UserError(`annotation set "${set}" not found${have.length ? ` (have: ${have.slice(0, 10).join(', ')})` : ' (the workspace has none: run a search first)'}`);
  }
  const models = new Set(store.annotations.modelsOfSet(set));
  const families = new Map<string, string>();
  for (const m of models) {
    if (!m) continue;
    try {
      const rec = store.models.byName(m);
      if (rec.family) families.set(m, rec.family);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
  }
  if (new Set(families.values()).size > 1) {
    throw new UserError(`annotation set "${set}" mixes models of different families (${[...families].map(([m, f]) => `${m}: ${f}`).join(', ')}); train on one family at a time`);
  }
  const [model, family] = [...families.entries()][0] ?? [[...models][0] ?? null, null];
  return { model, family };
}

export const trainPrmJob: JobHandler<TrainPrmConfig, TrainPrmResult> = {
  kind: 'train-prm',
  configSchema: TrainPrmConfig,
  async run(ctx) {
    const { store, config, job } = ctx;
    const { base, name } = checkTrainPrm(store, config);
    const baseRec = store.models.byName(base);
    const dir = workDir(store, job);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    try {
      // soft labels asked for explicitly: the trainer's rows (and their hash) do not follow the export's default; config.labels tells the trainer how to use them
      const train = await exportAnnotations(store, { setName: config.annotations, format: 'trl', softLabels: true, out: join(dir, 'data', 'train.jsonl') });
      if (train.written === 0) throw new UserError(`annotation set "${config.annotations}" has no usable annotations (all rejected or empty)`);
      const val = config.valAnnotations ? await exportAnnotations(store, { setName: config.valAnnotations, format: 'trl', softLabels: true, out: join(dir, 'val', 'val.jsonl') }) : null;
      const annotationHash = 'sha256:' + createHash('sha256').update(readFileSync(train.path)).digest('hex');
      const out = join(dir, 'out');
      const hp: Record<string, unknown> = { seed: config.seed };
      if (config.lr !== undefined) hp.lr = config.lr;
      if (config.epochs !== undefined) hp.epochs = config.epochs;
      if (config.batchSize !== undefined) hp.batch_size = config.batchSize;
      if (config.maxSteps !== undefined) hp.max_steps = config.maxSteps;
      const trainerConfig = {
        task: 'prm',
        base_model: baseRec.path,
        train_file: train.path,
        output_dir: out,
        name,
        labels: config.labels,
        ...(config.calculator ? { prm_template: 'mmprm-calculator' } : {}),
        dedupe: config.dedupe,
        max_paths_per_problem: config.maxPathsPerProblem ?? null,
        val_file: val?.path ?? null,
        hyperparameters: hp,
      };
      const run = await runTrainerInJob({
        store,
        jobId: job.id,
        throwIfCancelled: () => ctx.throwIfCancelled(),
        metric: 'loss',
        onMetric: (name, step, value) => ctx.metric(name, step, value),
        command: config.trainer ?? REFERENCE_TRAINER,
        config: trainerConfig,
        workDir: dir,
        report: (message, done, total) => ctx.progress({ done, total, message }),
      });
      ctx.throwIfCancelled();
      const rec = await registerModel(store, run.model, {
        name,
        provenance: {
          parent: modelLabel(baseRec),
          annotationSet: config.annotations,
          annotationHash,
          trainingDataHash: annotationHash,
          rows: train.written,
          options: { labels: config.labels, calculator: config.calculator ?? false, lr: config.lr ?? null, epochs: config.epochs ?? null, batchSize: config.batchSize ?? null, maxSteps: config.maxSteps ?? null, seed: config.seed, dedupe: config.dedupe, maxPathsPerProblem: config.maxPathsPerProblem ?? null, valAnnotations: config.valAnnotations ?? null },
          job: job.id,
        },
      });
      if (rec.role !== 'prm') throw new UserError(`the trainer wrote a ${rec.role} model, not a PRM`);
      return { model: modelLabel(rec), modelId: rec.id, steps: run.steps, finalLoss: run.finalLoss, annotationSet: config.annotations, annotationHash, rows: train.written };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  cleanup(store, job) {
    rmSync(workDir(store, job), { recursive: true, force: true });
  },
};

/** Checks a train-prm request before any work starts (also run by the CLI before it submits). */
export function checkTrainPrm(store: Store, config: TrainPrmConfig): { base: string; name: string } {
  const src = annotationSource(store, config.annotations);
  if (config.valAnnotations) annotationSource(store, config.valAnnotations);
  const base = config.base ?? src.model;
  if (!base) throw new UserError(`annotation set "${config.annotations}" does not say which policy produced it: name the model to start from (base)`);
  const baseRec = store.models.byName(base);
  if (baseRec.role !== 'policy' && baseRec.role !== 'prm') throw new UserError(`base model "${base}" is a ${baseRec.role} model; a PRM starts from a policy (or a PRM) of the annotations' family`);
  if (src.family && baseRec.family && src.family !== baseRec.family) {
    throw new UserError(
      `annotation set "${config.annotations}" comes from ${src.model} (family ${src.family}), but base model "${base}" is family ${baseRec.family}: a PRM must share the tokenizer family of the policy whose steps it learns`,
    );
  }
  return { base, name: config.name ?? `prm-${config.annotations}`.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 100) };
}
