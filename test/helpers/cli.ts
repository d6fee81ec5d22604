// Runs the real `steplab` command (bin/steplab.js) as a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const STEPLAB_BIN = join(import.meta.dirname, '..', '..', 'bin', 'steplab.js');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function startCli(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<CliRun> } {
  const child = spawn(process.execPath, [STEPLAB_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliRun>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return startCli(args, env).done;
}

/** Runs the CLI in this process with captured output (no child process: faster, same code path). */
export async function cli(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const { main } = await import('../../src-main/cli/main');
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l), tty: false });
  return { code, out, err };
}
