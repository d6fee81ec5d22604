// Helpers shared by the CLI's command modules: output, option parsers, running a job to its end.
import { InvalidArgumentError, type Command } from 'commander';
import { UserError, asUserFacing } from '../core/errors';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Api } from '../../src-shared/api';
import type { JobRequestInput } from '../../src-shared/jobConfigs';
import type { Job } from '../../src-shared/domain';
import { jobIdOf, newerJob, reduceJob } from '../../src-shared/events';
import { openLocalDoor, type LocalDoor } from '../core/door';
import { JobProgressBar } from './progress';

export interface CliIO {
  out(line: string): void;
  err(line: string): void;
  /** whether progress bars may be drawn (stderr is a terminal) */
  tty: boolean;
  /**
   * asks a person a question and resolves with the answer; absent when nobody can answer (stdin or stdout
   * is not a terminal): a command that must confirm then refuses in one line
   */
  ask?: (question: string) => Promise<string>;
}

/** A question on a terminal, answered on one line of stdin. */
function askOnTerminal(question: string): Promise<string> {
  return new Promise((done) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    rl.question(question, (answer) => {
      rl.close();
      done(answer);
    });
  });
}

export const defaultIO: CliIO = {
  out: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
  tty: Boolean(process.stderr.isTTY),
  ...(process.stdin.isTTY && process.stdout.isTTY ? { ask: askOnTerminal } : {}),
};

export function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function nonNegative(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number >= 0');
  return n;
}

export function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be an integer >= 0');
  return n;
}

export function probability(v: string): number {
  const n = Number(v);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError('must be in (0, 1]');
  return n;
}

/** An age such as 90s, 30m, 12h, 7d or 2w, in milliseconds. */
export function duration(v: string): number {
  const m = /^(\d+)\s*(s|m|h|d|w)$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError('must be a number and a unit: s, m, h, d or w (e.g. 7d)');
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}

export function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number 0-65535');
  return n;
}

/**
 * The tests' hook into the job runner, read here at the edge and passed down (core reads no test hook from
 * the environment): STEPLAB_TEST_KILL_AFTER_COMMITS=n kills this process after a job's n-th commit, as a
 * crash would (the kill-resume tests).
 */
export function testHooks(env: NodeJS.ProcessEnv = process.env): { crashAfterCommits?: number } {
  const n = Number(env.STEPLAB_TEST_KILL_AFTER_COMMITS ?? 0);
  return Number.isInteger(n) && n > 0 ? { crashAfterCommits: n } : {};
}

/** Opens a workspace behind the in-process door for one command, and closes it after. */
export async function withApi<T>(dir: string, fn: (api: Api, door: LocalDoor) => Promise<T>, opts: { create?: boolean } = {}): Promise<T> {
  const where = resolve(dir);
  let door: LocalDoor;
  try {
    door = openLocalDoor(dir, { ...opts, ...testHooks() });
  } catch (e) {
    throw asUserFacing(e, where);
  }
  try {
    // a command runs once and has nothing else to do while a large workspace's background damage check runs: it
    // waits for it, or every write it makes (models register, a job's rows) would be refused as read-only
    await door.ready();
    return await fn(door.api, door);
  } catch (e) {
    throw asUserFacing(e, where);
  } finally {
    await door.close();
  }
}

/**
 * Starts the job of a long command, or resumes the job of the same identity that an earlier run left
 * unfinished, or finds it done (its result is then told again and nothing runs); `restart` starts over.
 * One line on stderr says which (none with --json), then the job runs to its end here.
 */
export async function runLongJob(door: LocalDoor, request: JobRequestInput, o: { restart?: boolean; json?: boolean }, io: CliIO): Promise<Job> {
  const r = await door.api['jobs.startOrResume']({ request, restart: Boolean(o.restart) });
  const { job } = r;
  const done = job.progress.total ? `${job.progress.done}/${job.progress.total} done` : `${job.progress.done} done`;
  if (!o.json) {
    if (r.reuse === 'resumed') io.err(`resuming ${job.state === 'queued' ? '' : `${job.state} `}${job.kind} job ${job.id} (${done}); --restart starts over`);
    if (r.reuse === 'done') io.err(`${job.kind} job ${job.id} with these settings is done (${job.finishedAt ?? job.updatedAt}); its result again, nothing was run`);
    if (r.reuse === 'restarted') io.err(`starting over as ${job.kind} job ${job.id}: job ${r.previous}'s partial rows removed`);
  }
  return runJobToEnd(door, job, io, Boolean(o.json));
}

