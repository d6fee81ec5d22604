// `steplab bench-prm --scores` on the VisualProcessBench and PRMBench fixtures, against values worked out
// by hand in the comments: VisualProcessBench's step macro F1 (neutral steps out) beside the first-error
// F1, and PRMBench's PRMScore per class, per group and overall as mr_eval computes them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalDoor } from '../src-main/core/door';
import { cli } from './helpers/cli';
import { tempDir } from './helpers/tmp';

const FIX = join(import.meta.dirname, 'fixtures', 'benchmarks');
let tmp: ReturnType<typeof tempDir>;
let ws: string;
const lastJson = (r: { out: string[] }): Record<string, any> => JSON.parse(r.out.at(-1)!);
const write = (name: string, lines: unknown[]): string => {
  const p = join(tmp.dir, name);
  writeFileSync(p, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return p;
};

beforeAll(async () => {
  tmp = tempDir('steplab-bench-formats-');
  ws = join(tmp.dir, 'ws');
  expect((await cli('init', ws)).code).toBe(0);
  const door = openLocalDoor(ws);
  try {
    await door.api['benchmarks.import']({ path: join(FIX, 'visualprocessbench', 'test.jsonl'), dataset: 'vpb', format: 'visualprocessbench', imageRoot: join(FIX, 'visualprocessbench') });
    await door.api['benchmarks.import']({ path: join(FIX, 'prmbench', 'prm800k_test_p1_4o_mixed.jsonl'), dataset: 'prmb', format: 'prmbench', split: 'test' });
  } finally {
    await door.close();
  }
}, 60_000);
afterAll(() => tmp?.cleanup());

describe('VisualProcessBench', () => {
  it('reports the step macro F1 as its headline, with the first-error F1 beside it', async () => {
    const scores = write('vpb.jsonl', [
      { id: 'test-0', scores: [0.9, 0.8, 0.7] }, // gold 1,1,1: TP 3; predicted -1, hit
      { id: 'test-1', scores: [0.8, 0.1, 0.3, 0.6] }, // gold 1,neutral,0,0: TP, -, TN, FP; predicted 1, label 2: miss
      { id: 'test-2', scores: [0.2, 0.9, 0.4] }, // gold 0,1,1: TN, TP, FN; predicted 0 = label: hit
    ]);
    const r = await cli('bench-prm', '--workspace', ws, '--dataset', 'vpb', '--scores', scores, '--resamples', '0', '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    const j = lastJson(r);
    // TP 5, TN 2, FP 1, FN 1: F1 correct 10/12, F1 incorrect 4/6, macro 3/4
    expect(j.headline.name).toBe('macro_f1');
    expect(j.macro_f1).toBeCloseTo(3 / 4, 12);
    expect(j.headline.value).toBeCloseTo(3 / 4, 12);
    expect(j.by_split.test.macro_f1).toBeCloseTo(3 / 4, 12);
    // by data source: MathVerse (test-0, test-1): TP 4, TN 1, FP 1 -> 8/9 and 2/3; DynaMath (test-2): TP 1, TN 1, FN 1 -> 2/3 and 2/3
    expect(j.by_source.MathVerse).toBeCloseTo((8 / 9 + 2 / 3) / 2, 12);
    expect(j.by_source.DynaMath).toBeCloseTo(2 / 3, 12);
    // first error: error rows 1 of 2, correct rows 1 of 1 -> 2/3
    expect(j.by_split.test).toMatchObject({ rows: 3, error_acc: 0.5, correct_acc: 1 });
    expect(j.f1).toBeCloseTo(2 / 3, 12);
    const text = await cli('bench-prm', '--workspace', ws, '--dataset', 'vpb', '--scores', scores, '--resamples', '0');
    expect(text.out.join('\n')).toContain('step macro F1 75.0 over 9 labelled steps (F1 correct 83.3 on 6, incorrect 66.7 on 3; neutral steps left out)');
  });
});

describe('PRMBench', () => {
  it("reports mr_eval's PRMScore overall, per class and per group", async () => {
    const scores = write('prmb.jsonl', [
      { id: 'correct_prm_test_p1_0', scores: [0.9, 0.8, 0.4] }, // valid T,T,F: TP 2, FN 1 (its own class only); share 2/3
      { id: 'redundency_prm_test_p1_0', scores: [0.9, 0.2, 0.8, 0.7] }, // error step 1: TP, TN (first error caught), TP, TP
      { id: 'circular_prm_test_p1_0', scores: [0.6, 0.7, 0.9] }, // error steps 0, 1: FP, FP (first error missed), TP
      { id: 'counterfactual_prm_test_p1_1', scores: [0.9, 0.3, 0.2] }, // error steps 1, 2: TP, TN (caught), TN
    ]);
    const r = await cli('bench-prm', '--workspace', ws, '--dataset', 'prmb', '--scores', scores, '--resamples', '0', '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    const j = lastJson(r);
    // total TP 5, FP 2, TN 3, FN 0: F1 2·(5/7)·1/(12/7) = 5/6; negative F1 2·1·(3/5)/(8/5) = 3/4; PRMScore 19/24
    expect(j.headline.name).toBe('prm_score');
    expect(j.prm_score).toBeCloseTo(19 / 24, 12);
    // redundency 1; circular: F1 1/2, negative precision 0/0 = -1 and recall 0 give 0 -> 1/4; counterfactual 1; correct 0.4
    expect(j.prmbench.by_class.redundency).toBe(1);
    expect(j.prmbench.by_class.circular).toBeCloseTo(0.25, 12);
    expect(j.prmbench.by_class.counterfactual).toBe(1);
    expect(j.prmbench.by_class.correct).toBeCloseTo(0.4, 12);
    expect(j.prmbench.groups.simplicity).toBeCloseTo(0.625, 12);
    expect(j.prmbench.groups.soundness).toBe(1);
    expect(j.prmbench.groups.sensitivity).toBeNull();
    // the first-error F1 beside it: labels -1, 1, 0, 1; predicted 2, 1, -1, 1 -> error acc 2/3, correct acc 0
    expect(j.by_split.test).toMatchObject({ rows: 4, correct_acc: 0, f1: 0 });
    const door = openLocalDoor(ws);
    try {
      const ev = await door.api['evaluations.get']({ id: j.evaluation });
      const p = (ev.metrics as Record<string, any>).prmbench;
      expect(p.total.first_error_acc).toBeCloseTo(2 / 3, 12);
      // similarity: |3/4 - 2/3| and |1 - 2/3| (the counterfactual row has no twin) -> mean 5/24
      expect(p.total.similarity).toBeCloseTo(5 / 24, 12);
    } finally {
      await door.close();
    }
  });
});
