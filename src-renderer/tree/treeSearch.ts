// Search within one tree: the nodes whose step text contains a substring and whose MC and a PRM's score
// lie in the ranges asked for, in depth-first order (so next and previous walk the tree left to right).
import type { TreeNode } from '../../src-shared/domain';

export interface TreeQuery {
  /** case-insensitive substring of the node's step text; empty: any */
  text: string;
  mcMin: number | null;
  mcMax: number | null;
  prmMin: number | null;
  prmMax: number | null;
}

export const EMPTY_QUERY: TreeQuery = { text: '', mcMin: null, mcMax: null, prmMin: null, prmMax: null };

/** Whether the query asks for anything (an empty one matches nothing, rather than everything). */
export function isActive(q: TreeQuery): boolean {
  return q.text.trim() !== '' || q.mcMin !== null || q.mcMax !== null || q.prmMin !== null || q.prmMax !== null;
}

/**
 * A range bound typed by the user: '' is no bound, a number in [0, 1] is one; anything else is an error
 * naming the field, so a typo never silently matches everything.
 */
export function parseBound(raw: string, field: string): { value: number | null; error: string | null } {
  const t = raw.trim();
  if (t === '') return { value: null, error: null };
  const v = Number(t);
  if (!Number.isFinite(v) || v < 0 || v > 1) return { value: null, error: `${field}: "${t}" is not a number from 0 to 1` };
  return { value: v, error: null };
}

const inRange = (v: number | null | undefined, min: number | null, max: number | null): boolean => {
  if (min === null && max === null) return true;
  if (v === null || v === undefined) return false;
  return (min === null || v >= min) && (max === null || v <= max);
};

const NONE: number[] = [];

/**
 * The ids of the nodes matching the query, in the order given (depth first); `prm` holds one PRM's
 * scores by node id (as the API keys them), needed only when a PRM bound is set.
 */
export function findMatches(order: readonly TreeNode[], q: TreeQuery, prm?: Record<string, number>): number[] {
  // one empty list for every inactive query, so that state holding it does not change
  if (!isActive(q)) return NONE;
  const text = q.text.trim().toLowerCase();
  const out: number[] = [];
  for (const n of order) {
    if (text && !n.stepText.toLowerCase().includes(text)) continue;
    if (!inRange(n.mc, q.mcMin, q.mcMax)) continue;
    if ((q.prmMin !== null || q.prmMax !== null) && !inRange(prm?.[String(n.id)], q.prmMin, q.prmMax)) continue;
    out.push(n.id);
  }
  return out;
}

/** The match after (step 1) or before (step -1) the current one, wrapping around; the first when none is current. */
export function stepMatch(matches: readonly number[], current: number | null, step: 1 | -1): number | null {
  if (matches.length === 0) return null;
  const i = current === null ? -1 : matches.indexOf(current);
  if (i < 0) return step === 1 ? matches[0] : matches[matches.length - 1];
  return matches[(i + step + matches.length) % matches.length];
}
