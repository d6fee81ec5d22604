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
