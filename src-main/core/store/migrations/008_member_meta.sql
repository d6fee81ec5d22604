-- Extra fields per dataset membership (issue "Field data I", item 2). A problem is stored once by content,
-- but two datasets can hold it with different extra fields (MathVista's `precision`, MathVerse's
-- `query_cot`): each membership now keeps the fields of the row that brought the problem into that
-- dataset, and each dataset exports its own. problems.meta stays as the fields of the import that created
-- the problem, read only for a problem that is in no dataset.
ALTER TABLE dataset_problems ADD COLUMN meta TEXT NOT NULL DEFAULT '{}'; -- JSON object
-- until now every dataset showed the problem's fields: keep showing exactly those
UPDATE dataset_problems SET meta = (SELECT p.meta FROM problems p WHERE p.id = dataset_problems.problem_id);
