// The demo domain: seeded generation, gold step labels, pictures, prompt format, splits, files.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_IMAGE_SIZE,
  DEMO_VOCAB,
  type DemoPlan,
  type DemoProblem,
  PROBLEMS_FILE,
  SPECIAL_TOKENS,
  STEP_DELIMITER,
  buildDemoDataset,
  canonicalOf,
  checkStep,
  countSvg,
  createRng,
  drawPlan,
  drawSurface,
  expectedSteps,
  formatPrompt,
  formatSolution,
  generateProblems,
  imageToPixels,
  labelSolution,
  mixSeed,
  outOfVocab,
  parseCanonical,
  parseStepLine,
  renderCountImage,
  renderCountPixels,
  renderCountPixelsMany,
  renderQuestion,
  splitSolution,
  toRow,
  writeCountPixels,
  writeDemoDataset,
} from '../src-main/core/demo';

const repoRoot = join(import.meta.dirname, '..');

/** A solution that makes an arithmetic slip of `delta` at arithmetic step `slipAt` (0-based among all lines) and carries its own values forward. */
function slippedSolution(p: DemoProblem, slipAt: number, delta: number): { lines: string[]; reconverged: boolean } {
  const plan = parseCanonical(p.canonical);
  const lines: string[] = [];
  let v = plan.start;
  let truth = plan.start;
  let slipped = false;
  let reconverged = false;
  const emit = (a: number, op: string, b: number, c: number): number => {
    const out = lines.length === slipAt ? c + delta : c;
    if (lines.length === slipAt) slipped = true;
    lines.push(`${a} ${op} ${b} = ${out}`);
    return out;
  };
  if (p.image_count !== undefined) lines.push(`count = ${v}`);
  for (const e of plan.events) {
    switch (e.kind) {
      case 'add':
        v = emit(v, '+', e.k, v + e.k);
        break;
      case 'sub':
        v = emit(v, '-', e.k, v - e.k);
        break;
      case 'mul':
        v = emit(v, '*', e.k, v * e.k);
        break;
      case 'div':
        v = emit(v, '/', e.k, Math.floor(v / e.k));
        break;
      case 'bags': {
        const prod = emit(e.k, '*', e.m, e.k * e.m);
        v = emit(v, '+', prod, v + prod);
        break;
      }
    }
    truth = e.kind === 'bags' ? truth + e.k * e.m : e.kind === 'add' ? truth + e.k : e.kind === 'sub' ? truth - e.k : e.kind === 'mul' ? truth * e.k : truth / e.k;
    if (slipped && v === truth) reconverged = true;
  }
  lines.push(`Answer: ${v}`);
  return { lines, reconverged };
}

describe('seeded PRNG', () => {
  it('repeats a stream from a seed and differs across seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const xs = Array.from({ length: 100 }, () => a.uint32());
    expect(Array.from({ length: 100 }, () => b.uint32())).toEqual(xs);
    expect(createRng(43).uint32()).not.toBe(xs[0]);
    expect(mixSeed(1)).not.toBe(mixSeed(1 + 2 ** 32));
  });

  it('draws integers in range, roughly uniformly', () => {
    const r = createRng(7);
    const counts = new Array<number>(9).fill(0);
    for (let i = 0; i < 9000; i++) counts[r.int(1, 9) - 1]++;
    for (const c of counts) expect(c).toBeGreaterThan(850);
    for (const c of counts) expect(c).toBeLessThan(1150);
    expect(() => r.int(3, 2)).toThrow(RangeError);
    expect(() => r.weighted([0, 0])).toThrow(RangeError);
  });

  it('is the only randomness in the demo sources', async () => {
    const dir = join(repoRoot, 'src-main/core/demo');
    for (const name of await readdir(dir)) {
      expect(await readFile(join(dir, name), 'utf8'), name).not.toMatch(/Math\.random/);
    }
  });
});

