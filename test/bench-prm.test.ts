// `steplab bench-prm` end to end on the ProcessBench fixture: step scores from a file in both forms
// (against F1s worked out by hand in the comments), the fixed threshold, the oracle sweep and the sweep on
// another split, --rows, the stored evaluation with its provenance, the bundled PRM in process and the
// same PRM over `steplab serve-model`, the contamination warning, and the one-line refusals that store
// nothing (bare arrays over two splits, scores of the wrong length, a model that is not a PRM).
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalDoor } from '../src-main/core/door';
import { benchScore } from '../src-main/core/reward/benchMetrics';
import { benchRowOf, loadBenchRows } from '../src-main/core/reward/benchRows';
import { Store } from '../src-main/core/store';
import { cli, startCli } from './helpers/cli';
import { tempDir } from './helpers/tmp';

const FIX = join(import.meta.dirname, 'fixtures', 'benchmarks');
const MODELS = join(import.meta.dirname, '..', 'models');
const TOKEN = 'bench-token-0123456789abcdef';
const KEY_ENV = 'STEPLAB_TEST_BENCH_KEY';
let tmp: ReturnType<typeof tempDir>;
let ws: string;

const lastJson = (r: { out: string[] }): Record<string, any> => JSON.parse(r.out.at(-1)!);
const write = (name: string, lines: unknown[]): string => {
  const p = join(tmp.dir, name);
  writeFileSync(p, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return p;
};
function counts(): { evaluations: number; jobs: number; items: number } {
  const s = Store.open(ws);
  try {
    const n = (t: string) => (s.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    return { evaluations: n('evaluations'), jobs: n('jobs'), items: n('evaluation_items') };
  } finally {
    s.close();
  }
}

// hand-made scores of the six fixture rows
const SCORES: Record<string, number[]> = {
  'gsm8k-0': [0.9, 0.8, 0.7], // label -1: all accepted at 0.5 -> -1, hit
  'gsm8k-1': [0.3, 0.9, 0.9], // label 0 (an error at step 0): rejected at 0 -> hit
  'gsm8k-2': [0.9, 0.5, 0.2], // label 1: the tie 0.5 is not accepted -> 1, hit
  'gsm8k-3': [0.9, 0.45, 0.9], // label -1: rejected at 1 -> miss
  'math-0': [0.8, 0.9, 0.7, 0.95], // label -1: hit up to t < 0.7
  'math-1': [0.9, 0.8, 0.6, 0.1], // label 2: predicted 3 at 0.5 (miss); 2 for 0.6 <= t < 0.8
};
// at 0.5: gsm8k error acc 2/2, correct acc 1/2, F1 2/3; math error acc 0/1, correct acc 1/1, F1 0; mean 1/3

beforeAll(async () => {
  tmp = tempDir('steplab-bench-prm-');
  ws = join(tmp.dir, 'ws');
  expect((await cli('init', ws)).code).toBe(0);
  for (const m of ['tiny-prm', 'tiny-policy']) {
    const r = await cli('models', 'register', join(MODELS, m), '--workspace', ws);
    expect(r.code, r.err.join('\n')).toBe(0);
  }
  const door = openLocalDoor(ws);
  try {
    await door.api['benchmarks.import']({ path: join(FIX, 'processbench', 'gsm8k.json'), dataset: 'pb', format: 'processbench' });
    await door.api['benchmarks.import']({ path: join(FIX, 'processbench', 'math.jsonl'), dataset: 'pb', format: 'processbench' });
  } finally {
    await door.close();
  }
}, 120_000);
afterAll(() => tmp?.cleanup());

let byId: string;
let first: Record<string, any>;

describe('bench-prm --scores', () => {
  it('reads {"id", "scores"} lines and reports ProcessBench\'s accuracies and F1 per split and their mean', async () => {
    byId = write('scores.jsonl', Object.entries(SCORES).map(([id, scores]) => ({ id, scores })));
    const rowsOut = join(tmp.dir, 'rows.jsonl');
    const r = await cli('bench-prm', '--workspace', ws, '--dataset', 'pb', '--scores', byId, '--rows', rowsOut, '--resamples', '200', '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    first = lastJson(r);
    expect(first).toMatchObject({ threshold: 0.5, format: 'processbench', threshold_mode: 'fixed', rows: 6, contamination: null });
    expect(first.f1).toBeCloseTo(1 / 3, 12);
    expect(first.error_acc).toBeCloseTo(0.5, 12);
    expect(first.correct_acc).toBeCloseTo(0.75, 12);
    expect(first.by_split.gsm8k).toMatchObject({ rows: 4, error_acc: 1, correct_acc: 0.5 });
    expect(first.by_split.gsm8k.f1).toBeCloseTo(2 / 3, 12);
    expect(first.by_split.math).toEqual({ rows: 2, error_acc: 0, correct_acc: 1, f1: 0 });
    expect(first.headline.name).toBe('f1');
    expect(first.headline.ci[0]).toBeLessThanOrEqual(first.headline.ci[1]);
    // --rows: one line per row with its prediction against the label and its scores
    const rows = readFileSync(rowsOut, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => [x.id, x.label, x.prediction, x.match])).toEqual([
      ['gsm8k-0', -1, -1, true],
      ['gsm8k-1', 0, 0, true],
      ['gsm8k-2', 1, 1, true],
      ['gsm8k-3', -1, 1, false],
      ['math-0', -1, -1, true],
      ['math-1', 2, 3, false],
    ]);
    expect(rows[2]).toMatchObject({ scores: SCORES['gsm8k-2'], gold: [1, 0, null] });
  });

  it('prints the table in percent as ProcessBench prints it', async () => {
    const r = await cli('bench-prm', '--workspace', ws, '--dataset', 'pb', '--scores', byId, '--resamples', '0');
    expect(r.code, r.err.join('\n')).toBe(0);
    const text = r.out.join('\n');
    expect(text).toMatch(/^gsm8k\s+4\s+100\.0\s+50\.0\s+66\.7$/m);
    expect(text).toMatch(/^math\s+2\s+0\.0\s+100\.0\s+0\.0$/m);
    expect(text).toMatch(/^mean\s+6\s+50\.0\s+75\.0\s+33\.3$/m);
    expect(text).toMatch(/threshold 0\.5 \(given; a step is accepted when its score is above it\)/);
  });

  it('stores the run as an evaluation with its provenance, one item per row', async () => {
    const s = Store.open(ws);
    try {
      const ev = s.evaluations.get(first.evaluation);
      const m = ev.metrics as Record<string, any>;
      expect(m.kind).toBe('bench-prm');
      expect(m.provenance).toMatchObject({
        prm: null,
        scores_file_sha256: createHash('sha256').update(readFileSync(byId)).digest('hex'),
        threshold_rule: 'a step is accepted when its score is above the threshold (score > t); sweep 0.00, 0.01, ..., 1.00, ties to the lowest',
        seed: 0,
        resamples: 200,
      });
      expect(m.provenance.steplab).toMatch(/^\d+\.\d+\.\d+/);
      expect(m.provenance.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(m.sweep).toHaveLength(101);
      expect(s.evaluations.items(ev.id)).toHaveLength(6);
      expect(ev.rewardId).toBeNull();
    } finally {
      s.close();
    }
  });

  it('--sweep picks the oracle threshold on the rows evaluated, the lowest of a tie', async () => {
    // mean F1 is 5/6 for 0.60 <= t < 0.70 (gsm8k 2/3, math 1) and lower elsewhere: 0.60
    const r = await cli('bench-prm', '--workspace', ws, '--dataset', 'pb', '--scores', byId, '--sweep', '--resamples', '0', '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    const j = lastJson(r);
    expect(j).toMatchObject({ threshold: 0.6, threshold_mode: 'oracle' });
    expect(j.f1).toBeCloseTo(5 / 6, 12);
  });

  it('--sweep-on chooses on another split and applies it to --split', async () => {
    // math alone: F1 1 for 0.60 <= t < 0.70 -> 0.60; gsm8k at 0.60: 2/3
    const r = await cli('bench-prm', '--workspace', ws, '--dataset', 'pb', '--scores', byId, '--split', 'gsm8k', '--sweep-on', 'math', '--resamples', '0', '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    const j = lastJson(r);
    expect(j).toMatchObject({ threshold: 0.6, threshold_mode: 'sweep-on', chosen_on: 'math', rows: 4 });
    expect(Object.keys(j.by_split)).toEqual(['gsm8k']);
    expect(j.f1).toBeCloseTo(2 / 3, 12);
  });

  it('reads bare arrays in the imported file\'s row order', async () => {
    const bare = write('bare.jsonl', ['gsm8k-0', 'gsm8k-1', 'gsm8k-2', 'gsm8k-3'].map((id) => SCORES[id]));
    const r = await cli('bench-prm', '--workspace', ws, '--dataset', 'pb', '--scores', bare, '--split', 'gsm8k', '--resamples', '0', '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    const j = lastJson(r);
    expect(j.f1).toBeCloseTo(2 / 3, 12);
    expect(j.by_split.gsm8k).toMatchObject({ error_acc: 1, correct_acc: 0.5 });
  });

  it('refuses, in one line and storing nothing: bare arrays over two splits, a wrong count naming the row, a model that is not a PRM', async () => {
    const before = counts();
    const bare = write('bare-all.jsonl', Object.values(SCORES));
    const a = await cli('bench-prm', '--workspace', ws, '--dataset', 'pb', '--scores', bare);
    expect(a.code).toBe(1);
    expect(a.err).toEqual(['error: bare-all.jsonl holds bare score arrays, which follow one file\'s row order, but 2 splits are scored (gsm8k, math): give --split, or give the scores by row id']);
    const short = write('short.jsonl', Object.entries(SCORES).map(([id, scores]) => ({ id, scores: id === 'gsm8k-2' ? scores.slice(0, 2) : scores })));
    const b = await cli('bench-prm', '--workspace', ws, '--dataset', 'pb', '--scores', short);
    expect(b.code).toBe(1);
    expect(b.err).toEqual(['error: row "gsm8k-2": 2 scores for its 3 steps (short.jsonl line 3)']);
    const c = await cli('bench-prm', '--workspace', ws, '--dataset', 'pb', '--prm', 'tiny-policy');
    expect(c.code).toBe(1);
    expect(c.err).toEqual(['error: --prm: model "tiny-policy" is a policy model, not a PRM']);
    const d = await cli('bench-prm', '--workspace', ws, '--dataset', 'pb', '--scores', byId, '--split', 'olympiadbench');
    expect(d.err).toEqual(['error: --split: dataset "pb" has no benchmark rows in split "olympiadbench" (have: gsm8k, math)']);
    expect(counts()).toEqual(before);
  });
});

describe('bench-prm --prm', () => {
  let inProcess: Record<string, any>;

  it('scores the rows with the PRM in process, stores its scores and says when contamination cannot be checked', async () => {
    const r = await cli('bench-prm', '--workspace', ws, '--dataset', 'pb', '--prm', 'tiny-prm', '--resamples', '0', '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.err).toEqual(['note: contamination not checked: the provenance of tiny-prm@1 names no training annotation set']);
    inProcess = lastJson(r);
    // the metrics are the benchmark's formulas on the scores the PRM stored
    const s = Store.open(ws);
    try {
      const prm = s.models.byName('tiny-prm');
      const rows = loadBenchRows(s, 'pb');
      const stored = s.scores.stepScores(prm.id, rows.map((x) => x.solution.id));
      expect(stored.size).toBe(6);
      const expected = benchScore('processbench', rows.map((x) => benchRowOf(x, stored.get(x.solution.id)!)), 0.5);
      expect(inProcess.f1).toBe(expected.f1);
      expect(inProcess.by_split.gsm8k.error_acc).toBe(expected.bySplit.gsm8k.errorAcc);
      expect(s.evaluations.get(inProcess.evaluation).rewardId).toBe(prm.id);
    } finally {
      s.close();
    }
  });

  it('gives the same scores and metrics through an endpoint PRM served by steplab serve-model', async () => {
    process.env[KEY_ENV] = TOKEN;
    let child: ChildProcess | undefined;
    try {
      const served = startCli(['serve-model', '--workspace', ws, '--model', 'tiny-prm', '--port', '0', '--token-env', 'SERVE_TOKEN', '--json'], { SERVE_TOKEN: TOKEN });
      child = served.child;
      const info = await new Promise<{ url: string }>((resolve, reject) => {
        let buf = '';
        served.child.stdout!.on('data', (d) => {
          buf += String(d);
          const line = buf.split('\n').find((l) => l.startsWith('{'));
          if (line) resolve(JSON.parse(line));
        });
        void served.done.then((x) => reject(new Error(`serve-model exited ${x.code}: ${x.stderr}`)));
      });
      const add = await cli('models', 'add-endpoint', 'remote-prm', '--url', info.url, '--served-model', 'tiny-prm', '--role', 'prm', '--api-key-env', KEY_ENV, '--workspace', ws);
      expect(add.code, add.err.join('\n')).toBe(0);
      const r = await cli('bench-prm', '--workspace', ws, '--dataset', 'pb', '--prm', 'remote-prm', '--resamples', '0', '--json');
      expect(r.code, r.err.join('\n')).toBe(0);
      const remote = lastJson(r);
      expect(remote.f1).toBe(inProcess.f1);
      expect(remote.by_split).toEqual(inProcess.by_split);
      const s = Store.open(ws);
      try {
        const rows = loadBenchRows(s, 'pb').map((x) => x.solution.id);
        const a = s.scores.stepScores(s.models.byName('tiny-prm').id, rows);
        const b = s.scores.stepScores(s.models.byName('remote-prm').id, rows);
        for (const id of rows) b.get(id)!.forEach((x, k) => expect(x).toBeCloseTo(a.get(id)![k], 5));
      } finally {
        s.close();
      }
    } finally {
      if (child && child.exitCode === null) {
        const exited = new Promise((res) => child!.once('exit', res));
        child.kill('SIGKILL');
        await exited;
      }
      delete process.env[KEY_ENV];
    }
  });

  it("warns, with counts and a list, when benchmark problems are in the PRM's training annotation set", async () => {
    // a PRM whose provenance names annotation set "pb-train", as train-prm records it
    const folder = join(tmp.dir, 'trained-prm');
    cpSync(join(MODELS, 'tiny-prm'), folder, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'));
    manifest.name = 'trained-prm';
    writeFileSync(join(folder, 'manifest.json'), JSON.stringify(manifest));
    expect((await cli('models', 'register', folder, '--workspace', ws)).code).toBe(0);
    const s = Store.open(ws);
    try {
      const rec = s.models.byName('trained-prm');
      s.db.prepare('UPDATE models SET provenance = ? WHERE id = ?').run(JSON.stringify({ ...(rec.provenance as object), annotationSet: 'pb-train' }), rec.id);
      const rows = loadBenchRows(s, 'pb');
      const mathProblem = rows.find((x) => x.bench.id === 'math-0')!.solution.problemId;
      // the same question as gsm8k-2/3 with a gold answer and other spacing: met by question text only
      const q = s.problems.get(rows.find((x) => x.bench.id === 'gsm8k-2')!.solution.problemId).question;
      const other = s.problems.upsert({ question: `  ${q.toUpperCase().replace(/ /g, '   ')}`, answer: '150', answerType: 'number', source: 'train', tags: [], imageHashes: [], meta: {} }).id;
      s.annotations.insertMany([
        { problemId: mathProblem, setName: 'pb-train', steps: [{ text: 'x', softLabel: 1 }] },
        { problemId: other, setName: 'pb-train', steps: [{ text: 'y', softLabel: 0 }] },
      ]);
    } finally {
      s.close();
    }
    const r = await cli('bench-prm', '--workspace', ws, '--dataset', 'pb', '--prm', 'trained-prm', '--resamples', '0', '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.err).toEqual([
      'warning: 2 benchmark problems (3 rows) appear in trained-prm@1\'s training annotation set "pb-train" (1 by fingerprint, 1 by question text):',
      '  gsm8k-2 (gsm8k, by question), gsm8k-3 (gsm8k, by question), math-0 (math, by fingerprint)',
    ]);
    expect(lastJson(r).contamination).toEqual({ checked: true, problems: 2, rows: 3 });
  });
});

describe('a stored bench-prm evaluation through the API', () => {
  it('serves its rows, filtered by outcome, and its threshold sweep as a chart', async () => {
    const door = openLocalDoor(ws);
    try {
      const id = first.evaluation as number;
      const misses = await door.api['evaluations.benchRows']({ id, outcome: 'miss' });
      expect(misses.items.map((x) => [x.id, x.label, x.prediction])).toEqual([
        ['gsm8k-3', -1, 1],
        ['math-1', 2, 3],
      ]);
      expect(misses.items[1].steps.map((st) => [st.gold, st.score])).toEqual([
        [1, 0.9],
        [1, 0.8],
        [0, 0.6],
        [null, 0.1],
      ]);
      expect((await door.api['evaluations.benchRows']({ id, split: 'gsm8k', offset: 1, limit: 2 })).items.map((x) => x.id)).toEqual(['gsm8k-1', 'gsm8k-2']);
      const chart = await door.api['evaluations.chart']({ id });
      expect(chart.svg).toContain('<svg');
      expect(chart.svg).toContain('correct accuracy');
      const csv = (await door.api['evaluations.export']({ id, format: 'csv' })).text.split('\n');
      expect(csv[0]).toBe('split,rows,error_rows,correct_rows,error_acc,correct_acc,f1,macro_f1,threshold');
      expect(csv[2]).toBe('math,2,1,1,0,1,0,,0.5');
    } finally {
      await door.close();
    }
  });
});
