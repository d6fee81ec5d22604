// Which Steplab made a result: the version of package.json and, in a git checkout, the commit it runs
// from (null in a packaged app or where git cannot be asked). Read once per process.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { APP_VERSION } from './version';

let commit: string | null | undefined;

export function gitCommit(): string | null {
  if (commit !== undefined) return commit;
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: fileURLToPath(new URL('../..', import.meta.url)), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
    commit = /^[0-9a-f]{40}$/.test(out) ? out : null;
  } catch {
    commit = null;
  }
  return commit;
}

export function buildInfo(): { version: string; commit: string | null } {
  return { version: APP_VERSION, commit: gitCommit() };
}
