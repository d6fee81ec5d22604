-- Process reward scores kept per scoring model (one solution or tree can be scored by several PRMs,
-- e.g. soft- and hard-label PRMs compared side by side), and per-job metric series (loss curves).

CREATE TABLE step_scores (
  solution_id  INTEGER NOT NULL REFERENCES solutions(id) ON DELETE CASCADE,
  model_id     INTEGER NOT NULL REFERENCES models(id),
  idx          INTEGER NOT NULL,
  score        REAL NOT NULL,               -- P(good) at the step's tag
  PRIMARY KEY (model_id, solution_id, idx)
) WITHOUT ROWID;
CREATE INDEX step_scores_by_solution ON step_scores(solution_id);

CREATE TABLE node_scores (
  node_id   INTEGER NOT NULL REFERENCES tree_nodes(id) ON DELETE CASCADE,
  model_id  INTEGER NOT NULL REFERENCES models(id),
  score     REAL NOT NULL,                  -- P(good) of the node's step given its path
  PRIMARY KEY (model_id, node_id)
) WITHOUT ROWID;
CREATE INDEX node_scores_by_node ON node_scores(node_id);

CREATE TABLE job_metrics (
  job_id  INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  name    TEXT NOT NULL,                    -- e.g. loss
  step    INTEGER NOT NULL,
  value   REAL NOT NULL,
  PRIMARY KEY (job_id, name, step)
) WITHOUT ROWID;

-- The single prm_score column of 001 could hold only one PRM's view; step_scores replaces it.
ALTER TABLE steps DROP COLUMN prm_score;
