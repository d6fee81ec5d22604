// ProcessBench rows (QwenLM/ProcessBench @ e802463, README "Data Usage"; the Hugging Face dataset
// Qwen/ProcessBench, one file per split: gsm8k, math, olympiadbench, omnimath):
//   {id, generator, problem, steps: [str], final_answer_correct: bool, label: int}
// `label` is the 0-based index of the first wrong step, or -1 when every step is right. Steps before the
// label are correct (gold 1), the labelled one incorrect (0), the ones after it unlabelled (null):
// ProcessBench's annotators stop at the first error. The benchmark gives no gold answer, so the problem
// is stored with answer '' and answer type 'text' (rows with the same problem text share one problem).
import { UserError } from '../../errors';
import { optStr, requireKind, stepList, str, type ParsedBenchRow } from './common';

export function parseProcessBenchRow(value: unknown, where: string, index: number, split: string): ParsedBenchRow {
  const row = requireKind('processbench', value, where);
  const id = typeof row.id === 'number' ? String(row.id) : str(row, 'id', where);
  const question = str(row, 'problem', where);
  const steps = stepList(row.steps, 'steps', where);
  const label = row.label;
  if (typeof label !== 'number' || !Number.isInteger(label) || label < -1 || label >= steps.length) {
    throw new UserError(`${where}: field "label": ${JSON.stringify(label)} is neither -1 nor the index of one of its ${steps.length} steps`);
  }
  const fac = row.final_answer_correct;
  if (fac !== undefined && fac !== null && typeof fac !== 'boolean') throw new UserError(`${where}: field "final_answer_correct": expected true or false`);
  return {
    id,
    split,
    where,
    index,
    question,
    answer: '',
    answerType: 'text',
    images: [],
    steps,
    gold: steps.map((_, i) => (label === -1 || i < label ? 1 : i === label ? 0 : null)),
    label,
    origin: optStr(row, 'generator') ?? 'import',
    verdict: typeof fac === 'boolean' ? (fac ? 'correct' : 'incorrect') : null,
    extra: { final_answer_correct: typeof fac === 'boolean' ? fac : null },
  };
}
