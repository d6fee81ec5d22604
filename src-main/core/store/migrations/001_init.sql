-- Steplab workspace schema, version 1. One file per workspace (steplab.db); images live as files in images/.

CREATE TABLE images (
  hash        TEXT PRIMARY KEY,            -- sha256 of the stored bytes
  mime        TEXT NOT NULL,
  width       INTEGER NOT NULL,
  height      INTEGER NOT NULL,
  bytes       INTEGER NOT NULL,
  created_at  TEXT NOT NULL
);

CREATE TABLE problems (
  id           INTEGER PRIMARY KEY,
  fingerprint  TEXT NOT NULL UNIQUE,       -- sha256 of question, answer, answer type and image hashes
  question     TEXT NOT NULL,
  answer       TEXT NOT NULL,
  answer_type  TEXT NOT NULL CHECK (answer_type IN ('number','fraction','choice','expression','text')),
  source       TEXT,
  tags         TEXT NOT NULL DEFAULT '[]', -- JSON array
  meta         TEXT NOT NULL DEFAULT '{}', -- JSON object: source fields Steplab does not model
  created_at   TEXT NOT NULL
);

CREATE TABLE problem_images (
  problem_id  INTEGER NOT NULL REFERENCES problems(id) ON DELETE CASCADE,
  position    INTEGER NOT NULL,
  image_hash  TEXT NOT NULL REFERENCES images(hash),
  PRIMARY KEY (problem_id, position)
) WITHOUT ROWID;
CREATE INDEX problem_images_by_hash ON problem_images(image_hash);

CREATE TABLE datasets (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  version      INTEGER NOT NULL DEFAULT 1,  -- bumped by every change of membership
  description  TEXT,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);

CREATE TABLE dataset_problems (
  dataset_id  INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  problem_id  INTEGER NOT NULL REFERENCES problems(id),
  ext_id      TEXT NOT NULL,                -- the id in the source file
  split       TEXT,
  position    INTEGER NOT NULL,
  PRIMARY KEY (dataset_id, problem_id),
  UNIQUE (dataset_id, ext_id)
) WITHOUT ROWID;
CREATE INDEX dataset_problems_by_split ON dataset_problems(dataset_id, split, position);
CREATE INDEX dataset_problems_by_problem ON dataset_problems(problem_id);
-- next position (max) and dataset order without scanning every member
CREATE INDEX dataset_problems_by_position ON dataset_problems(dataset_id, position);

CREATE TABLE models (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  version     INTEGER NOT NULL,
  role        TEXT NOT NULL CHECK (role IN ('policy','prm','orm','judge')),
  family      TEXT,
  path        TEXT NOT NULL,
  manifest    TEXT NOT NULL,               -- JSON
  provenance  TEXT,                        -- JSON: parent model, cycle, training data hash
  created_at  TEXT NOT NULL,
  UNIQUE (name, version)
);

CREATE TABLE solutions (
  id            INTEGER PRIMARY KEY,
  problem_id    INTEGER NOT NULL REFERENCES problems(id),
  model_id      INTEGER REFERENCES models(id),
  origin        TEXT NOT NULL DEFAULT 'generate', -- generate | import | regenerate | search
  final_answer  TEXT,
  verdict       TEXT CHECK (verdict IN ('correct','incorrect','unparseable')),
  settings      TEXT NOT NULL DEFAULT '{}',  -- JSON generation settings
  provider      TEXT,                        -- execution provider or backend that produced it
  orm           TEXT,                        -- JSON ORM verdict
  job_id        INTEGER REFERENCES jobs(id),
  created_at    TEXT NOT NULL
);
CREATE INDEX solutions_by_problem ON solutions(problem_id);
CREATE INDEX solutions_by_job ON solutions(job_id);

CREATE TABLE steps (
  solution_id  INTEGER NOT NULL REFERENCES solutions(id) ON DELETE CASCADE,
  idx          INTEGER NOT NULL,
  text         TEXT NOT NULL,
  prm_score    REAL,
  gold_label   INTEGER,                      -- demo domain: 1 right, 0 wrong, NULL unknown
  PRIMARY KEY (solution_id, idx)
) WITHOUT ROWID;

CREATE TABLE searches (
  id          INTEGER PRIMARY KEY,
  problem_id  INTEGER NOT NULL REFERENCES problems(id),
  model_id    INTEGER REFERENCES models(id),
  algorithm   TEXT NOT NULL,                 -- omegaprm | math-shepherd | import
  config      TEXT NOT NULL DEFAULT '{}',
  seed        INTEGER,
  status      TEXT NOT NULL DEFAULT 'running',
  stats       TEXT NOT NULL DEFAULT '{}',    -- JSON: policy calls, rollouts, nodes
  job_id      INTEGER REFERENCES jobs(id),
  created_at  TEXT NOT NULL
);
CREATE INDEX searches_by_problem ON searches(problem_id);

-- A node is a step prefix. Ids are global so a subtree is reachable through the parent index.
CREATE TABLE tree_nodes (
  id           INTEGER PRIMARY KEY,
  search_id    INTEGER NOT NULL REFERENCES searches(id) ON DELETE CASCADE,
  parent_id    INTEGER REFERENCES tree_nodes(id),
  depth        INTEGER NOT NULL,
  step_text    TEXT NOT NULL,
  visits       INTEGER NOT NULL DEFAULT 0,
  rollouts     INTEGER NOT NULL DEFAULT 0,
  correct      INTEGER NOT NULL DEFAULT 0,
  mc           REAL,
  q            REAL,
  first_error  INTEGER NOT NULL DEFAULT 0,
  meta         TEXT
);
-- children-of-node and nodes-of-search both use this one index
CREATE INDEX tree_nodes_by_parent ON tree_nodes(search_id, parent_id);

