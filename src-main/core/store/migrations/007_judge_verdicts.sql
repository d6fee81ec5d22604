-- The LLM judge's answers (issue #10 item 3), cached so that one (gold, final answer) pair is never asked
-- twice of the same judge model, within a job or across jobs. The key: the judge model (a registered
-- version), the prompt's version, the gold answer's type, the gold answer and the answer shown to the
-- judge, both with whitespace runs collapsed and trimmed; `source` says whether that answer is the
-- extracted final answer or, when none could be extracted, the solution's last lines. `verdict` is the
-- judge's answer read as YES or NO, or 'unparsed' when it was neither (the rule verdict then stands);
-- `raw` is what the judge said.
CREATE TABLE judge_verdicts (
  model_id        INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  prompt_version  INTEGER NOT NULL,
  answer_type     TEXT NOT NULL,
  gold            TEXT NOT NULL,
  source          TEXT NOT NULL CHECK (source IN ('extracted', 'tail')),
  answer          TEXT NOT NULL,
  verdict         TEXT NOT NULL CHECK (verdict IN ('YES', 'NO', 'unparsed')),
  raw             TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  PRIMARY KEY (model_id, prompt_version, answer_type, gold, source, answer)
) WITHOUT ROWID;
