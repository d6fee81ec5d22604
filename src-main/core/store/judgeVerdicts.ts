// The answer judge's cached verdicts (table judge_verdicts), one per judge model, prompt version and
// (answer type, gold, source, answer); data/verify/judge.ts decides what is asked and what a verdict means.
import type { DB } from './db';
import { nowIso, prep } from './db';

export interface JudgeVerdictKey {
  modelId: number;
  promptVersion: number;
  answerType: string;
  gold: string;
  source: string;
  answer: string;
}

/** A key's values in the order of the key columns (model_id, prompt_version, answer_type, gold, source, answer). */
const keyValues = (k: JudgeVerdictKey): [number, number, string, string, string, string] => [k.modelId, k.promptVersion, k.answerType, k.gold, k.source, k.answer];

export class JudgeVerdictsRepo {
  constructor(private readonly db: DB) {}

  /** Whether the connection is still open (a verdict that arrives after a job closed it is dropped). */
  get open(): boolean {
    return this.db.open;
  }

  get<V extends string>(k: JudgeVerdictKey): { verdict: V; raw: string } | undefined {
    return prep(this.db, 'SELECT verdict, raw FROM judge_verdicts WHERE model_id = ? AND prompt_version = ? AND answer_type = ? AND gold = ? AND source = ? AND answer = ?').get(...keyValues(k)) as { verdict: V; raw: string } | undefined;
  }

  /** One small transaction of its own (an autocommitted insert); a pair already cached is kept. */
  put(k: JudgeVerdictKey, verdict: string, raw: string): void {
    prep(this.db, 'INSERT OR IGNORE INTO judge_verdicts (model_id, prompt_version, answer_type, gold, source, answer, verdict, raw, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
      ...keyValues(k),
      verdict,
      raw,
      nowIso(),
    );
  }

  count(modelId: number): number {
    return (prep(this.db, 'SELECT count(*) AS n FROM judge_verdicts WHERE model_id = ?').get(modelId) as { n: number }).n;
  }
}
