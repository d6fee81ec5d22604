// `mmprm-tree`: the trees MM-PRM's data_pipeline/omegaprm.py writes, one JSON file per question
// (outputs/{md5}.json, ModalMinds/MM-PRM @ b914fd6), also as JSONL of them, and the same trees after
// data_pipeline/mllm_as_a_judge.py added its judge's view of every node but the root.
//
// Root: question, answer, image_path, mc_value, visit_count, correct_rollouts, incorrect_rollouts,
// children, id (get_tree_structure without partial_solution, plus the seed's id). A node:
// partial_solution (the steps it adds: binary search often groups several), mc_value, visit_count,
// correct_rollouts, incorrect_rollouts (rollouts, each a list of steps, de-duplicated; no count of
// rollouts drawn is kept), children; from the judge pass logprob_yes, logprob_no (the judge's P(Yes),
// P(No)) and llm_as_a_judge (P(Yes) / (P(Yes) + P(No))).
//
// In Steplab: a node's rollouts / correct are the numbers of rollout texts kept (MM-PRM keeps no count);
// its MC is MM-PRM's own. A node with MC 0 under a parent with MC > 0 is a first error (the binary
// search's find). A correct rollout kept as a child, and the last probe of a binary search, carry MC 1 or
// 0 with no rollouts of their own: taken as complete solutions, as MM-PRM writes them. A node whose kept
// rollouts contradict its MC (MC > 0 and no correct one kept, MC < 1 and no incorrect one kept, or the
// reverse) is a warning, not a refusal.
import type { ImageSource } from '../../problemRow';
import { asObj, isObj, itemPath, keyPath, list, num01, optInt, optNum01, optScalar, rest, scalar, str, strList, type Obj } from '../fields';
import { FieldError, perRecord, type LabelFormat, type LabelNode, type LabelUnit } from '../types';

const ROOT_KEYS = ['question', 'answer', 'image_path', 'mc_value', 'visit_count', 'correct_rollouts', 'incorrect_rollouts', 'children', 'id', 'partial_solution'];
const NODE_KEYS = ['partial_solution', 'mc_value', 'visit_count', 'correct_rollouts', 'incorrect_rollouts', 'children', 'logprob_yes', 'logprob_no', 'llm_as_a_judge'];

/** MM-PRM's step delimiter (traverse.py joins a node's steps with it). */
export const MMPRM_STEP_DELIMITER = '\n\n';

/** An image field as MM-PRM and its neighbours write it: a path, a list of paths, or nothing. */
export function imageRefs(o: Obj, key: string, path: string): ImageSource[] {
  const v = o[key];
  if (v === undefined || v === null || v === '') return [];
  const one = (x: unknown, p: string): ImageSource => {
    if (typeof x === 'string' && x.trim() !== '') return { kind: 'ref', ref: x };
    throw new FieldError(p, `must be an image path (got ${JSON.stringify(x)})`);
  };
  if (Array.isArray(v)) return v.map((x, i) => one(x, keyPath(path, `${key}[${i}]`)));
  return [one(v, keyPath(path, key))];
}

/** A list of rollouts, each a list of steps (a rollout written as one string is one step). */
function rollouts(o: Obj, key: string, path: string): string[][] {
  if (o[key] === undefined || o[key] === null) return [];
  return list(o, key, path).map((r, i) => {
    if (typeof r === 'string') return [r];
    if (Array.isArray(r) && r.every((s) => typeof s === 'string')) return r as string[];
    throw new FieldError(keyPath(path, `${key}[${i}]`), 'must be a rollout: a list of step strings');
  });
}

const fmt = (x: number): string => String(Math.round(x * 1e6) / 1e6);

