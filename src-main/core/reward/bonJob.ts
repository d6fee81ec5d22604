// The `bon` job: Best-of-N evaluation of a PRM on a split. Samples N candidates per problem with the
// policy (reusing candidates an earlier run made with the same policy and settings), one greedy solution
// per problem, scores every candidate with the PRM, and reports the accuracy of a random pick, greedy,
// majority vote, each PRM aggregation, the PRM-weighted vote and pass@N, for N = 1, 2, 4, ... up to N.
// With `selectOn`, the same is done on a second split first, and the PRM method and the step threshold
// are chosen there, never on the split reported. Every generated or scored batch is committed with the
// job's progress, so a killed run resumes where it stopped.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Problem } from '../../../src-shared/domain';
import { verifyProblem } from '../data/verify';
import { labelSolution } from '../demo/check';
import { UserError } from '../errors';
import { openBackend, problemImageData, type CompletionRequest, type ModelBackend } from '../inference/backend';
import { demoCheckable } from '../demo/check';
import { splitSteps } from '../inference/prompt';
import type { JobContext, JobHandler } from '../jobs/types';
import { mixSeed } from '../rng';
import type { Store } from '../store';
import type { NewSolution, Solution } from '../store/solutions';
import { AGGREGATORS, aggregate, answerKey, type Aggregator } from './aggregate';
import {
  BON_METHODS,
  DEFAULT_NS,
  bonTable,
  chooseMethod,
  chooseThreshold,
  pairedDifference,
  pairwiseAccuracy,
  processBenchF1,
  stepF1,
  stepPairs,
  type BonMethod,
  type BonRow,
  type ProblemCandidates,
  type ProcessBenchResult,
  type ScoredSolution,
  type StepF1Result,
  type PairwiseResult,
  type PairedDifference,
} from './metrics';
import { openPrm } from './scoreJob';

export { BonConfig } from '../../../src-shared/jobConfigs';
import { BonConfig } from '../../../src-shared/jobConfigs';
import { modelLabel } from '../../../src-shared/modelLabel';

export interface SplitReport {
  split: string;
  problems: number;
  candidates: number;
  /** accuracy of each method by N, as fractions */
  byN: Record<string, BonRow>;
  /** demo domain: ProcessBench F1 and step macro F1 against the gold step labels, at the threshold */
  steps: { threshold: number; processbench: ProcessBenchResult; stepF1: StepF1Result; at05: { processbench: ProcessBenchResult; stepF1: StepF1Result } } | null;
  /** within-problem pairwise accuracy of the candidates' min step score (correct above incorrect), with a bootstrap interval */
  pairwise?: PairwiseResult;
  /** the chosen PRM method against majority vote, greedy and random pick at N, with paired bootstrap intervals */
  differences?: PairedDifference[];
}

export interface BonResult {
  evaluation: number;
  n: number;
  problems: number;
  /** the reported split's accuracy at N */
  accuracy: BonRow;
  /** the PRM method chosen (on selectOn, or on the split itself when none was given) */
  chosen: BonMethod;
  chosen_on: string;
  threshold: number;
  splits: Record<string, SplitReport>;
  policy: string;
  prm: string;
  generated: number;
  reused: number;
  scored: number;
}

interface Sampling {
  temperature: number;
  topK: number;
  topP: number;
  maxNewTokens: number;
}

/** The key that names one set of candidates: policy, settings, seed. Candidates with the same key are reused. */
function candidateKey(policyId: number, s: Sampling, seed: number, greedy: boolean): string {
  const spec = greedy ? { policyId, greedy: true, maxNewTokens: s.maxNewTokens } : { policyId, ...s, seed };
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
}

interface Bon {
  key: string;
  k: number;
}
const bonOf = (s: Solution): Bon | null => {
  const b = (s.settings as { bon?: Bon }).bon;
  return b && typeof b.key === 'string' && typeof b.k === 'number' ? b : null;
};

/** A problem's stored candidates (by index k) and its greedy solution, read in one pass over its solutions. */
function candidatesOf(store: Store, problemId: number, keys: { sample: string; greedy: string }): { samples: Map<number, Solution>; greedy: Solution | undefined } {
  const samples = new Map<number, Solution>();
  let greedy: Solution | undefined;
  for (const s of store.solutions.forProblem(problemId)) {
    const b = bonOf(s);
    if (b?.key === keys.sample && !samples.has(b.k)) samples.set(b.k, s);
    else if (b?.key === keys.greedy && b.k === 0 && !greedy) greedy = s;
  }
  return { samples, greedy };
}

