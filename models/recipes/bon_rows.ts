// The candidates of a stored Best-of-N evaluation (`steplab bon`), for a scorer that runs outside Steplab
// (issue "A demo that demonstrates", the policy-likelihood diagnostic in models/tiny-prm/METRICS.md):
//
//   node bin/run-ts.js models/recipes/bon_rows.ts export --workspace ws [--evaluation ID] --out rows.jsonl
//   node bin/run-ts.js models/recipes/bon_rows.ts table --workspace ws [--evaluation ID] --scores scores.json [--json out.json]
//   node bin/run-ts.js models/recipes/bon_rows.ts table --workspace ws [--evaluation ID] --arithmetic-rule [--json out.json]
//
// `export` writes the evaluation's candidates (its reported split, in the order `steplab bon` reads them:
// by problem, then by candidate index) as TRL stepwise rows with the demo's gold step labels, and beside
// each the problem's dataset id ("problem"), the solution's id in the workspace ("solution"), its verdict
// ("correct") and its normalised final answer.
// `table` reads step scores made elsewhere for those rows ({"scores": [[p1, p2, ...], ...]} or
// [{"scores": [...]}, ...], one entry per row in order, each step's score in [0, 1]) and prints what
// `steplab bon` prints for a PRM, computed by the same functions (src-main/core/reward/metrics.ts) on the
// same candidates and the same greedy solutions: accuracy by N for every rule, the within-problem pairwise
// accuracy, each rule at the largest N against majority vote, greedy and random pick with the paired
// bootstrap interval, and ProcessBench F1 against the gold step labels at 0.5 and at the threshold best on
// this same split (optimistic: there is no second split to choose it on). No rule is chosen: every aggregation is listed. `--arithmetic-rule` scores instead by a
// rule that checks each line on its own, as a PRM that had learned only that would: 0 for an `a op b = c`
// line whose result is wrong (the demo checker's line parser), 1 for any other line. It reads neither the
// question nor the picture, so it cannot see a wrong operand, count or plan.
import { Command } from 'commander';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AGGREGATORS, answerKey } from '../../src-shared/aggregate';
import { BON_METHODS, bonTable, chooseThreshold, pairedDifference, pairwiseAccuracy, processBenchF1, type BonMethod, type ProblemCandidates, type ScoredSolution } from '../../src-main/core/reward/metrics';
import { imagePath } from '../../src-main/core/data/images';
import { parseStepLine } from '../../src-main/core/demo/check';
import { Store } from '../../src-main/core/store';
import type { Solution } from '../../src-main/core/store/solutions';

interface Row {
  problem: string;
  solution: number;
  correct: boolean;
  answer: string | null;
  prompt: string;
  completions: string[];
  labels: (number | null)[];
  images: string[];
}

interface Loaded {
  split: string;
  n: number;
  problems: { problemId: number; greedyCorrect: boolean | null; rows: Row[] }[];
}

function fail(msg: string): never {
  console.error(`bon_rows: ${msg}`);
  process.exit(1);
}

function bonOf(s: Solution): { key: string; k: number } | undefined {
  const b = s.settings.bon as { key?: unknown; k?: unknown } | undefined;
  return b && typeof b.key === 'string' && typeof b.k === 'number' ? { key: b.key, k: b.k } : undefined;
}