describe('problem generator', () => {
  const problems = generateProblems({ seed: 11, count: 3000 });

  it('is deterministic from the seed', () => {
    expect(generateProblems({ seed: 11, count: 3000 })).toEqual(problems);
    const other = generateProblems({ seed: 12, count: 3000 });
    expect(other.map((p) => p.question)).not.toEqual(problems.map((p) => p.question));
  });

  it('balances difficulty and the image share', () => {
    const byD = new Map<number, number>();
    for (const p of problems) byD.set(p.difficulty, (byD.get(p.difficulty) ?? 0) + 1);
    expect([...byD.keys()].sort()).toEqual([2, 3, 4, 5]);
    for (const n of byD.values()) expect(n).toBe(750);
    const images = problems.filter((p) => p.image_count !== undefined).length;
    expect(images).toBe(1200);
    expect(generateProblems({ seed: 1, count: 50, imageShare: 0 }).every((p) => p.image_count === undefined)).toBe(true);
    expect(generateProblems({ seed: 1, count: 50, imageShare: 1 }).every((p) => p.image_count !== undefined)).toBe(true);
    expect(generateProblems({ seed: 1, count: 40, minSteps: 3, maxSteps: 3 }).every((p) => p.difficulty === 3)).toBe(true);
  });

  it('fills every field consistently', () => {
    for (const p of problems) {
      expect(p.answer_type).toBe('number');
      expect(p.steps).toEqual(p.reference_steps.map((s) => s.text));
      expect(p.steps[p.steps.length - 1]).toBe(`Answer: ${p.answer}`);
      expect(parseCanonical(p.canonical)).toBeTruthy();
      expect(canonicalOf(parseCanonical(p.canonical))).toBe(p.canonical);
      const arith = p.steps.filter((s) => parseStepLine(s).kind === 'arith').length;
      expect(arith).toBe(p.difficulty);
      if (p.image_count !== undefined) {
        expect(p.steps[0]).toBe(`count = ${p.image_count}`);
        expect(p.reference_steps[0].value).toBe(p.image_count);
        expect(Number.isInteger(p.image_seed)).toBe(true);
        expect(p.canonical.split(' ')[0]).toBe(String(p.image_count));
      } else {
        expect(p.image_seed).toBeUndefined();
      }
    }
  });

  it('keeps operands to one digit (the bags product aside) and values below 1000', () => {
    for (const p of problems) {
      const plan = parseCanonical(p.canonical);
      expect(plan.start).toBeGreaterThanOrEqual(1);
      expect(plan.start).toBeLessThanOrEqual(9);
      for (const e of plan.events) {
        expect(e.k).toBeGreaterThanOrEqual(1);
        expect(e.k).toBeLessThanOrEqual(9);
        if (e.kind === 'bags') expect(e.m).toBeLessThanOrEqual(9);
        if (e.kind === 'mul') expect([2, 3]).toContain(e.k);
      }
      for (const s of p.reference_steps) {
        expect(Number.isInteger(s.value)).toBe(true);
        expect(s.value).toBeGreaterThanOrEqual(1);
        expect(s.value).toBeLessThan(1000);
      }
    }
  });

  it('uses every event kind and several wordings of each', () => {
    const kinds = new Set(problems.flatMap((p) => parseCanonical(p.canonical).events.map((e) => e.kind)));
    expect([...kinds].sort()).toEqual(['add', 'bags', 'div', 'mul', 'sub']);
    const addWordings = new Set(problems.flatMap((p) => p.question.match(/ (buys|finds|gets|gives \w+) \d more/g) ?? []));
    expect(addWordings.size).toBeGreaterThanOrEqual(3);
    expect(problems.some((p) => p.question.includes('doubles'))).toBe(true);
    expect(problems.some((p) => p.question.includes('triple'))).toBe(true);
  });

  it('rejects impossible options', () => {
    expect(() => generateProblems({ seed: 1, count: 1, minSteps: 4, maxSteps: 3 })).toThrow(RangeError);
    expect(() => generateProblems({ seed: 1, count: 1, imageShare: 1.5 })).toThrow(RangeError);
    expect(() => generateProblems({ seed: 1, count: -1 })).toThrow(RangeError);
  });
});

