-- The disagreement queue (curation.disagreements) filters a PRM's scored nodes by the kind of their last
-- step, a problem and a least gap, and sorts them by the gap |score - MC|. Computed at read time that
-- sorted every scored node (155k at MM-PRM's scale, 0.7 s per filter change); stored here with the score,
-- with an index per filter, so the paged query reads only the rows it returns.
--   gap        |score - the node's MC|; NULL while the node has no MC (kept by the trigger below when a
--              search updates a scored node's MC)
--   step_kind  'answer' | 'reasoning': the node's last step (src-shared/stepKind.ts, as steplab_step_kind,
--              a function each connection registers; a change to that rule needs a migration that
--              recomputes this column)
--   problem_id the problem of the node's search
ALTER TABLE node_scores ADD COLUMN gap REAL;
ALTER TABLE node_scores ADD COLUMN step_kind TEXT;
ALTER TABLE node_scores ADD COLUMN problem_id INTEGER;

UPDATE node_scores SET gap = abs(node_scores.score - n.mc), step_kind = steplab_step_kind(n.step_text), problem_id = r.problem_id
FROM tree_nodes n JOIN searches r ON r.id = n.search_id
WHERE n.id = node_scores.node_id;

CREATE INDEX node_scores_by_gap ON node_scores(model_id, gap DESC, node_id);
CREATE INDEX node_scores_by_kind_gap ON node_scores(model_id, step_kind, gap DESC, node_id);
CREATE INDEX node_scores_by_problem_gap ON node_scores(model_id, problem_id, gap DESC, node_id);

CREATE TRIGGER node_scores_gap_follows_mc AFTER UPDATE OF mc ON tree_nodes WHEN NEW.mc IS NOT OLD.mc
BEGIN
  UPDATE node_scores SET gap = abs(score - NEW.mc) WHERE node_id = NEW.id;
END;
