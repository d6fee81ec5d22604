// The `search` job: OmegaPRM or Math-Shepherd MC over the problems of a dataset with a registered policy.
// Each problem's tree, its event log, its search record and its annotations are written in one
// transaction together with the checkpoint, so a killed job resumes at the next problem with no lost and
// no duplicated nodes.
import { z } from 'zod';
import { addJudgeCounts, emptyJudgeCounts, JudgedVerifier, judgeStats, subJudgeCounts, type JudgeCounts, type JudgeStats } from '../../data/verify/judge';
import { UserError } from '../../errors';
import { openBackend, problemImageData } from '../../inference/backend';
import type { JobHandler } from '../types';
import type { Store } from '../../store';
import { batchRef, nodeStats, type NewNode } from '../../store/trees';
import { extractAnnotations, labelledSteps } from '../../search/annotations';
import { enginePort } from './searchPort';
import { runMathShepherd } from '../../search/mathShepherd';
import { runOmega } from '../../search/omega';
import { selectShard } from '../../search/shard';
import type { SearchEvent, SearchNode, SearchResult } from '../../search/types';

export { SearchJobConfig } from '../../../../src-shared/jobConfigs';
import { SearchJobConfig } from '../../../../src-shared/jobConfigs';
import { modelLabel } from '../../../../src-shared/modelLabel';

export interface SearchJobResult {
  annotationSet: string;
  searchIds: number[];
  problems: number;
  skipped: number;
  nodes: number;
  labelledSteps: number;
  annotations: number;
  policyTokens: number;
  policyCalls: number;
  rollouts: number;
  tokensPerLabelledStep: number | null;
  inferenceMs: number;
  totalMs: number;
  /** the LLM judge's counts over the job, when one was configured */
  judge?: JudgeStats;
}

interface Checkpoint {
  problemsDone: number;
  searchIds: number[];
  skipped: number;
  nodes: number;
  labelled: number;
  annotations: number;
  tokens: number;
  calls: number;
  rollouts: number;
  inferenceMs: number;
  totalMs: number;
  /** the judge's counts over the committed problems (only with a judge) */
  judge?: JudgeCounts;
}

const SAMPLING_KEYS = ['temperature', 'topK', 'topP', 'maxNewTokens'] as const;

/** A --config file holds the algorithm's settings and, optionally, the sampling settings: split them. */
export function splitSearchConfig(raw: Record<string, unknown>): { sampling: Partial<Record<(typeof SAMPLING_KEYS)[number], unknown>>; algorithm: Record<string, unknown> } {
  const sampling: Partial<Record<(typeof SAMPLING_KEYS)[number], unknown>> = {};
  const algorithm: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if ((SAMPLING_KEYS as readonly string[]).includes(k)) sampling[k as (typeof SAMPLING_KEYS)[number]] = v;
    else algorithm[k] = v;
  }
  return { sampling, algorithm };
}

/** Nodes in an order where every parent comes before its children. */
export function parentFirst(nodes: SearchNode[]): SearchNode[] {
  const children = new Map<number | null, SearchNode[]>();
  for (const n of nodes) {
    const list = children.get(n.parentId) ?? [];
    list.push(n);
    children.set(n.parentId, list);
  }
  const out: SearchNode[] = [];
  const queue = [...(children.get(null) ?? [])];
  while (queue.length) {
    const n = queue.shift()!;
    out.push(n);
    queue.push(...(children.get(n.id) ?? []).sort((a, b) => a.id - b.id));
  }
  if (out.length !== nodes.length) throw new Error(`search tree is not connected: ${nodes.length - out.length} nodes unreachable from the root`);
  return out;
}

