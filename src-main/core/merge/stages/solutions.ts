// Merge stage: solutions, by problem, model, origin, answer, verdict, settings, provider, ORM verdict,
// cycle role, creation time and step texts and gold labels; with their steps and PRM step scores.
import type { MergeSide } from '../../store/merge';
import { canonicalJson, canonicalValue, sha256 } from '../identity';
import type { Row, SourceMerge } from '../sourceMerge';

function solutionKey(row: Row, problemId: number, modelId: number | null, steps: readonly Row[]): string {
  return sha256(
    canonicalJson([
      problemId,
      modelId,
      row.origin,
      row.final_answer,
      row.verdict,
      canonicalValue(row.settings),
      row.provider,
      canonicalValue(row.orm ?? null),
      row.cycle_role ?? null,
      row.created_at,
      steps.map((s) => [s.text, s.gold_label ?? null]),
    ]),
  );
}

export function mergeSolutions(m: SourceMerge): void {
  const stepsOf = (side: MergeSide, id: number): Row[] => side.stepKeys(id);
  for (const row of m.s.rows('solutions') as (Row & { id: number; problem_id: number; model_id: number | null; parent_solution_id: number | null; created_at: string })[]) {
    const problemId = m.problem(row.problem_id);
    const modelId = m.model(row.model_id);
    const steps = stepsOf(m.s, row.id);
    const key = solutionKey(row, problemId, modelId, steps);
    const candidates = m.t.solutionsAt(problemId, row.created_at) as (Row & { id: number; model_id: number | null })[];
    const match = m.nth('solution', key, candidates, (c) => solutionKey(c, problemId, c.model_id, stepsOf(m.t, c.id)));
    let id: number;
    if (match) {
      id = match.id;
      m.count('solutions', 'skipped');
    } else {
      const parent = row.parent_solution_id === null ? null : (m.solutions.get(row.parent_solution_id) ?? null);
      id = m.insert('solutions', { ...row, problem_id: problemId, model_id: modelId, job_id: null, cycle_id: null, parent_solution_id: parent });
      for (const s of m.s.steps(row.id)) m.insert('steps', { ...s, solution_id: id }, true);
      m.count('solutions', 'added');
    }
    m.solutions.set(row.id, id);
    for (const sc of m.s.stepScores(row.id)) {
      const modelOfScore = m.model(sc.model_id)!;
      const have = m.t.stepScore(modelOfScore, id, sc.idx);
      if (!have) {
        m.t.insertStepScore(id, modelOfScore, sc.idx, sc.score);
        m.count('step_scores', 'added');
      } else {
        if (have.score !== sc.score) m.conflict('step_scores', `solution ${id} step ${sc.idx}: the target's score ${have.score} by model ${modelOfScore} kept (source: ${sc.score})`);
        m.count('step_scores', 'skipped');
      }
    }
  }
}
