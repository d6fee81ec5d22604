-- The Problems table filters a dataset by its problems' solutions (solved / unsolved / none): with the
-- verdict in the index, "has a correct solution" is answered from the index alone.
CREATE INDEX solutions_by_problem_verdict ON solutions(problem_id, verdict);
DROP INDEX solutions_by_problem;