/** A split's candidates as Best-of-N reads them, with the PRM's step scores. */
export interface ScoredProblems {
  problems: ProblemCandidates[];
  /** the candidates whose every step has a gold label (demo domain), for the step-level metrics */
  steps: ScoredSolution[];
  /** one row per candidate as the evaluation stores it: its verdict and every aggregation of its step scores */
  items: { problemId: number; solutionId: number; scores: Record<string, number> }[];
}

/**
 * The stored candidates k < n of each problem (in k order) and its greedy solution, under the candidate
 * keys, with the step scores the PRM `prmId` gave them: what the `bon` job's metrics and
 * `evaluations.compare` read.
 */
export function scoredProblems(store: Store, problems: readonly Pick<Problem, 'id'>[], keys: { sample: string; greedy: string }, n: number, prmId: number): ScoredProblems {
  const out: ScoredProblems = { problems: [], steps: [], items: [] };
  for (const p of problems) {
    const stored = candidatesOf(store, p.id, keys);
    const cands = [...stored.samples.entries()].filter(([k]) => k < n).sort((a, b) => a[0] - b[0]).map(([, s]) => s);
    const sc = store.scores.stepScores(prmId, cands.map((s) => s.id));
    const greedy = stored.greedy;
    out.problems.push({
      problemId: p.id,
      greedyCorrect: greedy ? greedy.verdict === 'correct' : null,
      candidates: cands.map((s) => ({ correct: s.verdict === 'correct', answer: answerKey(s.finalAnswer), scores: sc.get(s.id) ?? [] })),
    });
    for (const s of cands) {
      const scores = sc.get(s.id) ?? [];
      const gold = s.steps.map((x) => x.goldLabel);
      if (gold.length && gold.every((g) => g === 0 || g === 1)) out.steps.push({ gold: gold as (0 | 1)[], scores, finalCorrect: s.verdict === 'correct' });
      out.items.push({ problemId: p.id, solutionId: s.id, scores: { correct: s.verdict === 'correct' ? 1 : 0, ...Object.fromEntries(AGGREGATORS.map((a) => [a, finiteOr(aggregate(scores, a))])) } });
    }
  }
  return out;
}

/** The candidate keys a stored Best-of-N evaluation read (its policy, sampling settings and seed). */
export function evaluationKeys(ev: { policyId: number | null; config: Record<string, unknown> }): { sample: string; greedy: string } | null {
  const c = ev.config as { sampling?: Sampling; seed?: number };
  if (ev.policyId === null || !c.sampling || typeof c.seed !== 'number') return null;
  return { sample: candidateKey(ev.policyId, c.sampling, c.seed, false), greedy: candidateKey(ev.policyId, c.sampling, c.seed, true) };
}

