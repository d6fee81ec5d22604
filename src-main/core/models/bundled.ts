// The models and demo data that ship in the repository's models/ folder.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** models/ in the repository, or beside app.asar in a packaged app (electron-builder's extraResources). */
function bundledModelsDir(): string {
  const inTree = fileURLToPath(new URL('../../../models', import.meta.url));
  const resources = (process as { resourcesPath?: string }).resourcesPath;
  return !existsSync(inTree) && resources && existsSync(join(resources, 'models')) ? join(resources, 'models') : inTree;
}

export const BUNDLED_MODELS_DIR = bundledModelsDir();

/** Folders under models/ that hold a manifest.json, in a fixed order (policy first, then the rest by name). */
export function bundledModelFolders(dir = BUNDLED_MODELS_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'manifest.json')))
    .map((d) => d.name)
    .sort((a, b) => Number(b === 'tiny-policy') - Number(a === 'tiny-policy') || a.localeCompare(b))
    .map((n) => join(dir, n));
}
