// Steplab's per-user config folder (the recent-workspaces list, internal-error logs).
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Steplab's config folder: $STEPLAB_CONFIG_DIR, else the platform's (XDG on Linux). */
export function configDir(): string {
  if (process.env.STEPLAB_CONFIG_DIR) return resolve(process.env.STEPLAB_CONFIG_DIR);
  if (process.platform === 'win32' && process.env.APPDATA) return join(process.env.APPDATA, 'steplab');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'steplab');
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'steplab');
}