export const bonJob: JobHandler<BonConfig, BonResult> = {
  kind: 'bon',
  configSchema: BonConfig,
  async run(ctx) {
    const { store, config } = ctx;
    const policyRec = store.models.withRole(config.policy, 'policy');
    const prmRec = store.models.withRole(config.prm, 'prm');
    const datasetId = store.datasets.requireId(config.dataset);
    const splits = config.selectOn ? [config.selectOn, config.split] : [config.split];
    const problemsOf = new Map<string, Problem[]>();
    for (const sp of splits) {
      const ps = [...store.problems.iterateDataset(datasetId, { split: sp, limit: config.limit })];
      if (ps.length === 0) throw new UserError(`dataset "${config.dataset}" has no problems in split "${sp}"`);
      problemsOf.set(sp, ps);
    }
    const all = splits.flatMap((sp) => problemsOf.get(sp)!);
    const counts = { generated: 0, reused: 0, scored: 0 };

    // 1. candidates
    const policy = await openBackend(policyRec);
    let sampling: Sampling;
    let keys: { sample: string; greedy: string };
    try {
      const p = policy.manifest.parameters;
      sampling = { temperature: config.temperature ?? p.temperature, topK: config.topK ?? p.topK, topP: config.topP ?? p.topP, maxNewTokens: config.maxNewTokens ?? p.maxNewTokens };
      if (sampling.temperature <= 0) throw new UserError('Best-of-N needs sampled candidates: temperature must be above 0');
      keys = { sample: candidateKey(policyRec.id, sampling, config.seed, false), greedy: candidateKey(policyRec.id, sampling, config.seed, true) };
      await generateCandidates(ctx, policy, policyRec.id, all, sampling, keys, counts);
    } finally {
      await policy.release();
    }

    // 2. scores
    const prm = await openPrm(store, config.prm);
    try {
      for (let start = 0; start < all.length; start += config.problemsPerBatch * 4) {
        ctx.throwIfCancelled();
        const batch = all.slice(start, start + config.problemsPerBatch * 4);
        const sols = batch.flatMap((p) => [...candidatesOf(store, p.id, keys).samples.values()].filter((s) => bonOf(s)!.k < config.n).map((s) => ({ p, s })));
        const have = store.scores.stepScores(prm.modelId, sols.map((x) => x.s.id));
        const todo = sols.filter((x) => !have.has(x.s.id) && x.s.steps.length > 0);
        if (todo.length === 0) continue;
        const items = [];
        for (const x of todo) items.push({ question: x.p.question, steps: x.s.steps.map((st) => st.text), image: await prm.scorer.imageFor(store, x.p) });
        const scores = await prm.scorer.score(items, ctx.signal);
        counts.scored += todo.length;
        ctx.commit(
          () => store.scores.setStepScores(prm.modelId, todo.map((x, i) => ({ solutionId: x.s.id, scores: scores[i] }))),
          { done: Math.min(start + batch.length, all.length), total: all.length, message: `scoring: ${counts.scored} candidates` },
          { phase: 'score' },
        );
      }
    } finally {
      await prm.release();
    }

    // 3. metrics
    const ns = DEFAULT_NS.filter((x) => x < config.n).concat(config.n);
    const reports: Record<string, SplitReport> = {};
    const scored: Record<string, ScoredProblems> = {};
    for (const sp of splits) scored[sp] = scoredProblems(store, problemsOf.get(sp)!, keys, config.n, prmRec.id);
    const selectSplit = config.selectOn ?? config.split;
    const selectTable = bonTable(scored[selectSplit].problems, ns, { voteWeight: config.voteWeight as Aggregator });
    const chosen = chooseMethod(selectTable.get(config.n)!);
    const selSteps = scored[selectSplit].steps;
    const threshold = selSteps.length ? chooseThreshold((t) => processBenchF1(selSteps, t).f1) : 0.5;
    for (const sp of splits) {
      const table = sp === selectSplit ? selectTable : bonTable(scored[sp].problems, ns, { voteWeight: config.voteWeight as Aggregator });
      const st = scored[sp].steps;
      reports[sp] = {
        split: sp,
        problems: scored[sp].problems.length,
        candidates: scored[sp].items.length,
        byN: Object.fromEntries([...table.entries()].map(([n, row]) => [String(n), row])),
        pairwise: pairwiseAccuracy(scored[sp].problems, 'min'),
        differences: (['majority', 'greedy', 'random'] as const)
          .filter((b) => b !== 'greedy' || scored[sp].problems.every((p) => p.greedyCorrect !== null))
          .map((b) => pairedDifference(scored[sp].problems, config.n, chosen, b, { voteWeight: config.voteWeight as Aggregator })),
        steps: st.length
          ? {
              threshold,
              processbench: processBenchF1(st, threshold),
              stepF1: stepF1(stepPairs(st), threshold),
              at05: { processbench: processBenchF1(st, 0.5), stepF1: stepF1(stepPairs(st), 0.5) },
            }
          : null,
      };
    }
    const main = reports[config.split];
    const accuracy = main.byN[String(config.n)];
    const result: Omit<BonResult, 'evaluation'> = {
      n: config.n,
      problems: main.problems,
      accuracy,
      chosen,
      chosen_on: selectSplit,
      threshold,
      splits: reports,
      policy: modelLabel(policyRec),
      prm: modelLabel(prmRec),
      ...counts,
    };
    const evaluation = store.transaction(() => {
      const id = store.evaluations.create({
        name: config.name ?? `bon@${config.n} ${config.dataset}/${config.split} ${result.prm}`,
        datasetId,
        policyId: policyRec.id,
        rewardId: prmRec.id,
        config: { ...config, sampling, methods: BON_METHODS },
        jobId: ctx.job.id,
      });
      store.evaluations.addItems(id, scored[config.split].items);
      store.evaluations.setMetrics(id, result as unknown as Record<string, unknown>);
      return id;
    });
    return { evaluation, ...result };
  },
};

