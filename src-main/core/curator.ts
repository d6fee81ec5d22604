// Who curation records name: the researcher's name, set once (the command palette) and kept beside the
// recent workspaces in Steplab's config folder, or the account running the core until one is set.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { UserError } from './errors';
import { configDir } from './workbench';

const FILE = 'curator.json';

export interface Curator {
  name: string;
  /** set: chosen by the researcher; system: the account running Steplab (nothing chosen yet) */
  source: 'set' | 'system';
}

function systemUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

export function readCurator(dir = configDir()): Curator {
  const file = join(dir, FILE);
  if (existsSync(file)) {
    try {
      const raw = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown };
      if (typeof raw.name === 'string' && raw.name.trim() !== '') return { name: raw.name.trim(), source: 'set' };
    } catch {
      // an unreadable file reads as nothing set; the next save replaces it
    }
  }
  return { name: systemUser(), source: 'system' };
}

export function saveCurator(name: string, dir = configDir()): Curator {
  const clean = name.trim().replace(/\s+/g, ' ');
  if (clean === '') throw new UserError('a curator name cannot be empty');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ version: 1, name: clean }, null, 2) + '\n');
  renameSync(tmp, file);
  return { name: clean, source: 'set' };
}
