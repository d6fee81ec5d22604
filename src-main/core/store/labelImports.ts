// What `import-labels` needs of the database: the staged units of a job, the units imported already (by
// content hash, one index look-up each), problems found by their question, the rollout texts and judge
// values trees bring, and the moves of `annotations split`. Every statement goes through an index.
import type { AnswerType } from '../../../src-shared/domain';
import type { DB } from './db';
import { nowIso, prep } from './db';

/** A problem that has the question a label file names, with what the match rule compares. */
export interface QuestionMatch {
  id: number;
  answer: string;
  answerType: AnswerType;
  imageHashes: string[];
  /** a member of the dataset being imported into */
  inDataset: boolean;
}

export interface StagedLabelRow {
  seq: number;
  hash: string;
  payload: string;
}

export class LabelImportsRepo {
  constructor(private readonly db: DB) {}

  /** Whether a unit with this content hash was published already. */
  imported(hash: string): boolean {
    return prep(this.db, 'SELECT 1 FROM label_imports WHERE hash = ?').get(hash) !== undefined;
  }

  /** The problem of a published unit, or undefined when the unit is not imported yet. */
  importedProblem(hash: string): number | undefined {
    return (prep(this.db, 'SELECT problem_id FROM label_imports WHERE hash = ?').get(hash) as { problem_id: number } | undefined)?.problem_id;
  }

  record(r: { hash: string; format: string; problemId: number; searchId: number | null; jobId: number | null }): void {
    prep(this.db, 'INSERT INTO label_imports (hash, format, problem_id, search_id, job_id, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
      r.hash,
      r.format,
      r.problemId,
      r.searchId,
      r.jobId,
      nowIso(),
    );
  }

  // ---- staging ----

  stage(jobId: number, rows: readonly StagedLabelRow[]): void {
    const ins = prep(this.db, 'INSERT INTO staging_labels (job_id, seq, hash, payload) VALUES (?, ?, ?, ?)');
    for (const r of rows) ins.run(jobId, r.seq, r.hash, r.payload);
  }

  isStaged(jobId: number, hash: string): boolean {
    return prep(this.db, 'SELECT 1 FROM staging_labels WHERE job_id = ? AND hash = ?').get(jobId, hash) !== undefined;
  }

  stagedCount(jobId: number): number {
    return (prep(this.db, 'SELECT count(*) AS n FROM staging_labels WHERE job_id = ?').get(jobId) as { n: number }).n;
  }

  stagedPage(jobId: number, afterSeq: number, limit: number): StagedLabelRow[] {
    return prep(this.db, 'SELECT seq, hash, payload FROM staging_labels WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?').all(jobId, afterSeq, limit) as StagedLabelRow[];
  }

  // ---- problems ----

  problemByFingerprint(fingerprint: string): number | undefined {
    return (prep(this.db, 'SELECT id FROM problems WHERE fingerprint = ?').get(fingerprint) as { id: number } | undefined)?.id;
  }

  /** Problems with exactly this question (index problems_by_question), oldest first. */
  problemsByQuestion(question: string, datasetId: number | null): QuestionMatch[] {
    const rows = prep(
      this.db,
      `SELECT p.id, p.answer, p.answer_type AS answerType,
              (SELECT json_group_array(image_hash) FROM (SELECT image_hash FROM problem_images pi WHERE pi.problem_id = p.id ORDER BY position)) AS images,
              EXISTS (SELECT 1 FROM dataset_problems d WHERE d.dataset_id = @datasetId AND d.problem_id = p.id) AS inDataset
       FROM problems p WHERE p.question = @question ORDER BY p.id`,
    ).all({ question, datasetId }) as { id: number; answer: string; answerType: AnswerType; images: string; inDataset: number }[];
    return rows.map((r) => ({ id: r.id, answer: r.answer, answerType: r.answerType, imageHashes: JSON.parse(r.images) as string[], inDataset: r.inDataset === 1 }));
  }

  /** Gives a problem known only by its question the answer a later file brings. */
  fillAnswer(problemId: number, answer: string, answerType: AnswerType, fingerprint: string): void {
    prep(this.db, 'UPDATE problems SET answer = ?, answer_type = ?, fingerprint = ? WHERE id = ?').run(answer, answerType, fingerprint, problemId);
  }

  /** The problem's ext id in a dataset, or undefined when it is not a member. */
  memberExtId(datasetId: number, problemId: number): string | undefined {
    return (prep(this.db, 'SELECT ext_id FROM dataset_problems WHERE dataset_id = ? AND problem_id = ?').get(datasetId, problemId) as { ext_id: string } | undefined)?.ext_id;
  }

  extIdTaken(datasetId: number, extId: string): boolean {
    return prep(this.db, 'SELECT 1 FROM dataset_problems WHERE dataset_id = ? AND ext_id = ?').get(datasetId, extId) !== undefined;
  }

  // ---- what trees bring beside their nodes ----

