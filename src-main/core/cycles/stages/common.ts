// What the stages of a cycle share: batch sizes, how a path is checked and compared, how a model is named.
import { join } from 'node:path';
import type { OrmVerdictRecord } from '../../../../src-shared/cycles';
import type { Problem } from '../../../../src-shared/domain';
import { verifyProblem } from '../../data/verify';
import { demoCheckable, labelSolution } from '../../demo/check';
import type { Store } from '../../store';
import type { NewSolution, Solution } from '../../store/solutions';
import { modelLabel } from '../../../../src-shared/modelLabel';

/** Problems decoded together in one batch. */
export const PROBLEM_BATCH = 8;
/** Solutions the ORM judges together. */
export const ORM_BATCH = 16;

export function norm(steps: readonly string[]): string {
  return steps.map((s) => s.replace(/\s+/g, ' ').trim().toLowerCase()).join('\n');
}

/** What the regenerating policy reads: the ORM's analysis and suggestion on one line. */
export function reflectionText(v: Pick<OrmVerdictRecord, 'errorAnalysis' | 'improvementSuggestion'>): string {
  const a = v.errorAnalysis.trim().replace(/[.\s]+$/, '');
  const s = v.improvementSuggestion.trim();
  return [a, s].filter(Boolean).join('. ');
}

export function checked(p: Problem, steps: readonly string[]): { verdict: NewSolution['verdict']; finalAnswer: string | null; gold: (0 | 1)[] | null; goldFirstError: number | null } {
  const v = verifyProblem(p, steps.join('\n'));
  const check = demoCheckable(p);
  const labels = check ? labelSolution(check, steps) : null;
  return { verdict: v.verdict, finalAnswer: v.extracted, gold: labels ? labels.labels : null, goldFirstError: labels ? labels.firstError : null };
}

/** Whether a solution counts as right: verified against gold, and on the demo domain every step right too. */
export function isRight(s: Solution): boolean {
  return s.verdict === 'correct';
}

export function difficulty(p: Problem): string {
  const d = p.meta.difficulty;
  return typeof d === 'number' || typeof d === 'string' ? String(d) : 'all';
}

export function label(store: Store, modelId: number): string {
  return modelLabel(store.models.get(modelId));
}
