// PyTorch (the recipe's checkpoint, Debian's torch) against Steplab's ONNX engine: same greedy tokens.
// UPDATE_PARITY=1 rewrites the committed expectation that `npm test` checks without Python.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src-main/core/inference/engine';
import { loadModel, type LoadedModel } from '../../src-main/core/inference/model';
import { engineGreedy, FIXTURE, MAX_NEW_TOKENS, MODEL_DIR, modelHashes, parityCases, ROOT, type ParityFixture } from '../helpers/parity';
import { tempDir } from '../helpers/tmp';

let model: LoadedModel;
let tmp: ReturnType<typeof tempDir>;
beforeAll(async () => {
  model = await loadModel(MODEL_DIR);
  tmp = tempDir();
});
afterAll(async () => {
  await model?.release();
  tmp?.cleanup();
});

describe('parity: PyTorch vs onnxruntime-node', () => {
  it('greedy tokens are identical for text and image prompts', async () => {
    const engine = new Engine(model);
    const cases = await parityCases(model, engine);
    const casesFile = join(tmp.dir, 'cases.json');
    const outFile = join(tmp.dir, 'torch.json');
    writeFileSync(
      casesFile,
      JSON.stringify({
        max_new_tokens: MAX_NEW_TOKENS,
        image_token_id: model.tokens.image,
        cases: cases.map((c) => ({ prompt_ids: c.promptIds, pixels: c.pixels ? Array.from(c.pixels) : null })),
      }),
    );
    execFileSync('/usr/bin/python3', ['models/recipes/parity.py', '--model', MODEL_DIR, '--cases', casesFile, '--out', outFile], {
      cwd: ROOT,
      env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const torch = (JSON.parse(readFileSync(outFile, 'utf8')) as { tokens: number[][] }).tokens;
    const onnx = await engineGreedy(engine, cases);
    cases.forEach((c, i) => expect(onnx[i], c.id).toEqual(torch[i]));
    const fixture: ParityFixture = { model: modelHashes(), maxNewTokens: MAX_NEW_TOKENS, cases: cases.map((c, i) => ({ id: c.id, tokens: torch[i] })) };
    if (process.env.UPDATE_PARITY) writeFileSync(FIXTURE, JSON.stringify(fixture, null, 1) + '\n');
    expect(JSON.parse(readFileSync(FIXTURE, 'utf8'))).toEqual(fixture);
  });
});