const finiteOr = (v: number): number => (Number.isFinite(v) ? v : -1e300);

/** Makes the missing candidates (k < n) and greedy solutions of the problems, committed batch by batch. */
async function generateCandidates(
  ctx: JobContext<BonConfig>,
  backend: ModelBackend,
  policyId: number,
  problems: readonly Problem[],
  sampling: Sampling,
  keys: { sample: string; greedy: string },
  counts: { generated: number; reused: number },
): Promise<void> {
  const { store, config } = ctx;
  const manifest = backend.manifest;
  for (let start = 0; start < problems.length; start += config.problemsPerBatch) {
    ctx.throwIfCancelled();
    const batch = problems.slice(start, start + config.problemsPerBatch);
    const sampleReqs: CompletionRequest[] = [];
    const greedyReqs: CompletionRequest[] = [];
    const plan: { p: Problem; runs: number[][]; greedy: boolean }[] = [];
    for (const p of batch) {
      const stored = candidatesOf(store, p.id, keys);
      const have = stored.samples;
      const ks = Array.from({ length: config.n }, (_, k) => k).filter((k) => !have.has(k));
      counts.reused += config.n - ks.length;
      const greedy = !stored.greedy;
      if (ks.length === 0 && !greedy) continue;
      const image = problemImageData(store, p, backend);
      // candidate k draws from mixSeed(seed, p, k); missing ones are asked for in runs of consecutive k
      const runs: number[][] = [];
      for (const k of ks) {
        const last = runs[runs.length - 1];
        if (last && last[last.length - 1] === k - 1) last.push(k);
        else runs.push([k]);
      }
      for (const run of runs) sampleReqs.push({ question: p.question, continuation: '', image, n: run.length, seed: mixSeed(config.seed, p.id), offset: run[0] });
      if (greedy) greedyReqs.push({ question: p.question, continuation: '', image, n: 1, seed: 0 });
      plan.push({ p, runs, greedy });
    }
    if (plan.length === 0) continue;
    const samples = sampleReqs.length ? await backend.complete(sampleReqs, { ...sampling, stopAtStep: false, signal: ctx.signal }) : [];
    const greedies = greedyReqs.length ? await backend.complete(greedyReqs, { ...sampling, temperature: 0, stopAtStep: false, signal: ctx.signal }) : [];
    const rows: NewSolution[] = [];
    let si = 0;
    let gi = 0;
    for (const { p, runs, greedy } of plan) {
      const check = demoCheckable(p);
      const make = (text: string, finish: string, bon: Bon, temperature: number): NewSolution => {
        const steps = splitSteps(text, manifest.stepDelimiter);
        const v = verifyProblem(p, text);
        const gold = check ? labelSolution(check, steps) : null;
        return {
          problemId: p.id,
          modelId: policyId,
          origin: 'generate',
          finalAnswer: v.extracted,
          verdict: v.verdict,
          settings: { ...sampling, temperature, seed: config.seed, finish, jobId: ctx.job.id, bon },
          provider: backend.provider,
          jobId: ctx.job.id,
          steps: steps.map((t, i) => ({ text: t, goldLabel: gold ? gold.labels[i] ?? null : null })),
        };
      };
      for (const run of runs) samples[si++].forEach((r, j) => rows.push(make(r.text, r.finish, { key: keys.sample, k: run[j] }, sampling.temperature)));
      if (greedy) {
        const r = greedies[gi++][0];
        rows.push(make(r.text, r.finish, { key: keys.greedy, k: 0 }, 0));
      }
    }
    counts.generated += rows.length;
    ctx.commit(
      () => store.solutions.insertMany(rows),
      { done: Math.min(start + batch.length, problems.length), total: problems.length, message: `sampling: ${counts.generated} solutions made, ${counts.reused} reused` },
      { phase: 'generate' },
    );
  }
}
