// PRM step scoring: the score formula by hand, the MM-PRM input layout and its tag positions by hand
// (the demo tokenizer is one token per character), batching and padding that do not change a score,
// images, the context limit, the errors for models that cannot score, and parity with PyTorch.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MMPRM_TEMPLATE, Manifest } from '../src-shared/manifest';
import { preprocessImage } from '../src-main/core/inference/image';
import { loadModel, type LoadedModel } from '../src-main/core/inference/model';
import { calculatorValue, prmSpec, renderPrmInput, stepScore } from '../src-main/core/reward/layout';
import { PrmScorer } from '../src-main/core/reward/scorer';

const ROOT = join(import.meta.dirname, '..');
const PRM_DIR = join(ROOT, 'models', 'tiny-prm');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'tiny-prm-scores.json');

let model: LoadedModel;
let scorer: PrmScorer;
beforeAll(async () => {
  model = await loadModel(PRM_DIR);
  scorer = new PrmScorer(model);
});
afterAll(async () => model?.release());

describe('score formula', () => {
  it('is softmax over the Yes and No logits, taken for Yes', () => {
    expect(stepScore(0, 0)).toBe(0.5);
    expect(stepScore(2, 0)).toBeCloseTo(1 / (1 + Math.exp(-2)), 15); // 0.8807970779778823
    expect(stepScore(0, 2)).toBeCloseTo(1 / (1 + Math.exp(2)), 15);
    expect(stepScore(3.5, 1.25)).toBeCloseTo(Math.exp(3.5) / (Math.exp(3.5) + Math.exp(1.25)), 15);
    // stable at extreme logits
    expect(stepScore(1000, -1000)).toBe(1);
    expect(stepScore(-1000, 1000)).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(stepScore(-1000, 1000))).toBe(true);
  });
});

