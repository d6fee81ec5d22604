-- Curation records grow: a curated step text (action 'text', original text kept in annotation_steps),
-- who made the edit, the batch it was made in (a bulk action is one batch, undone and redone as one),
-- and undo as a mark on the record (undone_at), never a deletion. SQLite cannot change a CHECK
-- constraint in place, so the table is rebuilt with its rows and ids.
CREATE TABLE curation_edits_v3 (
  id             INTEGER PRIMARY KEY,
  annotation_id  INTEGER NOT NULL REFERENCES annotations(id) ON DELETE CASCADE,
  step_idx       INTEGER,                    -- NULL = the whole annotation
  action         TEXT NOT NULL CHECK (action IN ('accept','reject','relabel','comment','text')),
  value          REAL,                       -- relabel: the new soft label
  comment        TEXT,
  text           TEXT,                       -- text: the curated step text
  author         TEXT,
  batch          INTEGER NOT NULL,           -- edits made in one action share it
  undone_at      TEXT,                       -- set by undo, cleared by redo; NULL = in force
  created_at     TEXT NOT NULL
);
INSERT INTO curation_edits_v3 (id, annotation_id, step_idx, action, value, comment, text, author, batch, undone_at, created_at)
  SELECT id, annotation_id, step_idx, action, value, comment, NULL, NULL, id, NULL, created_at FROM curation_edits;
DROP TABLE curation_edits;
ALTER TABLE curation_edits_v3 RENAME TO curation_edits;
CREATE INDEX curation_edits_by_annotation ON curation_edits(annotation_id, id);
CREATE INDEX curation_edits_by_batch ON curation_edits(batch);
