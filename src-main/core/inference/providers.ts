// Execution providers: tried in order (CUDA, DirectML, CoreML, CPU); the one that actually loaded is
// recorded with every result. onnxruntime-node's npm package ships the CPU provider; CUDA is a separate
// download (`npm run setup:cuda`), so on most machines the answer is CPU with a message saying why.

export const PROVIDER_ORDER = ['cuda', 'dml', 'coreml', 'cpu'] as const;
export type Provider = (typeof PROVIDER_ORDER)[number];

export const PROVIDER_LABEL: Record<Provider, string> = { cuda: 'CUDA', dml: 'DirectML', coreml: 'CoreML', cpu: 'CPU' };

/** Which providers this platform can have at all. */
export function platformProviders(platform: NodeJS.Platform): Provider[] {
  if (platform === 'win32') return ['cuda', 'dml', 'cpu'];
  if (platform === 'darwin') return ['coreml', 'cpu'];
  return ['cuda', 'cpu'];
}

export interface BackendInfo {
  name: string;
  bundled: boolean;
}

export interface ProviderPlan {
  /** providers to try, in order */
  candidates: Provider[];
  /** why others were left out */
  skipped: { provider: Provider; reason: string }[];
}

/**
 * Decides which providers to try. `requested` narrows the order (e.g. ['cpu'] forces CPU); `installed`
 * reports which optional provider binaries are present (onnxruntime-node's listSupportedBackends plus a
 * file check for CUDA, whose binaries arrive by a separate download).
 */
export function planProviders(platform: NodeJS.Platform, installed: (p: Provider) => boolean, requested?: readonly Provider[]): ProviderPlan {
  const possible = platformProviders(platform);
  const order = requested && requested.length ? PROVIDER_ORDER.filter((p) => requested.includes(p)) : [...PROVIDER_ORDER];
  const candidates: Provider[] = [];
  const skipped: ProviderPlan['skipped'] = [];
  for (const p of order) {
    if (!possible.includes(p)) continue;
    if (p !== 'cpu' && !installed(p)) {
      skipped.push({
        provider: p,
        reason: p === 'cuda' ? 'CUDA provider not installed (run `npm run setup:cuda` on a machine with an NVIDIA GPU and network access)' : `${PROVIDER_LABEL[p]} provider not available in this onnxruntime-node build`,
      });
      continue;
    }
    candidates.push(p);
  }
  if (!candidates.includes('cpu')) candidates.push('cpu');
  return { candidates, skipped };
}

/** Tries each candidate with `create`; returns the first that loads and every failure on the way. */
export async function loadWithFallback<T>(plan: ProviderPlan, create: (p: Provider) => Promise<T>): Promise<{ value: T; provider: Provider; fallbacks: string[] }> {
  const fallbacks = plan.skipped.map((s) => `${PROVIDER_LABEL[s.provider]}: ${s.reason}`);
  let lastError: unknown;
  for (const p of plan.candidates) {
    try {
      return { value: await create(p), provider: p, fallbacks };
    } catch (e) {
      lastError = e;
      fallbacks.push(`${PROVIDER_LABEL[p]}: failed to load (${(e as Error).message.split('\n')[0]})`);
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
