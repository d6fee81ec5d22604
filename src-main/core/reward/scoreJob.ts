// The `score` job: a PRM scores the stored solutions of a dataset (every step) or the nodes of search
// trees (each node's last step given its path), and the scores are stored per PRM. Resumable: scored
// work is committed batch by batch with the checkpoint, and a rerun skips what this PRM already scored.
import { z } from 'zod';
import type { Problem } from '../../../src-shared/domain';
import { checkStep } from '../demo/check';
import { UserError } from '../errors';
import { demoCheckable } from '../demo/check';
import { loadModel } from '../inference/model';
import type { JobHandler } from '../jobs/types';
import type { Store } from '../store';
import { nodePrefixes } from '../store/trees';
import type { TreeNode } from '../../../src-shared/domain';
import { processBenchF1, stepF1, type ScoredSolution, type StepF1Result, type ProcessBenchResult } from './metrics';
import { RemotePrmScorer } from './remotePrm';
import { PrmScorer, type ScoreItem, type StepScorer } from './scorer';

export { ScoreJobConfig as ScoreConfig } from '../../../src-shared/jobConfigs';
import { ScoreJobConfig as ScoreConfig } from '../../../src-shared/jobConfigs';
import { modelLabel } from '../../../src-shared/modelLabel';

export interface ScoreResult {
  prm: string;
  solutions: number;
  nodes: number;
  steps: number;
  skipped: number;
  mean_score: number | null;
  tokens_per_s: number;
  /** demo domain: against the gold step labels (solutions) or the gold check of each node's step */
  gold: { processbench: ProcessBenchResult | null; steps: StepF1Result } | null;
  /** searches: against the MC hard labels (MC > 0) of the nodes */
  mc: StepF1Result | null;
  threshold: number;
}

interface Checkpoint {
  done: number;
  solutions: number;
  nodes: number;
  steps: number;
  skipped: number;
  scoreSum: number;
  tokens: number;
  ms: number;
}

/** Finds a registered PRM and opens its scorer (in process, or over its endpoint); a clear error for a model that is not one. */
export async function openPrm(store: Store, ref: string): Promise<{ scorer: StepScorer; modelId: number; label: string; release: () => Promise<void> }> {
  const rec = store.models.withRole(ref, 'prm');
  const label = modelLabel(rec);
  if (rec.endpoint) return { scorer: RemotePrmScorer.open(rec), modelId: rec.id, label, release: async () => {} };
  const model = await loadModel(rec.path);
  try {
    return { scorer: new PrmScorer(model), modelId: rec.id, label, release: () => model.release() };
  } catch (e) {
    await model.release();
    throw e;
  }
}