describe('image necessity', () => {
  const problems = generateProblems({ seed: 5, count: 3000 }).filter((p) => p.image_count !== undefined);
  const NUMBER_WORDS = /\b(zero|one|two|three|four|five|six|seven|eight|nine|single|pair|couple|dozen)\b/i;

  it('never states the count in the opening sentence, in digits or words', () => {
    expect(problems.length).toBeGreaterThan(1000);
    for (const p of problems) {
      const first = p.question.split('. ')[0];
      expect(first).toMatch(/picture/);
      expect(first).not.toMatch(/\d/);
      expect(first).not.toMatch(NUMBER_WORDS);
    }
  });

  it('writes the same question whatever the count, and the events are valid for every count', () => {
    const rng = createRng(99);
    for (let i = 0; i < 500; i++) {
      const plan = drawPlan(rng, 2 + (i % 4), true);
      const surface = drawSurface(rng, plan, true);
      const texts = new Set<string>();
      for (let start = 1; start <= 9; start++) {
        const variant: DemoPlan = { ...plan, start };
        texts.add(renderQuestion(variant, surface, true));
        // parseCanonical rejects negative or fractional values
        const steps = expectedSteps(parseCanonical(canonicalOf(variant)), true);
        expect(steps.every((s) => Number.isInteger(s.value) && s.value >= 1)).toBe(true);
      }
      expect(texts.size).toBe(1);
    }
  });

  it('the text version does state its start value', () => {
    const text = generateProblems({ seed: 5, count: 200, imageShare: 0 });
    for (const p of text) expect(p.question.split('. ')[0]).toContain(` ${p.canonical.split(' ')[0]} `);
  });
});

