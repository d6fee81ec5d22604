// Fixed prompts for parity between PyTorch (the recipe's checkpoint) and Steplab's ONNX engine:
// text and image problems from the bundled demo test split, greedy, 128 new tokens.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../src-main/core/inference/engine';
import { preprocessImage } from '../../src-main/core/inference/image';
import type { LoadedModel } from '../../src-main/core/inference/model';
import { renderPrompt } from '../../src-main/core/inference/prompt';

export const ROOT = join(import.meta.dirname, '..', '..');
export const MODEL_DIR = join(ROOT, 'models', 'tiny-policy');
export const FIXTURE = join(ROOT, 'test', 'fixtures', 'tiny-policy-parity.json');
export const MAX_NEW_TOKENS = 128;

export interface ParityCase {
  id: string;
  promptIds: number[];
  /** preprocessed [C*H*W] pixel values, as fed to the vision encoder */
  pixels: Float32Array | null;
}

export interface ParityFixture {
  model: { onnxSha256: string; checkpointSha256: string };
  maxNewTokens: number;
  cases: { id: string; tokens: number[] }[];
}

export const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

export function modelHashes(): ParityFixture['model'] {
  return { onnxSha256: sha256(join(MODEL_DIR, 'onnx', 'model.onnx')), checkpointSha256: sha256(join(MODEL_DIR, 'checkpoint.pt')) };
}

export async function parityCases(model: LoadedModel, engine: Engine): Promise<ParityCase[]> {
  const rows = readFileSync(join(ROOT, 'models', 'demo-data', 'problems.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: string; question: string; image?: string; split: string })
    .filter((r) => r.split === 'test');
  const picks = [...rows.filter((r) => !r.image).slice(0, 8), ...rows.filter((r) => r.image).slice(0, 4)];
  const out: ParityCase[] = [];
  for (const r of picks) {
    const pixels = r.image ? await preprocessImage(readFileSync(join(ROOT, 'models', 'demo-data', r.image)), model.manifest.image!) : null;
    out.push({ id: r.id, promptIds: engine.encodePrompt(renderPrompt(model.manifest, r.question, { hasImage: Boolean(r.image) })), pixels });
  }
  return out;
}

/** The engine's greedy tokens per case, with the EOS appended when the row ended on it (PyTorch's convention). */
export async function engineGreedy(engine: Engine, cases: ParityCase[]): Promise<number[][]> {
  const out = await engine.generate(
    cases.map((c, i) => ({ prefix: c.promptIds, image: c.pixels ? { key: `parity-${i}`, pixels: c.pixels } : undefined, rngs: [() => 0] })),
    { temperature: 0, topK: 0, topP: 1, maxNewTokens: MAX_NEW_TOKENS, stopAtStep: false },
  );
  return out.map((o) => (o[0].finish === 'eos' ? [...o[0].tokens, engine.model.tokens.eos] : o[0].tokens));
}