CREATE TABLE search_events (
  search_id  INTEGER NOT NULL REFERENCES searches(id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL,
  kind       TEXT NOT NULL,                  -- select | rollout | probe
  data       TEXT NOT NULL,
  PRIMARY KEY (search_id, seq)
) WITHOUT ROWID;

CREATE TABLE annotations (
  id           INTEGER PRIMARY KEY,
  problem_id   INTEGER NOT NULL REFERENCES problems(id),
  search_id    INTEGER REFERENCES searches(id),
  solution_id  INTEGER REFERENCES solutions(id),
  set_name     TEXT NOT NULL DEFAULT 'default',
  provenance   TEXT NOT NULL DEFAULT '{}',
  created_at   TEXT NOT NULL
);
CREATE INDEX annotations_by_problem ON annotations(problem_id);
CREATE INDEX annotations_by_set ON annotations(set_name);

-- original labels; never updated after insert (curation goes to curation_edits)
CREATE TABLE annotation_steps (
  annotation_id  INTEGER NOT NULL REFERENCES annotations(id) ON DELETE CASCADE,
  idx            INTEGER NOT NULL,
  text           TEXT NOT NULL,
  soft_label     REAL NOT NULL,
  hard_label     INTEGER NOT NULL,
  PRIMARY KEY (annotation_id, idx)
) WITHOUT ROWID;

CREATE TABLE curation_edits (
  id             INTEGER PRIMARY KEY,
  annotation_id  INTEGER NOT NULL REFERENCES annotations(id) ON DELETE CASCADE,
  step_idx       INTEGER,                    -- NULL = the whole annotation
  action         TEXT NOT NULL CHECK (action IN ('accept','reject','relabel','comment')),
  value          REAL,                       -- relabel: the new soft label
  comment        TEXT,
  created_at     TEXT NOT NULL
);
CREATE INDEX curation_edits_by_annotation ON curation_edits(annotation_id, id);

CREATE TABLE evaluations (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  dataset_id  INTEGER REFERENCES datasets(id),
  policy_id   INTEGER REFERENCES models(id),
  reward_id   INTEGER REFERENCES models(id),
  config      TEXT NOT NULL DEFAULT '{}',
  metrics     TEXT NOT NULL DEFAULT '{}',
  job_id      INTEGER REFERENCES jobs(id),
  created_at  TEXT NOT NULL
);

CREATE TABLE evaluation_items (
  evaluation_id  INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
  problem_id     INTEGER NOT NULL REFERENCES problems(id),
  solution_id    INTEGER NOT NULL REFERENCES solutions(id),
  scores         TEXT NOT NULL DEFAULT '{}',  -- JSON: aggregate name -> value
  PRIMARY KEY (evaluation_id, problem_id, solution_id)
) WITHOUT ROWID;

CREATE TABLE cycles (
  id               INTEGER PRIMARY KEY,
  idx              INTEGER NOT NULL,
  name             TEXT NOT NULL,
  parent_model_id  INTEGER REFERENCES models(id),
  model_id         INTEGER REFERENCES models(id),
  status           TEXT NOT NULL DEFAULT 'pending',
  config           TEXT NOT NULL DEFAULT '{}',
  metrics          TEXT NOT NULL DEFAULT '{}',
  job_id           INTEGER REFERENCES jobs(id),
  created_at       TEXT NOT NULL
);

CREATE TABLE cycle_stages (
  cycle_id    INTEGER NOT NULL REFERENCES cycles(id) ON DELETE CASCADE,
  stage       TEXT NOT NULL,
  status      TEXT NOT NULL DEFAULT 'pending',
  counts      TEXT NOT NULL DEFAULT '{}',
  artifacts   TEXT NOT NULL DEFAULT '{}',
  started_at  TEXT,
  ended_at    TEXT,
  PRIMARY KEY (cycle_id, stage)
) WITHOUT ROWID;

CREATE TABLE jobs (
  id           INTEGER PRIMARY KEY,
  kind         TEXT NOT NULL,
  config       TEXT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('queued','running','done','failed','cancelled','interrupted')),
  progress     TEXT NOT NULL DEFAULT '{"done":0,"total":null,"message":null}',
  checkpoint   TEXT,                         -- JSON; written in the same transaction as the work it covers
  result       TEXT,
  error        TEXT,
  attempts     INTEGER NOT NULL DEFAULT 0,
  owner_pid    INTEGER,                      -- process running it; a dead owner means the job was interrupted
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  finished_at  TEXT
);
CREATE INDEX jobs_by_state ON jobs(state);

-- Import staging: chunks land here first and are published to the tables above in one transaction.
CREATE TABLE staging_problems (
  job_id   INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  line     INTEGER NOT NULL,
  payload  TEXT NOT NULL,                    -- JSON of the parsed problem
  PRIMARY KEY (job_id, line)
) WITHOUT ROWID;

CREATE TABLE staging_images (
  job_id  INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  hash    TEXT NOT NULL,
  mime    TEXT NOT NULL,
  width   INTEGER NOT NULL,
  height  INTEGER NOT NULL,
  bytes   INTEGER NOT NULL,
  PRIMARY KEY (job_id, hash)
) WITHOUT ROWID;
