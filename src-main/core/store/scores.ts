// PRM scores, kept per scoring model: step scores of stored solutions and node scores of search trees.
// Writes are batched (one statement, one transaction per call); reads go through the primary keys.
import { aggregate, type Aggregator } from '../../../src-shared/aggregate';
import type { Verdict } from '../../../src-shared/domain';
import { AnnotationsRepo } from './annotations';
import type { DB } from './db';
import type { StepKind } from '../../../src-shared/stepKind';
import { prep } from './db';
import { fromJson } from './json';
import { nodePrefixes } from './trees';

/** How the dataset heatmap picks one solution per problem. */
export type HeatmapPick = 'best' | 'worst' | 'first';

export interface HeatmapRow {
  problemId: number;
  extId: string;
  solutionId: number;
  verdict: Verdict | null;
  /** how many of the problem's solutions were candidates for the pick */
  candidates: number;
  /** one value per step; null where the step has none */
  scores: (number | null)[];
}

interface CandidateRow {
  problem_id: number;
  ext_id: string;
  id: number;
  verdict: Verdict | null;
}

/** The minimum of a solution's step scores: the Best-of-N aggregation MM-PRM and OmegaPRM pick by. */
function minScore(scores: readonly (number | null)[]): number {
  let m = Infinity;
  for (const v of scores) if (v !== null && v < m) m = v;
  return m;
}

const STEP_KEY_SEP = '\u241e';
const stepKey = (steps: readonly string[]): string => steps.map((s) => s.trim()).join(STEP_KEY_SEP);

export class ScoresRepo {
  constructor(private readonly db: DB) {}

