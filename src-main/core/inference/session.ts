// onnxruntime-node sessions with provider fallback, and typed access to their input/output names.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { UserError } from '../errors';
import { loadWithFallback, planProviders, type Provider } from './providers';

const require = createRequire(import.meta.url);

/** Whether an optional provider's binaries are present in the installed onnxruntime-node. */
export function providerInstalled(p: Provider): boolean {
  if (p === 'cpu') return true;
  const backends = ort.listSupportedBackends() as { name: string; bundled: boolean }[];
  const b = backends.find((x) => x.name === p);
  if (!b) return false;
  if (b.bundled) return true;
  if (p === 'cuda') {
    const dir = dirname(require.resolve('onnxruntime-node/package.json'));
    const lib = join(dir, 'bin', 'napi-v6', process.platform, process.arch, process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so');
    return existsSync(lib);
  }
  return false;
}

export function availableProviders(): Provider[] {
  return planProviders(process.platform, providerInstalled).candidates;
}

export interface LoadedSession {
  session: ort.InferenceSession;
  provider: Provider;
  fallbacks: string[];
  inputNames: readonly string[];
  outputNames: readonly string[];
}

export async function loadSession(file: string, requested?: readonly Provider[]): Promise<LoadedSession> {
  if (!existsSync(file)) throw new UserError(`${file}: file not found`);
  const plan = planProviders(process.platform, providerInstalled, requested);
  try {
    const { value, provider, fallbacks } = await loadWithFallback(plan, (p) =>
      ort.InferenceSession.create(file, { executionProviders: [p], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' }),
    );
    return { session: value, provider, fallbacks, inputNames: value.inputNames, outputNames: value.outputNames };
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    throw new UserError(`${file}: not a loadable ONNX model (${msg})`);
  }
}

export { ort };
