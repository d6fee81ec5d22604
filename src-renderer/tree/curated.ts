// What curation changes in the tree: a node's label becomes the curated soft label in force for its step
// (the latest relabel of any path through it), and whether it is a first error follows (a curated node is
// one when its label is 0 and its parent's is above 0; other nodes keep the search's mark).
import type { AnnotationRecord, TreeNode } from '../../src-shared/domain';

/** Per node id: the curated soft label in force for the node's step (the latest relabel wins), where any. */
export function curatedNodeLabels(annotations: readonly AnnotationRecord[]): Map<number, number> {
  const best = new Map<number, { edit: number; value: number }>();
  for (const a of annotations) {
    const nodes = (a.provenance.nodes as (number | null)[] | undefined) ?? [];
    const latest = new Map<number, number>();
    for (const h of a.history) if (h.action === 'relabel' && !h.undone && h.stepIdx !== null) latest.set(h.stepIdx, Math.max(latest.get(h.stepIdx) ?? -1, h.id));
    for (const [idx, edit] of latest) {
      const node = nodes[idx];
      const step = a.steps[idx];
      if (node === null || node === undefined || !step?.edited) continue;
      const have = best.get(node);
      if (!have || edit > have.edit) best.set(node, { edit, value: step.softLabel });
    }
  }
  return new Map([...best].map(([node, v]) => [node, v.value]));
}

/** The label a node is shown with: its curated label where there is one, else its MC. */
export function effectiveLabel(node: TreeNode, curated: ReadonlyMap<number, number>): number | null {
  return curated.get(node.id) ?? node.mc;
}

/** Whether a node is a first error once curation is applied. */
export function effectiveFirstError(node: TreeNode, parent: TreeNode | undefined, curated: ReadonlyMap<number, number>): boolean {
  if (!curated.has(node.id) && !(parent && curated.has(parent.id))) return node.firstError;
  const own = effectiveLabel(node, curated);
  const up = parent ? effectiveLabel(parent, curated) : null;
  return own !== null && own <= 0 && (up === null || up > 0);
}