  /** Stores (replacing) one PRM's step scores for many solutions. */
  setStepScores(modelId: number, items: { solutionId: number; scores: readonly number[] }[]): void {
    const del = this.db.prepare('DELETE FROM step_scores WHERE model_id = ? AND solution_id = ?');
    const ins = this.db.prepare('INSERT INTO step_scores (solution_id, model_id, idx, score) VALUES (?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const it of items) {
        del.run(modelId, it.solutionId);
        it.scores.forEach((s, i) => ins.run(it.solutionId, modelId, i, s));
      }
    })();
  }

  /** One PRM's step scores of the given solutions (solutions it has not scored are absent). */
  stepScores(modelId: number, solutionIds: readonly number[]): Map<number, number[]> {
    const out = new Map<number, number[]>();
    const stmt = this.db.prepare('SELECT idx, score FROM step_scores WHERE model_id = ? AND solution_id = ? ORDER BY idx');
    for (const id of solutionIds) {
      const rows = stmt.all(modelId, id) as { idx: number; score: number }[];
      if (rows.length) out.set(id, rows.map((r) => r.score));
    }
    return out;
  }

  /** Every PRM's step scores of one solution, by model id. */
  stepScoresOf(solutionId: number): Map<number, number[]> {
    const rows = this.db.prepare('SELECT model_id, idx, score FROM step_scores WHERE solution_id = ? ORDER BY model_id, idx').all(solutionId) as {
      model_id: number;
      idx: number;
      score: number;
    }[];
    const out = new Map<number, number[]>();
    for (const r of rows) {
      const arr = out.get(r.model_id) ?? [];
      arr[r.idx] = r.score;
      out.set(r.model_id, arr);
    }
    return out;
  }

  /**
   * Stores (replacing) one PRM's scores of tree nodes, each with what the disagreement queue filters and
   * sorts by (its gap to the node's MC, its last step's kind, its problem: see migration 011).
   */
  setNodeScores(modelId: number, scores: readonly (readonly [nodeId: number, score: number])[]): void {
    const ins = this.db.prepare(NODE_SCORE_INSERT.replace('INSERT', 'INSERT OR REPLACE'));
    this.db.transaction(() => scores.forEach(([node, score]) => ins.run({ node, model: modelId, score })))();
  }

  /**
   * One PRM's scores of a search's nodes, by node id. CROSS JOIN keeps the search's nodes as the outer
   * loop: left to the planner, it walked every node the PRM scored in the workspace (155k at MM-PRM's
   * scale, about 0.2 s behind each tree open) to keep one search's.
   */
  nodeScores(modelId: number, searchId: number): Map<number, number> {
    const rows = this.db
      .prepare('SELECT s.node_id, s.score FROM tree_nodes n CROSS JOIN node_scores s ON s.node_id = n.id AND s.model_id = ? WHERE n.search_id = ?')
      .all(modelId, searchId) as { node_id: number; score: number }[];
    return new Map(rows.map((r) => [r.node_id, r.score]));
  }

  /** Models that have scored any node of a search, with how many nodes each. */
  nodeScorers(searchId: number): { modelId: number; nodes: number }[] {
    return this.db
      .prepare('SELECT s.model_id AS modelId, count(*) AS nodes FROM tree_nodes n JOIN node_scores s ON s.node_id = n.id WHERE n.search_id = ? GROUP BY s.model_id ORDER BY s.model_id')
      .all(searchId) as { modelId: number; nodes: number }[];
  }

  /**
   * Tree nodes where this PRM's score and the node's MC differ most (gap = |score - MC|, largest first),
   * filtered by the kind of the node's last step, a problem and a least gap; each with its problem's
   * question and dataset id and the steps from the question to the node. total: the scored nodes with
   * an MC, before the filters. The gap, kind and problem are stored with each score (migration 011) under
   * an index per filter, so the page reads only the rows it returns; the counts walk the index alone.
   */
  disagreements(
    modelId: number,
    limit: number,
    f: { stepKind?: StepKind; problemId?: number; minGap?: number } = {},
  ): { total: number; matching: number; items: { searchId: number; nodeId: number; problemId: number; stepText: string; mc: number; score: number; gap: number; kind: StepKind; extId: string | null; question: string; path: string[] }[] } {
    const total = (prep(this.db, 'SELECT count(*) AS n FROM node_scores WHERE model_id = ? AND gap IS NOT NULL').get(modelId) as { n: number }).n;
    // only the filters given, so that the planner picks the index that serves them (problem, kind, or gap alone)
    const where = ['s.model_id = @modelId', 's.gap >= @minGap'];
    if (f.problemId !== undefined) where.push('s.problem_id = @problemId');
    if (f.stepKind !== undefined) where.push('s.step_kind = @stepKind');
    const params = { modelId, minGap: f.minGap ?? 0, problemId: f.problemId ?? null, stepKind: f.stepKind ?? null, limit };
    const byKind = f.stepKind !== undefined && f.problemId === undefined;
    const index = f.problemId !== undefined ? 'node_scores_by_problem_gap' : byKind ? 'node_scores_by_kind_gap' : 'node_scores_by_gap';
    const cond = where.join(' AND ');
    const matching =
      f.stepKind === undefined && f.problemId === undefined && !f.minGap
        ? total
        : (prep(this.db, `SELECT count(*) AS n FROM node_scores s INDEXED BY ${index} WHERE ${cond}`).get(params) as { n: number }).n;
    const kept = prep(
      this.db,
      `SELECT n.search_id AS searchId, s.node_id AS nodeId, s.problem_id AS problemId, n.step_text AS stepText, n.mc AS mc, s.score AS score, s.gap AS gap, s.step_kind AS kind
       FROM node_scores s INDEXED BY ${index} JOIN tree_nodes n ON n.id = s.node_id
       WHERE ${cond} ORDER BY s.gap DESC, s.node_id LIMIT @limit`,
    ).all(params) as { searchId: number; nodeId: number; problemId: number; stepText: string; mc: number; score: number; gap: number; kind: StepKind }[];
    const problem = this.db.prepare(
      `SELECT p.question, (SELECT d.ext_id FROM dataset_problems d WHERE d.problem_id = p.id ORDER BY d.dataset_id LIMIT 1) AS extId FROM problems p WHERE p.id = ?`,
    );
    const ancestors = this.db.prepare(
      `WITH RECURSIVE up(id, parent_id, step_text, depth) AS (
         SELECT id, parent_id, step_text, 0 FROM tree_nodes WHERE id = ?
         UNION ALL SELECT t.id, t.parent_id, t.step_text, up.depth + 1 FROM up JOIN tree_nodes t ON t.id = up.parent_id WHERE up.depth < 10000
       ) SELECT step_text AS stepText, parent_id AS parentId FROM up ORDER BY depth DESC`,
    );
    const items = kept.map((r) => {
      const p = problem.get(r.problemId) as { question: string; extId: string | null };
      const path = (ancestors.all(r.nodeId) as { stepText: string; parentId: number | null }[]).filter((a) => a.parentId !== null).map((a) => a.stepText);
      return { ...r, question: p.question, extId: p.extId, path };
    });
    return { total, matching, items };
  }

  /**
   * Solutions with a verdict whose rank under this PRM contradicts it, among the problem's scored candidates
   * (aggregated step scores, ranked as in a competition: ties share the best rank, 1-2-2-4): a wrong
   * solution ranked first above a correct candidate (wrong-top), a correct one ranked last below a wrong
   * candidate (correct-bottom), or a correct one scored low: in the bottom `lowShare` of its own problem's
   * candidates below a wrong one, or, when `threshold` is given, under that absolute score (correct-low).
   * Strength gap = |verdict - score| (1 for correct, 0 for wrong), strongest first; total = solutions scored.
   */
  solutionConflicts(modelId: number, opts: { aggregate: BoundedAggregator; threshold?: number; lowShare?: number; limit: number }): { total: number; items: SolutionConflictRow[] } {
    const lowShare = opts.lowShare ?? 0.25;
    const rows = this.db
      .prepare(
        `SELECT s.id, s.problem_id AS problemId, s.verdict, ss.idx, ss.score FROM step_scores ss JOIN solutions s ON s.id = ss.solution_id
         WHERE ss.model_id = ? AND s.verdict IS NOT NULL ORDER BY s.problem_id, s.id, ss.idx`,
      )
      .all(modelId) as { id: number; problemId: number; verdict: Verdict; idx: number; score: number }[];
    const byProblem = new Map<number, Map<number, { verdict: Verdict; scores: number[] }>>();
    for (const r of rows) {
      const sols = byProblem.get(r.problemId) ?? new Map<number, { verdict: Verdict; scores: number[] }>();
      const sol = sols.get(r.id) ?? { verdict: r.verdict, scores: [] };
      sol.scores[r.idx] = r.score;
      sols.set(r.id, sol);
      byProblem.set(r.problemId, sols);
    }
    let total = 0;
    const found: Omit<SolutionConflictRow, 'question'>[] = [];
    for (const [problemId, sols] of byProblem) {
      const ranked = [...sols].map(([id, s]) => ({ id, verdict: s.verdict, scores: s.scores, score: aggregate(s.scores, opts.aggregate) }));
      ranked.sort((a, b) => b.score - a.score || a.id - b.id);
      total += ranked.length;
      const n = ranked.length;
      ranked.forEach((c) => {
        const isCorrect = c.verdict === 'correct';
        const above = ranked.filter((o) => o.score > c.score);
        const below = ranked.filter((o) => o.score < c.score);
        const rank = above.length + 1;
        const wrongAbove = above.some((o) => o.verdict !== 'correct');
        let kind: SolutionConflictRow['kind'] | null = null;
        if (!isCorrect && rank === 1 && below.some((o) => o.verdict === 'correct')) kind = 'wrong-top';
        else if (isCorrect && below.length === 0 && wrongAbove) kind = 'correct-bottom';
        else if (isCorrect && ((wrongAbove && above.length >= (1 - lowShare) * n) || (opts.threshold !== undefined && c.score < opts.threshold))) kind = 'correct-low';
        if (!kind) return;
        const weakestStep = c.scores.reduce((m, x, k) => (x < c.scores[m] ? k : m), 0);
        found.push({
          solutionId: c.id,
          problemId,
          verdict: c.verdict,
          kind,
          score: c.score,
          rank,
          candidates: n,
          gap: isCorrect ? 1 - c.score : c.score,
          steps: c.scores.length,
          weakestStep,
        });
      });
    }
    found.sort((a, b) => b.gap - a.gap || a.solutionId - b.solutionId);
    const question = this.db.prepare('SELECT question FROM problems WHERE id = ?');
    const items = found.slice(0, opts.limit).map((f) => ({ ...f, question: (question.get(f.problemId) as { question: string }).question }));
    return { total, items };
  }

  /**
   * One solution per problem of a dataset (optionally a split, optionally only one policy's solutions),
   * in dataset order, with one PRM's step scores. pick 'best' / 'worst' takes the solution this PRM
   * scores highest / lowest by its minimum step score (the Best-of-N choice); a problem whose solutions it
   * has not scored falls back to its first solution, uncoloured. 'first' takes the earliest stored one.
   */
  datasetRows(
    datasetId: number,
    q: { split?: string; policyId?: number; prmId: number | null; pick: HeatmapPick; limit?: number },
  ): { rows: HeatmapRow[]; problems: number } {
    const params = { datasetId, split: q.split ?? null, policyId: q.policyId ?? null, prmId: q.prmId, limit: q.limit ?? -1 };
    const problems = (
      this.db
        .prepare('SELECT count(*) AS n FROM dataset_problems d WHERE d.dataset_id = @datasetId AND (@split IS NULL OR d.split = @split)')
        .get(params) as { n: number }
    ).n;
    // the first `limit` problems that have a solution, then their candidates, then the PRM's scores of
    // those candidates in one pass (raw rows: 40,000 scores come back as arrays, not objects)
    const chosen = `WITH chosen AS (
           SELECT d.problem_id, d.ext_id, d.position FROM dataset_problems d
           WHERE d.dataset_id = @datasetId AND (@split IS NULL OR d.split = @split)
             AND EXISTS (SELECT 1 FROM solutions s WHERE s.problem_id = d.problem_id AND (@policyId IS NULL OR s.model_id = @policyId))
           ORDER BY d.position LIMIT @limit)`;
    const candidates = `chosen c JOIN solutions s ON s.problem_id = c.problem_id AND (@policyId IS NULL OR s.model_id = @policyId)`;
    const cands = prep(this.db, `${chosen} SELECT c.problem_id, c.ext_id, s.id, s.verdict FROM ${candidates} ORDER BY c.position, s.id`).all(params) as CandidateRow[];
    const scores = new Map<number, (number | null)[]>();
    if (q.prmId !== null) {
      const rows = prep(this.db, `${chosen} SELECT ss.solution_id, ss.idx, ss.score FROM ${candidates} JOIN step_scores ss ON ss.model_id = @prmId AND ss.solution_id = s.id`)
        .raw(true)
        .all(params) as [number, number, number][];
      for (const [id, idx, score] of rows) {
        let arr = scores.get(id);
        if (!arr) scores.set(id, (arr = []));
        arr[idx] = score;
      }
      // a step left unscored (a gap) reads as null, not a hole
      for (const arr of scores.values()) for (let i = 0; i < arr.length; i++) if (arr[i] === undefined) arr[i] = null;
    }
    const stepCount = prep(this.db, 'SELECT count(*) AS n FROM steps WHERE solution_id = ?');
    const blank = (id: number): null[] => Array.from({ length: (stepCount.get(id) as { n: number }).n }, () => null);
    const out: HeatmapRow[] = [];
    for (let i = 0; i < cands.length; ) {
      let j = i;
      while (j < cands.length && cands[j].problem_id === cands[i].problem_id) j++;
      const group = cands.slice(i, j);
      let pick = group[0];
      if (q.pick !== 'first') {
        const sign = q.pick === 'best' ? 1 : -1;
        let bestKey = -Infinity;
        for (const c of group) {
          const sc = scores.get(c.id);
          if (!sc) continue;
          const key = sign * minScore(sc);
          if (key > bestKey) {
            bestKey = key;
            pick = c;
          }
        }
      }
      out.push({
        problemId: pick.problem_id,
        extId: pick.ext_id,
        solutionId: pick.id,
        verdict: pick.verdict,
        candidates: group.length,
        scores: scores.get(pick.id) ?? blank(pick.id),
      });
      i = j;
    }
    return { rows: out, problems };
  }

  /**
   * The Monte-Carlo value of each step of a problem's solutions, where one is known: from an annotation
   * made of that solution (its curated soft label), else from a search tree of the problem that explored
   * the same step prefix (the node's MC; with several, the one with the most rollouts). null elsewhere.
   */
  stepMc(problemId: number, solutions: readonly { id: number; steps: readonly string[] }[]): Map<number, (number | null)[]> {
    const out = new Map<number, (number | null)[]>();
    if (solutions.length === 0) return out;
    const annotations = new AnnotationsRepo(this.db);
    const linked = this.db.prepare('SELECT id FROM annotations WHERE solution_id = ? ORDER BY id DESC LIMIT 1');
    let prefixes: Map<string, number> | null = null;
    for (const s of solutions) {
      const ann = linked.get(s.id) as { id: number } | undefined;
      if (ann) {
        const steps = annotations.get(ann.id).steps;
        out.set(s.id, s.steps.map((_, i) => steps[i]?.softLabel ?? null));
        continue;
      }
      prefixes ??= this.nodePrefixMc(problemId);
      const values: (number | null)[] = [];
      for (let i = 0; i < s.steps.length; i++) values.push(prefixes.get(stepKey(s.steps.slice(0, i + 1))) ?? null);
      out.set(s.id, values);
    }
    return out;
  }

  /** Every step prefix the problem's search trees hold with an MC value -> that value (most rollouts wins). */
  private nodePrefixMc(problemId: number): Map<string, number> {
    const nodes = this.db
      .prepare(
        `SELECT n.id, n.parent_id AS parentId, n.step_text AS stepText, n.mc, n.rollouts, n.meta
         FROM searches r JOIN tree_nodes n ON n.search_id = r.id WHERE r.problem_id = ? ORDER BY n.id`,
      )
      .all(problemId) as { id: number; parentId: number | null; stepText: string; mc: number | null; rollouts: number; meta: string | null }[];
    const prefixes = nodePrefixes(nodes.map((n) => ({ ...n, meta: fromJson<unknown>(n.meta, null) })));
    const best = new Map<string, { mc: number; rollouts: number }>();
    for (const n of nodes) {
      const p = prefixes.get(n.id)!;
      if (n.mc === null || p.length === 0) continue;
      const key = stepKey(p);
      const had = best.get(key);
      if (!had || n.rollouts > had.rollouts) best.set(key, { mc: n.mc, rollouts: n.rollouts });
    }
    return new Map([...best].map(([k, v]) => [k, v.mc]));
  }

  /** PRMs that scored any solution of a dataset (optionally a split): model ids, most recently registered last. */
  datasetScorers(datasetId: number, split?: string): number[] {
    return (
      this.db
        .prepare(
          // per PRM, stops at the first scored solution of the dataset
          `SELECT m.id FROM models m WHERE m.role = 'prm' AND EXISTS (
             SELECT 1 FROM dataset_problems d JOIN solutions s ON s.problem_id = d.problem_id
             JOIN step_scores ss ON ss.model_id = m.id AND ss.solution_id = s.id
             WHERE d.dataset_id = ? AND (? IS NULL OR d.split = ?)) ORDER BY m.id`,
        )
        .all(datasetId, split ?? null, split ?? null) as { id: number }[]
    ).map((r) => r.id);
  }
}

/**
 * One PRM's score of a tree node with the queue's columns taken from the node (the gap to its MC, its last
 * step's kind, its search's problem); a node that does not exist fails the foreign key as before.
 */
export const NODE_SCORE_INSERT = `INSERT INTO node_scores (node_id, model_id, score, gap, step_kind, problem_id) VALUES (@node, @model, @score,
  (SELECT abs(@score - n.mc) FROM tree_nodes n WHERE n.id = @node),
  (SELECT steplab_step_kind(n.step_text) FROM tree_nodes n WHERE n.id = @node),
  (SELECT r.problem_id FROM tree_nodes n JOIN searches r ON r.id = n.search_id WHERE n.id = @node))`;

/** Aggregations whose value stays in [0, 1], so a conflict's gap against the verdict is comparable. */
export type BoundedAggregator = Extract<Aggregator, 'min' | 'last' | 'product' | 'mean' | 'max'>;

export interface SolutionConflictRow {
  solutionId: number;
  problemId: number;
  question: string;
  verdict: Verdict;
  kind: 'wrong-top' | 'correct-bottom' | 'correct-low';
  score: number;
  rank: number;
  candidates: number;
  gap: number;
  steps: number;
  weakestStep: number;
}
