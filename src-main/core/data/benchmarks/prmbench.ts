// PRMBench rows (ssmisya/PRMBench @ a1ae4ea, README "Data Format"; mr_eval/tasks/prmtest_classified/
// data/*.jsonl): {original_question, modified_question, original_process, modified_process,
// modified_steps, error_steps, reason, idx, question, classification} (multi_solutions rows add
// ground_truth and original_response). The rows are made as mr_eval's task.py load_data_function makes
// them: one row `{classification}_{idx}` with the modified question and process, whose error_steps
// (1-based in the file; task.py subtracts 1) are gold 0 and every other step 1; and, from each
// `redundency` row, a correct twin `correct_{idx}` with the original question and process, every step 1.
// A key seen before in the same import is skipped, as task.py keeps the first (the import reports how
// many). No gold answer is kept on the problem (answer '', type 'text'), so the rows of a question share
// one problem; a multi_solutions row's ground_truth is kept with its solution.
import { UserError } from '../../errors';
import { optStr, requireKind, stepList, str, type ParsedBenchRow } from './common';

const oneBased = (v: unknown, key: string, where: string): number[] => {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x) && (x as number) >= 1)) throw new UserError(`${where}: field "${key}": expected a list of 1-based step numbers`);
  return (v as number[]).map((x) => x - 1);
};

export function parsePrmBenchRow(value: unknown, where: string, index: number, split: string): ParsedBenchRow[] {
  const row = requireKind('prmbench', value, where);
  const idx = typeof row.idx === 'number' ? String(row.idx) : str(row, 'idx', where);
  const classification = str(row, 'classification', where);
  const steps = stepList(row.modified_process, 'modified_process', where);
  const errorSteps = oneBased(row.error_steps, 'error_steps', where);
  const modifiedSteps = oneBased(row.modified_steps, 'modified_steps', where);
  const twin = `correct_${idx}`;
  const gold = steps.map((_, i) => (errorSteps.includes(i) ? (0 as const) : (1 as const)));
  const out: ParsedBenchRow[] = [];
  if (classification === 'redundency') {
    const original = stepList(row.original_process, 'original_process', where);
    out.push({
      id: twin,
      split,
      where,
      index,
      question: str(row, 'original_question', where),
      answer: '',
      answerType: 'text',
      images: [],
      steps: original,
      gold: original.map(() => 1 as const),
      label: -1,
      origin: 'import',
      verdict: null,
      extra: { classification: 'correct', errorSteps: [], sourceIdx: idx },
    });
  }
  out.push({
    id: `${classification}_${idx}`,
    split,
    where,
    index,
    question: str(row, 'modified_question', where),
    answer: '',
    answerType: 'text',
    images: [],
    steps,
    gold,
    label: gold.indexOf(0),
    origin: 'import',
    verdict: null,
    extra: {
      classification,
      errorSteps,
      modifiedSteps,
      twin,
      sourceIdx: idx,
      reason: optStr(row, 'reason'),
      ...(row.ground_truth !== undefined ? { ground_truth: row.ground_truth } : {}),
    },
  });
  return out;
}