describe('gold step labels', () => {
  const P = { canonical: '7 +3 -4 *2' };
  const I = { canonical: '7 +3 -4 *2', image_count: 7 };
  const B = { canonical: '4 +2x4 /3' };
  const good = ['7 + 3 = 10', '10 - 4 = 6', '6 * 2 = 12', 'Answer: 12'];

  it('accepts every reference solution, text and picture', () => {
    for (const p of generateProblems({ seed: 3, count: 4000 })) {
      const r = labelSolution(p, p.steps);
      expect(r.labels.every((l) => l === 1), p.canonical).toBe(true);
      expect(r.firstError).toBeNull();
      expect(r.finalCorrect).toBe(true);
      expect(r.diagnosis).toBe('');
    }
  });

  it('accepts + and * with swapped operands', () => {
    expect(labelSolution(P, ['3 + 7 = 10', '10 - 4 = 6', '2 * 6 = 12', 'Answer: 12']).labels).toEqual([1, 1, 1, 1]);
    expect(labelSolution(B, ['4 * 2 = 8', '8 + 4 = 12', '12 / 3 = 4', 'Answer: 4']).labels).toEqual([1, 1, 1, 1]);
    expect(labelSolution(P, ['7 + 3 = 10', '4 - 10 = 6', '6 * 2 = 12', 'Answer: 12']).labels).toEqual([1, 0, 1, 1]);
  });

  it('labels an arithmetic slip carried forward: 1 before it, 0 from it on', () => {
    const r = labelSolution(P, ['7 + 3 = 10', '10 - 4 = 7', '7 * 2 = 14', 'Answer: 14']);
    expect(r.labels).toEqual([1, 0, 0, 0]);
    expect(r.firstError).toBe(1);
    expect(r.finalCorrect).toBe(false);
    expect(r.reasons).toEqual(['', 'step 2: 10 - 4 is 6, not 7', 'step 3: should start from 6, not 7', 'step 4: answer is 12, not 14']);
    expect(r.diagnosis).toBe('step 2: 10 - 4 is 6, not 7');
  });

  it('labels a slip at every position of generated problems exactly', () => {
    let checked = 0;
    let skipped = 0;
    for (const p of generateProblems({ seed: 8, count: 1500 })) {
      const first = p.image_count !== undefined ? 1 : 0;
      const k = first + (checked % p.difficulty);
      const { lines, reconverged } = slippedSolution(p, k, 1 + (checked % 3));
      if (reconverged) {
        skipped++;
        continue;
      }
      const r = labelSolution(p, lines);
      // A bags event's `k * m` line does not use the running value, so it stays right after an error.
      const ref = expectedSteps(parseCanonical(p.canonical), p.image_count !== undefined);
      const independent = (i: number): boolean => {
        const e = ref[i];
        return e.kind === 'arith' && !e.fromPrev;
      };
      const want = lines.map((_, i) => (i < k || (i > k && independent(i)) ? 1 : 0));
      expect(r.labels, `${p.canonical} slip at ${k}: ${lines.join(' | ')}`).toEqual(want);
      expect(r.firstError).toBe(k);
      expect(r.finalCorrect).toBe(false);
      expect(r.diagnosis).toMatch(new RegExp(`^step ${k + 1}: `));
      checked++;
    }
    expect(checked).toBeGreaterThan(1300);
    expect(skipped).toBeLessThan(200);
  });

  it('judges a line on its own: a bags product after an error is still right', () => {
    const r = labelSolution({ canonical: '5 +6 +9x6' }, ['5 + 6 = 12', '9 * 6 = 54', '12 + 54 = 66', 'Answer: 66']);
    expect(r.labels).toEqual([0, 1, 0, 0]);
    expect(r.firstError).toBe(0);
    expect(r.reasons[2]).toBe('step 3: should start from 11, not 12');
  });

  it('names a wrong operand or a wrong operation', () => {
    const operand = labelSolution(P, ['7 + 4 = 11', '11 - 4 = 7', '7 * 2 = 14', 'Answer: 14']);
    expect(operand.labels).toEqual([0, 0, 0, 0]);
    expect(operand.firstError).toBe(0);
    expect(operand.reasons[0]).toBe('step 1: should add 3, not 4');
    expect(operand.reasons[1]).toBe('step 2: should start from 10, not 11');
    const op = labelSolution(P, ['7 + 3 = 10', '10 + 4 = 14', '14 * 2 = 28', 'Answer: 28']);
    expect(op.labels).toEqual([1, 0, 0, 0]);
    expect(op.reasons[1]).toBe('step 2: should subtract 4, not add 4');
    expect(checkStep(P, ['7 + 3 = 10', '10 - 4 = 6'], '6 * 3 = 18').reason).toBe('step 3: should multiply by 2, not 3');
    const bags = labelSolution(B, ['4 * 4 = 16', '4 + 16 = 20', '20 / 3 = 6', 'Answer: 6']);
    expect(bags.labels).toEqual([0, 0, 0, 0]);
    expect(bags.reasons.slice(0, 2)).toEqual(['step 1: should be 2 * 4, not 4 * 4', 'step 2: should add 8, not 16']);
  });

  it('catches a wrong count copied from the picture, and the errors it causes', () => {
    const r = labelSolution(I, ['count = 6', '6 + 3 = 9', '9 - 4 = 5', '5 * 2 = 10', 'Answer: 10']);
    expect(r.labels).toEqual([0, 0, 0, 0, 0]);
    expect(r.firstError).toBe(0);
    expect(r.reasons[0]).toBe('step 1: the picture shows 7, not 6');
    expect(r.reasons[1]).toBe('step 2: should start from 7, not 6');
    expect(labelSolution(I, ['count = 7', ...good]).labels).toEqual([1, 1, 1, 1, 1]);
    const skipped = labelSolution(I, good);
    expect(skipped.reasons[0]).toBe('step 1: should be count = 7');
    expect(skipped.firstError).toBe(0);
  });

  it('handles a missing Answer line, a premature one, extra steps and lines after the answer', () => {
    const missing = labelSolution(P, good.slice(0, 3));
    expect(missing).toMatchObject({ labels: [1, 1, 1], firstError: null, finalCorrect: false, diagnosis: 'step 4: missing, should be Answer: 12' });
    expect(labelSolution(P, good.slice(0, 1)).diagnosis).toBe('step 2: missing, should be 10 - 4 = 6');
    expect(labelSolution(P, []).diagnosis).toBe('step 1: missing, should be 7 + 3 = 10');

    const early = labelSolution(P, ['7 + 3 = 10', 'Answer: 10']);
    expect(early).toMatchObject({ labels: [1, 0], firstError: 1, finalCorrect: false });
    expect(early.reasons[1]).toBe('step 2: too early, should subtract 4');

    const extra = labelSolution(P, ['7 + 3 = 10', '10 - 4 = 6', '6 * 2 = 12', '12 + 0 = 12', 'Answer: 12']);
    expect(extra).toMatchObject({ labels: [1, 1, 1, 0, 1], firstError: 3, finalCorrect: true });
    expect(extra.reasons[3]).toBe('step 4: extra step, should be Answer: 12');

    const after = labelSolution(P, [...good, '12 * 1 = 12']);
    expect(after).toMatchObject({ labels: [1, 1, 1, 1, 0], firstError: 4, finalCorrect: true });
    expect(after.reasons[4]).toBe('step 5: extra line after the answer');

    const wrongAnswer = labelSolution(P, [...good.slice(0, 3), 'Answer: 13']);
    expect(wrongAnswer).toMatchObject({ labels: [1, 1, 1, 0], firstError: 3, finalCorrect: false });
    expect(wrongAnswer.reasons[3]).toBe('step 4: answer is 12, not 13');
  });

  it('marks unreadable lines wrong and says what was expected', () => {
    const r = labelSolution(P, ['7 + 3 = 10', 'ten minus four is six', '6 * 2 = 12', 'Answer: 12']);
    expect(r.labels).toEqual([1, 0, 1, 1]);
    expect(r.reasons[1]).toBe('step 2: should be 10 - 4 = 6');
    expect(checkStep(P, good.slice(0, 3), 'Answer: twelve')).toEqual({ ok: false, expected: 'Answer: 12', reason: 'step 4: should be Answer: 12' });
    expect(checkStep(P, [], '7+3=10').ok).toBe(true);
  });

  it('checkStep agrees with labelSolution line by line', () => {
    const sol = ['7 + 3 = 10', '10 - 4 = 7', '7 * 2 = 14', 'Answer: 14', 'Answer: 12'];
    const r = labelSolution(P, sol);
    sol.forEach((line, i) => {
      const c = checkStep(P, sol.slice(0, i), line);
      expect(c.ok ? 1 : 0).toBe(r.labels[i]);
      expect(c.reason).toBe(r.reasons[i]);
    });
    expect(checkStep(P, ['7 + 3 = 10'], '10 - 4 = 6')).toEqual({ ok: true, expected: '10 - 4 = 6', reason: '' });
  });

  it('writes reasons in the documented short forms', () => {
    const forms = [
      /^step \d+: \d+ [-+*/] \d+ is \d+(\.\d+)?, not \d+$/,
      /^step \d+: should start from \d+, not \d+$/,
      /^step \d+: should (add|subtract|multiply by|divide by) \d+, not ((add|subtract|multiply by|divide by) )?\d+$/,
      /^step \d+: should be \d+ \* \d+, not \d+ [-+*/] \d+$/,
      /^step \d+: the picture shows \d+, not \d+$/,
      /^step \d+: answer is \d+, not \d+$/,
      /^step \d+: too early, should (add \d+|subtract \d+|multiply by \d+|divide by \d+|compute \d+ \* \d+|count the picture)$/,
      /^step \d+: extra step, should be Answer: \d+$/,
      /^step \d+: extra line after the answer$/,
      /^step \d+: should be (count = \d+|\d+ [-+*/] \d+ = \d+|Answer: \d+)$/,
    ];
    const rng = createRng(4);
    let seen = 0;
    for (const p of generateProblems({ seed: 21, count: 600 })) {
      const lines = [...p.steps];
      const i = rng.int(0, lines.length - 1);
      const mutations = [
        () => lines[i].replace(/\d+$/, (d) => String(Number(d) + 1)),
        () => lines[i].replace(/^\d+/, (d) => String(Number(d) + 2)),
        () => lines[i].replace(/ [-+*/] /, (op) => (op === ' + ' ? ' - ' : ' + ')),
        () => 'Answer: 5',
        () => '3 + 3 = 6',
        () => 'garbled',
      ];
      lines[i] = mutations[rng.int(0, mutations.length - 1)]();
      for (const reason of labelSolution(p, lines).reasons) {
        if (reason === '') continue;
        seen++;
        expect(forms.some((f) => f.test(reason)), reason).toBe(true);
      }
    }
    expect(seen).toBeGreaterThan(600);
  });
});

