-- The field's trees and label sets (issue "Field data II", steplab import-labels).
--
-- What was imported already, by content: one row per imported unit (a tree, a labelled path, a
-- labelled solution), keyed by the sha256 of its format and its text in the file, so a re-import finds
-- it by one index look-up instead of scanning the searches' stats.
CREATE TABLE label_imports (
  hash        TEXT PRIMARY KEY,
  format      TEXT NOT NULL,
  problem_id  INTEGER NOT NULL REFERENCES problems(id),
  search_id   INTEGER REFERENCES searches(id) ON DELETE SET NULL,
  job_id      INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
  created_at  TEXT NOT NULL
) WITHOUT ROWID;

-- An import-labels job's units, checked and with their images stored, waiting to be published in one
-- transaction (as staging_problems waits for the problem import's).
CREATE TABLE staging_labels (
  job_id   INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  seq      INTEGER NOT NULL,
  hash     TEXT NOT NULL,
  payload  TEXT NOT NULL,                    -- JSON of the checked unit
  PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
CREATE INDEX staging_labels_by_hash ON staging_labels(job_id, hash);

-- The rollout texts a tree's producer kept with a node (MM-PRM's correct_rollouts and
-- incorrect_rollouts): JSON arrays of rollouts, each a JSON array of its steps. Kept out of
-- tree_nodes.meta so that reading a tree does not read them.
CREATE TABLE node_rollouts (
  node_id    INTEGER PRIMARY KEY REFERENCES tree_nodes(id) ON DELETE CASCADE,
  correct    TEXT NOT NULL DEFAULT '[]',
  incorrect  TEXT NOT NULL DEFAULT '[]'
);

-- Label sets that carry no answer or no image find their problem by its question.
CREATE INDEX problems_by_question ON problems(question);

-- Trees that import-trees read before this version are imported units (its digest is the same).
INSERT OR IGNORE INTO label_imports (hash, format, problem_id, search_id, job_id, created_at)
  SELECT json_extract(stats, '$.importHash'), 'steplab-tree', problem_id, id, NULL, created_at
  FROM searches WHERE json_extract(stats, '$.importHash') IS NOT NULL;
