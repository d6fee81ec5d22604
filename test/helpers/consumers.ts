// The field's readers of Steplab's exports, re-implemented in TypeScript from each consumer's own code
// (the file and commit are named per reader; written here, not copied). Used by
// test/export-consumers.test.ts to check that every exported row is accepted and read as meant.

/** Python's int() on a JSON label: bools to 0/1, floats truncated toward zero. */
export const pyInt = (v: unknown): number => (typeof v === 'boolean' ? (v ? 1 : 0) : Math.trunc(v as number));

/**
 * TRL PRMTrainer.tokenize_row (trl/experimental/prm/prm_trainer.py @ f2cd577), label handling only:
 * labels = [int(label) for label in labels]; completions and labels zipped with strict=True. Returns the
 * per-step labels the trainer trains on.
 */
export function trlReads(row: Record<string, any>): number[] {
  if (typeof row.prompt !== 'string') throw new Error('prompt is not a string');
  if (!Array.isArray(row.completions) || !row.completions.every((c: unknown) => typeof c === 'string')) throw new Error('completions are not strings');
  if (!Array.isArray(row.labels) || row.labels.length !== row.completions.length) throw new Error('zip(strict=True): lengths differ');
  return row.labels.map(pyInt);
}

/**
 * TRL examples/datasets/math_shepherd.py process_example + its map(remove_columns=["input", "label", "task"])
 * (@ f2cd577): "ки" swapped for "ⶻ", labels read at those indexes in `label`, the text split there, the
 * first step taken out of the prompt by splitting on "Step 1:" into exactly two parts, a list of
 * known-bad prompts losing their first label, and the lengths asserted equal.
 */
export const TRL_QUIRKS = ['Mr. Rocky', 'Parker', 'What is the smallest positive', ' The Myth', 'Let $\\mathbf{a}$', 'Find the arithmetic', 'Determine an ordered pair', 'Determine the ordered pair', 'At the Quill and Scroll stationery', 'Round to the nearest', 'Calculate $\\sqrt{10p}', 'Simplify $\\sqrt{28x}'];
export function trlShepherdReads(row: Record<string, any>): { prompt: string; completions: string[]; labels: boolean[] } {
  for (const col of ['input', 'label', 'task']) if (!(col in row)) throw new Error(`remove_columns: column "${col}" missing`);
  const inputs = (row.input as string).replaceAll('ки', 'ⶻ');
  const idx = [...inputs.matchAll(/ⶻ/g)].map((m) => m.index!);
  if (!idx.every((i) => row.label[i] === '+' || row.label[i] === '-')) throw new Error('a tag index is not + or -');
  let labels = idx.map((i) => row.label[i] === '+');
  const bounds = [0, ...idx];
  const parts = bounds.map((b, k) => inputs.slice(b, k + 1 < bounds.length ? bounds[k + 1] : undefined)).slice(0, -1);
  let prompt = parts[0];
  let completions = parts.slice(1);
  if (!completions.every((c) => c.startsWith('ⶻ'))) throw new Error('completion without its tag');
  completions = completions.map((c) => c.slice(1).trim());
  if (TRL_QUIRKS.some((q) => prompt.startsWith(q))) labels = labels.slice(1);
  else if (prompt.includes('Step 1:')) {
    const split = prompt.split('Step 1:');
    if (split.length !== 2) throw new Error('ValueError: too many values to unpack');
    prompt = split[0];
    completions = [('Step 1:' + split[1]).trim(), ...completions];
  } else throw new Error("Prompt can't be processed");
  if (completions.length !== labels.length) throw new Error('len(completions) != len(labels)');
  return { prompt: prompt.trim(), completions, labels };
}

/**
 * TRL examples/datasets/prm800k.py process_example + its batched map removing exactly the seven PRM800K
 * columns (@ f2cd577): a batched map that changes the row count fails when any other column is left.
 * One row per non-chosen completion (prefix + it), then the chosen trajectory.
 */