  insertRollouts(rows: readonly { nodeId: number; correct: string; incorrect: string }[]): void {
    const ins = prep(this.db, 'INSERT INTO node_rollouts (node_id, correct, incorrect) VALUES (?, ?, ?)');
    for (const r of rows) ins.run(r.nodeId, r.correct, r.incorrect);
  }

  /** One node's kept rollouts (each a list of steps), or null when its producer kept none. */
  rollouts(nodeId: number): { correct: string[][]; incorrect: string[][] } | null {
    const r = prep(this.db, 'SELECT correct, incorrect FROM node_rollouts WHERE node_id = ?').get(nodeId) as { correct: string; incorrect: string } | undefined;
    return r ? { correct: JSON.parse(r.correct) as string[][], incorrect: JSON.parse(r.incorrect) as string[][] } : null;
  }

  /** Every kept rollout of a search's nodes, by node id. */
  searchRollouts(searchId: number): Map<number, { correct: string[][]; incorrect: string[][] }> {
    const rows = prep(this.db, 'SELECT r.node_id AS id, r.correct, r.incorrect FROM tree_nodes t CROSS JOIN node_rollouts r ON r.node_id = t.id WHERE t.search_id = ? ORDER BY t.id').all(searchId) as {
      id: number;
      correct: string;
      incorrect: string;
    }[];
    return new Map(rows.map((r) => [r.id, { correct: JSON.parse(r.correct) as string[][], incorrect: JSON.parse(r.incorrect) as string[][] }]));
  }

  /**
   * Per node of a search in id order (the explorer's column order): how many rollouts were kept, and
   * the judge's view (meta.judge: MM-PRM's logprob_yes, logprob_no, llm_as_a_judge). Null when the search
   * has neither.
   */
  nodeExtras(searchId: number): { keptCorrect: number[]; keptIncorrect: number[]; judge: { yes: (number | null)[]; no: (number | null)[]; score: (number | null)[] } | null } | null {
    const rows = prep(
      this.db,
      `SELECT json_array_length(r.correct) AS c, json_array_length(r.incorrect) AS i,
              json_extract(t.meta, '$.judge.yes') AS yes, json_extract(t.meta, '$.judge.no') AS no, json_extract(t.meta, '$.judge.score') AS score
       FROM tree_nodes t LEFT JOIN node_rollouts r ON r.node_id = t.id WHERE t.search_id = ? ORDER BY t.id`,
    ).all(searchId) as { c: number | null; i: number | null; yes: number | null; no: number | null; score: number | null }[];
    const anyKept = rows.some((r) => r.c !== null);
    const anyJudge = rows.some((r) => r.yes !== null || r.no !== null || r.score !== null);
    if (!anyKept && !anyJudge) return null;
    return {
      keptCorrect: rows.map((r) => r.c ?? 0),
      keptIncorrect: rows.map((r) => r.i ?? 0),
      judge: anyJudge ? { yes: rows.map((r) => r.yes), no: rows.map((r) => r.no), score: rows.map((r) => r.score) } : null,
    };
  }

  // ---- annotations split ----

  /** The problems an annotation set holds, with their fingerprints, and how many annotations each. */
  setProblems(setName: string): { problemId: number; fingerprint: string; annotations: number }[] {
    return prep(
      this.db,
      'SELECT a.problem_id AS problemId, p.fingerprint, count(*) AS annotations FROM annotations a JOIN problems p ON p.id = a.problem_id WHERE a.set_name = ? GROUP BY a.problem_id ORDER BY a.problem_id',
    ).all(setName) as { problemId: number; fingerprint: string; annotations: number }[];
  }

  setExists(setName: string): boolean {
    return prep(this.db, 'SELECT 1 FROM annotations WHERE set_name = ? LIMIT 1').get(setName) !== undefined;
  }

  /** Moves the annotations of `problemIds` from one set to another; returns how many moved. */
  moveToSet(from: string, problemIds: readonly number[], to: string): number {
    const mv = prep(this.db, 'UPDATE annotations SET set_name = ? WHERE set_name = ? AND problem_id = ?');
    let n = 0;
    for (const id of problemIds) n += mv.run(to, from, id).changes;
    return n;
  }

  // ---- trees of a dataset (export) ----

  /** The searches of a dataset's problems in dataset order, with each problem's ext id; setName: only those whose annotations went into that set. */
  datasetSearches(datasetId: number, q: { split?: string; limit?: number; setName?: string }): { id: number; extId: string }[] {
    return prep(
      this.db,
      `SELECT s.id, d.ext_id AS extId FROM searches s JOIN dataset_problems d ON d.problem_id = s.problem_id AND d.dataset_id = @datasetId
       WHERE (@split IS NULL OR d.split = @split)
         AND (@setName IS NULL OR EXISTS (SELECT 1 FROM annotations a WHERE a.search_id = s.id AND a.set_name = @setName))
       ORDER BY d.position, s.id LIMIT @limit`,
    ).all({ datasetId, split: q.split ?? null, setName: q.setName ?? null, limit: q.limit ?? -1 }) as { id: number; extId: string }[];
  }
}
