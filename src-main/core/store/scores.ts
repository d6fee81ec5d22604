// PRM scores, kept per scoring model: step scores of stored solutions and node scores of search trees.
// Writes are batched (one statement, one transaction per call); reads go through the primary keys.
import type { DB } from './db';

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

  /** Stores (replacing) one PRM's scores of tree nodes. */
  setNodeScores(modelId: number, scores: readonly (readonly [nodeId: number, score: number])[]): void {
    const ins = this.db.prepare('INSERT OR REPLACE INTO node_scores (node_id, model_id, score) VALUES (?, ?, ?)');
    this.db.transaction(() => scores.forEach(([node, s]) => ins.run(node, modelId, s)))();
  }

  /** One PRM's scores of a search's nodes, by node id. */
  nodeScores(modelId: number, searchId: number): Map<number, number> {
    const rows = this.db
      .prepare('SELECT s.node_id, s.score FROM tree_nodes n JOIN node_scores s ON s.node_id = n.id AND s.model_id = ? WHERE n.search_id = ?')
      .all(modelId, searchId) as { node_id: number; score: number }[];
    return new Map(rows.map((r) => [r.node_id, r.score]));
  }

  /** Models that have scored any node of a search, with how many nodes each. */
  nodeScorers(searchId: number): { modelId: number; nodes: number }[] {
    return this.db
      .prepare('SELECT s.model_id AS modelId, count(*) AS nodes FROM tree_nodes n JOIN node_scores s ON s.node_id = n.id WHERE n.search_id = ? GROUP BY s.model_id ORDER BY s.model_id')
      .all(searchId) as { modelId: number; nodes: number }[];
  }

  /** Nodes this PRM scored whose MC is known, by |score - MC| descending, and how many there are in all. */
  disagreements(modelId: number, limit: number): { total: number; items: { searchId: number; nodeId: number; problemId: number; stepText: string; mc: number; score: number; gap: number }[] } {
    const total = (this.db.prepare('SELECT count(*) AS n FROM node_scores s JOIN tree_nodes n ON n.id = s.node_id WHERE s.model_id = ? AND n.mc IS NOT NULL').get(modelId) as { n: number }).n;
    const items = this.db
      .prepare(
        `SELECT n.search_id AS searchId, n.id AS nodeId, r.problem_id AS problemId, n.step_text AS stepText, n.mc AS mc, s.score AS score, abs(s.score - n.mc) AS gap
         FROM node_scores s JOIN tree_nodes n ON n.id = s.node_id JOIN searches r ON r.id = n.search_id
         WHERE s.model_id = ? AND n.mc IS NOT NULL ORDER BY gap DESC, n.id LIMIT ?`,
      )
      .all(modelId, limit) as { searchId: number; nodeId: number; problemId: number; stepText: string; mc: number; score: number; gap: number }[];
    return { total, items };
  }
}