/** Reads one tree. */
export function readMmprmTree(value: unknown): LabelUnit {
  const root = asObj(value, '');
  const question = str(root, 'question', '', { nonEmpty: true });
  const answer = scalar(root, 'answer', '');
  const images = imageRefs(root, 'image_path', '');
  const id = optScalar(root, 'id', '');
  const nodes: LabelNode[] = [];
  const warnings: string[] = [];
  // depth-first, children in order: ids in pre-order, every parent before its children
  const stack: { o: unknown; path: string; parent: LabelNode | null }[] = [{ o: root, path: '', parent: null }];
  while (stack.length) {
    const { o: raw, path, parent } = stack.pop()!;
    const o = asObj(raw, path);
    const mc = num01(o, 'mc_value', path);
    const children = list(o, 'children', path);
    const steps = parent === null ? [] : strList(o, 'partial_solution', path);
    const correct = rollouts(o, 'correct_rollouts', path);
    const incorrect = rollouts(o, 'incorrect_rollouts', path);
    const meta: Obj = { steps };
    if (parent !== null) {
      const yes = optNum01(o, 'logprob_yes', path);
      const no = optNum01(o, 'logprob_no', path);
      const score = optNum01(o, 'llm_as_a_judge', path);
      if (yes !== null || no !== null || score !== null) meta.judge = { yes, no, score };
      const extra = rest(o, NODE_KEYS);
      if (Object.keys(extra).length) meta.fields = extra;
    }
    const where = path || 'root';
    const kept = correct.length + incorrect.length;
    if (kept > 0) {
      if (mc > 0 && correct.length === 0) warnings.push(`${where}: mc_value ${fmt(mc)} but no correct rollout kept`);
      if (mc < 1 && incorrect.length === 0) warnings.push(`${where}: mc_value ${fmt(mc)} but no incorrect rollout kept`);
      if (mc === 0 && correct.length > 0) warnings.push(`${where}: mc_value 0 but ${correct.length} correct rollout${correct.length === 1 ? '' : 's'} kept`);
      if (mc === 1 && incorrect.length > 0) warnings.push(`${where}: mc_value 1 but ${incorrect.length} incorrect rollout${incorrect.length === 1 ? '' : 's'} kept`);
    } else if (mc > 0 && mc < 1) {
      warnings.push(`${where}: mc_value ${fmt(mc)} with no rollout kept`);
    }
    const node: LabelNode = {
      id: nodes.length,
      parent: parent?.id ?? null,
      steps,
      mc,
      visits: optInt(o, 'visit_count', path) ?? 0,
      rollouts: kept,
      correct: correct.length,
      q: null,
      firstError: parent !== null && mc === 0 && parent.mc !== null && parent.mc > 0,
      terminal: parent !== null && kept === 0 && children.length === 0 && (mc === 0 || mc === 1),
      meta,
      ...(kept > 0 ? { keptRollouts: { correct, incorrect } } : {}),
    };
    nodes.push(node);
    for (let i = children.length - 1; i >= 0; i--) stack.push({ o: children[i], path: itemPath(keyPath(path, 'children'), i), parent: node });
  }
  return {
    problem: { question, answer, answerType: null, images, imageField: 'image_path', extId: id, source: null, meta: rest(root, ROOT_KEYS) },
    tree: { algorithm: 'omegaprm', config: {}, status: 'imported', stats: {}, nodes, events: [], delimiter: MMPRM_STEP_DELIMITER },
    paths: null,
    warnings,
  };
}

export const mmprmTreeFormat: LabelFormat = {
  name: 'mmprm-tree',
  description: "MM-PRM's omegaprm.py trees, one JSON file per question (outputs/{md5}.json) or JSONL of them, with mllm_as_a_judge.py's logprob_yes / logprob_no / llm_as_a_judge when present",
  looksLike(v) {
    if (!isObj(v) || typeof v.question !== 'string' || !('mc_value' in v) || !Array.isArray(v.children)) return null;
    return 'has "question", "mc_value" and "children"';
  },
  open: perRecord('mmprm-tree', readMmprmTree),
};
