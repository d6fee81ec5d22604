// `steplab-tree`: Steplab's own search trees as `export annotations --format tree` writes them (the format
// `import-trees` read before import-labels): for each search a header line, its nodes (parents before
// children) and its event log. A unit is one search block; its identity is the sha256 of the block's
// lines, as import-trees computed it, so trees it imported are not imported again.
import type { AnswerType } from '../../../../../src-shared/domain';
import { AnswerType as AnswerTypeSchema } from '../../../../../src-shared/domain';
import { asObj, isObj, need, optInt, optNum, rest, str, type Obj } from '../fields';
import { FieldError, type Assembler, type LabelFormat, type LabelNode, type LabelUnit, type ReadUnit } from '../types';

interface Block {
  search: unknown;
  header: Obj;
  nodes: LabelNode[];
  ids: Set<number>;
  events: { kind: string; data: Record<string, unknown> }[];
  text: string;
}

const int = (o: Obj, key: string, path: string, min = 0): number => {
  need(o, key, path);
  const n = optInt(o, key, path, min);
  if (n === null) throw new FieldError(path, `field "${key}": must be a whole number >= ${min} (got null)`);
  return n;
};

function nodeOf(o: Obj, block: Block): LabelNode {
  const id = int(o, 'id', '', 0);
  const parentRaw = need(o, 'parent', '');
  if (parentRaw !== null && (typeof parentRaw !== 'number' || !Number.isInteger(parentRaw))) throw new FieldError('', 'field "parent": must be a node id or null');
  const parent = parentRaw as number | null;
  if (parent !== null && !block.ids.has(parent)) throw new FieldError('', `node ${id} of search ${String(block.search)} comes before its parent ${parent}`);
  if (block.ids.has(id)) throw new FieldError('', `node ${id} of search ${String(block.search)} appears twice`);
  const text = str(o, 'step_text', '');
  const mcRaw = need(o, 'mc', '');
  let mc: number | null = null;
  if (mcRaw !== null) {
    if (typeof mcRaw !== 'number' || !(mcRaw >= 0 && mcRaw <= 1)) throw new FieldError('', `field "mc": must be null or a number in [0, 1] (got ${JSON.stringify(mcRaw)})`);
    mc = mcRaw;
  }
  const fe = o.first_error;
  if (fe !== undefined && typeof fe !== 'boolean') throw new FieldError('', 'field "first_error": must be true or false');
  const meta = isObj(o.meta) ? o.meta : {};
  const steps = Array.isArray(meta.steps) && meta.steps.every((s) => typeof s === 'string') ? (meta.steps as string[]) : text === '' ? [] : [text];
  return {
    id,
    parent,
    steps,
    text,
    depth: int(o, 'depth', ''),
    mc,
    visits: int(o, 'visits', ''),
    rollouts: int(o, 'rollouts', ''),
    correct: int(o, 'correct', ''),
    q: optNum(o, 'q', ''),
    firstError: fe === true,
    terminal: meta.terminal === true,
    meta,
  };
}

function finish(b: Block): ReadUnit {
  const h = b.header;
  const p = asObj(need(h, 'problem', ''), 'problem');
  const t = p.answer_type;
  const answerType: AnswerType | null = typeof t === 'string' && AnswerTypeSchema.safeParse(t).success ? (t as AnswerType) : null;
  const roots = b.nodes.filter((n) => n.parent === null);
  if (b.nodes.length > 0 && roots.length !== 1) throw new FieldError('', `search ${String(b.search)} has ${roots.length} root nodes; a tree has one`);
  const unit: LabelUnit = {
    problem: {
      question: str(p, 'question', 'problem', { nonEmpty: true }),
      answer: typeof p.answer === 'string' ? p.answer : null,
      answerType,
      images: null,
      extId: typeof p.ext_id === 'string' && p.ext_id !== '' ? p.ext_id : null,
      source: null,
      fingerprint: str(p, 'fingerprint', 'problem', { nonEmpty: true }),
      meta: {},
    },
    tree: {
      algorithm: typeof h.algorithm === 'string' ? h.algorithm : 'import',
      config: isObj(h.config) ? h.config : {},
      seed: typeof h.seed === 'number' && Number.isInteger(h.seed) ? h.seed : null,
      status: typeof h.status === 'string' ? h.status : 'imported',
      stats: { ...(isObj(h.stats) ? rest(h.stats, ['importHash', 'importedFrom']) : {}), importedFrom: b.search },
      nodes: b.nodes,
      events: b.events,
      delimiter: '\n\n',
    },
    paths: null,
    warnings: [],
  };
  return { unit, text: b.text };
}

function open(): Assembler {
  let block: Block | null = null;
  let held = 0;
  return {
    push({ value, text }) {
      const o = asObj(value, '');
      const type = o.type;
      if (type === 'search') {
        if (!isObj(o.problem) || typeof o.problem.fingerprint !== 'string') throw new FieldError('', 'field "problem.fingerprint": required');
        const done = block ? [finish(block)] : [];
        block = { search: o.search, header: o, nodes: [], ids: new Set(), events: [], text };
        held = 1;
        return done;
      }
      if (type !== 'node' && type !== 'event') throw new FieldError('', 'field "type": must be search, node or event');
      if (!block || block.search !== o.search) throw new FieldError('', `${type} of search ${String(o.search)} outside its search block`);
      if (type === 'node') {
        const n = nodeOf(o, block);
        block.nodes.push(n);
        block.ids.add(n.id);
      } else {
        const kind = str(o, 'kind', '');
        const data = need(o, 'data', '');
        block.events.push({ kind, data: isObj(data) ? data : { value: data } });
      }
      block.text += text;
      held += 1;
      return [];
    },
    end() {
      const done = block ? [finish(block)] : [];
      block = null;
      held = 0;
      return done;
    },
    holding: () => held,
  };
}

export const steplabTreeFormat: LabelFormat = {
  name: 'steplab-tree',
  description: 'Steplab search trees as `export annotations --format tree` writes them (what import-trees reads): a search line, its nodes, its events',
  looksLike(v) {
    if (!isObj(v) || v.type !== 'search' || !isObj(v.problem) || !('fingerprint' in v.problem)) return null;
    return 'has "type": "search" with a problem fingerprint';
  },
  open,
};
