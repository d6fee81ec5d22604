// PRMBench's scores as its mr_eval toolkit computes them (ssmisya/PRMBench @ a1ae4ea):
// mr_eval/tasks/prmtest_classified/task.py (evaluate_function, eval_on_hallucination_step) and the
// PRMScore of mr_visualize/eval_res_view/form_latex_strs.ipynb (get_prmscore_from_current_res_dict).
//
// A step's validity label is `score > threshold` (the models' `step_level_validity_labels`; the one rule
// of src-shared/stepRule.ts). Per row, over its labelled steps: a step listed in error_steps is counted TN
// when labelled invalid and FP when labelled valid; any other step TP when valid, FN when not; the row's
// correct / wrong / total step accuracies are lists of 0/1 per step; first_error_acc is 1 when the
// first error step (the smallest listed) is labelled invalid, 0 when valid, nothing when it lies past the
// last step; model_response_acc is the share of steps labelled valid. The "correct" rows (mr_eval makes
// one from each redundency row's original question and process) count only in their own class; every
// other row counts in its class and in the total. similarity is |model_response_acc of a row - that of
// its correct twin|, recorded only when the twin's value is truthy in Python (0 is skipped, -1 is not).
// Means of empty lists, and precisions or recalls with a zero denominator, are -1, and the F1 formulas
// are applied to those -1 values exactly as upstream does. PRMScore = 0.5·F1 + 0.5·negative F1, except
// multi_solutions (F1 alone); the three groups are the means of their classes' PRMScores.
//
// Not reproduced: ReasonEval's redundancy head (for redundency and circular rows mr_eval reads
// `step_level_redundancy_labels` when a model gives them); a PRM here gives one score per step, which is
// the validity path every other model takes. mr_eval drops a row whose model output is marked invalid;
// every row here is scored, so its validity rate is 1.
import { accepts } from '../../../src-shared/stepRule';
import type { BenchRow } from './benchMetrics';

export const PRMBENCH_CLASSES = ['circular', 'confidence', 'counterfactual', 'deception', 'domain_inconsistency', 'missing_condition', 'redundency', 'step_contradiction', 'multi_solutions'] as const;

/** form_latex_strs.ipynb's groups of classes (the leaderboard's Simplicity, Soundness, Sensitivity). */
export const PRMBENCH_GROUPS: Record<'simplicity' | 'soundness' | 'sensitivity', readonly string[]> = {
  simplicity: ['redundency', 'circular'],
  soundness: ['counterfactual', 'step_contradiction', 'domain_inconsistency', 'confidence'],
  sensitivity: ['missing_condition', 'deception', 'multi_solutions'],
};

const STEP_METRICS = ['correct_step_acc', 'wrong_step_acc', 'total_step_acc', 'first_error_acc'] as const;
const LIST_METRICS = [...STEP_METRICS, 'similarity'] as const;
type ListMetric = (typeof LIST_METRICS)[number];

interface Confusion {
  TP: number;
  FP: number;
  TN: number;
  FN: number;
}

/** One row's numbers (eval_on_hallucination_step). */
export interface PrmbenchRowResult {
  lists: Record<(typeof STEP_METRICS)[number], number[]>;
  confusion: Confusion;
  /** share of steps labelled valid; -1 for a row without steps */
  modelResponseAcc: number;
}

export function prmbenchRow(errorSteps: readonly number[], labels: readonly boolean[]): PrmbenchRowResult {
  const errors = new Set(errorSteps);
  const firstError = errorSteps.length ? Math.min(...errorSteps) : -1;
  const lists = { correct_step_acc: [] as number[], wrong_step_acc: [] as number[], total_step_acc: [] as number[], first_error_acc: [] as number[] };
  const confusion: Confusion = { TP: 0, FP: 0, TN: 0, FN: 0 };
  labels.forEach((valid, i) => {
    if (i === firstError) lists.first_error_acc.push(valid ? 0 : 1);
    if (errors.has(i)) {
      lists.wrong_step_acc.push(valid ? 0 : 1);
      lists.total_step_acc.push(valid ? 0 : 1);
      if (valid) confusion.FP++;
      else confusion.TN++;
    } else {
      lists.correct_step_acc.push(valid ? 1 : 0);
      lists.total_step_acc.push(valid ? 1 : 0);
      if (valid) confusion.TP++;
      else confusion.FN++;
    }
  });
  const valid = labels.filter(Boolean).length;
  return { lists, confusion, modelResponseAcc: labels.length ? valid / labels.length : -1 };
}

/** precision, recall, F1 and their negatives, with mr_eval's -1 for a zero denominator. */
export interface PrmbenchF1 {
  precision: number;
  recall: number;
  f1: number;
  negative_precision: number;
  negative_recall: number;
  negative_f1: number;
}

const ratio = (a: number, b: number): number => (b !== 0 ? a / b : -1);
const f1Of = (p: number, r: number): number => (p + r !== 0 ? (2 * p * r) / (p + r) : -1);

