-- Searches can be named (issue "The workbench as a researcher uses it", item 8b: rename what you made).
-- NULL: the search is known by its problem's dataset id, as before. Names are kept unique by manage.rename
-- (not by an index, so that merging two workspaces that named searches alike never fails on it).
ALTER TABLE searches ADD COLUMN name TEXT;
