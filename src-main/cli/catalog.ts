// `steplab annotations`, `models`, `datasets` and `jobs`: what a workspace holds, listed, split, registered
// and managed.
import { Command, InvalidArgumentError } from 'commander';
import { UserError, printable } from '../core/errors';
import { duration, nonNegativeInt, positiveInt, runJobToEnd, table, withApi, type CliIO } from './common';
import { modelLabel } from '../../src-shared/modelLabel';
import { allPages } from './pages';

export function addCatalogCommands(program: Command, io: CliIO): Command {
  const annotations = program
    .command('annotations')
    .description('list annotation sets; `annotations split` cuts one by problem into -train and -val')
    // options after `split` belong to it, not to `annotations`
    .enablePositionalOptions()
    .option('--workspace <dir>', 'workspace folder (required)')
    .option('--json', 'print JSON')
    .action(async (o: { workspace?: string; json?: boolean }) => {
      if (!o.workspace) throw new UserError("annotations: required option '--workspace <dir>' not specified");
      await withApi(o.workspace, async (api) => {
        const sets = await api['annotations.sets']({});
        if (o.json) return io.out(JSON.stringify(sets));
        if (sets.length === 0) return io.out('no annotation sets; make one with: steplab search --workspace <dir> --dataset <name> --model <policy> --algo omega');
        io.out(table(['set', 'annotations', 'problems', 'steps', 'searches', 'created'], sets.map((x) => [x.name, String(x.annotations), String(x.problems), String(x.steps), String(x.searches), x.createdAt])));
      });
    });
  annotations
    .command('split')
    .description('split an annotation set by problem into <set>-train and <set>-val (for train-prm --val-annotations); no problem on both sides')
    .requiredOption('--workspace <dir>', 'workspace folder')
    .requiredOption('--set <name>', 'the annotation set to split')
    .requiredOption('--val <share>', 'share of the problems held out, in (0, 1)', fraction)
    .option('--seed <s>', 'seed of the choice', nonNegativeInt, 0)
    .option('--json', 'print JSON')
    .action(async (o: { workspace: string; set: string; val: number; seed: number; json?: boolean }) => {
      await withApi(o.workspace, async (api) => {
        const r = await api['annotations.split']({ set: o.set, val: o.val, seed: o.seed });
        if (o.json) return io.out(JSON.stringify(r));
        const n = (k: number, one: string): string => `${k} ${one}${k === 1 ? '' : 's'}`;
        io.out(`split "${o.set}" by problem: ${n(r.train.problems, 'problem')} (${n(r.train.annotations, 'annotation')}) in "${r.train.name}", ${n(r.val.problems, 'problem')} (${n(r.val.annotations, 'annotation')}) in "${r.val.name}"`);
      });
    });

  const models = program
    .command('models')
    .description('list registered models and the execution providers available')
    // options after `register` belong to it, not to `models`
    .enablePositionalOptions()
    .option('--workspace <dir>', 'workspace folder (required)')
    .option('--json', 'print JSON')
    .action(async (o: { workspace?: string; json?: boolean }) => {
      if (!o.workspace) throw new UserError("models: required option '--workspace <dir>' not specified");
      await withApi(o.workspace, async (api) => {
        const list = await api['models.list']({});
        const providers = await api['models.providers']({});
        // endpoints are asked whether they are up (a few seconds at most, all at once)
        const health = new Map(await Promise.all(list.filter((m) => m.endpoint).map(async (m) => [m.id, await api['models.health']({ id: m.id })] as const)));
        if (o.json) return io.out(JSON.stringify({ providers, models: list.map((m) => (health.has(m.id) ? { ...m, health: health.get(m.id) } : m)) }));
        io.out(`execution providers available: ${providers.map((p) => p.toUpperCase()).join(', ')}`);
        if (list.length === 0) return io.out('no models; register one with: steplab models register <folder> --workspace <dir>');
        const where = (m: (typeof list)[number]): string =>
          m.endpoint ? health.get(m.id)!.map((h) => `${h.url} (${m.endpoint!.servedModel}): ${h.detail}`).join('; ') : m.path;
        io.out(
          table(
            ['name', 'version', 'role', 'family', 'provider', 'path'],
            list.map((m) => [m.name, `v${m.version}`, m.role, m.family ?? '', String((m.provenance as { validatedWith?: string } | null)?.validatedWith ?? '').toUpperCase(), where(m)]),
          ),
        );
      });
    });
  models
    .command('register')
    .description('validate a model folder and register it (copied into the workspace)')
    .argument('<folder>', 'model folder with manifest.json')
    .requiredOption('--workspace <dir>', 'workspace folder')
    .option('--name <name>', 'register under this name instead of the manifest\'s')
    .option('--json', 'print JSON')
    .action(async (folder: string, o: { workspace: string; name?: string; json?: boolean }) => {
      await withApi(o.workspace, async (api) => {
        const rec = await api['models.register']({ folder, ...(o.name ? { name: o.name } : {}) });
        if (o.json) io.out(JSON.stringify(rec));
        else io.out(`registered ${modelLabel(rec)} (${rec.role}, validated on ${String((rec.provenance as { validatedWith?: string }).validatedWith).toUpperCase()}) at ${rec.path}`);
      });
    });

  program
    .command('datasets')
    .description('list datasets')
    .requiredOption('--workspace <dir>', 'workspace folder')
    .option('--json', 'print JSON')
    .action(async (o: { workspace: string; json?: boolean }) => {
      await withApi(o.workspace, async (api) => {
        const list = await allPages((q) => api['datasets.list'](q));
        if (o.json) return io.out(JSON.stringify(list));
        if (list.length === 0) return io.out('no datasets; import one with: steplab import <file.jsonl> --workspace <dir> --dataset <name>');
        io.out(table(['name', 'version', 'problems', 'images', 'splits'], list.map((d) => [d.name, `v${d.version}`, String(d.problemCount), String(d.imageCount), Object.entries(d.splits).map(([k, v]) => `${k}:${v}`).join(' ')])));
      });
    });

  program
    .command('jobs')
    .description('list jobs; --resume runs interrupted jobs to their end')
    .requiredOption('--workspace <dir>', 'workspace folder')
    .option('--resume', 'resume every queued or interrupted job and wait for them')
    .option('--cancel <id>', 'cancel a job', positiveInt)
    .option('--prune', 'remove failed and cancelled jobs from the list (never a running, interrupted or done one)')
    .option('--older-than <age>', 'with --prune: only jobs that ended longer ago than this (30m, 12h, 7d, 2w)', duration)
    .option('--limit <n>', 'at most N jobs', positiveInt)
    .option('--json', 'print JSON')
    .action(async (o: { workspace: string; resume?: boolean; cancel?: number; prune?: boolean; olderThan?: number; limit?: number; json?: boolean }) => {
      if (o.olderThan !== undefined && !o.prune) throw new UserError('jobs: --older-than goes with --prune');
      await withApi(o.workspace, async (api, door) => {
        if (o.cancel !== undefined) {
          const j = await api['jobs.cancel']({ id: o.cancel });
          if (!o.json) io.out(`job ${j.id}: ${j.state === 'running' ? 'cancel requested' : j.state}`);
        }
        if (o.prune) {
          const r = await api['jobs.prune']({ ...(o.olderThan !== undefined ? { olderThanMs: o.olderThan } : {}) });
          if (o.json) return io.out(JSON.stringify(r));
          io.out(r.removed.length ? `removed ${r.removed.length} job(s): ${r.removed.join(', ')}` : 'no failed or cancelled jobs to remove');
          for (const k of r.kept) io.out(`kept job ${k.id}: ${k.reason}`);
        }
        if (o.resume) {
          const { ids } = await api['jobs.resumeAll']({});
          if (!o.json) io.out(ids.length ? `resuming ${ids.length} job(s): ${ids.join(', ')}` : 'nothing to resume');
          for (const id of ids) await runJobToEnd(door, await api['jobs.get']({ id }), io, Boolean(o.json));
        }
        const jobs = await api['jobs.list']({ limit: o.limit ?? 100 });
        if (o.json) return io.out(JSON.stringify(jobs));
        if (jobs.length === 0) return io.out('no jobs');
        io.out(
          table(
            ['id', 'kind', 'state', 'progress', 'message'],
            jobs.map((j) => [String(j.id), j.kind, j.state, j.progress.total ? `${j.progress.done}/${j.progress.total}` : String(j.progress.done), printable(j.error ?? j.progress.message ?? '')]),
          ),
        );
      });
    });
  return models;
}

/** A share strictly between 0 and 1. */
function fraction(v: string): number {
  const n = Number(v);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError('must be a number between 0 and 1');
  return n;
}
