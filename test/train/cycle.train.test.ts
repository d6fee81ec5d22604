// One MathSE cycle end to end with the bundled models and the real trainer: the bundled policy samples,
// the bundled tiny ORM diagnoses the wrong paths, the policy regenerates from the flagged step with the
// diagnosis, the reference trainer (Python, PyTorch) fine-tunes, the new policy is registered with its
// lineage and evaluated, and its training set exports for other trainers.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrmVerdictRecord } from '../../src-shared/cycles';
import { loadModel } from '../../src-main/core/inference/model';
import { Store } from '../../src-main/core/store';
import { cli } from '../helpers/cli';
import { tempDir } from '../helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let ws: string;
beforeAll(async () => {
  tmp = tempDir();
  ws = join(tmp.dir, 'ws');
  expect((await cli('init', ws, '--demo')).code).toBe(0);
});
afterAll(() => tmp?.cleanup());

describe('a cycle with the bundled models and the reference trainer', () => {
  it('samples, diagnoses, regenerates, fine-tunes, registers with lineage and evaluates', async () => {
    const cfg = join(tmp.dir, 'cycle.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        infer: { problems: 24, samples: 2 },
        reflect: { maxPerProblem: 1 },
        regenerate: { tries: 2 },
        build: { reflectionInTraining: 'prompt' },
        evaluate: { problems: 16, samples: 2 },
        finetune: { maxSteps: 4, batchSize: 8 },
      }),
    );
    const r = await cli('cycle', 'run', '--workspace', ws, '--dataset', 'demo', '--policy', 'tiny-policy', '--orm', 'tiny-orm', '--cycles', '1', '--name', 'one', '--config', cfg, '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    const line = JSON.parse(r.out.at(-1)!);
    expect(line.cycles).toHaveLength(1);
    expect(line.cycles[0].policy).toBe('one-c1@1');
    expect(line.cycles[0].diagnosed).toBeGreaterThan(0);
    expect(typeof line.base_test_accuracy).toBe('number');

    const store = Store.open(ws);
    try {
      const run = store.cycles.runByName('one')!;
      const c1 = store.cycles.byRunIdx(run.id, 1)!;
      expect(c1.stages.map((s) => s.status)).toEqual(Array(9).fill('done'));
      // the real ORM's verdicts parse (a failure would be recorded, not thrown) and name steps in range
      const judged = store.solutions.forCycle(c1.id, 'sample').filter((s) => s.orm !== null);
      expect(judged.length).toBe(c1.stages.find((s) => s.stage === 'reflect')!.counts.judged);
      const ok = judged.filter((s) => (s.orm as OrmVerdictRecord).ok);
      expect(ok.length / judged.length).toBeGreaterThan(0.8);
      for (const s of ok) {
        const v = s.orm as OrmVerdictRecord;
        if (v.status === 'WRONG') expect(v.errorStep).toBeGreaterThanOrEqual(1);
        if (v.status === 'WRONG') expect(v.errorStep).toBeLessThanOrEqual(s.steps.length);
      }
      // regenerations continue the original's prefix with the diagnosis in the prompt
      const regens = store.solutions.forCycle(c1.id, 'regen');
      expect(regens.length).toBe(2 * c1.stages.find((s) => s.stage === 'reflect')!.counts.diagnosed);
      for (const g of regens) {
        const parent = store.solutions.get(g.parentSolutionId!);
        const k = g.settings.prefixSteps as number;
        expect(g.steps.slice(0, k).map((x) => x.text)).toEqual(parent.steps.slice(0, k).map((x) => x.text));
        expect(typeof g.settings.reflection).toBe('string');
      }
      // lineage and a loadable model
      const m = store.models.byName('one-c1');
      expect(m.provenance).toMatchObject({ parent: 'tiny-policy@1', cycle: 1, cycleRun: 'one', cycleId: c1.id, trainingDataHash: expect.stringMatching(/^sha256:/) });
      const loaded = await loadModel(m.path);
      expect(loaded.manifest.role).toBe('policy');
      await loaded.release();
      expect(store.jobs.metrics(run.jobId!)['loss c1']).toHaveLength(4);
      expect(existsSync(join(ws, 'cycles', 'one', 'c1', 'model'))).toBe(false);
    } finally {
      store.close();
    }
    const out = join(tmp.dir, 'export', 'trl.jsonl');
    expect((await cli('cycle', 'export', '--workspace', ws, '--cycle', '1', '--format', 'trl', '--out', out)).code).toBe(0);
    const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.length).toBe(line.cycles[0].train_examples);
  });
});