describe('MM-PRM layout', () => {
  const spec = { template: MMPRM_TEMPLATE, tag: '<prm>', yes: 'Yes', no: 'No' };

  it('renders question, process and tagged steps', () => {
    expect(renderPrmInput(spec, 'Tom has 3.', [' 3 + 1 = 4 ', 'Answer: 4'], false)).toBe('Question: Tom has 3.\nProcess: 3 + 1 = 4<prm>\n\nAnswer: 4<prm>');
    expect(renderPrmInput(spec, 'q', ['a'], true)).toBe('<image>\nQuestion: q\nProcess: a<prm>');
    // a tag inside a step would add a score; it is removed
    expect(renderPrmInput(spec, 'q', ['a<prm>b'], false)).toBe('Question: q\nProcess: ab<prm>');
  });

  it("writes a calculator's check after each a op b = c of a step when the template has calculator notes", () => {
    const check = { ...spec, template: { ...MMPRM_TEMPLATE, calculator: ' (={value})', calculatorMismatch: ' (!={value})' } };
    const steps = ['count = 3', '3 + 1 = 5', '3 + 1 = 4', '12 / 5 = 2', '12 / 5 = 2.40', '10 / 3 = 3.3333', '1 / 32 = 0', '2 / 3 = 1', '7 / 0 = 1', '5 - 9 = -4', '6*7=42', 'so 2 + 2 = 4 and 3 * 3 = 8', '4 + 4 = 8.', 'Answer: 5'];
    expect(renderPrmInput(check, 'q', steps, false)).toBe(
      'Question: q\nProcess: count = 3<prm>\n\n3 + 1 = 5 (!=4)<prm>\n\n3 + 1 = 4 (=4)<prm>\n\n12 / 5 = 2 (!=2.4)<prm>\n\n12 / 5 = 2.40 (=2.4)<prm>\n\n' +
        // 10/3 to 4 decimals; 1/32 = 0.03125 rounds half up; 2/3 rounds up; a division by 0 gets no note
        '10 / 3 = 3.3333 (=3.3333)<prm>\n\n1 / 32 = 0 (!=0.0313)<prm>\n\n2 / 3 = 1 (!=0.6667)<prm>\n\n7 / 0 = 1<prm>\n\n5 - 9 = -4 (=-4)<prm>\n\n' +
        '6*7=42 (=42)<prm>\n\nso 2 + 2 = 4 and 3 * 3 = 8 (=4) (!=9)<prm>\n\n4 + 4 = 8. (=8)<prm>\n\nAnswer: 5<prm>',
    );
    // the value alone when there is no mismatch note
    const value = { ...spec, template: { ...MMPRM_TEMPLATE, calculator: ' (={value})' } };
    expect(renderPrmInput(value, 'q', ['3 + 1 = 5', '3 + 1 = 4'], false)).toBe('Question: q\nProcess: 3 + 1 = 5 (=4)<prm>\n\n3 + 1 = 4 (=4)<prm>');
    // decimal operands and 10-digit numbers are not read as an expression; without the notes nothing changes
    expect(renderPrmInput(check, 'q', ['1.5 + 2 = 3.5', '1234567890 + 1 = 1234567891'], false)).toBe('Question: q\nProcess: 1.5 + 2 = 3.5<prm>\n\n1234567890 + 1 = 1234567891<prm>');
    expect(renderPrmInput(spec, 'q', ['3 + 1 = 5'], false)).toBe('Question: q\nProcess: 3 + 1 = 5<prm>');
    // exact beyond 2^53, as Python's int, in the value and in the comparison
    expect(calculatorValue(999999999, '*', 999999999)).toBe('999999998000000001');
    expect(renderPrmInput(check, 'q', ['999999999 * 999999999 = 999999998000000000'], false)).toContain('(!=999999998000000001)');
    expect(calculatorValue(999999999, '/', 7)).toBe('142857142.7143');
  });

  it('refuses a calculator note without {value}, and a mismatch note alone', () => {
    const m = Manifest.parse(JSON.parse(readFileSync(join(PRM_DIR, 'manifest.json'), 'utf8')));
    const bad = Manifest.safeParse({ ...m, prmTemplate: { ...MMPRM_TEMPLATE, calculator: ' (calc)' } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(['prmTemplate.calculator: must contain {value}']);
    const lone = Manifest.safeParse({ ...m, prmTemplate: { ...MMPRM_TEMPLATE, calculatorMismatch: ' (!={value})' } });
    expect(lone.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(['prmTemplate.calculatorMismatch: calculatorMismatch needs calculator']);
  });

  it('puts one tag per step at the hand-computed positions', () => {
    const { ids, positions } = scorer.encode({ question: 'Tom has 3.', steps: ['3 + 1 = 4', 'Answer: 4'] });
    // the bundled PRM reads the calculator's check of an `a op b = c` line before its tag
    expect(model.manifest.prmTemplate).toMatchObject({ calculator: ' (={value})', calculatorMismatch: ' (!={value})' });
    const before1 = 'Question: Tom has 3.\nProcess: 3 + 1 = 4 (=4)';
    const before2 = before1 + '<prm>\n\nAnswer: 4';
    // BOS, then one token per character; the tag is one token
    expect(positions).toEqual([1 + before1.length, 1 + before2.length - '<prm>'.length + 1]);
    expect(ids[positions[0]]).toBe(model.tokens.prm);
    expect(ids.length).toBe(positions[1] + 1);
  });

  it('refuses a model that is not a PRM or lacks the tag or Yes/No tokens', () => {
    const m = Manifest.parse(JSON.parse(readFileSync(join(PRM_DIR, 'manifest.json'), 'utf8')));
    expect(() => prmSpec({ ...m, role: 'policy' })).toThrow(`model "${m.name}" is a policy model, not a PRM`);
    const { prm: _drop, ...tokens } = m.specialTokens;
    expect(() => prmSpec({ ...m, specialTokens: tokens })).toThrow(`model "${m.name}" cannot score steps: its manifest has no specialTokens.prm (a PRM needs the step tag and the Yes/No tokens)`);
    expect(prmSpec(m).template).toEqual(m.prmTemplate ?? MMPRM_TEMPLATE);
  });
});

describe('batched scoring', () => {
  const items = [
    { question: 'Tom has 7 apples. He buys 3 more. How many apples now?', steps: ['7 + 3 = 10', 'Answer: 10'] },
    { question: 'Ann has 4 pens. She gets 2 times as many. Then she loses 3. How many pens?', steps: ['4 * 2 = 8', '8 - 3 = 6', 'Answer: 6'] },
    { question: 'Bo has 9 cards.', steps: ['Answer: 9'] },
  ];

  it('gives each row the same scores alone and in a left-padded batch', async () => {
    const together = await scorer.score(items);
    const alone: number[][] = [];
    for (const it of items) alone.push((await scorer.score([it]))[0]);
    expect(together.map((s) => s.length)).toEqual([2, 3, 1]);
    together.forEach((s, i) => s.forEach((v, j) => expect(v).toBeCloseTo(alone[i][j], 5)));
    for (const s of together.flat()) expect(s).toBeGreaterThan(0), expect(s).toBeLessThan(1);
  });

  it('gives the same scores whether a question is read once for its solutions or with each one', async () => {
    const many = [...items, { ...items[1], steps: ['4 * 2 = 9', '9 - 3 = 6', 'Answer: 6'] }, { ...items[1], steps: ['4 * 2 = 8'] }];
    const shared = await scorer.score(many);
    const whole = await new PrmScorer(model, { sharePrefix: false }).score(many);
    expect(whole.map((s) => s.length)).toEqual(shared.map((s) => s.length));
    shared.forEach((s, i) => s.forEach((v, j) => expect(v).toBeCloseTo(whole[i][j], 5)));
  });

  it('is causal: a step scores the same whatever follows it', async () => {
    const [full, prefix] = await scorer.score([items[1], { ...items[1], steps: items[1].steps.slice(0, 2) }]);
    expect(prefix[0]).toBeCloseTo(full[0], 5);
    expect(prefix[1]).toBeCloseTo(full[1], 5);
  });

  it('reads the picture through the vision encoder, alone or batched', async () => {
    const png = readFileSync(join(ROOT, 'models', 'demo-data', imageOfFirstPictureProblem()));
    const pixels = await preprocessImage(png, model.manifest.image!);
    const item = { question: 'Count the apples in the picture. He buys 2 more. How many apples?', steps: ['count = 3', '3 + 2 = 5', 'Answer: 5'], image: { key: 'p', pixels } };
    const [withImage, text] = await scorer.score([item, { ...item, image: undefined }]);
    const [alone] = await scorer.score([item]);
    withImage.forEach((v, j) => expect(v).toBeCloseTo(alone[j], 5));
    const [whole] = await new PrmScorer(model, { sharePrefix: false }).score([item]);
    withImage.forEach((v, j) => expect(v).toBeCloseTo(whole[j], 5));
    expect(withImage.some((v, j) => Math.abs(v - text[j]) > 1e-4)).toBe(true);
  });

  it('scores the steps that fit when a solution exceeds the context', async () => {
    const long = { question: 'q', steps: Array.from({ length: 60 }, () => '1 + 1 = 2') };
    const before = scorer.stats.truncatedSteps;
    const [s] = await scorer.score([long]);
    expect(s.length).toBeGreaterThan(0);
    expect(s.length).toBeLessThan(60);
    expect(scorer.stats.truncatedSteps - before).toBe(60 - s.length);
  });
});

describe('parity with PyTorch', () => {
  it('matches the scores models/recipes/prm_score.py computes from checkpoint.pt', async () => {
    expect(existsSync(FIXTURE), 'run UPDATE_PARITY=1 npm run test:train to write the fixture').toBe(true);
    const fx = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { rows: { prompt: string; completions: string[]; images?: string[] }[]; scores: { scores: number[] }[] };
    const items = [];
    for (const r of fx.rows) {
      const image = r.images?.[0] ? { key: r.images[0], pixels: await preprocessImage(readFileSync(join(ROOT, r.images[0])), model.manifest.image!) } : undefined;
      items.push({ question: r.prompt, steps: r.completions, image });
    }
    const ours = await scorer.score(items);
    let maxDiff = 0;
    ours.forEach((s, i) => s.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - fx.scores[i].scores[j])))));
    expect(ours.map((s) => s.length)).toEqual(fx.scores.map((s) => s.scores.length));
    expect(maxDiff).toBeLessThan(1e-4);
  });
});

function imageOfFirstPictureProblem(): string {
  for (const line of readFileSync(join(ROOT, 'models', 'demo-data', 'problems.jsonl'), 'utf8').split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as { image?: string };
    if (r.image) return r.image;
  }
  throw new Error('no picture problem in the demo data');
}
