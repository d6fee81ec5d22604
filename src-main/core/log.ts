// Internal errors (bugs) are told in one line; their trace goes to a log file in the user's config folder
// (<config>/logs, see configDir), whose path the line names. --debug or STEPLAB_DEBUG=1 prints traces too.
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configDir } from './configDir';
import { APP_VERSION } from './version';

/** Whether traces are printed to stderr as well (--debug sets STEPLAB_DEBUG=1, which job workers inherit). */
export function debugEnabled(): boolean {
  return process.env.STEPLAB_DEBUG === '1';
}

/** Writes an internal error's trace to a new log file; returns its path (null when no folder could be written). */
export function writeErrorLog(e: unknown, context: string): string | null {
  const err = e as Error;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const name = `steplab-${stamp}-${process.pid}-${Math.random().toString(36).slice(2, 8)}.log`;
  const text = [
    `Steplab ${APP_VERSION}, Node ${process.version}, ${process.platform}-${process.arch}`,
    `when: ${new Date().toISOString()}`,
    `what: ${context}`,
    '',
    err?.stack ?? String(e),
    '',
  ].join('\n');
  for (const dir of [join(configDir(), 'logs'), join(tmpdir(), 'steplab-logs')]) {
    try {
      mkdirSync(dir, { recursive: true });
      const file = join(dir, name);
      writeFileSync(file, text);
      return file;
    } catch {
      // try the next folder
    }
  }
  return null;
}

/** The one line an internal error is told in: its message and where its trace is. */
export function internalErrorLine(e: unknown, context: string): string {
  const err = e as Error;
  const message = err?.message ?? String(e);
  const file = writeErrorLog(e, context);
  if (debugEnabled() && err?.stack) process.stderr.write(`${err.stack}\n`);
  return `internal error: ${message}${file ? ` (trace in ${file}; --debug prints it here)` : ''}`;
}
