// Label quality of a PRM training set that Steplab's searches wrote (issue "A demo that demonstrates",
// required diagnostics): each annotation set's step labels against the demo's gold step labels, and against
// an MC reference drawn with a seed of its own.
//
//   node bin/run-ts.js models/recipes/label_quality.ts --workspace ws --sets demo-train-omega,demo-train-mc \
//     [--policy models/tiny-policy] [--reference-k 32] [--reference-steps 400] [--reference-seed 7] [--json out.json]
//
// Gold: labelSolution over the annotation's steps; a step is gold-good when it comes before the path's first
// wrong line. Hard label = MC > 0 as stored; soft label = the stored MC. The reference: a seeded random
// sample of the set's labelled steps, each prefix continued --reference-k times by the policy at the search's
// sampling settings (T 1.0, top-k 50, top-p 0.9) from a seed no search used, verified by the same rule verifier.
import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { labelSolution, type DemoCheckable } from '../../src-main/core/demo/check';
import { EmbeddedBackend, problemImageData } from '../../src-main/core/inference/backend';
import { loadModel } from '../../src-main/core/inference/model';
import { enginePort } from '../../src-main/core/jobs/kinds/searchPort';
import { createRng } from '../../src-main/core/rng';
import { streamKeyOf } from '../../src-main/core/search/tree';
import { Store } from '../../src-main/core/store';

const o = new Command()
  .requiredOption('--workspace <dir>')
  .requiredOption('--sets <names>', 'annotation sets, comma-separated')
  .option('--policy <folder>', 'the policy that made the labels (for the MC reference)', 'models/tiny-policy')
  .option('--reference-k <n>', 'rollouts per reference prefix', '32')
  .option('--reference-steps <n>', 'labelled steps sampled per set for the reference (0: none)', '400')
  .option('--reference-seed <n>', 'the reference rollouts\' seed (the searches used 1)', '7')
  .option('--problems <a-b>', 'only the annotations of problems with ids a..b (e.g. the first 300 train problems: 1-300)')
  .option('--json <file>', 'also write the numbers as JSON')
  .parse()
  .opts<{ workspace: string; sets: string; policy: string; referenceK: string; referenceSteps: string; referenceSeed: string; problems?: string; json?: string }>();

interface Step {
  problemId: number;
  path: string[];
  idx: number;
  soft: number;
  hard: 0 | 1;
  gold: 0 | 1;
}

/** Mann-Whitney AUC of scores for positives over negatives (ties count half). */
function auc(pos: number[], neg: number[]): number {
  const all = [...pos.map((s) => [s, 1] as const), ...neg.map((s) => [s, 0] as const)].sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j][0] === all[i][0]) j++;
    const rank = (i + j + 1) / 2;
    for (let t = i; t < j; t++) if (all[t][1] === 1) rankSum += rank;
    i = j;
  }
  return (rankSum - (pos.length * (pos.length + 1)) / 2) / (pos.length * neg.length);
}
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const pct = (a: number, b: number) => (b ? ((100 * a) / b).toFixed(1) : '—');
const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '—');

/** A user error: one line, exit 2. */
function fail(msg: string): never {
  process.stderr.write(`label_quality: ${msg}\n`);
  process.exit(2);
}