/** Writes one problem's search: record, nodes, events, annotations. Returns ids and counts. */
export function storeSearch(
  store: Store,
  s: {
    problemId: number;
    modelId: number | null;
    algorithm: string;
    config: unknown;
    seed: number;
    jobId: number | null;
    result: SearchResult;
    delimiter: string;
    setName: string;
    annotationMode: 'mmprm' | 'all-paths';
    k: number;
    model: string;
    /** the search's wall time and the part of it spent in the policy, stored with its stats */
    timing?: { totalMs: number; inferenceMs: number };
    /** where the policy ran (execution provider or endpoint), stored with its stats */
    provider?: string;
    /** the LLM judge's counts for this search, stored with its stats */
    judge?: JudgeStats;
  },
): { searchId: number; annotations: number; labelled: number } {
  const searchId = store.trees.createSearch({ problemId: s.problemId, modelId: s.modelId, algorithm: s.algorithm, config: s.config, seed: s.seed, jobId: s.jobId });
  const ordered = parentFirst(s.result.nodes);
  const index = new Map(ordered.map((n, i) => [n.id, i]));
  const rows: NewNode[] = ordered.map((n) => ({
    parent: n.parentId === null ? null : batchRef(index.get(n.parentId)!),
    depth: n.depth,
    stepText: n.steps.join(s.delimiter),
    ...nodeStats(n),
    meta: { searchNode: n.id, steps: n.steps, terminal: n.terminal },
  }));
  const ids = store.trees.insertNodes(searchId, rows);
  const dbId = new Map(ordered.map((n, i) => [n.id, ids[i]]));
  const mapEvent = (e: SearchEvent): SearchEvent => {
    const m = { ...e } as SearchEvent & { node: number; from?: number; parent?: number };
    m.node = dbId.get(e.node) ?? e.node;
    if ('from' in e) m.from = dbId.get(e.from) ?? e.from;
    if ('parent' in e) m.parent = dbId.get(e.parent) ?? e.parent;
    return m;
  };
  store.trees.appendEvents(searchId, s.result.events.map((e) => ({ kind: e.kind, data: mapEvent(e) })));
  const anns = extractAnnotations(s.result.nodes, { mode: s.annotationMode });
  store.annotations.insertMany(
    anns.map((a) => ({
      problemId: s.problemId,
      searchId,
      setName: s.setName,
      provenance: { search: searchId, algorithm: s.algorithm, model: s.model, config: s.config, nodes: a.nodeIds.map((n) => dbId.get(n)), firstError: a.firstError },
      steps: a.steps.map((text, i) => ({ text, softLabel: a.labels[i] })),
    })),
  );
  const labelled = labelledSteps(s.result.nodes, s.k);
  const timing = s.timing ? { wallMs: Math.round(s.timing.totalMs), inferenceMs: Math.round(s.timing.inferenceMs) } : {};
  store.trees.finishSearch(searchId, s.result.stats.stop, { ...s.result.stats, labelledSteps: labelled, annotations: anns.length, ...timing, ...(s.provider ? { provider: s.provider } : {}), ...(s.judge ? { judge: s.judge } : {}) });
  return { searchId, annotations: anns.length, labelled };
}

