-- MathSE cycle runs (issue #9): a run holds its cycles (idx 0 is the stage-0 policy's evaluation), every
-- sample, regeneration and evaluation solution is linked to its cycle, and each cycle's training set is
-- recorded row by row so it can be exported exactly as it was trained.
CREATE TABLE cycle_runs (
  id             INTEGER PRIMARY KEY,
  name           TEXT NOT NULL UNIQUE,
  config         TEXT NOT NULL,
  dataset_id     INTEGER NOT NULL REFERENCES datasets(id),
  base_model_id  INTEGER NOT NULL REFERENCES models(id),
  job_id         INTEGER REFERENCES jobs(id),
  created_at     TEXT NOT NULL
);

ALTER TABLE cycles ADD COLUMN run_id INTEGER REFERENCES cycle_runs(id);
CREATE UNIQUE INDEX cycles_by_run ON cycles(run_id, idx);

ALTER TABLE solutions ADD COLUMN cycle_id INTEGER REFERENCES cycles(id);
-- sample (infer), regen (regenerate), eval-greedy / eval-sample (evaluate)
ALTER TABLE solutions ADD COLUMN cycle_role TEXT;
-- a regeneration's wrong original
ALTER TABLE solutions ADD COLUMN parent_solution_id INTEGER REFERENCES solutions(id);
CREATE INDEX solutions_by_cycle ON solutions(cycle_id, cycle_role);
CREATE INDEX solutions_by_parent ON solutions(parent_solution_id);

CREATE TABLE cycle_examples (
  cycle_id     INTEGER NOT NULL REFERENCES cycles(id) ON DELETE CASCADE,
  solution_id  INTEGER NOT NULL REFERENCES solutions(id),
  source       TEXT NOT NULL CHECK (source IN ('correct', 'corrected', 'distilled')),
  -- the diagnosis placed in the prompt's reflection line (build.reflectionInTraining = prompt), else NULL
  reflection   TEXT,
  PRIMARY KEY (cycle_id, solution_id)
) WITHOUT ROWID;