export const PRM800K_COLUMNS = ['labeler', 'timestamp', 'generation', 'is_quality_control_question', 'is_initial_screening_question', 'question', 'label'];
export function trlPrm800kReads(row: Record<string, any>): { completions: string[]; labels: boolean[] }[] {
  const extra = Object.keys(row).filter((k) => !PRM800K_COLUMNS.includes(k));
  if (extra.length) throw new Error(`column(s) ${extra.join(', ')} left after remove_columns: row count changes, datasets fails`);
  const out: { completions: string[]; labels: boolean[] }[] = [];
  const prev: string[] = [];
  const prevLabels: boolean[] = [];
  for (const step of row.label.steps) {
    if (step.completions === null && step.human_completion === null && step.chosen_completion === null) break;
    step.completions.forEach((c: { text: string; rating: number }, i: number) => {
      if (i !== step.chosen_completion) out.push({ completions: [...prev, c.text], labels: [...prevLabels, c.rating === 1] });
    });
    let chosen: { text: string; rating?: number };
    let label: boolean;
    if (step.chosen_completion !== null) [chosen, label] = [step.completions[step.chosen_completion], step.completions[step.chosen_completion].rating === 1];
    else if (step.human_completion !== null) [chosen, label] = [step.human_completion, true];
    else break;
    prev.push(chosen.text);
    prevLabels.push(label);
  }
  out.push({ completions: prev, labels: prevLabels });
  return out;
}

