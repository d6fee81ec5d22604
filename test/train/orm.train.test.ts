// The reference trainer's `orm` task (MathSE's outcome reward model): rows written with Steplab's own
// renderOrmPrompt and formatOrmTarget train a folder that Steplab loads (role orm, the tokenizer extended
// by the JSON characters), whose greedy verdicts parseOrmOutput reads; a bad row exits 2 naming its line.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelSolution } from '../../src-main/core/demo';
import { Engine } from '../../src-main/core/inference/engine';
import { preprocessImage } from '../../src-main/core/inference/image';
import { loadModel, readManifest } from '../../src-main/core/inference/model';
import { renderOrmPrompt } from '../../src-main/core/inference/prompt';
import { formatOrmTarget, parseOrmOutput } from '../../src-main/core/reward/orm';
import type { Manifest } from '../../src-shared/manifest';
import { MODEL_DIR, ROOT } from '../helpers/parity';
import { tempDir } from '../helpers/tmp';

const ORM_DIR = join(ROOT, 'models', 'tiny-orm');
const DEMO = join(ROOT, 'models', 'demo-data');

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir();
});
afterAll(() => tmp?.cleanup());

interface Run {
  code: number | null;
  events: Record<string, unknown>[];
  stderr: string;
}

function trainer(config: object): Promise<Run> {
  const cfg = join(tmp.dir, `cfg-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(cfg, JSON.stringify(config));
  const child = spawn('/usr/bin/python3', ['models/recipes/trainer.py', '--config', cfg], { cwd: ROOT, env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } });
  const events: Record<string, unknown>[] = [];
  let stderr = '';
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      events.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>); // every stdout line must be JSON
      buf = buf.slice(nl + 1);
    }
  });
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, events, stderr })));
}

interface DemoRow {
  question: string;
  image?: string;
  image_count?: number;
  canonical: string;
  split: string;
  reference_steps: { text: string }[];
}

/** n train problems, each as a CORRECT row (its reference) and a WRONG one (line `k` off by one, labelled by the checker). */
function cases(n: number): { row: DemoRow; steps: string[] }[] {
  const rows = readFileSync(join(DEMO, 'problems.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as DemoRow)
    .filter((r) => r.split === 'train')
    .slice(0, n);
  return rows.flatMap((row, i) => {
    const ref = row.reference_steps.map((s) => s.text);
    const k = Math.min(ref.length - 2, row.image ? 1 + (i % 2) : i % 2);
    const bad = ref.map((s, j) => (j === k ? s.replace(/(\d+)$/, (d) => String(Number(d) + 1)) : s));
    return [
      { row, steps: ref },
      { row, steps: bad },
    ];
  });
}

const ormManifest = (): Manifest => ({ ...readManifest(MODEL_DIR), ormTemplate: { verdict: 'V:\n', kind: 'diagnostic' } });

function ormFile(name: string, n: number): string {
  const m = ormManifest();
  const lines = cases(n).map(({ row, steps }) => {
    const lab = labelSolution(row, steps);
    const wrong = lab.firstError !== null;
    const target = formatOrmTarget({
      status: wrong ? 'WRONG' : 'CORRECT',
      errorStep: wrong ? lab.firstError! + 1 : null,
      errorAnalysis: lab.diagnosis,
      improvementSuggestion: wrong ? `redo step ${lab.firstError! + 1}` : '',
    });
    return JSON.stringify({
      messages: [
        { role: 'user', content: renderOrmPrompt(m, row.question, { hasImage: Boolean(row.image), steps }) },
        { role: 'assistant', content: target },
      ],
      images: row.image ? [join(DEMO, row.image)] : [],
    });
  });
  const file = join(tmp.dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

describe('reference trainer (orm)', () => {
  it('trains an ORM from the policy: the folder loads with role orm and the JSON characters in its vocabulary', async () => {
    const out = join(tmp.dir, 'orm-from-policy');
    const r = await trainer({ task: 'orm', base_model: MODEL_DIR, train_file: ormFile('orm.jsonl', 12), output_dir: out, hyperparameters: { batch_size: 8, max_steps: 2, seed: 0 } });
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.events.filter((e) => e.event === 'progress')).toHaveLength(2);
    expect(r.events.at(-1)).toEqual({ event: 'done', model: out });
    const m = await loadModel(out);
    try {
      expect(m.manifest).toMatchObject({ role: 'orm', ormTemplate: { verdict: 'V:\n', kind: 'diagnostic' }, provenance: { parent: 'tiny-policy' } });
      const policyVocab = JSON.parse(readFileSync(join(MODEL_DIR, 'config.json'), 'utf8')).vocab_size as number;
      expect(m.config.vocabSize).toBe(policyVocab + 4);
      const ids = m.tokenizer.encode('{"_}');
      expect(ids.slice(-4).every((id) => id >= policyVocab)).toBe(true);
      expect(m.tokenizer.decode(ids.slice(-4))).toBe('{"_}');
    } finally {
      await m.release();
    }
  });

  it.skipIf(!existsSync(join(ORM_DIR, 'manifest.json')))('fine-tuning the bundled ORM keeps verdicts that parseOrmOutput reads', async () => {
    const out = join(tmp.dir, 'orm-c1');
    const r = await trainer({ task: 'orm', base_model: ORM_DIR, train_file: ormFile('orm-c1.jsonl', 8), output_dir: out, hyperparameters: { lr: 1e-5, batch_size: 8, max_steps: 1, seed: 0 }, cycle: 1 });
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const m = await loadModel(out);
    try {
      expect(m.manifest).toMatchObject({ role: 'orm', provenance: { parent: 'tiny-orm', cycle: 1 } });
      const engine = new Engine(m);
      const picks = cases(4);
      const reqs = await Promise.all(
        picks.map(async ({ row, steps }, i) => ({
          prefix: engine.encodePrompt(renderOrmPrompt(m.manifest, row.question, { hasImage: Boolean(row.image), steps })),
          image: row.image ? { key: `orm-${i}`, pixels: await preprocessImage(readFileSync(join(DEMO, row.image)), m.manifest.image!) } : undefined,
          rngs: [() => 0],
        })),
      );
      const gen = await engine.generate(reqs, { temperature: 0, topK: 0, topP: 1, maxNewTokens: 160, stopAtStep: false });
      gen.forEach((g, i) => {
        const p = parseOrmOutput(g[0].text, picks[i].steps.length);
        expect(p.ok, `${g[0].text} (${p.ok ? '' : p.reason})`).toBe(true);
      });
    } finally {
      await m.release();
    }
  });

  it('orm_step_weight: the error_step digits of the WRONG rows weigh more in the loss (recorded in the manifest); a bad value exits 2', async () => {
    const file = ormFile('weighted.jsonl', 8);
    const wrongRows = readFileSync(file, 'utf8').trim().split('\n').filter((l) => l.includes('\\"status\\":\\"WRONG\\"')).length;
    expect(wrongRows).toBeGreaterThan(0);
    const base = { task: 'orm', base_model: MODEL_DIR, train_file: file, hyperparameters: { batch_size: 16, max_steps: 1, seed: 0 } };
    const plain = await trainer({ ...base, output_dir: join(tmp.dir, 'orm-w1') });
    const heavy = await trainer({ ...base, output_dir: join(tmp.dir, 'orm-w50'), orm_step_weight: 50 });
    expect(plain.code, plain.stderr.slice(-2000)).toBe(0);
    expect(heavy.code, heavy.stderr.slice(-2000)).toBe(0);
    const logs = heavy.events.filter((e) => e.event === 'log').map((e) => String(e.message));
    expect(logs).toContain(`orm (diagnostic): the error_step tokens of ${wrongRows} rows weigh 50 in the loss`);
    expect(plain.events.filter((e) => e.event === 'log').some((e) => String(e.message).includes('weigh 50 in the loss') || String(e.message).includes('error_step tokens'))).toBe(false);
    const firstLoss = (r: Run) => r.events.find((e) => e.event === 'progress')!.loss as number;
    expect(firstLoss(heavy)).not.toBeCloseTo(firstLoss(plain), 3);
    const manifest = (dir: string) => JSON.parse(readFileSync(join(tmp.dir, dir, 'manifest.json'), 'utf8')) as { provenance: { metrics: { orm: Record<string, unknown> } } };
    expect(manifest('orm-w50').provenance.metrics.orm.step_weight).toBe(50);
    expect(manifest('orm-w1').provenance.metrics.orm).not.toHaveProperty('step_weight');

    const out = join(tmp.dir, 'never-w');
    const bad = await trainer({ ...base, output_dir: out, orm_step_weight: 0.5 });
    expect(bad.code).toBe(2);
    expect(bad.events.at(-1)).toMatchObject({ event: 'error', message: 'config: "orm_step_weight" must be a number from 1 to 1000 (the loss weight of the error_step tokens), got 0.5' });
    expect(existsSync(out)).toBe(false);
    const binary = await trainer({ ...base, output_dir: out, orm_kind: 'binary', orm_step_weight: 20 });
    expect(binary.code).toBe(2);
    expect(binary.events.at(-1)).toMatchObject({ event: 'error', message: 'config: "orm_step_weight" weighs the error_step of a diagnostic ORM; a binary ORM writes no step' });
    expect(existsSync(out)).toBe(false);
  });

  it('orm_prm_layout: the rows are read in the base PRM\'s layout, a <prm> tag after each line (recorded for eval_orm.py); a bad value exits 2', async () => {
    const file = ormFile('prm-layout.jsonl', 4);
    const prmDir = join(ROOT, 'models', 'tiny-prm');
    const base = { task: 'orm', base_model: prmDir, train_file: file, hyperparameters: { batch_size: 8, max_steps: 1, seed: 0 } };
    const plain = await trainer({ ...base, output_dir: join(tmp.dir, 'orm-l0') });
    const tagged = await trainer({ ...base, output_dir: join(tmp.dir, 'orm-l1'), orm_prm_layout: true });
    expect(plain.code, plain.stderr.slice(-2000)).toBe(0);
    expect(tagged.code, tagged.stderr.slice(-2000)).toBe(0);
    const firstLoss = (r: Run) => r.events.find((e) => e.event === 'progress')!.loss as number;
    expect(firstLoss(tagged)).not.toBeCloseTo(firstLoss(plain), 3);
    const orm = (dir: string) => (JSON.parse(readFileSync(join(tmp.dir, dir, 'manifest.json'), 'utf8')) as { provenance: { metrics: { orm: Record<string, unknown> } } }).provenance.metrics.orm;
    expect(orm('orm-l1').prm_layout).toEqual(readManifest(prmDir).prmTemplate);
    expect(orm('orm-l0')).not.toHaveProperty('prm_layout');
    const bad = await trainer({ ...base, output_dir: join(tmp.dir, 'never-l'), orm_prm_layout: 'yes' });
    expect(bad.code).toBe(2);
    expect(bad.events.at(-1)).toMatchObject({ event: 'error', message: 'config: "orm_prm_layout" must be true or false, got "yes"' });
  });

  it("orm_calculator: the rows are read with numbered lines, each with the calculator's check (recorded for eval_orm.py); a bad value exits 2", async () => {
    const file = ormFile('calculator.jsonl', 4);
    const base = { task: 'orm', base_model: MODEL_DIR, train_file: file, hyperparameters: { batch_size: 8, max_steps: 1, seed: 0 } };
    const plain = await trainer({ ...base, output_dir: join(tmp.dir, 'orm-k0') });
    const checked = await trainer({ ...base, output_dir: join(tmp.dir, 'orm-k1'), orm_calculator: true });
    expect(plain.code, plain.stderr.slice(-2000)).toBe(0);
    expect(checked.code, checked.stderr.slice(-2000) + JSON.stringify(checked.events.at(-1))).toBe(0);
    const firstLoss = (r: Run) => r.events.find((e) => e.event === 'progress')!.loss as number;
    expect(firstLoss(checked)).not.toBeCloseTo(firstLoss(plain), 3);
    const orm = (dir: string) => (JSON.parse(readFileSync(join(tmp.dir, dir, 'manifest.json'), 'utf8')) as { provenance: { metrics: { orm: Record<string, unknown> } } }).provenance.metrics.orm;
    expect(orm('orm-k1')).toMatchObject({ numbered: true, calculator: { calculator: ' (={value})', calculatorMismatch: ' (!={value})' } });
    expect(orm('orm-k0')).not.toHaveProperty('calculator');
    const bad = await trainer({ ...base, output_dir: join(tmp.dir, 'never-c'), orm_calculator: 1 });
    expect(bad.code).toBe(2);
    expect(bad.events.at(-1)).toMatchObject({ event: 'error', message: 'config: "orm_calculator" must be true or false, got 1' });
  });

  it('a bad row exits 2 with its line and field named, and writes nothing', async () => {
    const good = readFileSync(ormFile('good.jsonl', 2), 'utf8').trim().split('\n');
    const bad = JSON.parse(good[1]) as { messages: { content: string }[] };
    bad.messages[1].content = '{"status":"WRONG","error_step":9,"error_analysis":"x","improvement_suggestion":""}';
    const file = join(tmp.dir, 'bad.jsonl');
    writeFileSync(file, [good[0], good[2], JSON.stringify(bad)].join('\n') + '\n');
    const out = join(tmp.dir, 'never');
    const r = await trainer({ task: 'orm', base_model: MODEL_DIR, train_file: file, output_dir: out, hyperparameters: { max_steps: 1 } });
    expect(r.code).toBe(2);
    expect(r.events.at(-1)).toMatchObject({ event: 'error', message: expect.stringMatching(/bad\.jsonl line 3: field "messages".*error_step/) });
    expect(existsSync(out)).toBe(false);

    const notOrm = JSON.parse(good[0]) as { messages: { content: string }[] };
    notOrm.messages[0].content = notOrm.messages[0].content.replace(/V:\n$/, '');
    writeFileSync(file, JSON.stringify(notOrm) + '\n');
    const r2 = await trainer({ task: 'orm', base_model: MODEL_DIR, train_file: file, output_dir: out, hyperparameters: { max_steps: 1 } });
    expect(r2.code).toBe(2);
    expect(r2.events.at(-1)).toMatchObject({ event: 'error', message: expect.stringMatching(/bad\.jsonl line 1: field "messages": the user content must be the ORM input/) });
  });
});

describe('orm_readout.py (where an ORM error_step comes from)', () => {
  it("reads the step Steplab's engine would write after the forced verdict start, and sets it beside the no-content rules", async () => {
    const file = ormFile('readout.jsonl', 12);
    const child = spawn('/usr/bin/python3', ['models/recipes/orm_readout.py', '--orm', ORM_DIR, '--rows', file, '--json'], { cwd: ROOT, env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, err).toBe(0);
    const s = JSON.parse(out) as {
      rows: number;
      exact: number;
      constant_rule: { step: number; exact: number };
      length_rule_exact: number;
      rows_read: { error_step: number; lines: number; predicted: string }[];
    };
    const textWrong = cases(12).filter(({ row, steps }) => !row.image && labelSolution(row, steps).firstError !== null);
    expect(textWrong.length).toBeGreaterThan(2);
    expect(s.rows).toBe(textWrong.length);
    expect(s.rows_read.map((r) => [r.error_step, r.lines])).toEqual(textWrong.map(({ row, steps }) => [labelSolution(row, steps).firstError! + 1, steps.length]));
    const hits = s.rows_read.filter((r) => r.predicted === String(r.error_step)).length;
    expect(s.exact).toBeCloseTo((100 * hits) / s.rows, 1);

    const m = await loadModel(ORM_DIR);
    try {
      const engine = new Engine(m);
      const forced = m.tokenizer.encode('{"status":"WRONG","error_step":', { addSpecialTokens: false });
      const gen = await engine.generate(
        textWrong.map(({ row, steps }) => ({ prefix: [...engine.encodePrompt(renderOrmPrompt(m.manifest, row.question, { hasImage: false, steps })), ...forced], rngs: [() => 0] })),
        { temperature: 0, topK: 0, topP: 1, maxNewTokens: 1, stopAtStep: false },
      );
      expect(gen.map((g) => g[0].text)).toEqual(s.rows_read.map((r) => r.predicted));
    } finally {
      await m.release();
    }
  });

  it('a row that is not an ORM row gives one line naming the file and line, exit 1', async () => {
    const file = join(tmp.dir, 'not-orm.jsonl');
    writeFileSync(file, readFileSync(ormFile('one.jsonl', 1), 'utf8') + '{"prompt": "x"}\n');
    const child = spawn('/usr/bin/python3', ['models/recipes/orm_readout.py', '--orm', ORM_DIR, '--rows', file], { cwd: ROOT, env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    expect(err.trim()).toBe(`orm_readout: ${file} line 3: not an ORM row (make_orm_data.py writes them)`);
  });
});
