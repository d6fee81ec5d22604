// The `generate` job: k sampled solutions per problem of a dataset, verified against the gold answer,
// stored with their steps (and gold step labels on the demo domain), resumable problem by problem.
import { z } from 'zod';
import type { Problem } from '../../../src-shared/domain';
import { verifyProblem } from '../data/verify';
import { addJudgeCounts, emptyJudgeCounts, JudgedVerifier, judgeStats, subJudgeCounts, type JudgeCounts, type JudgedVerdict, type JudgeStats } from '../data/verify/judge';
import { demoCheckable, labelSolution } from '../demo/check';
import { UserError } from '../errors';
import type { JobHandler } from '../jobs/types';
import { mixSeed } from '../rng';
import type { NewSolution } from '../store/solutions';
import { openBackend, problemImageData, type CompletionRequest } from './backend';
import { splitSteps } from './prompt';

export { GenerateJobConfig as GenerateConfig } from '../../../src-shared/jobConfigs';
import { GenerateJobConfig as GenerateConfig } from '../../../src-shared/jobConfigs';
import { modelLabel } from '../../../src-shared/modelLabel';

export interface GenerateResult {
  problems: number;
  samples: number;
  correct: number;
  solvedProblems: number;
  accuracy: number;
  pass_at_k: number;
  /** all steps right by the gold labels (demo domain only; null elsewhere) */
  strict_accuracy: number | null;
  tokens: number;
  tokens_per_s: number;
  provider: string;
  model: string;
  /** the LLM judge's counts over the job, when one was configured */
  judge?: JudgeStats;
}

interface Checkpoint {
  problemsDone: number;
  samples: number;
  correct: number;
  solved: number;
  strictKnown: number;
  strict: number;
  tokens: number;
  decodeMs: number;
  /** the judge's counts over the committed problems (only with a judge) */
  judge?: JudgeCounts;
}


export const generateJob: JobHandler<GenerateConfig, GenerateResult> = {
  kind: 'generate',
  configSchema: GenerateConfig,
  async run(ctx) {
    const { store, config } = ctx;
    const modelRec = store.models.withRole(config.model, 'policy');
    const datasetId = store.datasets.requireId(config.dataset);
    const total = Math.min(store.problems.listInDataset(datasetId, { split: config.split, limit: 1 }).total, config.limit ?? Infinity);
    if (total === 0) throw new UserError(`dataset "${config.dataset}"${config.split ? ` split "${config.split}"` : ''} has no problems`);
    // the judge is checked before the policy is opened: a bad judge stops the job before any work
    const judge = config.judge ? JudgedVerifier.open(store, config.judge, ctx.signal) : null;
    const backend = await openBackend(modelRec);
    try {
      const manifest = backend.manifest;
      const params = manifest.parameters;
      const sampling = {
        temperature: config.temperature ?? params.temperature,
        topK: config.topK ?? params.topK,
        topP: config.topP ?? params.topP,
        maxNewTokens: config.maxNewTokens ?? params.maxNewTokens,
        stopAtStep: false,
      };
      const cp: Checkpoint = (ctx.checkpoint as Checkpoint | null) ?? { problemsDone: 0, samples: 0, correct: 0, solved: 0, strictKnown: 0, strict: 0, tokens: 0, decodeMs: 0 };
      const problems = [...store.problems.iterateDataset(datasetId, { split: config.split, limit: total })];
      for (let start = cp.problemsDone; start < problems.length; start += config.problemsPerBatch) {
        ctx.throwIfCancelled();
        const batch = problems.slice(start, start + config.problemsPerBatch);
        // sample k of problem p draws from mixSeed(seed, p, k) = mixSeedFrom(mixSeed(seed, p), k)
        const requests: CompletionRequest[] = batch.map((p) => ({ question: p.question, continuation: '', image: problemImageData(store, p, backend), n: config.n, seed: mixSeed(config.seed, p.id) }));
        const t0 = performance.now();
        const results = await backend.complete(requests, { ...sampling, signal: ctx.signal });
        const ms = performance.now() - t0;
        // with a judge: the rules, then the judge where its mode says (the batch's requests in flight together)
        const judgedBefore = judge?.snapshot();
        const judged: JudgedVerdict[][] | null = judge ? await Promise.all(batch.map((p, i) => Promise.all(results[i].map((r) => judge.verify(p, r.text))))) : null;
        const rows: NewSolution[] = [];
        let batchTokens = 0;
        batch.forEach((p, i) => {
          let anyCorrect = false;
          const check = demoCheckable(p);
          results[i].forEach((r, j) => {
            batchTokens += r.tokens;
            const steps = splitSteps(r.text, manifest.stepDelimiter);
            const v = judged ? judged[i][j] : verifyProblem(p, r.text);
            const gold = check ? labelSolution(check, steps) : null;
            if (v.verdict === 'correct') {
              cp.correct++;
              anyCorrect = true;
            }
            if (gold) {
              cp.strictKnown++;
              if (gold.firstError === null && v.verdict === 'correct') cp.strict++;
            }
            rows.push({
              problemId: p.id,
              modelId: modelRec.id,
              origin: 'generate',
              finalAnswer: v.extracted,
              verdict: v.verdict,
              settings: { ...sampling, seed: config.seed, finish: r.finish, jobId: ctx.job.id, ...(judged ? { verifiedBy: judged[i][j].by, ...(judged[i][j].judge ? { judge: judged[i][j].judge } : {}) } : {}) },
              provider: backend.provider,
              jobId: ctx.job.id,
              steps: steps.map((text, s) => ({ text, goldLabel: gold ? gold.labels[s] ?? null : null })),
            });
          });
          cp.samples += results[i].length;
          if (anyCorrect) cp.solved++;
        });
        cp.problemsDone = Math.min(start + batch.length, problems.length);
        cp.tokens += batchTokens;
        cp.decodeMs += ms;
        if (judge) cp.judge = addJudgeCounts(cp.judge ?? emptyJudgeCounts(), subJudgeCounts(judge.counts, judgedBefore!));
        ctx.commit(() => store.solutions.insertMany(rows), { done: cp.problemsDone, total: problems.length, message: `${cp.correct}/${cp.samples} correct` }, cp);
      }
      return {
        problems: problems.length,
        samples: cp.samples,
        correct: cp.correct,
        solvedProblems: cp.solved,
        accuracy: cp.samples ? cp.correct / cp.samples : 0,
        pass_at_k: problems.length ? cp.solved / problems.length : 0,
        strict_accuracy: cp.strictKnown ? cp.strict / cp.strictKnown : null,
        tokens: cp.tokens,
        tokens_per_s: cp.decodeMs > 0 ? cp.tokens / (cp.decodeMs / 1000) : 0,
        provider: backend.provider,
        model: modelLabel(modelRec),
        ...(judge ? { judge: judgeStats(cp.judge ?? emptyJudgeCounts(), judge.judge.name, judge.mode) } : {}),
      };
    } finally {
      await backend.release();
    }
  },
};