export const searchJob: JobHandler<SearchJobConfig, SearchJobResult> = {
  kind: 'search',
  configSchema: SearchJobConfig,

  async run(ctx) {
    const { store, config } = ctx;
    const algoConfig = config.config;
    const k = config.algo === 'omega' ? config.config.rolloutsPerState : config.config.k;
    const modelRec = store.models.withRole(config.model, 'policy');
    const datasetId = store.datasets.requireId(config.dataset);
    const listed = [...store.problems.iterateDataset(datasetId, { split: config.split, limit: config.limit })];
    if (listed.length === 0) throw new UserError(`dataset "${config.dataset}"${config.split ? ` split "${config.split}"` : ''} has no problems`);
    // --shard i/n: a stable 1/n of the listed problems by content, after the split and the limit (src-main/core/search/shard.ts)
    const problems = selectShard(listed, config.shard);
    const noGold = problems.find((p) => p.answer.trim() === '');
    if (noGold) throw new UserError(`problem "${noGold.extId}" has no gold answer; a search needs one to verify rollouts`);
    const setName = config.annotationSet ?? `${config.algo}-${ctx.job.id}`;
    // the judge is checked before the policy is opened: a bad --judge stops the job before any work
    const judge = config.judge ? JudgedVerifier.open(store, config.judge, ctx.signal) : null;
    const backend = await openBackend(modelRec);
    try {
      const sampling = { temperature: config.temperature, topK: config.topK, topP: config.topP, maxNewTokens: config.maxNewTokens ?? backend.manifest.parameters.maxNewTokens };
      let cp: Checkpoint = (ctx.checkpoint as Checkpoint | null) ?? { problemsDone: 0, searchIds: [], skipped: 0, nodes: 0, labelled: 0, annotations: 0, tokens: 0, calls: 0, rollouts: 0, inferenceMs: 0, totalMs: 0 };
      for (let i = cp.problemsDone; i < problems.length; i++) {
        ctx.throwIfCancelled();
        const p = problems[i];
        const t0 = performance.now();
        let inferenceMs = 0;
        const image = problemImageData(store, p, backend);
        const judgedBefore = judge?.snapshot();
        const port = enginePort({ backend, problem: p, image, seed: config.seed, sampling, signal: ctx.signal, ...(judge ? { verifier: judge } : {}) });
        const timed = { ...port, rollout: async (...a: Parameters<typeof port.rollout>) => {
          const s = performance.now();
          try {
            return await port.rollout(...a);
          } finally {
            inferenceMs += performance.now() - s;
          }
        } };
        const result = config.algo === 'omega' ? await runOmega(config.config, timed, {}) : await runMathShepherd(config.config, timed, {});
        const totalMs = performance.now() - t0;
        const judged = judge ? subJudgeCounts(judge.counts, judgedBefore!) : null;
        // the checkpoint object is serialised after fn has run, inside the same transaction
        const next: Checkpoint = {
          ...cp,
          problemsDone: i + 1,
          nodes: cp.nodes + result.nodes.length,
          tokens: cp.tokens + result.stats.tokens,
          calls: cp.calls + result.stats.policyCalls,
          rollouts: cp.rollouts + result.stats.rollouts,
          skipped: cp.skipped + (result.stats.stop === 'filtered' ? 1 : 0),
          inferenceMs: cp.inferenceMs + inferenceMs,
          totalMs: cp.totalMs + totalMs,
          ...(judged ? { judge: addJudgeCounts(cp.judge ?? emptyJudgeCounts(), judged) } : {}),
        };
        ctx.commit(
          () => {
            const r = storeSearch(store, { problemId: p.id, modelId: modelRec.id, algorithm: config.algo === 'omega' ? 'omegaprm' : 'math-shepherd', config: { ...algoConfig, ...sampling }, seed: config.seed, jobId: ctx.job.id, result, delimiter: backend.manifest.stepDelimiter, setName, annotationMode: config.annotationMode, k, model: modelLabel(modelRec), timing: { totalMs, inferenceMs }, provider: backend.provider, ...(judged ? { judge: judgeStats(judged, judge!.judge.name, judge!.mode) } : {}) });
            next.searchIds = [...cp.searchIds, r.searchId];
            next.annotations = cp.annotations + r.annotations;
            next.labelled = cp.labelled + r.labelled;
          },
          { done: i + 1, total: problems.length, message: `${next.nodes} nodes, ${next.tokens} policy tokens` },
          next,
        );
        cp = next;
      }
      return {
        annotationSet: setName,
        searchIds: cp.searchIds,
        problems: problems.length,
        skipped: cp.skipped,
        nodes: cp.nodes,
        labelledSteps: cp.labelled,
        annotations: cp.annotations,
        policyTokens: cp.tokens,
        policyCalls: cp.calls,
        rollouts: cp.rollouts,
        tokensPerLabelledStep: cp.labelled ? cp.tokens / cp.labelled : null,
        inferenceMs: cp.inferenceMs,
        totalMs: cp.totalMs,
        ...(judge ? { judge: judgeStats(cp.judge ?? emptyJudgeCounts(), judge.judge.name, judge.mode) } : {}),
      };
    } finally {
      await backend.release();
    }
  },
};