describe('prompt format and vocabulary', () => {
  it('builds the documented prompt', () => {
    expect(formatPrompt('Tom has 7 apples. How many apples now?', { hasImage: false })).toBe('Q: Tom has 7 apples. How many apples now?\nS:\n');
    expect(formatPrompt("The picture shows Tom's apples. He buys 3 more.", { hasImage: true })).toBe(
      "Q: The picture shows Tom's apples. He buys 3 more.\n<image>\nS:\n",
    );
    expect(formatPrompt('Q?', { hasImage: true, reflection: 'step 3: 7 + 4 is 11, not 12' })).toBe(
      'Q: Q?\n<image>\nR: step 3: 7 + 4 is 11, not 12\nS:\n',
    );
    expect(formatPrompt('a\nb', { hasImage: false, reflection: ' two\nlines ' })).toBe('Q: a b\nR: two lines\nS:\n');
    expect(formatPrompt('$& $1', { hasImage: false })).toBe('Q: $& $1\nS:\n');
    expect(formatSolution(['7 + 3 = 10', 'Answer: 10'])).toBe('7 + 3 = 10\nAnswer: 10\n');
    expect(splitSolution('7 + 3 = 10\nAnswer: 10\n')).toEqual(['7 + 3 = 10', 'Answer: 10']);
    expect(STEP_DELIMITER).toBe('\n');
  });

  it('reserves the special tokens, in id order', () => {
    expect([...SPECIAL_TOKENS]).toEqual(['<pad>', '<s>', '</s>', '<image>', '<prm>', 'Yes', 'No']);
    expect(new Set(DEMO_VOCAB).size).toBe(DEMO_VOCAB.length);
    expect(DEMO_VOCAB.length).toBe(78);
  });

  it('covers every character of thousands of prompts, solutions and reasons', () => {
    const problems = generateProblems({ seed: 77, count: 5000 });
    const rng = createRng(77);
    const texts: string[] = [];
    for (const p of problems) {
      const wrong = [...p.steps];
      const i = rng.int(0, wrong.length - 1);
      wrong[i] = wrong[i].replace(/\d+$/, (d) => String(Number(d) + rng.int(1, 9)));
      const { reasons, diagnosis } = labelSolution(p, wrong);
      const reflection = diagnosis || 'step 1: missing, should be count = 1';
      texts.push(formatPrompt(p.question, { hasImage: p.image_count !== undefined, reflection }) + formatSolution(p.steps));
      texts.push(...reasons, formatSolution(wrong));
    }
    const missing = new Set(texts.flatMap(outOfVocab));
    expect([...missing]).toEqual([]);
  });

  it('never writes a special token by accident (e.g. "No" inside "Now")', () => {
    const problems = generateProblems({ seed: 78, count: 5000 });
    for (const p of problems) {
      const text = [p.question, ...p.steps, ...labelSolution(p, p.steps.slice(1)).reasons].join('\n');
      for (const t of SPECIAL_TOKENS) expect(text.includes(t), `${t} in ${text}`).toBe(false);
    }
  });
});

