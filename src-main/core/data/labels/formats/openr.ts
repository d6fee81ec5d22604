// `openr-omega`: OpenR's OmegaPRM v2 output (openreasoner/openr @ 54ae004, data/omegaPRM_v2/omegaprm.py
// and run_omegaprm.py), one JSONL line per question: {question, final_answer, reasoning_steps,
// question_id}. With save_data_tree, reasoning_steps is the tree {text, mc_value, children}: a node's text
// is only what it adds to its parent (get_new_text; the root's is the question), one or several steps
// joined by "\n\n". Without it, reasoning_steps is the flat list of every node [{solution_prefix,
// mc_value}] in creation order, each prefix the question and all steps so far: the tree is rebuilt by
// giving each node the latest earlier node whose prefix its own extends (a child's prefix extends its
// parent's; one that extends none is refused), its new text being what follows, trimmed, as
// get_new_text computes it.
//
// In Steplab a node's steps are its text split on "\n\n" (OpenR's separate_steps), each labelled with the
// node's MC; the node's stored text is OpenR's. OpenR keeps no rollout texts or counts.
import { asObj, isObj, itemPath, keyPath, list, num01, optScalar, rest, scalar, str } from '../fields';
import { FieldError, perRecord, type LabelFormat, type LabelNode, type LabelUnit } from '../types';

const STEP = '\n\n';

const splitSteps = (text: string): string[] => text.split(STEP).filter((s) => s.trim() !== '');

function node(id: number, parent: LabelNode | null, text: string, mc: number, leaf: boolean): LabelNode {
  const steps = parent === null ? [] : splitSteps(text);
  return {
    id,
    parent: parent?.id ?? null,
    steps,
    text: parent === null ? '' : text,
    mc,
    visits: 0,
    rollouts: 0,
    correct: 0,
    q: null,
    firstError: parent !== null && mc === 0 && parent.mc !== null && parent.mc > 0,
    terminal: parent !== null && leaf && mc === 1,
    meta: { steps },
  };
}

function treeNodes(root: unknown): LabelNode[] {
  const nodes: LabelNode[] = [];
  const stack: { o: unknown; path: string; parent: LabelNode | null }[] = [{ o: root, path: 'reasoning_steps', parent: null }];
  while (stack.length) {
    const { o: raw, path, parent } = stack.pop()!;
    const o = asObj(raw, path);
    const text = str(o, 'text', path);
    const mc = num01(o, 'mc_value', path);
    const children = list(o, 'children', path);
    const n = node(nodes.length, parent, text, mc, children.length === 0);
    nodes.push(n);
    for (let i = children.length - 1; i >= 0; i--) stack.push({ o: children[i], path: itemPath(keyPath(path, 'children'), i), parent: n });
  }
  return nodes;
}

/** The flat list back into a tree: each prefix under the latest earlier prefix it extends. */
function flatNodes(items: unknown[], question: string): LabelNode[] {
  const prefixes: string[] = [];
  const nodes: LabelNode[] = [];
  const kids = new Map<number, number>();
  items.forEach((raw, i) => {
    const path = itemPath('reasoning_steps', i);
    const o = asObj(raw, path);
    const sp = str(o, 'solution_prefix', path);
    const mc = num01(o, 'mc_value', path);
    if (i === 0) {
      if (sp.trim() !== question.trim()) throw new FieldError(path, 'field "solution_prefix": the first entry must be the root, whose prefix is the question');
      prefixes.push(sp.trim());
      nodes.push(node(0, null, sp, mc, false));
      return;
    }
    let parent = -1;
    for (let j = i - 1; j >= 0; j--) {
      const p = prefixes[j];
      if (sp.length > p.length && sp.startsWith(p) && /\s/.test(sp[p.length])) {
        parent = j;
        break;
      }
    }
    if (parent < 0) throw new FieldError(path, 'field "solution_prefix": extends no earlier prefix (a child\'s prefix extends its parent\'s)');
    prefixes.push(sp.trim());
    kids.set(parent, (kids.get(parent) ?? 0) + 1);
    nodes.push(node(i, nodes[parent], sp.slice(prefixes[parent].length).trim(), mc, false));
  });
  // a node nothing extends is a leaf: a kept correct rollout when its MC is 1
  for (const n of nodes) if (n.parent !== null) n.terminal = !kids.has(n.id) && n.mc === 1;
  return nodes;
}

function readOpenr(value: unknown): LabelUnit {
  const o = asObj(value, '');
  const question = str(o, 'question', '', { nonEmpty: true });
  const answer = scalar(o, 'final_answer', '');
  const rs = o.reasoning_steps;
  let nodes: LabelNode[];
  if (Array.isArray(rs)) {
    if (rs.length === 0) throw new FieldError('', 'field "reasoning_steps": no entries');
    nodes = flatNodes(rs, question);
  } else if (isObj(rs)) {
    nodes = treeNodes(rs);
  } else {
    throw new FieldError('', rs === undefined ? 'field "reasoning_steps": required' : 'field "reasoning_steps": must be a tree {text, mc_value, children} or a list of {solution_prefix, mc_value}');
  }
  return {
    problem: { question, answer, answerType: null, images: null, extId: optScalar(o, 'question_id', ''), source: null, meta: rest(o, ['question', 'final_answer', 'reasoning_steps', 'question_id']) },
    tree: { algorithm: 'omegaprm', config: {}, status: 'imported', stats: { layout: Array.isArray(rs) ? 'flat' : 'tree' }, nodes, events: [], delimiter: STEP },
    paths: null,
    warnings: [],
  };
}

export const openrOmegaFormat: LabelFormat = {
  name: 'openr-omega',
  description: "OpenR's omegaPRM_v2 output {question, final_answer, reasoning_steps, question_id}: the tree {text, mc_value, children} or the flat [{solution_prefix, mc_value}]",
  looksLike: (v) => (isObj(v) && 'reasoning_steps' in v && 'question' in v ? 'has "reasoning_steps"' : null),
  open: perRecord('openr-omega', readOpenr),
};
