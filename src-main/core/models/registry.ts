// Registering a model folder: validate it completely (manifest, config, tokenizer fit, each ONNX graph
// loads and has the declared layout), copy it into the workspace's models/ folder, and record a version.
// A folder that fails validation changes nothing in the workspace.
import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ModelRecord } from '../../../src-shared/domain';
import { UserError } from '../errors';
import { loadModel } from '../inference/model';
import type { Provider } from '../inference/providers';
import type { Store } from '../store';

export interface RegisterOptions {
  /** register under this name instead of the manifest's */
  name?: string;
  /** extra provenance merged over the manifest's (cycle, parent, training data hash) */
  provenance?: Record<string, unknown>;
  providers?: readonly Provider[];
}

export async function validateModelFolder(folder: string, providers?: readonly Provider[]): Promise<Awaited<ReturnType<typeof loadModel>>> {
  return loadModel(resolve(folder), { providers });
}

export async function registerModel(store: Store, folder: string, opts: RegisterOptions = {}): Promise<ModelRecord> {
  const src = resolve(folder);
  const model = await validateModelFolder(src, opts.providers);
  const manifest = model.manifest;
  const provider = model.provider;
  await model.release();
  const name = opts.name ?? manifest.name;
  const version = store.models.nextVersion(name);
  const dest = join(store.paths.modelsDir, `${name}-v${version}`);
  if (existsSync(dest)) throw new UserError(`${dest} already exists; remove it or register under another name`);
  mkdirSync(store.paths.modelsDir, { recursive: true });
  // copy to a temporary name first, so a failed copy leaves no half folder under the final name
  const tmp = `${dest}.partial-${process.pid}`;
  try {
    cpSync(src, tmp, { recursive: true, filter: (p) => !p.includes('__pycache__') });
    renameSync(tmp, dest);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw new UserError(`cannot copy ${src} into the workspace: ${(e as Error).message}`);
  }
  try {
    return store.models.register({
      name,
      role: manifest.role,
      family: manifest.family,
      path: dest,
      manifest,
      provenance: { ...(manifest.provenance ?? {}), ...(opts.provenance ?? {}), source: src, validatedWith: provider },
    });
  } catch (e) {
    rmSync(dest, { recursive: true, force: true });
    throw e;
  }
}
