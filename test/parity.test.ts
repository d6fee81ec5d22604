// ONNX Runtime in Node gives the same greedy tokens as PyTorch. The PyTorch side is a committed
// expectation (test/fixtures/tiny-policy-parity.json), so this runs without Python; `npm run test:train`
// recomputes it with PyTorch.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src-main/core/inference/engine';
import { loadModel, type LoadedModel } from '../src-main/core/inference/model';
import { engineGreedy, FIXTURE, MODEL_DIR, modelHashes, parityCases, type ParityFixture } from './helpers/parity';

let model: LoadedModel;
beforeAll(async () => {
  model = await loadModel(MODEL_DIR);
});
afterAll(async () => model?.release());

describe('parity with PyTorch (committed expectation)', () => {
  it('the expectation belongs to the bundled model', () => {
    expect(existsSync(FIXTURE)).toBe(true);
    const fx = JSON.parse(readFileSync(FIXTURE, 'utf8')) as ParityFixture;
    expect(fx.model, 'the bundled model changed: regenerate with UPDATE_PARITY=1 npm run test:train').toEqual(modelHashes());
  });

  it('greedy tokens of 8 text and 4 image prompts are identical', async () => {
    const fx = JSON.parse(readFileSync(FIXTURE, 'utf8')) as ParityFixture;
    const engine = new Engine(model);
    const cases = await parityCases(model, engine);
    expect(cases.map((c) => c.id)).toEqual(fx.cases.map((c) => c.id));
    const got = await engineGreedy(engine, cases);
    got.forEach((tokens, i) => expect(tokens, fx.cases[i].id).toEqual(fx.cases[i].tokens));
    expect(got.some((t) => t.length > 20)).toBe(true);
  });
});
