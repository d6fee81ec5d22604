// VisualProcessBench rows (the dataset card of OpenGVLab/VisualProcessBench, test.jsonl; VisualPRM paper
// §3.3): {image: [path] (or one path), question, answer, response: {steps: [str], process_correctness:
// [1 | 0 | -1]}, policy_model, data_source}. `response` is an object in the file (the card's schema says
// string, so a JSON string is read too). process_correctness 1, 0, -1 are correct, neutral, incorrect:
// gold 1, null, 0. The rows carry no id: a row's id is its own `id` field when it has one, else
// `<file name>-<0-based line index>` (as ProcessBench names its rows `gsm8k-0`). The gold answer is the
// row's `answer`, its type inferred as a problem import infers it.
import { UserError } from '../../errors';
import { inferAnswerType } from '../problemRow';
import { optStr, requireKind, stepList, str, type ParsedBenchRow } from './common';

export function parseVisualProcessBenchRow(value: unknown, where: string, index: number, split: string, fileStem: string): ParsedBenchRow {
  const row = requireKind('visualprocessbench', value, where);
  let response = row.response;
  if (typeof response === 'string') {
    try {
      response = JSON.parse(response);
    } catch {
      throw new UserError(`${where}: field "response": expected an object {steps, process_correctness} (or its JSON text)`);
    }
  }
  if (typeof response !== 'object' || response === null || Array.isArray(response)) throw new UserError(`${where}: field "response": expected an object {steps, process_correctness}`);
  const r = response as Record<string, unknown>;
  const steps = stepList(r.steps, 'response.steps', where);
  const pc = r.process_correctness;
  if (!Array.isArray(pc) || pc.length !== steps.length) {
    throw new UserError(`${where}: field "response.process_correctness": expected one of 1, 0, -1 per step (${steps.length} steps, ${Array.isArray(pc) ? pc.length : 'no'} labels)`);
  }
  const gold = pc.map((v, i) => {
    if (v === 1) return 1 as const;
    if (v === -1) return 0 as const;
    if (v === 0) return null;
    throw new UserError(`${where}: field "response.process_correctness": step ${i} is ${JSON.stringify(v)}, not 1, 0 or -1`);
  });
  const img = row.image;
  const images = img === undefined || img === null || img === '' ? [] : typeof img === 'string' ? [img] : Array.isArray(img) && img.every((x) => typeof x === 'string') ? (img as string[]) : null;
  if (images === null) throw new UserError(`${where}: field "image": expected a path or a list of paths`);
  const answer = optStr(row, 'answer') ?? (typeof row.answer === 'number' ? String(row.answer) : '');
  const id = typeof row.id === 'string' && row.id !== '' ? row.id : typeof row.id === 'number' ? String(row.id) : `${fileStem}-${index}`;
  return {
    id,
    split,
    where,
    index,
    question: str(row, 'question', where),
    answer,
    answerType: answer === '' ? 'text' : inferAnswerType(answer),
    images: images.filter((p) => p.trim() !== ''),
    imageField: 'image',
    steps,
    gold,
    label: gold.indexOf(0),
    origin: optStr(row, 'policy_model') ?? 'import',
    verdict: null,
    extra: { data_source: optStr(row, 'data_source'), process_correctness: pc },
  };
}