/** The result of a job that ran to its end; a cancelled or failed one ends the command with its one line. */
export function jobResult<R = unknown>(end: Job, cancelled: string, failed: string): R {
  if (end.state === 'cancelled') throw new UserError(cancelled);
  if (end.state !== 'done') throw new UserError(end.error ?? failed);
  return end.result as R;
}

/**
 * Runs a job to its end in this process, drawing a progress bar; Ctrl-C (SIGINT) or SIGTERM cancels it,
 * which stops a trainer it runs with its whole process group, and the command then ends as cancelled.
 */
export async function runJobToEnd(door: LocalDoor, job: Job, io: CliIO, json: boolean): Promise<Job> {
  const bar = !json && io.tty ? new JobProgressBar() : null;
  const off = followJob(door, job, (row) => bar?.update(row));
  const onSignal = (): void => {
    io.err(`cancelling job ${job.id}...`);
    void door.api['jobs.cancel']({ id: job.id }).catch(() => undefined);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await door.api['jobs.wait']({ id: job.id });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    off();
    bar?.stop();
  }
}

/**
 * Keeps one job's row from the door's events, as the UI keeps its jobs: the snapshot the door sends first,
 * then each event reduced into the row (src-shared/events.ts). `onChange` is told the row after each event
 * that changed it. Returns the unsubscribe.
 */
export function followJob(door: LocalDoor, job: Job, onChange: (row: Job) => void): () => void {
  let row = job;
  return door.subscribe((e) => {
    if (e.type === 'jobs') {
      const now = e.jobs.find((j) => j.id === job.id);
      if (now) row = newerJob(row, now);
    } else if (e.type === 'job' && jobIdOf(e.event) === job.id) {
      const next = reduceJob(row, e.event);
      if (next && next !== row) onChange((row = next));
    }
  });
}

/** Resolves on Ctrl-C or SIGTERM (a server command's run ends there). */
export function untilStopped(): Promise<void> {
  return new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]): string => r.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n');
}

/** A size in bytes: 1048576, 512K, 1M, 2G (K, M, G: binary multiples; a trailing B is allowed). */
export function byteSize(v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMG]i?B?|B)?\s*$/i.exec(v);
  const n = m ? Math.round(Number(m[1]) * 1024 ** ('BKMG'.indexOf((m[2] ?? 'B')[0].toUpperCase()))) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a size in bytes, e.g. 2000000, 512K, 2M or 1G');
  return n;
}

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!(Number.isFinite(n) && n > 0)) throw new InvalidArgumentError('must be a number above 0');
  return n;
}

/** The import size caps' flags (src-shared/jobConfigs.ts ImportLimits; defaults in core/data/limits.ts). */
export interface LimitFlags {
  maxQuestionBytes?: number;
  maxAnswerBytes?: number;
  maxImageBytes?: number;
  maxImageMpx?: number;
  maxLineBytes?: number;
  maxItemBytes?: number;
}

export function addLimitOptions(cmd: Command): Command {
  return cmd
    .option('--max-question-bytes <size>', 'refuse a question longer than this (UTF-8 bytes; K, M suffixes; default 1M)', byteSize)
    .option('--max-answer-bytes <size>', 'refuse an answer longer than this (default 64K)', byteSize)
    .option('--max-image-bytes <size>', 'refuse an image file larger than this (default 64M)', byteSize)
    .option('--max-image-mpx <n>', 'refuse an image of more million pixels than this, read from its header (default 100)', positiveNumber)
    .option('--max-line-bytes <size>', 'refuse a JSONL line longer than this, before it is parsed (default 8M, or the question and answer caps + 1M when more)', byteSize)
    .option('--max-item-bytes <size>', 'refuse an item of a JSON array (or a file that is one JSON document) longer than this, before it is parsed (default as --max-line-bytes)', byteSize);
}

/** The caps given on the command line, as a config's `limits` (absent when none is given). */
export function limitsFromFlags(o: LimitFlags): { limits?: { questionBytes?: number; answerBytes?: number; imageBytes?: number; imageMpx?: number; lineBytes?: number; itemBytes?: number } } {
  const limits = {
    ...(o.maxQuestionBytes !== undefined ? { questionBytes: o.maxQuestionBytes } : {}),
    ...(o.maxAnswerBytes !== undefined ? { answerBytes: o.maxAnswerBytes } : {}),
    ...(o.maxImageBytes !== undefined ? { imageBytes: o.maxImageBytes } : {}),
    ...(o.maxImageMpx !== undefined ? { imageMpx: o.maxImageMpx } : {}),
    ...(o.maxLineBytes !== undefined ? { lineBytes: o.maxLineBytes } : {}),
    ...(o.maxItemBytes !== undefined ? { itemBytes: o.maxItemBytes } : {}),
  };
  return Object.keys(limits).length ? { limits } : {};
}
