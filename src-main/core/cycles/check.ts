// Checks a cycle run before any work starts (the CLI and the API run it before they submit; the job runs
// it again on its first attempt): one clear line for each way the request cannot work, and nothing in the
// workspace changes.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import type { CycleConfig } from '../../../src-shared/cycles';
import { UserError } from '../errors';
import type { Store } from '../store';
import { REFERENCE_TRAINER } from '../training/protocol';

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Whether a command's program exists: a path to an executable file, or a name found on PATH. */
export function commandExists(bin: string): boolean {
  if (bin.includes('/') || isAbsolute(bin)) return executable(bin);
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && executable(join(d, bin)));
}

export function checkCycleRun(store: Store, cfg: CycleConfig): { datasetId: number; policyId: number; ormId: number | null } {
  const ds = store.datasets.get(cfg.dataset);
  const count = (split: string): number => ds.splits[split] ?? 0;
  const splits = Object.entries(ds.splits)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  if (count(cfg.trainSplit) === 0) throw new UserError(`dataset "${cfg.dataset}" has no "${cfg.trainSplit}" split to practise on (its splits: ${splits})`);
  if (count(cfg.evalSplit) === 0) {
    throw new UserError(`dataset "${cfg.dataset}" has no held-out "${cfg.evalSplit}" split to measure each cycle on (its splits: ${splits}); import one or name it with evalSplit`);
  }
  const policy = store.models.withRole(cfg.policy, 'policy');
  let ormId: number | null = null;
  if (cfg.orm) {
    const orm = store.models.byName(cfg.orm);
    if (orm.role !== 'orm') throw new UserError(`model "${cfg.orm}" is a ${orm.role} model, not an ORM: it cannot judge solutions (register an ORM, e.g. tiny-orm)`);
    const m = orm.manifest as { ormTemplate?: unknown };
    if (!m.ormTemplate) throw new UserError(`model "${cfg.orm}" has no ormTemplate in its manifest: Steplab cannot tell where its verdict starts`);
    ormId = orm.id;
  }
  if (cfg.regenerate.regenerator) store.models.withRole(cfg.regenerate.regenerator, 'policy');
  const trainer = cfg.finetune.trainer ?? REFERENCE_TRAINER;
  if (!commandExists(trainer[0])) {
    throw new UserError(`trainer command "${trainer[0]}" does not exist (not an executable file${trainer[0].includes('/') ? '' : ' and not on PATH'}); set finetune.trainer to a command that speaks the trainer protocol`);
  }
  if (!cfg.finetune.trainer && !existsSync(REFERENCE_TRAINER[1])) throw new UserError(`the reference trainer ${REFERENCE_TRAINER[1]} is missing; set finetune.trainer`);
  if (cfg.name && store.cycles.runByName(cfg.name)) throw new UserError(`a cycle run named "${cfg.name}" exists already; choose another name`);
  return { datasetId: ds.id, policyId: policy.id, ormId };
}

/** `<dataset>-<policy>-<n>`: the first free run name. */
export function runNameFor(store: Store, cfg: CycleConfig): string {
  const stem = `${cfg.dataset}-${cfg.policy.split('@')[0]}${cfg.reflect.enabled ? '' : '-noreflect'}`.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 90);
  for (let i = 1; ; i++) {
    const name = `${stem}-${i}`;
    if (!store.cycles.runByName(name)) return name;
  }
}
