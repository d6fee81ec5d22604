// The cycle's finetune and register: the trainer protocol fine-tunes the policy and the result is registered as its next version.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../errors';
import { registerModel } from '../../models/registry';
import type { CycleRecord } from '../../store/cycles';
import { REFERENCE_TRAINER, runTrainerInJob } from '../../training/protocol';
import { label } from './common';
import type { CycleRunner } from '../cycleJob';
import { modelLabel } from '../../../../src-shared/modelLabel';

export async function finetune(run: CycleRunner, c: CycleRecord): Promise<void> {
  const f = run.cfg.finetune;
  const build = c.stages.find((s) => s.stage === 'build')!;
  const file = build.artifacts.file as string;
  if (!file || !existsSync(file)) throw new UserError(`the training set of cycle ${c.idx} is missing (${file ?? 'no file'}); resume rebuilds it only from the build stage`);
  const baseId = f.from === 'base' ? run.baseModelId : run.policyOf(c);
  const base = run.store.models.get(baseId);
  const out = join(run.workDir(c.idx), 'model');
  rmSync(out, { recursive: true, force: true });
  const hp: Record<string, unknown> = { lr: f.lr, epochs: f.epochs, batch_size: f.batchSize, seed: f.seed };
  if (f.maxSteps !== null) hp.max_steps = f.maxSteps;
  const trained = await runTrainerInJob({
    store: run.store,
    jobId: run.ctx.job.id,
    throwIfCancelled: () => run.ctx.throwIfCancelled(),
    metric: `loss c${c.idx}`,
    onMetric: (name, step, value) => run.ctx.metric(name, step, value),
    command: f.trainer ?? REFERENCE_TRAINER,
    config: { task: 'sft', base_model: base.path, train_file: file, output_dir: out, name: modelName(run, c), cycle: c.idx, hyperparameters: hp },
    workDir: run.workDir(c.idx),
    report: (m) => run.ctx.progress(run.progress(m)),
  });
  run.finishStage({ steps: trained.steps }, { model: trained.model, base: modelLabel(base), finalLoss: trained.finalLoss, hyperparameters: hp, trainer: (f.trainer ?? REFERENCE_TRAINER).join(' ') });
}

export function modelName(run: CycleRunner, c: CycleRecord): string {
  return `${run.runName}-c${c.idx}`.slice(0, 100);
}

export async function register(run: CycleRunner, c: CycleRecord): Promise<void> {
  const ft = c.stages.find((s) => s.stage === 'finetune')!;
  const build = c.stages.find((s) => s.stage === 'build')!;
  // a run killed between the copy and the checkpoint finds its model here instead of registering twice
  const existing = run.store.models.list().find((m) => (m.provenance as { cycleId?: number } | null)?.cycleId === c.id);
  const parentId = run.policyOf(c);
  const rec =
    existing ??
    (await registerModel(run.store, ft.artifacts.model as string, {
      name: modelName(run, c),
      provenance: {
        parent: label(run.store, parentId),
        cycle: c.idx,
        cycleRun: run.runName,
        cycleId: c.id,
        trainingDataHash: build.artifacts.trainingDataHash,
        trainExamples: build.counts.train_examples,
        config: run.cfg,
        job: run.ctx.job.id,
      },
    }));
  if (rec.role !== 'policy') throw new UserError(`the trainer wrote a ${rec.role} model, not a policy`);
  run.finishStage({}, { model: modelLabel(rec), modelId: rec.id, parent: label(run.store, parentId) }, () => run.store.cycles.setModel(c.id, rec.id));
  rmSync(join(run.workDir(c.idx), 'model'), { recursive: true, force: true });
}