const store = Store.open(resolve(o.workspace));
const K = Number(o.referenceK);
const SAMPLE = Number(o.referenceSteps);
const out: Record<string, unknown> = {};
const lines: string[] = [];
const model = SAMPLE > 0 ? await loadModel(resolve(o.policy)) : null;
const backend = model ? new EmbeddedBackend(model) : null;
try {
  for (const set of o.sets.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [lo, hi] = o.problems ? o.problems.split('-').map(Number) : [0, Number.MAX_SAFE_INTEGER];
    // the store's reader: curation applied and rejected annotations left out, as train-prm exports them
    const paths = [...store.annotations.forSetPages(set)]
      .flat()
      .filter((a) => !a.rejected && a.problemId >= lo && a.problemId <= hi && a.steps.length > 0)
      .sort((x, y) => x.id - y.id); // id order: the reference sample below draws from the steps in this order
    if (paths.length === 0) fail(`annotation set "${set}" has no steps in ${o.workspace}${o.problems ? ` for problems ${o.problems}` : ''}; list the sets with: steplab annotations --workspace ${o.workspace}`);
    const steps: Step[] = [];
    const checkable = new Map<number, DemoCheckable>();
    for (const a of paths) {
      const pid = a.problemId;
      if (!checkable.has(pid)) {
        const meta = store.problems.get(pid).meta as { canonical?: string; image_count?: number | null };
        if (!meta.canonical) fail(`problem ${pid} has no demo canonical form: label_quality reads the demo dataset's problems only`);
        checkable.set(pid, { canonical: meta.canonical, image_count: meta.image_count ?? null });
      }
      const texts = a.steps.map((st) => st.text);
      const fe = labelSolution(checkable.get(pid)!, texts).firstError;
      for (const st of a.steps) steps.push({ problemId: pid, path: texts, idx: st.idx, soft: st.softLabel, hard: st.hardLabel as 0 | 1, gold: fe === null || st.idx < fe ? 1 : 0 });
    }
    const goodSoft = steps.filter((s) => s.gold === 1).map((s) => s.soft);
    const badSoft = steps.filter((s) => s.gold === 0).map((s) => s.soft);
    const tp = steps.filter((s) => s.hard === 0 && s.gold === 0).length;
    const fp = steps.filter((s) => s.hard === 0 && s.gold === 1).length;
    const fn = steps.filter((s) => s.hard === 1 && s.gold === 0).length;
    const agree = steps.filter((s) => s.hard === s.gold).length;
    const byPos: number[] = [];
    for (let p = 0; p < 7; p++) byPos.push(mean(steps.filter((s) => s.gold === 1 && (p < 6 ? s.idx === p : s.idx >= 6)).map((s) => s.soft)));
    const res: Record<string, unknown> = {
      problems: checkable.size,
      paths: paths.length,
      steps: steps.length,
      hardNegatives: steps.filter((s) => s.hard === 0).length,
      goldNegatives: badSoft.length,
      meanSoft: mean(steps.map((s) => s.soft)),
      hardAgreementWithGold: agree / steps.length,
      badPrecision: tp / (tp + fp),
      badRecall: tp / (tp + fn),
      softAucVsGold: auc(goodSoft, badSoft),
      meanSoftGoldGood: mean(goodSoft),
      meanSoftGoldBad: mean(badSoft),
      softOfGoldGoodByPosition: byPos,
    };
    lines.push(
      `${set}: ${checkable.size} problems, ${paths.length} paths, ${steps.length} steps (${pct(res.hardNegatives as number, steps.length)}% hard 0, gold ${pct(badSoft.length, steps.length)}% wrong)`,
      `  hard vs gold: agreement ${pct(agree, steps.length)}%, "bad" precision ${pct(tp, tp + fp)}% recall ${pct(tp, tp + fn)}% (TP ${tp}, FP ${fp}, FN ${fn})`,
      `  soft vs gold: AUC ${f(res.softAucVsGold as number)}, mean soft of gold-good ${f(mean(goodSoft))}, of gold-wrong ${f(mean(badSoft))}`,
      `  soft of gold-good steps by position 1..7+: ${byPos.map((x) => f(x, 2)).join(', ')}`,
    );
    if (backend && SAMPLE > 0) {
      const rng = createRng(Number(o.referenceSeed));
      const pick = [...steps.keys()];
      for (let i = pick.length - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [pick[i], pick[j]] = [pick[j], pick[i]];
      }
      const sample = pick.slice(0, Math.min(SAMPLE, pick.length)).map((i) => steps[i]);
      const sampling = { temperature: 1, topK: 50, topP: 0.9, maxNewTokens: backend.manifest.parameters.maxNewTokens };
      let hardAgree = 0;
      let absDiff = 0;
      let goldBadRefPositive = 0;
      let goldBad = 0;
      const xs: number[] = [];
      const ys: number[] = [];
      for (const s of sample) {
        const problem = store.problems.get(s.problemId);
        const prefix = s.path.slice(0, s.idx + 1);
        const port = enginePort({ backend, problem, image: problemImageData(store, problem, backend), seed: Number(o.referenceSeed), sampling });
        const rs = await port.rollout(prefix, K, streamKeyOf(prefix));
        const mc = rs.filter((r) => r.correct).length / K;
        if ((mc > 0 ? 1 : 0) === s.hard) hardAgree++;
        absDiff += Math.abs(mc - s.soft);
        xs.push(s.soft);
        ys.push(mc);
        if (s.gold === 0) {
          goldBad++;
          if (mc > 0) goldBadRefPositive++;
        }
      }
      const mx = mean(xs);
      const my = mean(ys);
      const cov = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0);
      const corr = cov / Math.sqrt(xs.reduce((a, x) => a + (x - mx) ** 2, 0) * ys.reduce((a, y) => a + (y - my) ** 2, 0));
      res.reference = { steps: sample.length, k: K, seed: Number(o.referenceSeed), hardAgreement: hardAgree / sample.length, meanAbsSoftDiff: absDiff / sample.length, softCorrelation: corr, goldWrongWithReferenceMcAbove0: goldBadRefPositive / Math.max(1, goldBad) };
      lines.push(
        `  vs an MC reference (k = ${K}, seed ${o.referenceSeed}, ${sample.length} sampled steps): hard agreement ${pct(hardAgree, sample.length)}%, mean |soft - MC_ref| ${f(absDiff / sample.length)}, correlation ${f(corr)}; gold-wrong steps with MC_ref > 0: ${goldBadRefPositive}/${goldBad}`,
      );
    }
    out[set] = res;
  }
} finally {
  store.close();
  await model?.release();
}
process.stdout.write(lines.join('\n') + '\n');
if (o.json) writeFileSync(o.json, JSON.stringify(out, null, 2) + '\n');