export const scoreJob: JobHandler<ScoreConfig, ScoreResult> = {
  kind: 'score',
  configSchema: ScoreConfig,
  async run(ctx) {
    const { store, config } = ctx;
    const prm = await openPrm(store, config.prm);
    try {
      const cp: Checkpoint = (ctx.checkpoint as Checkpoint | null) ?? { done: 0, solutions: 0, nodes: 0, steps: 0, skipped: 0, scoreSum: 0, tokens: 0, ms: 0 };
      const gold: ScoredSolution[] = [];
      const goldSteps: [0 | 1, number][] = [];
      const mcSteps: [0 | 1, number][] = [];
      const image = (p: Problem): Promise<ScoreItem['image']> => prm.scorer.imageFor(store, p);

      if (config.dataset) {
        const datasetId = store.datasets.requireId(config.dataset);
        const problems = [...store.problems.iterateDataset(datasetId, { split: config.split, limit: config.limit })];
        if (problems.length === 0) throw new UserError(`dataset "${config.dataset}"${config.split ? ` split "${config.split}"` : ''} has no problems`);
        // work list: (problem, solution) pairs in dataset order
        const work = problems.flatMap((p) => store.solutions.forProblem(p.id).map((s) => ({ p, s })));
        if (work.length === 0) throw new UserError(`no stored solutions to score in dataset "${config.dataset}"${config.split ? ` split "${config.split}"` : ''}: generate some first`);
        for (let start = 0; start < work.length; start += config.batch) {
          ctx.throwIfCancelled();
          const batch = work.slice(start, start + config.batch);
          const have = config.rescore ? new Map<number, number[]>() : store.scores.stepScores(prm.modelId, batch.map((w) => w.s.id));
          const todo = batch.filter((w) => !have.has(w.s.id) && w.s.steps.length > 0);
          const items: ScoreItem[] = [];
          for (const w of todo) items.push({ question: w.p.question, steps: w.s.steps.map((x) => x.text), image: await image(w.p) });
          const t0 = performance.now();
          const tokens0 = prm.scorer.stats.tokens;
          const scores = await prm.scorer.score(items, ctx.signal);
          const ms = performance.now() - t0;
          for (const w of batch) {
            const sc = have.get(w.s.id) ?? scores[todo.indexOf(w)];
            if (!sc) continue;
            const labels = w.s.steps.map((x) => x.goldLabel);
            if (labels.length && labels.every((l) => l === 0 || l === 1)) {
              gold.push({ gold: labels as (0 | 1)[], scores: sc, finalCorrect: w.s.verdict === 'correct' });
            }
          }
          if (start + batch.length <= cp.done) continue; // committed by an earlier attempt; only its metrics were rebuilt
          cp.solutions += todo.length;
          cp.skipped += batch.length - todo.length;
          cp.steps += scores.reduce((a, s) => a + s.length, 0);
          cp.scoreSum += scores.reduce((a, s) => a + s.reduce((x, y) => x + y, 0), 0);
          cp.tokens += prm.scorer.stats.tokens - tokens0;
          cp.ms += ms;
          cp.done = start + batch.length;
          ctx.commit(
            () => store.scores.setStepScores(prm.modelId, todo.map((w, i) => ({ solutionId: w.s.id, scores: scores[i] }))),
            { done: cp.done, total: work.length, message: `${cp.solutions} solutions scored` },
            cp,
          );
        }
        goldSteps.push(...gold.flatMap((g) => g.scores.map((s, i) => [g.gold[i], s] as [0 | 1, number])));
      } else {
        const ids = config.searches!;
        for (const id of ids) store.trees.getSearch(id); // a clear error for an unknown id before any work
        for (let start = 0; start < ids.length; start += config.batch) {
          ctx.throwIfCancelled();
          const batch = ids.slice(start, start + config.batch);
          const rows: [number, number][] = [];
          const t0 = performance.now();
          const tokens0 = prm.scorer.stats.tokens;
          for (const searchId of batch) {
            const search = store.trees.getSearch(searchId);
            const problem = store.problems.get(search.problemId);
            const nodes = store.trees.nodes(searchId);
            const delimiter = prm.scorer.manifest.stepDelimiter;
            const prefixes = nodePrefixes(nodes, delimiter);
            const byId = new Map(nodes.map((n) => [n.id, n]));
            const have = config.rescore ? new Map<number, number>() : store.scores.nodeScores(prm.modelId, searchId);
            // one scoring pass per leaf path gives every node on it (the PRM is causal)
            const childCount = new Map<number, number>();
            for (const n of nodes) if (n.parentId !== null) childCount.set(n.parentId, (childCount.get(n.parentId) ?? 0) + 1);
            const leaves = nodes.filter((n) => !childCount.has(n.id) && (prefixes.get(n.id)?.length ?? 0) > 0);
            const scored = new Map<number, number>(have);
            const needLeaves = leaves.filter((l) => {
              for (let n: TreeNode | undefined = l; n; n = n.parentId === null ? undefined : byId.get(n.parentId)) {
                if (!scored.has(n.id) && (prefixes.get(n.id)?.length ?? 0) > 0) return true;
              }
              return false;
            });
            const img = await image(problem);
            const scores = await prm.scorer.score(needLeaves.map((l) => ({ question: problem.question, steps: prefixes.get(l.id)!, image: img })), ctx.signal);
            const byPrefix = new Map<string, number>();
            needLeaves.forEach((l, i) => {
              const steps = prefixes.get(l.id)!;
              scores[i].forEach((s, j) => byPrefix.set(JSON.stringify(steps.slice(0, j + 1)), s));
            });
            const check = demoCheckable(problem);
            for (const n of nodes) {
              const steps = prefixes.get(n.id)!;
              if (steps.length === 0) continue;
              let s = scored.get(n.id);
              if (s === undefined) {
                s = byPrefix.get(JSON.stringify(steps));
                if (s === undefined) continue; // cut off by the context
                rows.push([n.id, s]);
              }
              if (n.mc !== null) mcSteps.push([n.mc > 0 ? 1 : 0, s]);
              if (check) goldSteps.push([checkStep(check, steps.slice(0, -1), steps[steps.length - 1]).ok ? 1 : 0, s]);
            }
          }
          if (start + batch.length <= cp.done) continue;
          cp.nodes += rows.length;
          cp.steps += rows.length;
          cp.scoreSum += rows.reduce((a, r) => a + r[1], 0);
          cp.tokens += prm.scorer.stats.tokens - tokens0;
          cp.ms += performance.now() - t0;
          cp.done = start + batch.length;
          ctx.commit(() => store.scores.setNodeScores(prm.modelId, rows), { done: cp.done, total: ids.length, message: `${cp.nodes} nodes scored` }, cp);
        }
      }
      return {
        prm: prm.label,
        solutions: cp.solutions,
        nodes: cp.nodes,
        steps: cp.steps,
        skipped: cp.skipped,
        mean_score: cp.steps ? cp.scoreSum / cp.steps : null,
        tokens_per_s: cp.ms > 0 ? cp.tokens / (cp.ms / 1000) : 0,
        gold: goldSteps.length ? { processbench: gold.length ? processBenchF1(gold, config.threshold) : null, steps: stepF1(goldSteps, config.threshold) } : null,
        mc: mcSteps.length ? stepF1(mcSteps, config.threshold) : null,
        threshold: config.threshold,
      };
    } finally {
      await prm.release();
    }
  },
};
