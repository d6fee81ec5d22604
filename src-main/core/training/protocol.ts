// Runs an external trainer that speaks the trainer protocol (DESIGN.md "Training"): `<command> --config
// <file.json>`, JSON lines on stdout (progress, log, error, done), SIGTERM to cancel. The caller gets
// each event as it arrives; a failure carries the trainer's own error message and its last stderr lines.
// The trainer dies with its job: it runs in its own process group, which is sent SIGTERM on cancel (also
// one asked for by the CLI's SIGINT or SIGTERM), when the job's host stops the job, and after the
// trainer ends (anything it left behind); its stdin is a pipe Steplab never writes, and the protocol
// says a trainer exits when its stdin closes: a Steplab killed outright (SIGKILL, a crash) closes it,
// as Node has no parent-death signal.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CancelledError, UserError } from '../errors';

/** The repository root: the reference trainer's paths are relative to it. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Steplab's reference trainer (Debian python3-torch). */
export const REFERENCE_TRAINER = ['/usr/bin/python3', join(REPO_ROOT, 'models', 'recipes', 'trainer.py')];

export type TrainerEvent =
  | { event: 'progress'; step: number; total?: number; loss?: number; [k: string]: unknown }
  | { event: 'log'; message: string; [k: string]: unknown }
  | { event: 'error'; message: string }
  | { event: 'done'; model: string };

export interface TrainerRun {
  /** the model folder the trainer reported */
  model: string;
  logs: string[];
}

export interface RunTrainerOptions {
  command: readonly string[];
  config: Record<string, unknown>;
  /** where the config file is written */
  workDir: string;
  cwd?: string;
  onEvent?(e: TrainerEvent): void;
  /** polled every 250 ms; true sends SIGTERM and the run ends in CancelledError */
  shouldCancel?(): boolean;
}

const STDERR_TAIL_LINES = 20;

/** Sends a signal to a trainer's process group (the trainer alone where it has none); quiet when gone. */
export function signalGroup(pid: number, signal: NodeJS.Signals = 'SIGTERM'): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

let childListener: ((pid: number, running: boolean) => void) | null = null;

/** Told of every trainer process as it starts and ends (a job worker tells its runner, which stops them with the job). */
export function onTrainerProcess(listener: ((pid: number, running: boolean) => void) | null): void {
  childListener = listener;
}

export function runTrainer(opts: RunTrainerOptions): Promise<TrainerRun> {
  if (opts.command.length === 0) throw new UserError('trainer command is empty');
  const cfgFile = join(opts.workDir, 'trainer-config.json');
  writeFileSync(cfgFile, JSON.stringify(opts.config, null, 2));
  const [bin, ...args] = opts.command;
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...args, '--config', cfgFile], {
      cwd: opts.cwd ?? REPO_ROOT,
      env: { ...process.env, OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS ?? '1', PYTHONUNBUFFERED: '1' },
      // stdin: a pipe kept open and never written (it closes when this process dies); its own process group
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdin.on('error', () => undefined); // a trainer that closed its stdin
    const pid = child.pid;
    if (pid !== undefined) childListener?.(pid, true);
    let stdoutBuf = '';
    let stderr = '';
    let done: string | null = null;
    let errorMessage: string | null = null;
    let cancelled = false;
    const logs: string[] = [];
    const protocolErrors: string[] = [];
    const onLine = (line: string): void => {
      if (!line.trim()) return;
      let e: TrainerEvent;
      try {
        e = JSON.parse(line) as TrainerEvent;
      } catch {
        protocolErrors.push(line.slice(0, 200));
        return;
      }
      if (e.event === 'done') done = e.model;
      else if (e.event === 'error') errorMessage = e.message;
      else if (e.event === 'log') logs.push(e.message);
      opts.onEvent?.(e);
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      stdoutBuf += d;
      let nl: number;
      while ((nl = stdoutBuf.indexOf('\n')) >= 0) {
        onLine(stdoutBuf.slice(0, nl));
        stdoutBuf = stdoutBuf.slice(nl + 1);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      stderr += d;
      if (stderr.length > 64_000) stderr = stderr.slice(-32_000);
    });
    const poll = setInterval(() => {
      if (!cancelled && opts.shouldCancel?.()) {
        cancelled = true;
        if (pid !== undefined) signalGroup(pid);
        else child.kill('SIGTERM');
      }
    }, 250);
    child.on('error', (e) => {
      clearInterval(poll);
      reject(new UserError(`cannot start the trainer "${opts.command.join(' ')}": ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearInterval(poll);
      if (pid !== undefined) {
        // whatever the trainer started and left behind goes with it
        signalGroup(pid);
        childListener?.(pid, false);
      }
      child.stdin.destroy();
      onLine(stdoutBuf);
      if (cancelled) return reject(new CancelledError());
      if (code === 0 && done) return resolve({ model: done, logs });
      const tail = stderr.trim().split('\n').slice(-STDERR_TAIL_LINES).join('\n');
      const why = errorMessage ?? (code === 0 ? 'it exited without a "done" event' : `exit ${code ?? signal}`);
      const extra = protocolErrors.length ? `\nstdout lines that were not JSON: ${protocolErrors.slice(0, 3).join(' | ')}` : '';
      reject(new UserError(`trainer failed: ${why}${tail ? `\nlast lines of stderr:\n${tail}` : ''}${extra}`));
    });
  });
}

export interface JobTrainerRun extends TrainerRun {
  /** the last progress step reported */
  steps: number;
  finalLoss: number | null;
}

/**
 * runTrainer inside a job: the loss curve is stored as the job's metric `metric` as it streams (kept up to
 * a crash), progress and log lines go to `report`, and the job's cancel (also one asked for through the
 * database by another process) sends SIGTERM.
 */
export async function runTrainerInJob(opts: {
  store: { jobs: { addMetrics(id: number, name: string, points: readonly (readonly [number, number])[]): void } };
  jobId: number;
  throwIfCancelled(): void;
  metric: string;
  /** each point of the curve as it comes (the job's metric event) */
  onMetric?(name: string, step: number, value: number): void;
  command: readonly string[];
  config: Record<string, unknown>;
  workDir: string;
  /** a progress or log line, with the last step and the total steps when the trainer said */
  report(message: string, step: number, total: number | null): void;
}): Promise<JobTrainerRun> {
  let steps = 0;
  let finalLoss: number | null = null;
  let pending: [number, number][] = [];
  const flush = (): void => {
    if (pending.length) opts.store.jobs.addMetrics(opts.jobId, opts.metric, pending);
    pending = [];
  };
  try {
    const run = await runTrainer({
      command: opts.command,
      config: opts.config,
      workDir: opts.workDir,
      shouldCancel: () => {
        try {
          opts.throwIfCancelled();
          return false;
        } catch {
          return true;
        }
      },
      onEvent: (e) => {
        if (e.event === 'progress') {
          steps = e.step;
          if (typeof e.loss === 'number' && Number.isFinite(e.loss)) {
            finalLoss = e.loss;
            pending.push([e.step, e.loss]);
            opts.onMetric?.(opts.metric, e.step, e.loss);
            if (pending.length >= 20) flush();
          }
          opts.report(`step ${e.step}${e.total ? `/${e.total}` : ''}${finalLoss !== null ? `, loss ${finalLoss.toFixed(4)}` : ''}`, e.step, e.total ?? null);
        } else if (e.event === 'log') opts.report(e.message.slice(0, 300), steps, null);
      },
    });
    return { ...run, steps, finalLoss };
  } finally {
    flush(); // the curve up to a crash is kept with the failed job
  }
}
