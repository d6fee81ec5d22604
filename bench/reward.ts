// PRM scoring throughput on the bundled tiny PRM, the Best-of-N workload: 32 demo questions with 16
// candidate solutions each (the reference steps, and copies with one result changed). Steplab's scorer
// reads each question once and runs the 16 continuations in one batch; the alternatives are scoring one
// whole solution per call (the loop a user would write around a PRM) and batching whole solutions.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../src-main/core/inference/model';
import { PrmScorer, type ScoreItem } from '../src-main/core/reward/scorer';
import { median, timeAsync, type BenchResult } from './util';

const ROOT = join(import.meta.dirname, '..');

export async function benchReward(opts: { solutions?: number; repeats?: number } = {}): Promise<BenchResult[]> {
  const n = opts.solutions ?? 512;
  const perQuestion = 16;
  const repeats = opts.repeats ?? 3;
  const rows = readFileSync(join(ROOT, 'models', 'demo-data', 'problems.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { question: string; image?: string; reference_steps: { text: string }[] })
    .filter((r) => !r.image);
  const items: ScoreItem[] = [];
  for (let i = 0; items.length < n; i++) {
    const r = rows[Math.floor(i / perQuestion) % rows.length];
    const steps = r.reference_steps.map((s) => s.text);
    const k = i % perQuestion;
    if (k) steps[k % steps.length] = steps[k % steps.length].replace(/(\d+)$/, (_, x: string) => `${Number(x) + k}`);
    items.push({ question: r.question, steps });
  }
  const model = await loadModel(join(ROOT, 'models', 'tiny-prm'));
  try {
    const ours = new PrmScorer(model);
    const single = new PrmScorer(model, { maxBatch: 1, sharePrefix: false });
    const whole = new PrmScorer(model, { sharePrefix: false });
    for (const s of [ours, single, whole]) await s.score(items.slice(0, 32));
    const tb: number[] = [];
    const ts: number[] = [];
    const tw: number[] = [];
    for (let r = 0; r < repeats; r++) {
      ours.engine.clearPrefixCache(); // every repeat reads the questions again
      tb.push((await timeAsync(() => ours.score(items))).ms);
      ts.push((await timeAsync(() => single.score(items))).ms);
      tw.push((await timeAsync(() => whole.score(items))).ms);
    }
    return [
      {
        name: `PRM step scoring (${n / perQuestion} questions x ${perQuestion} candidates)`,
        unit: 'solutions/s',
        value: n / (median(tb) / 1000),
        baseline: n / (median(tw) / 1000),
        baselineName: 'whole solutions in batches',
      },
      {
        name: `PRM step scoring (${n / perQuestion} questions x ${perQuestion} candidates)`,
        unit: 'solutions/s',
        value: n / (median(tb) / 1000),
        baseline: n / (median(ts) / 1000),
        baselineName: 'one solution per call',
      },
    ];
  } finally {
    await model.release();
  }
}