describe('count pictures', () => {
  it('renders a small PNG of the declared size, the same bytes every time', async () => {
    const a = await renderCountImage(7, 12345);
    const b = await renderCountImage(7, 12345);
    expect(a.equals(b)).toBe(true);
    expect((await renderCountImage(7, 12346)).equals(a)).toBe(false);
    const meta = await sharp(a).metadata();
    expect(meta).toMatchObject({ format: 'png', width: DEMO_IMAGE_SIZE, height: DEMO_IMAGE_SIZE });
    expect(a.length).toBeLessThan(2500);
    expect(countSvg(7, 12345)).toBe(countSvg(7, 12345));
  });

  it('draws exactly `count` objects, one per grid cell', () => {
    for (let count = 1; count <= 9; count++) {
      for (let seed = 0; seed < 30; seed++) {
        const svg = countSvg(count, seed);
        // objects are the only elements filled with an opaque palette colour
        const objects = svg.match(/<(circle|rect|polygon) [^>]*fill="#(c0392b|1f5fa8|238b45|7b3fa0|8c564b|d35400|333333)"\/>/g) ?? [];
        expect(objects.length).toBe(count);
      }
    }
    expect(() => countSvg(0, 1)).toThrow(RangeError);
    expect(() => countSvg(10, 1)).toThrow(RangeError);
  });

  it('gives grey-scale pixels equal to the decoded PNG, singly or by sheets', async () => {
    const items = Array.from({ length: 70 }, (_, i) => ({ count: 1 + (i % 9), seed: 1000 + i * 31 }));
    const many = await renderCountPixelsMany(items, 32);
    expect(many.length).toBe(70 * 32 * 32);
    for (const [i, it] of items.entries()) {
      const one = await renderCountPixels(it.count, it.seed, 32);
      expect(Buffer.from(many.subarray(i * 1024, (i + 1) * 1024)).equals(Buffer.from(one)), `picture ${i}`).toBe(true);
    }
    for (let i = 0; i < 9; i++) {
      const png = await renderCountImage(1 + i, 500 + i);
      const fromPng = await imageToPixels(png);
      const direct = await renderCountPixels(1 + i, 500 + i);
      expect(Buffer.from(fromPng).equals(Buffer.from(direct))).toBe(true);
    }
  });

  it('darker pixels grow with the count', async () => {
    const dark = async (count: number): Promise<number> => {
      let n = 0;
      for (let seed = 0; seed < 20; seed++) for (const v of await renderCountPixels(count, seed)) if (v < 170) n++;
      return n;
    };
    expect(await dark(9)).toBeGreaterThan((await dark(3)) * 2);
  });
});