/** openai/prm800k README.md @ 7ecc794: the labelled-solution schema. */
export function prm800kSchemaOk(row: Record<string, any>): void {
  const q = row.question;
  for (const k of ['problem', 'ground_truth_solution', 'ground_truth_answer', 'pre_generated_steps', 'pre_generated_answer', 'pre_generated_verifier_score']) if (!(k in q)) throw new Error(`question.${k} missing`);
  if (!['found_error', 'solution', 'bad_problem', 'give_up'].includes(row.label.finish_reason)) throw new Error('finish_reason');
  if (!('total_time' in row.label)) throw new Error('label.total_time missing');
  for (const s of row.label.steps) for (const c of s.completions) if (![-1, 0, 1].includes(c.rating)) throw new Error('rating');
  // the trajectory as the README reconstructs it, up to a null chosen_completion
  const last = row.label.steps[row.label.steps.length - 1];
  if (row.label.finish_reason === 'found_error' && last.chosen_completion !== null) throw new Error('found_error without a null chosen_completion');
  if (row.label.finish_reason === 'solution' && !/\n\n# Answer\n\n|^# Answer\n\n/.test(q.pre_generated_steps.at(-1))) throw new Error('solution without "# Answer"');
}

/**
 * MM-PRM's InternVL loader (internvl/train/internvl_chat_finetune.py __getitem__, multi_modal_get_item,
 * multi_modal_multi_image_get_item; internvl/train/dataset.py preprocess_internvl2_5 @ b914fd6): a string
 * image gets "<image>\n" prepended when its text has none; a list needs one placeholder per image (the
 * meaning check asks for exactly as many); targets at the <prm> tokens are set from the label list, which
 * needs as many labels as tags. Returns the label read at each tag.
 */
export function internvlReads(row: Record<string, any>): number[] {
  const human = { ...row.conversations[0] };
  const gpt = row.conversations[1];
  if (human.from !== 'human' || gpt.from !== 'gpt') throw new Error('conversation roles');
  const images = row.image === undefined || row.image.length === 0 ? 0 : Array.isArray(row.image) ? row.image.length : 1;
  if (images > 0 && !Array.isArray(row.image) && !human.value.includes('<image>')) human.value = '<image>\n' + human.value;
  const placeholders = human.value.split('<image>').length - 1;
  if (placeholders !== images) throw new Error(`${placeholders} <image> for ${images} images`);
  const tags = human.value.split('<prm>').length - 1;
  if (!Array.isArray(gpt.value) || gpt.value.length !== tags) throw new Error(`${tags} <prm> for ${gpt.value.length} labels`);
  return gpt.value;
}

/** An MM-PRM tree as data_pipeline/omegaprm.py writes it. */
export interface OmegaNode {
  partial_solution?: string[];
  mc_value: number;
  children: OmegaNode[];
  question?: string;
  answer?: string;
  image_path?: unknown;
}

/**
 * MM-PRM data_pipeline/traverse.py traverse() and its main loop's root filter, then prm_data_format.py's
 * row (@ b914fd6). `sample` stands for random.sample(positive, n).
 */
export function mmprmReference(roots: OmegaNode[], sample: (positive: Record<string, any>[], n: number) => Record<string, any>[]): Record<string, any>[] {
  const items: Record<string, any>[] = [];
  for (const root of roots) {
    if (root.mc_value === 0 || root.mc_value === 1) continue;
    const positive: Record<string, any>[] = [];
    const negative: Record<string, any>[] = [];
    const tooShort = (s: string): boolean => s.split(' ').length <= 10;
    const dfs = (node: OmegaNode, prefix: string, labels: number[]): void => {
      prefix = prefix + node.partial_solution!.map((s) => s.trim()).join('\n\n') + '<prm>' + '\n\n';
      labels = [...labels, node.mc_value];
      const item = { question: root.question, answer: root.answer, image_path: root.image_path, process: prefix.trim(), labels };
      if (node.mc_value <= 0) {
        if (!tooShort(prefix)) negative.push(item);
        return;
      }
      if (node.children.length) for (const c of node.children) dfs(c, prefix, labels);
      else if (!tooShort(prefix)) positive.push(item);
    };
    for (const c of root.children) dfs(c, '', []);
    const dedupe = (l: Record<string, any>[]) => [...new Map(l.map((x) => [x.process, x])).entries()].map(([, x]) => l.find((y) => y.process === x.process)!);
    const neg = dedupe(negative);
    const pos = dedupe(positive);
    items.push(...neg, ...(pos.length < neg.length ? pos : sample(pos, neg.length)));
  }
  return items.map((it, idx) => ({ id: idx, image: it.image_path, conversations: [{ from: 'human', value: `Question: ${it.question}\nProcess: ${it.process}` }, { from: 'gpt', value: it.labels }] }));
}

/**
 * OpenRLHF ProcessRewardDataset.__getitem__ (openrlhf/datasets/process_reward_dataset.py at 04898500, the
 * last commit before PRM training was removed) with train_prm's defaults --input_key input --label_key
 * label: string labels must be reward tokens, float labels need two reward tokens (PRMLoss); labels are
 * put at the placeholder positions, label[:placeholders], which needs one label per placeholder.
 */
export function openrlhfReads(row: Record<string, any>, placeholder: string, rewardTokens: string[]): (string | number)[] {
  const input = row.input;
  const labels = row.label;
  if (typeof input !== 'string') throw new Error('input_key "input" missing');
  if (!Array.isArray(labels)) throw new Error('labels should be a list of strings or numbers');
  if (typeof labels[0] === 'string') {
    for (const l of labels) if (!rewardTokens.includes(l)) throw new Error(`label should be in reward tokens, got ${l}`);
  } else if (rewardTokens.length !== 2) throw new Error('reward_token_ids should have 2 tokens for soft labels');
  const placeholders = input.split(placeholder).length - 1;
  if (labels.length !== placeholders) throw new Error(`${placeholders} placeholders for ${labels.length} labels`);
  return labels.slice(0, placeholders);
}

/**
 * QwenLM/ProcessBench code/run_eval_prm_rlhflow.py single_process (@ e802463): the first step the PRM does
 * not accept, else -1; here the PRM is an oracle that accepts exactly the steps meant to be good.
 */
export function processbenchPredict(row: Record<string, any>, accepts: (step: number) => boolean): number {
  for (let i = 0; i < row.steps.length; i++) if (!accepts(i)) return i;
  return -1;
}
