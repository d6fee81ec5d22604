// `steplab cycle run|status|resume|cancel|export`: MathSE self-evolving cycles from the terminal. A run
// prints one line per finished stage and a table per cycle; with --json its last line is the summary.
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Api, Input } from '../../src-shared/api';
import { formatVsBase, type CycleConfig, type CycleRun, type CycleSummary } from '../../src-shared/cycles';
import type { Job } from '../../src-shared/domain';
import type { CycleRunResult } from '../core/cycles/cycleJob';
import type { LocalDoor } from '../core/door';
import { UserError } from '../core/errors';
import { nonNegativeInt, positiveInt, followJob, runJobToEnd, table, withApi, type CliIO } from './common';

const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : `${(100 * x).toFixed(1)}%`);

function readConfigFile(file: string): Record<string, unknown> {
  if (!existsSync(file)) throw new UserError(`file not found: ${file}`);
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new UserError(`${file}: expected a JSON object`);
  return v as Record<string, unknown>;
}

function seconds(s: { startedAt: string | null; endedAt: string | null }): string {
  if (!s.startedAt || !s.endedAt) return '';
  return ` (${((Date.parse(s.endedAt) - Date.parse(s.startedAt)) / 1000).toFixed(1)} s)`;
}

function stageLine(c: CycleSummary, s: CycleSummary['stages'][number]): string {
  const counts = Object.entries(s.counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const reason = typeof s.artifacts.reason === 'string' ? s.artifacts.reason : '';
  return `cycle ${c.idx} · ${s.stage.padEnd(10)} ${s.status}${seconds(s)}${counts ? `: ${counts}` : ''}${reason ? ` (${reason})` : ''}`;
}

/** A difference of two fractions in points, with its sign. */
const signed = (d: number): string => `${d >= 0 ? '+' : ''}${(100 * d).toFixed(1)}`;

/** The table of a run's cycles (`rows`; default all), each compared with the cycle before it. */
function cycleTable(run: CycleRun, rows: readonly CycleSummary[] = run.cycles): string {
  return table(
    ['cycle', 'policy', 'test acc', 'vs prev', 'vs base [95%]', 'pass@k', 'strict', 'correct paths', 'diagnosed', 'corrected', 'train rows'],
    rows.map((c) => {
      const m = c.metrics;
      const prev = c.idx > 0 ? run.cycles.find((x) => x.idx === c.idx - 1)?.metrics : undefined;
      const delta = typeof m.test_accuracy === 'number' && typeof prev?.test_accuracy === 'number' ? m.test_accuracy - prev.test_accuracy : null;
      return [
        c.idx === 0 ? '0 (base)' : String(c.idx),
        c.model ?? '-',
        pct(m.test_accuracy),
        delta === null ? '' : signed(delta),
        m.vs_base ? formatVsBase(m.vs_base) : '',
        pct(m.pass_at_k),
        pct(m.strict_accuracy),
        c.idx === 0 ? '' : String(m.correct_paths ?? '-'),
        c.idx === 0 ? '' : String(m.diagnosed ?? '-'),
        c.idx === 0 ? '' : String(m.corrected ?? '-'),
        c.idx === 0 ? '' : String(m.train_examples ?? '-'),
      ];
    }),
  );
}

/** The --json summary line. */
export function cycleJsonLine(r: CycleRunResult): string {
  return JSON.stringify({
    cycles: r.cycles.map((c) => ({
      cycle: c.cycle,
      policy: c.policy,
      test_accuracy: c.test_accuracy,
      vs_base: c.vs_base ?? null,
      pass_at_k: c.pass_at_k,
      correct_paths: c.correct_paths,
      diagnosed: c.diagnosed,
      corrected: c.corrected,
      train_examples: c.train_examples,
    })),
    base_test_accuracy: r.base_test_accuracy,
  });
}

async function runOfJob(api: Api, jobId: number): Promise<CycleRun | undefined> {
  return (await api['cycles.list']({})).find((r) => r.jobId === jobId);
}

/** Runs a cycle job to its end, printing each stage as it finishes (not with --json). */
async function watch(door: LocalDoor, job: Job, io: CliIO, json: boolean): Promise<Job> {
  const printed = new Set<string>();
  // reports run one at a time, in the order the job's events came
  let reporting: Promise<void> = Promise.resolve();
  const report = async (): Promise<void> => {
    const run = await runOfJob(door.api, job.id);
    if (!run) return;
    for (const c of run.cycles) {
      for (const s of c.stages) {
        const key = `${c.id}:${s.stage}:${s.status}:${s.endedAt}`;
        if ((s.status === 'done' || s.status === 'skipped' || s.status === 'failed') && !printed.has(key) && !(c.idx === 0 && s.status === 'skipped')) {
          printed.add(key);
          if (!json) io.out(stageLine(c, s));
          if (!json && s.stage === 'evaluate' && s.status === 'done') io.out(cycleTable(run, [c]));
        }
      }
    }
  };
  // stages finished by an earlier attempt are not printed again
  const before = await runOfJob(door.api, job.id);
  if (before) for (const c of before.cycles) for (const s of c.stages) printed.add(`${c.id}:${s.stage}:${s.status}:${s.endedAt}`);
  const off = followJob(door, job, () => {
    reporting = reporting.then(report);
  });
  try {
    const end = await runJobToEnd(door, job, io, json);
    await reporting;
    await report();
    return end;
  } finally {
    off();
  }
}

async function finish(api: Api, end: Job, io: CliIO, json: boolean): Promise<void> {
  const run = await runOfJob(api, end.id);
  if (end.state === 'cancelled') throw new UserError(`cycle run ${run ? `${run.id} (${run.name})` : ''} cancelled; finished stages are kept: \`steplab cycle resume --id ${run?.id ?? '?'}\` continues it`);
  if (end.state !== 'done') throw new UserError(`${end.error ?? 'cycle run failed'}${run ? `\nthe run is paused at that stage: fix the cause, then \`steplab cycle resume --id ${run.id}\`` : ''}`);
  const r = end.result as CycleRunResult;
  if (json) return io.out(cycleJsonLine(r));
  io.out(`run ${r.name} (id ${r.runId}): ${r.cycles.length} cycle(s)`);
  io.out(cycleTable(await api['cycles.get']({ id: r.runId })));
}

async function pickRun(api: Api, id: number | undefined): Promise<CycleRun> {
  if (id !== undefined) return api['cycles.get']({ id });
  const latest = (await api['cycles.list']({}))[0];
  if (!latest) throw new UserError('this workspace has no cycle runs; start one with `steplab cycle run`');
  return latest;
}

/** The run --id names (default: the latest) and its job's id; a run without a job ends the command. */
async function pickRunJob(api: Api, id: number | undefined): Promise<{ run: CycleRun; jobId: number }> {
  const run = await pickRun(api, id);
  if (!run.jobId) throw new UserError(`cycle run ${run.id} has no job`);
  return { run, jobId: run.jobId };
}

export function addCycleCommands(program: Command, io: CliIO): void {
  const cycle = program.command('cycle').description('MathSE self-evolving cycles: infer, verify, collect, reflect, regenerate, fine-tune, evaluate');
  /** a subcommand on one run of a workspace: --id, or the latest */
  const runCommand = (name: string, description: string): Command =>
    cycle.command(name).description(description).requiredOption('--workspace <dir>', 'workspace folder').option('--id <run>', 'the run (default: the latest)', positiveInt);

  cycle
    .command('run')
    .description('run C cycles from a policy; prints a line per stage and a table per cycle')
    .requiredOption('--workspace <dir>', 'workspace folder')
    .requiredOption('--dataset <name>', 'dataset with a train split and a held-out split')
    .requiredOption('--policy <name>', 'stage-0 policy (name or name@version)')
    .option('--orm <name>', 'outcome reward model that diagnoses wrong paths (required unless the config sets reflect.enabled false)')
    .requiredOption('--cycles <n>', 'number of cycles', positiveInt)
    .option('--train-split <name>', 'split to practise on', 'train')
    .option('--eval-split <name>', 'held-out split measured every cycle', 'test')
    .option('--name <run>', 'name of the run')
    .option('--config <file.json>', 'the full cycle config (flags override its dataset, policy, orm, cycles and splits)')
    .option('--restart', 'refused: a cycle run resumes from its last finished stage (start a new run under another --name)')
    .option('--json', 'last line: the cycles as JSON')
    .action(async (o: { workspace: string; dataset: string; policy: string; orm?: string; cycles: number; trainSplit: string; evalSplit: string; name?: string; config?: string; restart?: boolean; json?: boolean }) => {
      const raw = o.config ? readConfigFile(o.config) : {};
      // the config is parsed once, at the door (a bad one is refused there in one line)
      const config = {
        ...raw,
        dataset: o.dataset,
        policy: o.policy,
        ...(o.orm ? { orm: o.orm } : {}),
        cycles: o.cycles,
        trainSplit: o.trainSplit,
        evalSplit: o.evalSplit,
        ...(o.name ? { name: o.name } : {}),
      };
      await withApi(o.workspace, async (api, door) => {
        // a run killed half-way resumes from its last finished stage when the same command is run again
        const r = await api['jobs.startOrResume']({ request: { kind: 'cycle', config }, restart: Boolean(o.restart) } as Input<'jobs.startOrResume'>);
        const job = r.job;
        const cfg = job.config as CycleConfig; // as the door parsed it
        if (!o.json) {
          if (r.reuse === 'new') io.out(`cycle run started as job ${job.id}: ${cfg.cycles} cycle(s) of ${cfg.policy} on ${cfg.dataset} (${cfg.trainSplit} → ${cfg.evalSplit})${cfg.reflect.enabled ? `, ORM ${cfg.orm}` : ', correct paths only (no reflection)'}`);
          else if (r.reuse === 'resumed') io.err(`resuming ${job.state === 'queued' ? '' : `${job.state} `}cycle job ${job.id} from its last finished stage`);
          else if (r.reuse === 'done') io.err(`cycle job ${job.id} with these settings is done (${job.finishedAt ?? job.updatedAt}); its result again, nothing was run`);
        }
        await finish(api, await watch(door, job, io, Boolean(o.json)), io, Boolean(o.json));
      });
    });

  cycle
    .command('status')
    .description('the runs of a workspace, or one run\'s cycles and stages')
    .requiredOption('--workspace <dir>', 'workspace folder')
    .option('--id <run>', 'one run', positiveInt)
    .option('--json', 'print JSON')
    .action(async (o: { workspace: string; id?: number; json?: boolean }) => {
      await withApi(o.workspace, async (api) => {
        const runs = o.id !== undefined ? [await api['cycles.get']({ id: o.id })] : await api['cycles.list']({});
        const jobOf = async (r: CycleRun): Promise<Job | null> => (r.jobId ? api['jobs.get']({ id: r.jobId }) : null);
        if (o.json) {
          return io.out(JSON.stringify(await Promise.all(runs.map(async (r) => ({ ...r, job: await jobOf(r) })))));
        }
        if (runs.length === 0) return io.out('no cycle runs');
        if (o.id === undefined) {
          io.out(
            table(
              ['id', 'name', 'job', 'state', 'cycles', 'progress'],
              await Promise.all(
                runs.map(async (r) => {
                  const j = await jobOf(r);
                  const cs = r.cycles.filter((c) => c.idx > 0);
                  return [String(r.id), r.name, String(r.jobId ?? '-'), j?.state ?? '-', `${cs.filter((c) => c.status === 'done').length}/${(r.config.cycles as number) ?? '?'}`, j?.progress.message ?? ''];
                }),
              ),
            ),
          );
          return;
        }
        const r = runs[0];
        const j = await jobOf(r);
        io.out(`run ${r.id} (${r.name}), job ${r.jobId ?? '-'}: ${j?.state ?? '-'}${j?.error ? ` — ${j.error}` : ''}`);
        for (const c of r.cycles) for (const s of c.stages) if (!(c.idx === 0 && s.status === 'skipped')) io.out(stageLine(c, s));
        io.out(cycleTable(r));
      });
    });

  runCommand('resume', 'continue a paused, failed, cancelled or interrupted run where it stopped')
    .option('--json', 'last line: the cycles as JSON')
    .action(async (o: { workspace: string; id?: number; json?: boolean }) => {
      await withApi(o.workspace, async (api, door) => {
        const { run, jobId } = await pickRunJob(api, o.id);
        const job = await api['jobs.resume']({ id: jobId });
        if (!o.json) io.out(`resuming cycle run ${run.id} (${run.name}) as job ${job.id}`);
        await finish(api, await watch(door, job, io, Boolean(o.json)), io, Boolean(o.json));
      });
    });

  runCommand('cancel', 'cancel a running cycle run (finished stages are kept; resume continues it)')
    .action(async (o: { workspace: string; id?: number }) => {
      await withApi(o.workspace, async (api) => {
        const { run, jobId } = await pickRunJob(api, o.id);
        const j = await api['jobs.cancel']({ id: jobId });
        io.out(`cycle run ${run.id} (job ${j.id}): ${j.state === 'running' ? 'cancel requested' : j.state}`);
      });
    });

  cycle
    .command('export')
    .description("a cycle's training set as ShareGPT / LLaMA-Factory conversations or TRL SFT messages, images beside it")
    .requiredOption('--workspace <dir>', 'workspace folder')
    .requiredOption('--cycle <n>', 'cycle number (1, 2, ...)', nonNegativeInt)
    .requiredOption('--format <f>', 'sharegpt | trl')
    .requiredOption('--out <file>', 'output JSONL (images go to images/ beside it)')
    .option('--id <run>', 'the run (default: the latest)', positiveInt)
    .action(async (o: { workspace: string; cycle: number; format: string; out: string; id?: number }) => {
      if (o.format !== 'sharegpt' && o.format !== 'trl') throw new UserError(`unknown format "${o.format}" (sharegpt or trl)`);
      await withApi(o.workspace, async (api) => {
        const run = await pickRun(api, o.id);
        const w = await api['cycles.exportTrainingSet']({ run: run.id, cycle: o.cycle, format: o.format as 'sharegpt' | 'trl', out: resolve(o.out) });
        io.out(`wrote ${w.rows} rows (${w.images} images) of run ${run.name} cycle ${o.cycle} to ${w.path} (${w.hash})`);
      });
    });
}