describe('dataset splits', () => {
  const { problems, stats } = buildDemoDataset({ seed: 2, train: 1200, val: 200, test: 300 });

  it('shares no canonical form between splits and repeats none within one', () => {
    expect(stats.canonicalOverlap).toEqual({ train_val: 0, train_test: 0, val_test: 0 });
    const seen = new Map<string, string>();
    for (const p of problems) {
      expect(seen.has(p.canonical), p.canonical).toBe(false);
      seen.set(p.canonical, p.split as string);
    }
    for (const s of ['train', 'val', 'test'] as const) expect(stats.splits[s].duplicateCanonical).toBe(0);
  });

  it('reports counts, difficulty histogram and image share', () => {
    expect(stats.total).toBe(1700);
    expect(stats.splits.test).toMatchObject({ count: 300, images: 120, imageShare: 0.4, byDifficulty: { 2: 75, 3: 75, 4: 75, 5: 75 } });
    expect(stats.splits.train.byDifficulty).toEqual({ 2: 300, 3: 300, 4: 300, 5: 300 });
    expect(problems.filter((p) => p.split === 'val').length).toBe(200);
    expect(new Set(problems.map((p) => p.id)).size).toBe(1700);
    expect(buildDemoDataset({ seed: 2, train: 1200, val: 200, test: 300 }).problems).toEqual(problems);
  });

  it('may repeat forms within train on request, never across splits', () => {
    const { stats: s } = buildDemoDataset({ seed: 3, train: 4000, val: 50, test: 50, minSteps: 2, maxSteps: 2, uniqueWithinSplit: false });
    expect(s.splits.train.duplicateCanonical).toBeGreaterThan(0);
    expect(s.canonicalOverlap).toEqual({ train_val: 0, train_test: 0, val_test: 0 });
  });

  it('says so when the unique 2-step forms run out', () => {
    expect(() => buildDemoDataset({ seed: 3, train: 20000, val: 0, test: 0, minSteps: 2, maxSteps: 2 })).toThrow(/no unused 2-step problem/);
  });
});