function load(workspace: string, evaluation: string | undefined): Loaded {
  let store: Store;
  try {
    store = Store.open(resolve(workspace));
  } catch (e) {
    fail(`${workspace}: ${(e as Error).message}`);
  }
  const list = store.evaluations.list({ offset: 0, limit: 1000 });
  const id = evaluation !== undefined ? Number(evaluation) : list.find((e) => (store.evaluations.get(e.id).config as { n?: unknown }).n !== undefined)?.id;
  if (id === undefined || !Number.isInteger(id)) fail(`${workspace}: no Best-of-N evaluation${evaluation !== undefined ? ` with id ${evaluation}` : ''}; see \`steplab evaluations --workspace ${workspace}\``);
  const ev = store.evaluations.get(id);
  const cfg = ev.config as { split?: string; n?: number };
  if (typeof cfg.split !== 'string' || typeof cfg.n !== 'number') fail(`evaluation ${id} is not a Best-of-N evaluation (no split / n in its config)`);
  const byProblem = new Map<number, number[]>();
  for (const it of store.evaluations.items(id)) byProblem.set(it.problemId, [...(byProblem.get(it.problemId) ?? []), it.solutionId]);
  const refs = store.problems.refs([...byProblem.keys()]);
  const problems: Loaded['problems'] = [];
  for (const [pid, ids] of [...byProblem.entries()].sort((a, b) => a[0] - b[0])) {
    const p = store.problems.get(pid);
    const cands = ids.map((sid) => store.solutions.get(sid)).sort((a, b) => (bonOf(a)?.k ?? 0) - (bonOf(b)?.k ?? 0));
    const key = bonOf(cands[0])?.key;
    // the greedy solution `steplab bon` made beside them: the same policy, temperature 0, another key
    const greedy = store.solutions
      .forProblem(pid)
      .find((s) => bonOf(s) !== undefined && bonOf(s)!.key !== key && s.modelId === cands[0].modelId && s.settings.temperature === 0);
    const image = p.images[0] ? imagePath(store.paths.imagesDir, p.images[0]) : null;
    problems.push({
      problemId: pid,
      greedyCorrect: greedy ? greedy.verdict === 'correct' : null,
      rows: cands.map((s) => ({
        problem: refs.get(pid)?.extId ?? String(pid),
        solution: s.id,
        correct: s.verdict === 'correct',
        answer: answerKey(s.finalAnswer),
        prompt: p.question,
        completions: s.steps.map((x) => x.text),
        labels: s.steps.map((x) => x.goldLabel),
        images: image ? [image] : [],
      })),
    });
  }
  store.close();
  return { split: cfg.split, n: cfg.n, problems };
}

function arithmeticRule(line: string): number {
  const p = parseStepLine(line);
  if (p.kind !== 'arith') return 1;
  const v = p.op === '+' ? p.a + p.b : p.op === '-' ? p.a - p.b : p.op === '*' ? p.a * p.b : p.a / p.b;
  return v === p.c ? 1 : 0;
}