export function prmbenchF1(c: Confusion): PrmbenchF1 {
  const precision = ratio(c.TP, c.TP + c.FP);
  const recall = ratio(c.TP, c.TP + c.FN);
  const negative_precision = ratio(c.TN, c.TN + c.FN);
  const negative_recall = ratio(c.TN, c.TN + c.FP);
  return { precision, recall, f1: f1Of(precision, recall), negative_precision, negative_recall, negative_f1: f1Of(negative_precision, negative_recall) };
}

export type PrmbenchScores = Record<ListMetric, number> & PrmbenchF1 & { confusion: Confusion };

export interface PrmbenchResult {
  /** the leaderboard's overall PRMScore (over every row but the correct ones) */
  prmScore: number;
  total: PrmbenchScores;
  /** per class, the correct rows included as class "correct" */
  byClass: Record<string, PrmbenchScores & { rows: number; prmScore: number }>;
  /** the means of the groups' classes' PRMScores (classes absent from the rows left out; null when none is there) */
  groups: Record<keyof typeof PRMBENCH_GROUPS, number | null>;
  /** mr_eval's valid_num / (rows - correct rows); every row is scored here */
  validityRate: number;
}

const mean = (l: readonly number[]): number => (l.length ? l.reduce((a, b) => a + b, 0) / l.length : -1);

/** mr_eval's evaluate_function on scored rows at a threshold. */
export function prmbenchScore(rows: readonly BenchRow[], threshold: number): PrmbenchResult {
  const totalLists: Record<ListMetric, number[]> = { correct_step_acc: [], wrong_step_acc: [], total_step_acc: [], first_error_acc: [], similarity: [] };
  const totalConf: Confusion = { TP: 0, FP: 0, TN: 0, FN: 0 };
  const classLists = new Map<string, Record<ListMetric, number[]>>();
  const classConf = new Map<string, Confusion>();
  const classRows = new Map<string, number>();
  const twinAcc = new Map<string, number>();
  const classOf = (r: BenchRow): string => r.classification ?? 'unknown';
  for (const r of rows) {
    const c = classOf(r);
    if (!classLists.has(c)) {
      classLists.set(c, { correct_step_acc: [], wrong_step_acc: [], total_step_acc: [], first_error_acc: [], similarity: [] });
      classConf.set(c, { TP: 0, FP: 0, TN: 0, FN: 0 });
    }
    classRows.set(c, (classRows.get(c) ?? 0) + 1);
  }
  const add = (into: Confusion, c: Confusion): void => {
    into.TP += c.TP;
    into.FP += c.FP;
    into.TN += c.TN;
    into.FN += c.FN;
  };
  const labelsOf = (r: BenchRow): boolean[] => r.scores.map((s) => accepts(s, threshold));
  // the correct rows first: their model_response_acc is what the others are compared with
  for (const r of rows) {
    if (classOf(r) !== 'correct') continue;
    const res = prmbenchRow(r.errorSteps ?? [], labelsOf(r));
    for (const m of STEP_METRICS) classLists.get('correct')![m].push(...res.lists[m]);
    add(classConf.get('correct')!, res.confusion);
    twinAcc.set(r.id, res.modelResponseAcc);
  }
  for (const r of rows) {
    const c = classOf(r);
    if (c === 'correct') continue;
    const res = prmbenchRow(r.errorSteps ?? [], labelsOf(r));
    for (const m of STEP_METRICS) {
      totalLists[m].push(...res.lists[m]);
      classLists.get(c)![m].push(...res.lists[m]);
    }
    add(classConf.get(c)!, res.confusion);
    add(totalConf, res.confusion);
    const twin = r.twin === undefined ? undefined : twinAcc.get(r.twin);
    // Python's `if correct_item_acc and item_acc != -1`: None and 0 are skipped
    if (twin !== undefined && twin !== 0 && res.modelResponseAcc !== -1) {
      const d = Math.abs(res.modelResponseAcc - twin);
      totalLists.similarity.push(d);
      classLists.get(c)!.similarity.push(d);
    }
  }
  const scores = (lists: Record<ListMetric, number[]>, conf: Confusion): PrmbenchScores =>
    ({ ...(Object.fromEntries(LIST_METRICS.map((m) => [m, mean(lists[m])])) as Record<ListMetric, number>), ...prmbenchF1(conf), confusion: { ...conf } });
  const total = scores(totalLists, totalConf);
  const byClass: PrmbenchResult['byClass'] = {};
  for (const [c, lists] of classLists) {
    const s = scores(lists, classConf.get(c)!);
    byClass[c] = { ...s, rows: classRows.get(c)!, prmScore: c === 'multi_solutions' ? s.f1 : 0.5 * s.f1 + 0.5 * s.negative_f1 };
  }
  const groups = Object.fromEntries(
    Object.entries(PRMBENCH_GROUPS).map(([g, classes]) => {
      const have = classes.filter((c) => byClass[c]).map((c) => byClass[c].prmScore);
      return [g, have.length ? have.reduce((a, b) => a + b, 0) / have.length : null];
    }),
  ) as PrmbenchResult['groups'];
  const others = rows.filter((r) => classOf(r) !== 'correct').length;
  return { prmScore: 0.5 * total.f1 + 0.5 * total.negative_f1, total, byClass, groups, validityRate: others ? 1 : -1 };
}