describe('dataset files', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'steplab-demo-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes MM-K12-style JSONL, PNGs and stats; refuses to overwrite unless asked', async () => {
    const res = await writeDemoDataset(dir, { seed: 9, train: 40, val: 10, test: 10 });
    const rows = (await readFile(join(dir, PROBLEMS_FILE), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.length).toBe(60);
    expect(res.files.images).toBe(rows.filter((r) => 'image' in r).length);
    for (const r of rows) {
      expect(r.source).toBe('steplab-demo');
      expect(r.answer_type).toBe('number');
      expect(['train', 'val', 'test']).toContain(r.split);
      if (r.image_count !== undefined) {
        expect(r.image).toBe(`images/${r.id}.png`);
        const meta = await sharp(join(dir, r.image as string)).metadata();
        expect([meta.width, meta.height]).toEqual([DEMO_IMAGE_SIZE, DEMO_IMAGE_SIZE]);
      } else {
        expect(r.image).toBeUndefined();
      }
      const checked = labelSolution(r as { canonical: string; image_count?: number }, (r.reference_steps as { text: string }[]).map((s) => s.text));
      expect(checked.labels.every((l) => l === 1)).toBe(true);
    }
    const stats = JSON.parse(await readFile(join(dir, 'stats.json'), 'utf8'));
    expect(stats.canonicalOverlap).toEqual({ train_val: 0, train_test: 0, val_test: 0 });
    await expect(writeDemoDataset(dir, { seed: 9, train: 4, val: 1, test: 1 })).rejects.toThrow(/exists/);
    await writeDemoDataset(dir, { seed: 9, train: 4, val: 1, test: 1, overwrite: true });
    const again = (await readFile(join(dir, PROBLEMS_FILE), 'utf8')).trim().split('\n');
    expect(again.length).toBe(6);
    const pngs = await readdir(join(dir, 'images'));
    expect(pngs.length).toBe(again.filter((l) => l.includes('"image"')).length);
  });

  it('writes raw pixels with a shape header', async () => {
    const { header } = await writeCountPixels(dir, { count: 100, seed: 4, size: 24 });
    expect(header.shape).toEqual([100, 24, 24]);
    expect((await readFile(join(dir, 'pixels.u8'))).length).toBe(100 * 24 * 24);
    const labels = await readFile(join(dir, 'pixel_counts.u8'));
    expect(labels.length).toBe(100);
    expect(Math.min(...labels)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...labels)).toBeLessThanOrEqual(9);
    expect(JSON.parse(await readFile(join(dir, 'pixels.json'), 'utf8')).shape).toEqual([100, 24, 24]);
  });
});

describe('bundled demo data (models/demo-data)', () => {
  const folder = join(repoRoot, 'models/demo-data');
  it.runIf(existsSync(join(folder, PROBLEMS_FILE)))('is what the generator makes from its stats (seed and sizes)', async () => {
    const stats = JSON.parse(await readFile(join(folder, 'stats.json'), 'utf8'));
    const { problems } = buildDemoDataset({
      seed: stats.seed,
      train: stats.splits.train.count,
      val: stats.splits.val.count,
      test: stats.splits.test.count,
      ...stats.options,
    });
    const expected = problems.map((p) => JSON.stringify(toRow(p))).join('\n') + '\n';
    expect(await readFile(join(folder, PROBLEMS_FILE), 'utf8')).toBe(expected);
    for (const p of problems.filter((q) => q.image_count !== undefined).slice(0, 20)) {
      const stored = await imageToPixels(await readFile(join(folder, 'images', `${p.id}.png`)));
      const fresh = await renderCountPixels(p.image_count as number, p.image_seed as number);
      expect(Buffer.from(stored).equals(Buffer.from(fresh)), p.id).toBe(true);
    }
  });
});
