// Errors a user can cause carry a message written for them; anything else is a bug.
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

export class NotFoundError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/**
 * A service outside Steplab (a model endpoint) is down or answers garbage after every retry. A job that
 * meets one is paused (interrupted, its committed work kept) instead of failed, and resumes from its
 * checkpoint once the service is back.
 */
export class OutageError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'OutageError';
  }
}

export class CancelledError extends Error {
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}

/**
 * A failure of the machine or of the workspace's files that a person can act on: a read-only or damaged
 * steplab.db, a full disk, a missing permission. Returns the one line to tell them, or null for anything
 * else (a bug). `workspace` names the folder in the message when the caller knows it.
 */
export function describeSystemError(e: unknown, workspace?: string): string | null {
  if (!(e instanceof Error)) return null;
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'string') return null;
  const ws = workspace ? `the workspace ${workspace}` : 'the workspace';
  const db = workspace ? `${workspace}/steplab.db` : 'steplab.db';
  const what = printable(e.message);
  if (code.startsWith('SQLITE_')) {
    if (code.startsWith('SQLITE_READONLY')) {
      return `cannot write to ${ws}: it is read-only (${what}); give yourself write access to its folder and steplab.db, or copy the workspace to a folder you can write`;
    }
    if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
      return `${ws} is damaged: ${db} cannot be read (${what}); nothing more was read or written. ${damageAdvice(workspace)}`;
    }
    if (code === 'SQLITE_FULL') return `the disk holding ${ws} is full (${what}): free some space and run the command again; work committed so far is kept`;
    if (code.startsWith('SQLITE_CANTOPEN')) return `cannot open ${db} (${what}): check that the folder exists and that you may read and write it`;
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return `${ws} is busy: another Steplab process held it locked for more than 10 s; run the command again when that process is done`;
    if (code.startsWith('SQLITE_IOERR')) return `the disk failed while reading or writing ${db} (${code}: ${what}); check the disk, then the workspace with: steplab check --workspace ${workspace ?? '<dir>'} --full`;
    if (code.startsWith('SQLITE_PERM') || code.startsWith('SQLITE_AUTH')) return `not allowed to use ${db} (${what}): check its permissions`;
    return null;
  }
  const rawPath = (e as { path?: unknown }).path;
  const path = typeof rawPath === 'string' ? rawPath : null;
  const at = path ? ` (${printable(path)})` : '';
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `the disk is full${at}: free some space and run the command again; work committed so far is kept`;
    case 'EROFS':
      return `the file system is read-only${at}: Steplab needs to write there; use a workspace or output folder on a writable disk`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied${at}: give yourself access to it, or use another folder`;
    case 'EIO':
      return `the disk failed (input/output error)${at}: check the disk`;
    case 'EMFILE':
    case 'ENFILE':
      return `too many open files${at}: raise the limit (ulimit -n) or close other programs, then run the command again`;
    default:
      return null;
  }
}

/** What to run about a damaged workspace. */
export function damageAdvice(workspace?: string): string {
  const w = workspace ?? '<dir>';
  return `See what is damaged with: steplab check --workspace ${w} --full; salvage what can be read with: steplab recover ${w} --into <new folder>`;
}

/** A UserError for a system failure a person can act on (see describeSystemError), else the error itself. */
export function asUserFacing(e: unknown, workspace?: string): unknown {
  if (e instanceof UserError) return e;
  const msg = describeSystemError(e, workspace);
  return msg === null ? e : new UserError(msg);
}

/**
 * Text safe to print on a terminal or store as a message: control bytes (NUL, ESC, ...) become visible
 * escapes such as \x00, so a message about a binary file never echoes its bytes. Tabs and newlines stay.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
