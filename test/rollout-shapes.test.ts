// `score --rollouts --shape`: the question text and the picture paths of each benchmark's rows, formed as
// MM-PRM's evaluate_<shape>_prm.py forms them (fixtures: rows in each benchmark's schema).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectShape, rolloutInput, ROLLOUT_SHAPES, type RolloutShape } from '../src-main/core/reward/rollouts';

const fixture = (shape: RolloutShape): Record<string, any>[] => JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'rollouts', `${shape}.json`), 'utf8'));
const input = (shape: RolloutShape, i: number) => rolloutInput(fixture(shape)[i], shape, `item ${i + 1}`);

describe('rollout shapes', () => {
  it('detects each fixture as its own shape', () => {
    for (const shape of ROLLOUT_SHAPES) for (const row of fixture(shape)) expect(detectShape(row)?.shape).toBe(shape);
    expect(detectShape({ solutions_splits: [] })).toBeNull();
  });

  it('k12: `question`; `image_path` as it is', () => {
    const [a, b] = fixture('k12');
    expect(input('k12', 0)).toEqual({ question: a.question, images: [{ field: 'image_path', path: 'images/k12_0001.png' }], solutions: a.solutions_splits });
    expect(input('k12', 1).images).toEqual([{ field: 'image_path', path: '/mnt/petrelfs/share/mmk12/images/k12_0002.png' }]);
    expect(input('k12', 1).question).toBe(b.question);
  });

  it('mathvista: `query` (not `question`); only the file name of `image`', () => {
    const [a] = fixture('mathvista');
    expect(input('mathvista', 0)).toEqual({ question: a.query, images: [{ field: 'image', path: '12.png' }], solutions: a.solutions_splits });
  });

  it('mathverse: `query_cot`; `image` as it is, and a text-only row ("") without a picture', () => {
    const [a, b] = fixture('mathverse');
    expect(input('mathverse', 0)).toEqual({ question: a.query_cot, images: [{ field: 'image', path: 'images_version_1-4/image_1.png' }], solutions: a.solutions_splits });
    expect(input('mathverse', 1)).toEqual({ question: b.query_cot, images: [], solutions: b.solutions_splits });
  });

  it('mathvision: `question`, a newline, then five lettered options unless there are none or they are the letters A-E', () => {
    const [a, b, c] = fixture('mathvision');
    expect(input('mathvision', 0).question).toBe(`${a.question}\n(A) 5\n(B) 6\n(C) 7\n(D) 8\n(E) 9\n`);
    expect(input('mathvision', 0).images).toEqual([{ field: 'image', path: '4.png' }]);
    expect(input('mathvision', 1).question).toBe(`${b.question}\n`);
    expect(input('mathvision', 2).question).toBe(`${c.question}\n`);
    const four = { ...a, options: ['1', '2', '3', '4'] };
    expect(() => rolloutInput(four, 'mathvision', 'item 9')).toThrow("item 9: field \"options\": MathVision's evaluator takes 0 or 5 options; this item has 4");
  });

  it('olympiadbench: `question`; every non-null image_1..image_5 in order', () => {
    const [a] = fixture('olympiadbench');
    expect(input('olympiadbench', 0)).toEqual({ question: a.question, images: [{ field: 'image_1', path: 'images/OlympiadBench_2231_1.png' }], solutions: a.solutions_splits });
    expect(input('olympiadbench', 1).images).toEqual([
      { field: 'image_1', path: 'images/OlympiadBench_2240_1.png' },
      { field: 'image_2', path: 'images/OlympiadBench_2240_2.png' },
    ]);
  });

  it('a shape that does not fit names the item and the missing field; --field reads another column', () => {
    const vista = fixture('mathvista')[0];
    expect(() => rolloutInput(vista, 'mathverse', 'item 1')).toThrow(
      'item 1: --shape mathverse reads field "query_cot" (as MM-PRM\'s MathVerse evaluator does), which this item does not have (its fields: pid, question, image, choices, unit, precision, answer, question_type, answer_type, metadata, query, solutions_splits, labels)',
    );
    expect(() => rolloutInput({ question: 'q', image: 'x.png', solutions_splits: [] }, 'mathvision', 'line 2')).toThrow('line 2: --shape mathvision reads field "options"');
    expect(rolloutInput(vista, 'mathvista', 'item 1', { question: 'question', images: 'image' }).question).toBe(vista.question);
    expect(rolloutInput({ ...vista, picture: ['a/p.png', 'b/q.png'] }, 'mathvista', 'item 1', { images: 'picture' }).images).toEqual([
      { field: 'picture', path: 'p.png' },
      { field: 'picture', path: 'q.png' },
    ]);
  });
});
