// The PRM through the reference trainer, end to end in Steplab: train-prm on an annotation set that a
// search made, the loss curve stored, the model registered with provenance and scoring; cancel leaves
// nothing; the committed PyTorch scores that `npm test` compares the ONNX scorer with; and prm_score.py's
// policy likelihood and a PRM's head read in the ORM's layout, against Steplab's engine. UPDATE_PARITY=1 rewrites that fixture.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src-main/core/inference/engine';
import { preprocessImage } from '../../src-main/core/inference/image';
import { loadModel } from '../../src-main/core/inference/model';
import { renderOrmPrompt, renderPrompt } from '../../src-main/core/inference/prompt';
import { renderPrmInput } from '../../src-main/core/reward/layout';
import { PrmScorer } from '../../src-main/core/reward/scorer';
import type { PrmTemplate } from '../../src-shared/manifest';
import { Store } from '../../src-main/core/store';
import { openWorkbench } from '../../src-main/core/workbench';
import { tempDir } from '../helpers/tmp';
import { onJobRow } from '../helpers/jobRows';
import { cli } from '../helpers/cli';

const ROOT = join(import.meta.dirname, '..', '..');
const PRM_DIR = join(ROOT, 'models', 'tiny-prm');
const POLICY_DIR = join(ROOT, 'models', 'tiny-policy');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'tiny-prm-scores.json');

let tmp: ReturnType<typeof tempDir>;
let ws: string;
let set: string;

beforeAll(async () => {
  tmp = tempDir();
  ws = join(tmp.dir, 'ws');
  expect((await cli('init', ws, '--demo')).code).toBe(0);
  const cfg = join(tmp.dir, 'small.json');
  writeFileSync(cfg, JSON.stringify({ maxSearchCount: 4, rolloutBudget: 48, rolloutsPerState: 4, lengthScale: 50 }));
  const s = await cli('search', '--workspace', ws, '--dataset', 'demo', '--model', 'tiny-policy', '--algo', 'omega', '--split', 'train', '--limit', '6', '--config', cfg, '--all-paths', '--annotation-set', 'small', '--json');
  expect(s.code, s.err.join('\n')).toBe(0);
  set = 'small';
});
afterAll(() => tmp?.cleanup());

