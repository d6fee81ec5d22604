// `steplab annotations split`: an annotation set cut by problem into <set>-train and <set>-val, the
// held-out set train-prm's --val-annotations reads. A problem goes to -val when its place in the order
// of sha256(seed, problem fingerprint) is among the first round(val × problems) (at least one, and at
// least one problem left for -train): the choice depends on the problems' content and the seed, not on
// the order they were imported in, so the same set and seed always split the same way. Every annotation
// of a problem moves with it (its curation too), so no problem is on both sides.
import { createHash } from 'node:crypto';
import { UserError } from '../../errors';
import type { Store } from '../../store';

export interface SplitSide {
  name: string;
  problems: number;
  annotations: number;
}

/** Which problems go to -val: pure, for tests. */
export function chooseVal(problems: readonly { problemId: number; fingerprint: string }[], val: number, seed: number): Set<number> {
  const n = Math.min(problems.length - 1, Math.max(1, Math.round(val * problems.length)));
  const key = (fp: string): string => createHash('sha256').update(`${seed}\u0000${fp}`).digest('hex');
  const ranked = problems.map((p) => ({ id: p.problemId, k: key(p.fingerprint) })).sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.id - b.id));
  return new Set(ranked.slice(0, n).map((r) => r.id));
}

export function splitAnnotationSet(store: Store, q: { set: string; val: number; seed: number }): { train: SplitSide; val: SplitSide } {
  if (!(q.val > 0 && q.val < 1)) throw new UserError(`annotations split: --val must be between 0 and 1 (got ${q.val})`);
  const problems = store.labels.setProblems(q.set);
  if (problems.length === 0) throw new UserError(`annotation set "${q.set}" not found`);
  if (problems.length < 2) throw new UserError(`annotation set "${q.set}" holds 1 problem; a split by problem needs at least 2`);
  const names = { train: `${q.set}-train`, val: `${q.set}-val` };
  for (const name of [names.train, names.val]) if (store.labels.setExists(name)) throw new UserError(`annotation set "${name}" exists already; rename or remove it before splitting "${q.set}"`);
  const val = chooseVal(problems, q.val, q.seed);
  const side = (inVal: boolean): SplitSide => {
    const list = problems.filter((p) => val.has(p.problemId) === inVal);
    return { name: inVal ? names.val : names.train, problems: list.length, annotations: list.reduce((s, p) => s + p.annotations, 0) };
  };
  store.transaction(() => {
    store.labels.moveToSet(q.set, [...val], names.val);
    store.labels.moveToSet(q.set, problems.filter((p) => !val.has(p.problemId)).map((p) => p.problemId), names.train);
  });
  return { train: side(false), val: side(true) };
}
