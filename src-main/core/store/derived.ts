// Rows the schema derives from others and keeps by triggers or at write time (migrations 011 and 012): the
// disagreement queue's columns of node_scores and the annotation sets' counts. A merge does not carry them
// (the target's own triggers and writes make them); a recovery, which copies salvaged rows as they were,
// rebuilds them from the rows it kept.
import type { DB } from './db';

/** The tables that hold only derived rows. */
export const DERIVED_TABLES: ReadonlySet<string> = new Set(['annotation_set_counts', 'annotation_set_problems', 'annotation_set_searches']);

/** Recomputes every derived row from the rows they derive from (one transaction; a database at schema 12 or later). */
export function rebuildDerived(db: DB): void {
  db.transaction(() => {
    db.exec(`
      UPDATE node_scores SET gap = abs(node_scores.score - n.mc), step_kind = steplab_step_kind(n.step_text), problem_id = r.problem_id
        FROM tree_nodes n JOIN searches r ON r.id = n.search_id WHERE n.id = node_scores.node_id;
      DELETE FROM annotation_set_counts;
      DELETE FROM annotation_set_problems;
      DELETE FROM annotation_set_searches;
      INSERT INTO annotation_set_counts (set_name, annotations, steps, first_id, created_at)
        SELECT set_name, count(*), 0, min(id), min(created_at) FROM annotations GROUP BY set_name;
      UPDATE annotation_set_counts SET steps = (SELECT count(*) FROM annotation_steps s JOIN annotations a ON a.id = s.annotation_id WHERE a.set_name = annotation_set_counts.set_name);
      INSERT INTO annotation_set_problems (set_name, problem_id, n) SELECT set_name, problem_id, count(*) FROM annotations GROUP BY set_name, problem_id;
      INSERT INTO annotation_set_searches (set_name, search_id, n) SELECT set_name, search_id, count(*) FROM annotations WHERE search_id IS NOT NULL GROUP BY set_name, search_id;
    `);
  })();
}
