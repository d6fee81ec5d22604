-- The annotation sets' counts (annotations.sets: the Datasets view, the CLI's `annotations`), kept as the
-- annotations change instead of counted on every call (776k labelled steps at MM-PRM's scale: about 0.3 s
-- per call). Kept by triggers, so every writer keeps them (imports, searches, merges, renames, splits,
-- deletes, job clean-ups); derived rows only: a merge does not carry them, a recovery rebuilds them.
--   annotation_set_counts    per set: annotations, labelled steps, the first annotation (the list's order)
--                            and the earliest creation time
--   annotation_set_problems  per set and problem: how many of the set's annotations are of it
--   annotation_set_searches  per set and search: the same (annotations without a search are not counted)
CREATE TABLE annotation_set_counts (
  set_name     TEXT PRIMARY KEY,
  annotations  INTEGER NOT NULL,
  steps        INTEGER NOT NULL,
  first_id     INTEGER NOT NULL,
  created_at   TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE annotation_set_problems (
  set_name    TEXT NOT NULL,
  problem_id  INTEGER NOT NULL,
  n           INTEGER NOT NULL,
  PRIMARY KEY (set_name, problem_id)
) WITHOUT ROWID;
CREATE TABLE annotation_set_searches (
  set_name   TEXT NOT NULL,
  search_id  INTEGER NOT NULL,
  n          INTEGER NOT NULL,
  PRIMARY KEY (set_name, search_id)
) WITHOUT ROWID;
-- the earliest creation time of a set after a delete, without a walk over the set
CREATE INDEX annotations_by_set_time ON annotations(set_name, created_at);

INSERT INTO annotation_set_counts (set_name, annotations, steps, first_id, created_at)
  SELECT set_name, count(*), 0, min(id), min(created_at) FROM annotations GROUP BY set_name;
UPDATE annotation_set_counts SET steps = (SELECT count(*) FROM annotation_steps s JOIN annotations a ON a.id = s.annotation_id WHERE a.set_name = annotation_set_counts.set_name);
INSERT INTO annotation_set_problems (set_name, problem_id, n) SELECT set_name, problem_id, count(*) FROM annotations GROUP BY set_name, problem_id;
INSERT INTO annotation_set_searches (set_name, search_id, n) SELECT set_name, search_id, count(*) FROM annotations WHERE search_id IS NOT NULL GROUP BY set_name, search_id;

-- an annotation in: its steps (the ones already there: a merge or recovery may write them first) and its refs
CREATE TRIGGER annotation_set_counts_insert AFTER INSERT ON annotations
BEGIN
  INSERT INTO annotation_set_counts (set_name, annotations, steps, first_id, created_at)
    VALUES (NEW.set_name, 1, (SELECT count(*) FROM annotation_steps WHERE annotation_id = NEW.id), NEW.id, NEW.created_at)
    ON CONFLICT (set_name) DO UPDATE SET annotations = annotations + 1, steps = steps + excluded.steps,
      first_id = min(first_id, excluded.first_id), created_at = min(created_at, excluded.created_at);
  INSERT INTO annotation_set_problems (set_name, problem_id, n) VALUES (NEW.set_name, NEW.problem_id, 1)
    ON CONFLICT (set_name, problem_id) DO UPDATE SET n = n + 1;
  INSERT INTO annotation_set_searches (set_name, search_id, n) SELECT NEW.set_name, NEW.search_id, 1 WHERE NEW.search_id IS NOT NULL
    ON CONFLICT (set_name, search_id) DO UPDATE SET n = n + 1;
END;

-- a labelled step in (steps are never changed or removed but with their annotation)
CREATE TRIGGER annotation_set_counts_step AFTER INSERT ON annotation_steps
BEGIN
  UPDATE annotation_set_counts SET steps = steps + 1 WHERE set_name = (SELECT set_name FROM annotations WHERE id = NEW.annotation_id);
END;

-- an annotation out: counted while its steps are still there, its refs dropped, the set's first row found again
CREATE TRIGGER annotation_set_counts_delete_steps BEFORE DELETE ON annotations
BEGIN
  UPDATE annotation_set_counts SET annotations = annotations - 1, steps = steps - (SELECT count(*) FROM annotation_steps WHERE annotation_id = OLD.id)
    WHERE set_name = OLD.set_name;
END;
CREATE TRIGGER annotation_set_counts_delete AFTER DELETE ON annotations
BEGIN
  DELETE FROM annotation_set_counts WHERE set_name = OLD.set_name AND annotations <= 0;
  UPDATE annotation_set_counts SET first_id = (SELECT min(id) FROM annotations WHERE set_name = OLD.set_name),
      created_at = (SELECT min(created_at) FROM annotations WHERE set_name = OLD.set_name)
    WHERE set_name = OLD.set_name AND (first_id = OLD.id OR created_at = OLD.created_at);
  UPDATE annotation_set_problems SET n = n - 1 WHERE set_name = OLD.set_name AND problem_id = OLD.problem_id;
  DELETE FROM annotation_set_problems WHERE set_name = OLD.set_name AND problem_id = OLD.problem_id AND n <= 0;
  UPDATE annotation_set_searches SET n = n - 1 WHERE set_name = OLD.set_name AND search_id = OLD.search_id;
  DELETE FROM annotation_set_searches WHERE set_name = OLD.set_name AND search_id = OLD.search_id AND n <= 0;
END;

-- an annotation moved (a set renamed, split, or a label import's set moved): out of the old, into the new
CREATE TRIGGER annotation_set_counts_move AFTER UPDATE OF set_name, problem_id, search_id ON annotations
  WHEN NEW.set_name IS NOT OLD.set_name OR NEW.problem_id IS NOT OLD.problem_id OR NEW.search_id IS NOT OLD.search_id
BEGIN
  UPDATE annotation_set_counts SET annotations = annotations - 1, steps = steps - (SELECT count(*) FROM annotation_steps WHERE annotation_id = OLD.id)
    WHERE set_name = OLD.set_name;
  DELETE FROM annotation_set_counts WHERE set_name = OLD.set_name AND annotations <= 0;
  UPDATE annotation_set_counts SET first_id = (SELECT min(id) FROM annotations WHERE set_name = OLD.set_name),
      created_at = (SELECT min(created_at) FROM annotations WHERE set_name = OLD.set_name)
    WHERE set_name = OLD.set_name AND (first_id = OLD.id OR created_at = OLD.created_at);
  UPDATE annotation_set_problems SET n = n - 1 WHERE set_name = OLD.set_name AND problem_id = OLD.problem_id;
  DELETE FROM annotation_set_problems WHERE set_name = OLD.set_name AND problem_id = OLD.problem_id AND n <= 0;
  UPDATE annotation_set_searches SET n = n - 1 WHERE set_name = OLD.set_name AND search_id = OLD.search_id;
  DELETE FROM annotation_set_searches WHERE set_name = OLD.set_name AND search_id = OLD.search_id AND n <= 0;
  INSERT INTO annotation_set_counts (set_name, annotations, steps, first_id, created_at)
    VALUES (NEW.set_name, 1, (SELECT count(*) FROM annotation_steps WHERE annotation_id = NEW.id), NEW.id, NEW.created_at)
    ON CONFLICT (set_name) DO UPDATE SET annotations = annotations + 1, steps = steps + excluded.steps,
      first_id = min(first_id, excluded.first_id), created_at = min(created_at, excluded.created_at);
  INSERT INTO annotation_set_problems (set_name, problem_id, n) VALUES (NEW.set_name, NEW.problem_id, 1)
    ON CONFLICT (set_name, problem_id) DO UPDATE SET n = n + 1;
  INSERT INTO annotation_set_searches (set_name, search_id, n) SELECT NEW.set_name, NEW.search_id, 1 WHERE NEW.search_id IS NOT NULL
    ON CONFLICT (set_name, search_id) DO UPDATE SET n = n + 1;
END;
