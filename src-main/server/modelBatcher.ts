// `serve-model`'s batching: requests queue while the engine decodes, and those whose sampling settings are
// equal are decoded together in one batch (rows keep their own random streams, so no result changes).
import type { Engine, Rollout, RolloutRequest } from '../core/inference/engine';
import type { Settings } from './openaiWire';

interface Pending {
  settings: Settings;
  requests: RolloutRequest[];
  resolve(r: Rollout[][]): void;
  reject(e: unknown): void;
}

/** What `decode` queues a request set on; `stats` counts the batches and rows decoded. */
export function modelBatcher(engine: Engine, stats: { batches: number; rows: number }, maxBatch: number | undefined): (settings: Settings, requests: RolloutRequest[]) => Promise<Rollout[][]> {
  const queue: Pending[] = [];
  let busy = false;
  const settingsKey = (s: Settings): string => JSON.stringify(s);
  const pump = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      while (queue.length) {
        const key = settingsKey(queue[0].settings);
        const group = queue.filter((p) => settingsKey(p.settings) === key);
        for (const p of group) queue.splice(queue.indexOf(p), 1);
        const all = group.flatMap((p) => p.requests);
        stats.batches++;
        stats.rows += all.reduce((a, r) => a + r.rngs.length, 0);
        try {
          const s = group[0].settings;
          const out = await engine.generate(all, {
            temperature: s.temperature,
            topK: s.topK,
            topP: s.topP,
            maxNewTokens: s.maxNewTokens,
            stopAtStep: false,
            stopStrings: s.stop,
            topLogprobs: s.topLogprobs || undefined,
            logprobTokens: s.logprobTokens,
            maxBatch,
          });
          let i = 0;
          for (const p of group) {
            p.resolve(out.slice(i, i + p.requests.length));
            i += p.requests.length;
          }
        } catch (e) {
          for (const p of group) p.reject(e);
        }
      }
    } finally {
      busy = false;
    }
  };
  const decode = (settings: Settings, requests: RolloutRequest[]): Promise<Rollout[][]> =>
    new Promise((resolve, reject) => {
      queue.push({ settings, requests, resolve, reject });
      setImmediate(() => void pump());
    });
  return decode;
}
