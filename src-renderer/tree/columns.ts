// A tree as the API sends it to the explorer (searches.treeColumns: one array per field) back into nodes.
import type { Output } from '../../src-shared/api';
import type { TreeNode } from '../../src-shared/domain';

export type TreeColumns = Output<'searches.treeColumns'>['columns'];

/** The nodes of a column-wise tree; meta keeps only the search's own node id (its creation order), when recorded. */
export function nodesFromColumns(searchId: number, c: TreeColumns): TreeNode[] {
  const n = c.id.length;
  for (const [field, values] of Object.entries(c)) {
    if (values.length !== n) throw new Error(`tree columns: "${field}" has ${values.length} values for ${n} nodes`);
  }
  const out: TreeNode[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const sn = c.searchNode[i];
    out[i] = {
      id: c.id[i],
      searchId,
      parentId: c.parentId[i],
      depth: c.depth[i],
      stepText: c.stepText[i],
      visits: c.visits[i],
      rollouts: c.rollouts[i],
      correct: c.correct[i],
      mc: c.mc[i],
      q: c.q[i],
      firstError: c.firstError[i] === 1,
      meta: sn === null ? null : { searchNode: sn },
    };
  }
  return out;
}

export type TreeExtras = NonNullable<Output<'searches.treeColumns'>['extras']>;

/** What an imported tree's producer kept of one node beside its MC: its rollout texts (counted) and a judge's view. */
export interface NodeExtra {
  keptCorrect: number;
  keptIncorrect: number;
  /** MM-PRM's judge (mllm_as_a_judge.py): P(Yes), P(No) and llm_as_a_judge = P(Yes) / (P(Yes) + P(No)); null where the node has none */
  judge: { yes: number | null; no: number | null; score: number | null } | null;
}

/** An imported tree's extras by node id (the column arrays in the nodes' order), empty when the tree has none. */
export function extrasFromColumns(c: TreeColumns, extras: TreeExtras | undefined): Map<number, NodeExtra> {
  const out = new Map<number, NodeExtra>();
  if (!extras) return out;
  const n = c.id.length;
  const arrays: [string, unknown[]][] = [
    ['keptCorrect', extras.keptCorrect],
    ['keptIncorrect', extras.keptIncorrect],
    ...(extras.judge ? (Object.entries(extras.judge).map(([k, v]) => [`judge.${k}`, v]) as [string, unknown[]][]) : []),
  ];
  for (const [field, values] of arrays) {
    if (values.length !== n) throw new Error(`tree extras: "${field}" has ${values.length} values for ${n} nodes`);
  }
  const j = extras.judge;
  for (let i = 0; i < n; i++) {
    const judge = j && (j.yes[i] !== null || j.no[i] !== null || j.score[i] !== null) ? { yes: j.yes[i], no: j.no[i], score: j.score[i] } : null;
    out.set(c.id[i], { keptCorrect: extras.keptCorrect[i], keptIncorrect: extras.keptIncorrect[i], judge });
  }
  return out;
}
