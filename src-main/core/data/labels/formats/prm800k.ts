// `prm800k`: OpenAI's PRM800K labelled solutions, phase 1 and phase 2 rows (openai/prm800k @ 7ecc794,
// README): {labeler, timestamp, generation, is_quality_control_question, is_initial_screening_question,
// question: {problem, ground_truth_answer, ground_truth_solution?, pre_generated_steps?, ...},
// label: {steps: [{completions: [{text, rating, flagged}], human_completion, chosen_completion}],
// total_time, finish_reason}}.
//
// A row is a tree: at each step every rated completion is a child of the path so far, and the chosen one
// (or the labeller's own human_completion) continues it; labelling stops where no completion was chosen.
// The paths are those TRL's examples/datasets/prm800k.py makes (trl @ f2cd577): one per completion not
// chosen (the path so far, then it), and the chosen trajectory. Ratings become labels: 1 -> 1, 0 (neutral)
// -> 0.5, -1 -> 0; a human completion 1; a completion without a rating 0 (TRL's converter reads every
// rating but 1 as false: export with --label-threshold 0.5 to read neutral steps its way).
import { asObj, isObj, itemPath, keyPath, list, need, optScalar, optStr, rest, str } from '../fields';
import { FieldError, perRecord, type LabelFormat, type LabelNode, type LabelPath, type LabelUnit } from '../types';

const label = (rating: unknown, path: string): number => {
  if (rating === null || rating === undefined) return 0;
  if (rating === 1) return 1;
  if (rating === 0) return 0.5;
  if (rating === -1) return 0;
  throw new FieldError(path, `field "rating": must be -1, 0, 1 or null (got ${JSON.stringify(rating)})`);
};

function readPrm800k(value: unknown): LabelUnit {
  const o = asObj(value, '');
  const q = asObj(need(o, 'question', ''), 'question');
  const question = str(q, 'problem', 'question', { nonEmpty: true });
  const answer = optScalar(q, 'ground_truth_answer', 'question');
  const l = asObj(need(o, 'label', ''), 'label');
  const steps = list(l, 'steps', 'label');
  const root: LabelNode = { id: 0, parent: null, steps: [], mc: null, visits: 0, rollouts: 0, correct: 0, q: null, firstError: false, terminal: false, meta: {} };
  const nodes: LabelNode[] = [root];
  const paths: LabelPath[] = [];
  let cur = root;
  const prefix: { text: string; label: number; node: number }[] = [];
  const add = (parent: LabelNode, text: string, mc: number, meta: Record<string, unknown>): LabelNode => {
    const n: LabelNode = { id: nodes.length, parent: parent.id, steps: [text], mc, visits: 0, rollouts: 0, correct: 0, q: null, firstError: mc === 0 && (parent.mc === null || parent.mc > 0), terminal: false, meta };
    nodes.push(n);
    return n;
  };
  const pathOf = (extra: { text: string; label: number; node: number }[]): LabelPath => ({ steps: extra.map((x) => x.text), labels: extra.map((x) => x.label), nodes: extra.map((x) => x.node) });
  for (let i = 0; i < steps.length; i++) {
    const sp = itemPath('label.steps', i);
    const s = asObj(steps[i], sp);
    const completions = s.completions === null || s.completions === undefined ? null : list(s, 'completions', sp);
    const human = s.human_completion === null || s.human_completion === undefined ? null : asObj(s.human_completion, keyPath(sp, 'human_completion'));
    const chosenRaw = s.chosen_completion;
    if (completions === null && human === null && (chosenRaw === null || chosenRaw === undefined)) break;
    if (chosenRaw !== null && chosenRaw !== undefined && (typeof chosenRaw !== 'number' || !Number.isInteger(chosenRaw) || chosenRaw < 0 || chosenRaw >= (completions?.length ?? 0))) {
      throw new FieldError(sp, `field "chosen_completion": must be null or the index of one of its ${completions?.length ?? 0} completions (got ${JSON.stringify(chosenRaw)})`);
    }
    const chosen = chosenRaw as number | null | undefined;
    let next: { node: LabelNode; label: number; text: string } | null = null;
    const list_ = completions ?? [];
    for (let j = 0; j < list_.length; j++) {
      const cp = itemPath(keyPath(sp, 'completions'), j);
      const c = asObj(list_[j], cp);
      const text = str(c, 'text', cp);
      const lab = label(c.rating, cp);
      const n = add(cur, text, lab, { step: i, completion: j, rating: c.rating ?? null, flagged: c.flagged ?? null });
      if (j === chosen) next = { node: n, label: lab, text };
      else paths.push(pathOf([...prefix, { text, label: lab, node: n.id }]));
    }
    if (next === null && human !== null) {
      const text = str(human, 'text', keyPath(sp, 'human_completion'));
      next = { node: add(cur, text, 1, { step: i, human: true, rating: human.rating ?? null }), label: 1, text };
    }
    if (next === null) break;
    const { node: n, label: lab, text } = next;
    prefix.push({ text, label: lab, node: n.id });
    cur = n;
  }
  if (prefix.length) paths.push(pathOf(prefix));
  const stats: Record<string, unknown> = {};
  for (const k of ['labeler', 'timestamp', 'generation', 'is_quality_control_question', 'is_initial_screening_question']) if (k in o) stats[k] = o[k];
  for (const k of ['total_time', 'finish_reason']) if (k in l) stats[k] = l[k];
  const solution = optStr(q, 'ground_truth_solution', 'question');
  return {
    problem: { question, answer, answerType: null, images: null, extId: null, source: 'prm800k', meta: solution === null ? {} : { solution } },
    tree: { algorithm: 'human', config: {}, status: 'imported', stats: { ...stats, question: rest(q, ['problem', 'ground_truth_answer', 'ground_truth_solution']) }, nodes, events: [], delimiter: '\n' },
    paths,
    warnings: [],
  };
}

export const prm800kFormat: LabelFormat = {
  name: 'prm800k',
  description: "PRM800K labelled solutions (phase 1 and 2 rows): question.problem, label.steps with rated completions",
  looksLike: (v) => (isObj(v) && isObj(v.question) && 'problem' in v.question && isObj(v.label) && Array.isArray(v.label.steps) ? 'has "question.problem" and "label.steps"' : null),
  open: perRecord('prm800k', readPrm800k),
};