const pct = (x: number): string => (100 * x).toFixed(1);
const signed = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)}`;

const program = new Command().name('bon_rows');
program
  .command('export')
  .requiredOption('--workspace <dir>')
  .option('--evaluation <id>', 'the evaluation (default: the newest Best-of-N one)')
  .requiredOption('--out <file>')
  .action((o: { workspace: string; evaluation?: string; out: string }) => {
    const l = load(o.workspace, o.evaluation);
    const out = createWriteStream(o.out);
    let rows = 0;
    for (const p of l.problems)
      for (const r of p.rows) {
        out.write(JSON.stringify(r) + '\n');
        rows++;
      }
    out.end();
    console.log(`bon_rows: ${rows} candidates of ${l.problems.length} problems (split ${l.split}, N ${l.n}) written to ${o.out}`);
  });
program
  .command('table')
  .requiredOption('--workspace <dir>')
  .option('--evaluation <id>', 'the evaluation (default: the newest Best-of-N one)')
  .option('--scores <file>', 'step scores, one entry per exported row in order')
  .option('--arithmetic-rule', "score each line 0 when it is an `a op b = c` line with a wrong result, else 1")
  .option('--json <file>', 'also write the numbers as JSON')
  .action((o: { workspace: string; evaluation?: string; scores?: string; arithmeticRule?: boolean; json?: string }) => {
    if (Boolean(o.scores) === Boolean(o.arithmeticRule)) fail('give either --scores FILE or --arithmetic-rule');
    const l = load(o.workspace, o.evaluation);
    let raw: unknown;
    if (o.arithmeticRule) raw = l.problems.flatMap((p) => p.rows.map((r) => r.completions.map(arithmeticRule)));
    else
      try {
        raw = JSON.parse(readFileSync(o.scores!, 'utf8'));
      } catch (e) {
        fail(`${o.scores}: ${(e as Error).message}`);
      }
    const list = (Array.isArray(raw) ? raw : (raw as { scores?: unknown }).scores) as unknown[];
    const total = l.problems.reduce((a, p) => a + p.rows.length, 0);
    if (!Array.isArray(list) || list.length !== total) fail(`${o.scores}: expected ${total} entries (one per exported row), got ${Array.isArray(list) ? list.length : 'no list'}`);
    let i = 0;
    const problems: ProblemCandidates[] = l.problems.map((p) => ({
      problemId: p.problemId,
      greedyCorrect: p.greedyCorrect,
      candidates: p.rows.map((r) => {
        const e = list[i];
        const s = (Array.isArray(e) ? e : (e as { scores?: unknown })?.scores) as unknown;
        if (!Array.isArray(s) || s.length !== r.completions.length || s.some((x) => typeof x !== 'number' || !(x >= 0 && x <= 1)))
          fail(`${o.scores}: entry ${i + 1} must hold ${r.completions.length} scores in [0, 1], one per step of row ${i + 1}`);
        i++;
        return { correct: r.correct, answer: r.answer, scores: s as number[] };
      }),
    }));
    const ns = [1, 2, 4, 8, 16].filter((x) => x < l.n).concat(l.n);
    const table = bonTable(problems, ns);
    const methods: readonly BonMethod[] = BON_METHODS;
    console.log(`${l.problems.length} problems of split ${l.split}, ${total} candidates; accuracy (%) at N`);
    console.log(`| method | ${ns.map((n) => `N=${n}`).join(' | ')} |`);
    console.log(`|---|${ns.map(() => '---').join('|')}|`);
    for (const m of methods) console.log(`| ${m} | ${ns.map((n) => pct(table.get(n)![m])).join(' | ')} |`);
    const pairwise = Object.fromEntries(AGGREGATORS.map((a) => [a, pairwiseAccuracy(problems, a)]));
    console.log(
      `within-problem pairwise: ${AGGREGATORS.map((a) => `${a} ${pct(pairwise[a].accuracy)} [${pct(pairwise[a].interval[0])}, ${pct(pairwise[a].interval[1])}]`).join('; ')} (${pairwise.min.pairs} pairs, ${pairwise.min.problems} problems)`,
    );
    // step level against the gold labels, as `steplab bon` reports it; the threshold here is chosen on this
    // same split (there is no second split in the file), so the best F1 is an optimistic bound
    const steps: ScoredSolution[] = [];
    l.problems.forEach((p, pi) =>
      p.rows.forEach((r, ri) => {
        if (r.labels.length && r.labels.every((g) => g === 0 || g === 1))
          steps.push({ gold: r.labels as (0 | 1)[], scores: problems[pi].candidates[ri].scores, finalCorrect: r.correct });
      }),
    );
    const best = chooseThreshold((t) => processBenchF1(steps, t).f1);
    const pb = { at05: processBenchF1(steps, 0.5), best: { threshold: best, ...processBenchF1(steps, best) } };
    console.log(
      `ProcessBench F1 on ${pb.at05.flawed} flawed / ${pb.at05.correct} correct candidates: ${pct(pb.at05.f1)} at 0.5; ${pct(pb.best.f1)} at ${best} (chosen on this split)`,
    );
    const greedyKnown = problems.every((p) => p.greedyCorrect !== null);
    const diffs: Record<string, unknown[]> = {};
    for (const m of methods.filter((x) => x.startsWith('prm_')) as BonMethod[]) {
      diffs[m] = (['majority', 'greedy', 'random'] as const).filter((b) => b !== 'greedy' || greedyKnown).map((b) => pairedDifference(problems, l.n, m, b));
      console.log(
        `N=${l.n} ${m}: ${(diffs[m] as ReturnType<typeof pairedDifference>[]).map((d) => `− ${d.b} ${signed(d.diff)} [${signed(d.interval[0])}, ${signed(d.interval[1])}]`).join('; ')}`,
      );
    }
    if (o.json) writeFileSync(o.json, JSON.stringify({ split: l.split, n: l.n, problems: l.problems.length, candidates: total, byN: Object.fromEntries(table), pairwise, processBench: pb, differences: diffs }, null, 1) + '\n');
  });
program.parse();