describe('train-prm with the reference trainer', () => {
  it('trains, stores the loss curve, registers a PRM with provenance that then scores', async () => {
    const r = await cli('train-prm', '--workspace', ws, '--annotations', set, '--max-steps', '4', '--epochs', '10', '--batch-size', '4', '--name', 'prm-small', '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    const out = JSON.parse(r.out.at(-1)!);
    expect(out).toMatchObject({ model: 'prm-small@1', steps: 4, annotation_set: 'small', annotation_hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    const store = Store.open(ws);
    try {
      const rec = store.models.byName('prm-small');
      expect(rec.role).toBe('prm');
      expect(rec.provenance).toMatchObject({ parent: 'tiny-policy@1', annotationSet: 'small', annotationHash: out.annotation_hash, options: { labels: 'soft' } });
      const curve = store.jobs.metrics(out.job).loss;
      expect(curve.map(([s]) => s)).toEqual([1, 2, 3, 4]);
      for (const [, l] of curve) expect(Number.isFinite(l)).toBe(true);
    } finally {
      store.close();
    }
    expect(existsSync(join(ws, 'tmp')) ? readdirSync(join(ws, 'tmp')) : []).toEqual([]);
    const rollouts = join(tmp.dir, 'r.jsonl');
    writeFileSync(rollouts, JSON.stringify({ query: 'Tom has 7 apples. He buys 3 more. How many apples now?', solutions_splits: [['7 + 3 = 10', 'Answer: 10']] }) + '\n');
    const sc = await cli('score', '--workspace', ws, '--prm', 'prm-small', '--rollouts', rollouts, '--out', join(tmp.dir, 'r-out.jsonl'), '--json');
    expect(sc.code, sc.err.join('\n')).toBe(0);
    const scores = JSON.parse(readFileSync(join(tmp.dir, 'r-out.jsonl'), 'utf8')).prm_scores[0];
    expect(scores).toHaveLength(2);
    for (const s of scores) expect(s > 0 && s < 1).toBe(true);
  });

  it('trains on hard labels when asked (recorded in provenance)', async () => {
    const r = await cli('train-prm', '--workspace', ws, '--annotations', set, '--max-steps', '2', '--batch-size', '8', '--hard-labels', '--lr', '0.0001', '--name', 'prm-hard', '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    const store = Store.open(ws);
    try {
      const rec = store.models.byName('prm-hard');
      expect(rec.provenance).toMatchObject({ options: { labels: 'hard', lr: 0.0001 } });
      expect((rec.manifest as { provenance: { metrics: { prm: { labels: string } } } }).provenance.metrics.prm.labels).toBe('hard');
    } finally {
      store.close();
    }
  });

  it("prm_template policy: the manifest carries the policy's layout, and Steplab's ONNX scorer reads it as PyTorch does", async () => {
    const rows = parityRows().filter((r) => !r.images);
    const train = join(tmp.dir, 'tpl-train.jsonl');
    writeFileSync(train, rows.map((r, i) => JSON.stringify({ ...r, labels: r.completions.map(() => i % 2 === 0) })).join('\n') + '\n');
    const out = join(tmp.dir, 'prm-tpl');
    const cfg = join(tmp.dir, 'tpl.json');
    writeFileSync(cfg, JSON.stringify({ task: 'prm', base_model: join(ROOT, 'models', 'tiny-policy'), train_file: train, output_dir: out, name: 'prm-tpl', prm_template: 'policy', hyperparameters: { lr: 1e-3, epochs: 1, batch_size: 4, seed: 0, max_steps: 2 } }));
    execFileSync('/usr/bin/python3', ['models/recipes/trainer.py', '--config', cfg], { cwd: ROOT, env: { ...process.env, OPENBLAS_NUM_THREADS: '1' }, stdio: ['ignore', 'ignore', 'inherit'] });
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { prmTemplate: unknown };
    expect(manifest.prmTemplate).toEqual({ image: '<image>\n', question: 'Q: {question}\n', process: 'S:\n', stepSeparator: '\n' });
    const torchOut = join(tmp.dir, 'tpl-torch.json');
    execFileSync('/usr/bin/python3', ['models/recipes/prm_score.py', '--model', out, '--in', train, '--out', torchOut], { cwd: ROOT, env: { ...process.env, OPENBLAS_NUM_THREADS: '1' }, stdio: ['ignore', 'ignore', 'inherit'] });
    const torch = (JSON.parse(readFileSync(torchOut, 'utf8')) as { scores: number[] }[]).map((s) => s.scores);
    expect((await cli('models', 'register', out, '--workspace', ws)).code).toBe(0);
    const rollouts = join(tmp.dir, 'tpl-r.jsonl');
    writeFileSync(rollouts, rows.map((r) => JSON.stringify({ query: r.prompt, solutions_splits: [r.completions] })).join('\n') + '\n');
    const sc = await cli('score', '--workspace', ws, '--prm', 'prm-tpl', '--rollouts', rollouts, '--out', join(tmp.dir, 'tpl-out.jsonl'));
    expect(sc.code, sc.err.join('\n')).toBe(0);
    const ort = readFileSync(join(tmp.dir, 'tpl-out.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { prm_scores: number[][] }).prm_scores[0]);
    expect(ort.map((s) => s.length)).toEqual(torch.map((s) => s.length));
    ort.forEach((s, i) => s.forEach((v, j) => expect(Math.abs(v - torch[i][j])).toBeLessThan(1e-4)));
  });

  it("--calculator: the manifest carries the calculator's note, and Steplab's ONNX scorer reads what PyTorch read", async () => {
    const r = await cli('train-prm', '--workspace', ws, '--annotations', set, '--max-steps', '2', '--batch-size', '8', '--calculator', '--lr', '0.001', '--name', 'prm-calc', '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    const store = Store.open(ws);
    let dir: string;
    try {
      const rec = store.models.byName('prm-calc');
      expect(rec.provenance).toMatchObject({ options: { labels: 'soft', calculator: true } });
      const m = rec.manifest as { prmTemplate: unknown; provenance: { metrics: { prm: { prm_template: string } } } };
      expect(m.prmTemplate).toEqual({ image: '<image>\n', question: 'Question: {question}\n', process: 'Process: ', stepSeparator: '\n\n', calculator: ' (={value})', calculatorMismatch: ' (!={value})' });
      expect(m.provenance.metrics.prm.prm_template).toBe('mmprm-calculator');
      dir = rec.path;
    } finally {
      store.close();
    }
    // the same text from Python (training, prm_score.py) and from Steplab's scorer, on lines the calculator reads and lines it does not
    const steps = ['count = 3', '3 + 1 = 5', '3 + 1 = 4', '12 / 5 = 2', '12 / 5 = 2.40', '10 / 3 = 3', '1 / 32 = 0', '7 / 0 = 1', '5 - 9 = -4', '6*7=42', '2 + 2 = 4 and 3 * 3 = 8', '4 + 4 = 8.', '1.5 + 2 = 3.5', '999999999 * 999999999 = 999999998000000000', 'Answer: 5'];
    const template = (JSON.parse(readFileSync(join(dir!, 'manifest.json'), 'utf8')) as { prmTemplate: PrmTemplate }).prmTemplate;
    const py = execFileSync('/usr/bin/python3', ['-c', 'import json, sys; sys.path.insert(0, "models/recipes"); from steplab_formats import format_prm_input; ' +
      'a = json.load(sys.stdin); print(json.dumps(format_prm_input(a["q"], a["steps"], True, a["t"])))'], { cwd: ROOT, input: JSON.stringify({ q: 'Tom has 3.', steps, t: template }), encoding: 'utf8' });
    const spec = { template, tag: '<prm>', yes: 'Yes', no: 'No' };
    expect(JSON.parse(py)).toBe(renderPrmInput(spec, 'Tom has 3.', steps, true));
    expect(JSON.parse(py)).toContain('3 + 1 = 5 (!=4)<prm>\n\n3 + 1 = 4 (=4)<prm>\n\n12 / 5 = 2 (!=2.4)<prm>');
    // scores: PyTorch (prm_score.py reads prmTemplate from the manifest) against onnxruntime-node, with broken lines among the rows
    const torch = prmScoreParityRows('calc', ['--model', dir!]);
    const rows = parityRows();
    const model = await loadModel(dir!);
    try {
      const scorer = new PrmScorer(model);
      for (const [i, row] of rows.entries()) {
        const image = row.images ? { key: `p${i}`, pixels: await preprocessImage(readFileSync(join(ROOT, row.images[0])), model.manifest.image!) } : undefined;
        const [ort] = await scorer.score([{ question: row.prompt, steps: row.completions, image }]);
        expect(ort.length).toBe(torch[i].length);
        ort.forEach((v, j) => expect(Math.abs(v - torch[i][j])).toBeLessThan(1e-4));
      }
    } finally {
      await model.release();
    }
  });

  it('cancel stops the trainer with SIGTERM and registers nothing', async () => {
    const wb = openWorkbench(ws);
    try {
      const before = wb.store.models.list().length;
      const job = wb.runner.submit('train-prm', { annotations: set, name: 'prm-cancelled', batchSize: 2, epochs: 50 });
      let asked = false;
      const off = onJobRow(wb, (j) => {
        if (!asked && j.id === job.id && j.state === 'running' && j.progress.done >= 1) {
          asked = true;
          wb.runner.cancel(job.id);
        }
      });
      const end = await wb.runner.wait(job.id);
      off();
      expect(end.state).toBe('cancelled');
      expect(wb.store.models.list().length).toBe(before);
      expect(existsSync(join(ws, 'tmp')) ? readdirSync(join(ws, 'tmp')) : []).toEqual([]);
    } finally {
      wb.close();
    }
  });
});

describe('parity: PyTorch PRM scores', () => {
  it('prm_score.py on the bundled tiny-prm gives the committed scores', () => {
    const rows = parityRows();
    const input = join(tmp.dir, 'parity-rows.jsonl');
    writeFileSync(input, rows.map((r) => JSON.stringify({ ...r, images: r.images?.map((p) => join(ROOT, p)) })).join('\n') + '\n');
    const outFile = join(tmp.dir, 'parity-scores.json');
    execFileSync('/usr/bin/python3', ['models/recipes/prm_score.py', '--model', PRM_DIR, '--in', input, '--out', outFile], {
      cwd: ROOT,
      env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const scores = JSON.parse(readFileSync(outFile, 'utf8')) as { scores: number[] }[];
    expect(scores.map((s) => s.scores.length)).toEqual(rows.map((r) => r.completions.length));
    const hash = createHash('sha256').update(readFileSync(join(PRM_DIR, 'checkpoint.pt'))).digest('hex');
    const fixture = { model: { checkpointSha256: hash }, rows, scores };
    if (process.env.UPDATE_PARITY) writeFileSync(FIXTURE, JSON.stringify(fixture, null, 1) + '\n');
    const committed = JSON.parse(readFileSync(FIXTURE, 'utf8')) as typeof fixture;
    expect(committed.model).toEqual(fixture.model);
    expect(committed.rows).toEqual(rows);
    // float32 kernels differ by a few ulps between BLAS builds and CPUs (a CI run here saw 6e-7); any real
    // change of the layout or the weights moves scores by far more than 5e-6
    committed.scores.forEach((s, i) => s.scores.forEach((v, j) => expect(v).toBeCloseTo(scores[i].scores[j], 5)));
  });
});

describe("the policy's own likelihood (prm_score.py --policy-likelihood)", () => {
  it("gives each step the probability that Steplab's engine gives the policy's tokens, and a line off by one less than the right one", async () => {
    const rows = parityRows();
    const torch = prmScoreParityRows('lik', ['--model', POLICY_DIR, '--policy-likelihood']);
    const model = await loadModel(POLICY_DIR);
    const engine = new Engine(model);
    const vocab = Array.from({ length: model.config.vocabSize }, (_, i) => i);
    const V = vocab.length;
    for (const [i, r] of rows.entries()) {
      const hasImage = Boolean(r.images);
      const upTo = (k: number) => engine.encodePrompt(renderPrompt(model.manifest, r.prompt, { hasImage, steps: r.completions.slice(0, k) }));
      const ids = upTo(r.completions.length);
      const ends = r.completions.map((_, k) => upTo(k).length).concat(ids.length);
      const image = r.images ? { key: String(i), pixels: await preprocessImage(readFileSync(join(ROOT, r.images[0])), model.manifest.image!) } : undefined;
      const positions = Array.from({ length: ids.length - ends[0] }, (_, j) => ends[0] - 1 + j);
      const logits = (await engine.logitsAt([{ ids, image, positions }], vocab))[0];
      const logp = (t: number): number => {
        // log-softmax at position t - 1 (row j of `logits`), taken at the token written at t
        const row = logits.subarray((t - ends[0]) * V, (t - ends[0] + 1) * V);
        const max = Math.max(...row);
        const lse = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
        return row[ids[t]] - lse;
      };
      const ort = r.completions.map((_, k) => {
        let sum = 0;
        for (let t = ends[k]; t < ends[k + 1]; t++) sum += logp(t);
        return Math.exp(sum);
      });
      expect(torch[i]).toHaveLength(r.completions.length);
      ort.forEach((v, k) => expect(Math.abs(v - torch[i][k]), `row ${i + 1} step ${k + 1}`).toBeLessThan(1e-4));
    }
    // rows come in pairs: the reference steps, then the same with one result off by one
    for (let i = 0; i < rows.length; i += 2) {
      const k = rows[i + 1].completions.findIndex((s, j) => s !== rows[i].completions[j]);
      expect(torch[i + 1][k], `${rows[i].completions[k]} against ${rows[i + 1].completions[k]}`).toBeLessThan(torch[i][k]);
    }
  });
});

describe("a PRM's head at the line ends of the ORM input (prm_score.py --orm-layout)", () => {
  it("reads Yes/No where Steplab's engine reads them on renderOrmPrompt's text, at the newline that ends each line", async () => {
    const rows = parityRows();
    const torch = prmScoreParityRows('orml', ['--model', PRM_DIR, '--orm-layout']);
    const model = await loadModel(PRM_DIR);
    try {
      const engine = new Engine(model);
      const manifest = { ...model.manifest, ormTemplate: { verdict: 'V:\n', kind: 'diagnostic' as const } };
      const newline = model.tokenizer.encode('\n', { addSpecialTokens: false });
      const yesNo = [model.tokenizer.tokenToId('Yes')!, model.tokenizer.tokenToId('No')!];
      for (const [i, r] of rows.entries()) {
        const hasImage = Boolean(r.images);
        const ids = engine.encodePrompt(renderOrmPrompt(manifest, r.prompt, { hasImage, steps: r.completions }));
        const ends = r.completions.map((_, k) => engine.encodePrompt(renderPrompt(manifest, r.prompt, { hasImage, steps: r.completions.slice(0, k + 1) })).length - 1);
        ends.forEach((t) => expect(ids[t]).toBe(newline[0]));
        const image = r.images ? { key: String(i), pixels: await preprocessImage(readFileSync(join(ROOT, r.images[0])), model.manifest.image!) } : undefined;
        const logits = (await engine.logitsAt([{ ids, image, positions: ends }], yesNo))[0];
        const ort = ends.map((_, k) => 1 / (1 + Math.exp(logits[2 * k + 1] - logits[2 * k])));
        expect(torch[i]).toHaveLength(r.completions.length);
        ort.forEach((v, k) => expect(Math.abs(v - torch[i][k]), `row ${i + 1} step ${k + 1}`).toBeLessThan(1e-4));
      }
    } finally {
      await model.release();
    }
  });
});

describe('prm_gold.py firsterror (where step scores put the first wrong step)', () => {
  it('chooses τ on the val rows alone and applies it to the test rows; a scores file that is not one gives one line', () => {
    const row = (labels: number[]) => JSON.stringify({ prompt: 'q', completions: labels.map((_, i) => `s${i}`), labels });
    const write = (name: string, text: string) => {
      const f = join(tmp.dir, name);
      writeFileSync(f, text);
      return f;
    };
    // val: wrong at step 2 (0.9, 0.3) and at step 1 (0.25, 0.2): 0.31 <= τ <= 0.9 names both; the right row (0.9, 0.6) keeps no step under 0.31
    const valRows = write('fe-val.jsonl', [row([1, 0]), row([0, 0]), row([1, 1])].join('\n') + '\n');
    const valScores = write('fe-val.json', JSON.stringify([{ scores: [0.9, 0.3] }, { scores: [0.25, 0.2] }, { scores: [0.9, 0.6] }]));
    // test at τ = 0.31 (the first of the best): step 1 of the first row is under it (wrong call), the second row is named
    const testRows = write('fe-test.jsonl', [row([1, 0]), row([1, 1, 0]), row([1, 1])].join('\n') + '\n');
    const testScores = write('fe-test.json', JSON.stringify([{ scores: [0.2, 0.1] }, { scores: [0.8, 0.7, 0.305] }, { scores: [0.4, 0.35] }]));
    const run = (vs: string) =>
      execFileSync('/usr/bin/python3', ['models/recipes/prm_gold.py', 'firsterror', '--val-rows', valRows, '--val-scores', vs, '--test-rows', testRows, '--test-scores', testScores], {
        cwd: ROOT,
        env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    expect(JSON.parse(run(valScores))).toEqual({
      tau: 0.31,
      val: { wrong_rows: 2, first_error_exact: 100, correct_rows_with_no_step_under_tau: 100 },
      test: { wrong_rows: 2, first_error_exact: 50, correct_rows_with_no_step_under_tau: 100 },
    });
    const bad = write('fe-bad.json', JSON.stringify([[0.9, 0.3]]));
    let err = '';
    try {
      run(bad);
    } catch (e) {
      err = String((e as { stderr: string }).stderr);
      expect((e as { status: number }).status).toBe(2);
    }
    expect(err.trim()).toBe(`[prm_gold] ${bad}: not a prm_score.py scores file ([{"scores": [...]}, ...], one entry per row)`);
  });
});

describe("what the policy's own arithmetic gives a verifier (prm_gold.py recompute)", () => {
  it("reads the value Steplab's engine writes greedily after `a op b =`, in the row's context and as the next line", async () => {
    // the text rows whose first wrong step is a result off by one, labelled as gold labels are (0 from it on)
    const all = parityRows();
    const rows = all
      .filter((r, i) => i % 2 === 1 && !r.images)
      .map((r) => {
        const ref = all[all.indexOf(r) - 1];
        const k = r.completions.findIndex((st, j) => st !== ref.completions[j]);
        return { ...r, labels: r.completions.map((_, j) => (j < k ? 1 : 0)), k };
      });
    expect(rows.length).toBe(4);
    const file = join(tmp.dir, 'recompute-rows.jsonl');
    writeFileSync(file, rows.map(({ k: _k, ...r }) => JSON.stringify(r)).join('\n') + '\n');
    const out = execFileSync('/usr/bin/python3', ['models/recipes/prm_gold.py', 'recompute', '--model', POLICY_DIR, '--rows', file, '--json'], {
      cwd: ROOT,
      env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
      encoding: 'utf8',
    });
    const res = JSON.parse(out) as { rows: number; in_context: Record<string, number>; rows_read: { line: number; step: number; value: string; written: string; in_context: string; next_line: string }[] };
    expect(res.rows).toBe(4);
    expect(res.rows_read.map((x) => x.step)).toEqual(rows.map((r) => r.k + 1));
    const model = await loadModel(POLICY_DIR);
    try {
      const engine = new Engine(model);
      for (const [i, r] of rows.entries()) {
        const [, a, op, b, c] = /^(\d+) ([-+*/]) (\d+) = (\d+)$/.exec(r.completions[r.k])!;
        const value = { '+': Number(a) + Number(b), '-': Number(a) - Number(b), '*': Number(a) * Number(b), '/': Number(a) / Number(b) }[op as '+' | '-' | '*' | '/'];
        expect(res.rows_read[i]).toMatchObject({ value: String(value), written: c });
        const after = (steps: string[]) => [...engine.encodePrompt(renderPrompt(model.manifest, r.prompt, { hasImage: false, steps })), ...model.tokenizer.encode(`${a} ${op} ${b} =`, { addSpecialTokens: false })];
        const gen = await engine.generate(
          [{ prefix: after(r.completions.slice(0, r.k)), rngs: [() => 0] }, { prefix: after(r.completions.slice(0, r.k + 1)), rngs: [() => 0] }],
          { temperature: 0, topK: 0, topP: 1, maxNewTokens: 8, stopAtStep: true },
        );
        expect([gen[0][0].text.trim(), gen[1][0].text.trim()], `row ${i + 1}`).toEqual([res.rows_read[i].in_context, res.rows_read[i].next_line]);
      }
    } finally {
      await model.release();
    }
  });

  it('a file without such a row gives one line naming it, exit 1', () => {
    const file = join(tmp.dir, 'recompute-none.jsonl');
    writeFileSync(file, JSON.stringify({ prompt: 'Tom has 7 apples. He buys 3 more. How many apples now?', completions: ['7 + 3 = 10', 'Answer: 10'], labels: [1, 1] }) + '\n');
    let err = '';
    try {
      execFileSync('/usr/bin/python3', ['models/recipes/prm_gold.py', 'recompute', '--model', POLICY_DIR, '--rows', file], { cwd: ROOT, env: { ...process.env, OPENBLAS_NUM_THREADS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      expect((e as { status: number }).status).toBe(1);
      err = String((e as { stderr: Buffer }).stderr);
    }
    expect(err.trim()).toBe(`[prm_gold] ${file}: no text row whose first wrong step (gold labels) is an \`a op b = c\` line with a wrong result`);
  });
});

/** prm_score.py's step scores of parityRows() with `args` (model and mode), through files named after `name`. */
function prmScoreParityRows(name: string, args: string[]): number[][] {
  const input = join(tmp.dir, `${name}-rows.jsonl`);
  writeFileSync(input, parityRows().map((r) => JSON.stringify({ ...r, images: r.images?.map((p) => join(ROOT, p)) })).join('\n') + '\n');
  const outFile = join(tmp.dir, `${name}-scores.json`);
  execFileSync('/usr/bin/python3', ['models/recipes/prm_score.py', ...args, '--in', input, '--out', outFile], {
    cwd: ROOT,
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return (JSON.parse(readFileSync(outFile, 'utf8')) as { scores: number[] }[]).map((s) => s.scores);
}

/** Demo test problems: the reference steps, and the same with one result off by one (later steps kept). */
function parityRows(): { prompt: string; completions: string[]; images?: string[] }[] {
  const all = readFileSync(join(ROOT, 'models', 'demo-data', 'problems.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { question: string; image?: string; split: string; reference_steps: { text: string }[] })
    .filter((r) => r.split === 'test');
  const text = all.filter((r) => !r.image).slice(0, 4);
  const pics = all.filter((r) => r.image).slice(0, 2);
  const rows: { prompt: string; completions: string[]; images?: string[] }[] = [];
  for (const r of [...text, ...pics]) {
    const steps = r.reference_steps.map((s) => s.text);
    const images = r.image ? [join('models', 'demo-data', r.image)] : undefined;
    rows.push({ prompt: r.question, completions: steps, ...(images ? { images } : {}) });
    const broken = [...steps];
    const k = Math.max(0, broken.findIndex((s) => / = \d+$/.test(s) && !s.startsWith('count')));
    broken[k] = broken[k].replace(/= (\d+)$/, (_, n: string) => `= ${Number(n) + 1}`);
    rows.push({ prompt: r.question, completions: broken, ...(images ? { images } : {}) });
  }
  return rows;
}
