// Sharding a search: `--shard i/n` searches a stable 1/n of the problems. A problem's shard is a function of
// its content identity alone (the fingerprint of question, answer, answer type and image hashes, the same
// identity that deduplicates imports and that `merge` matches problems by), never of a row id or a
// position, so two workspaces that imported the same problems agree on every problem's shard, and shards
// 1..n of one problem list are disjoint and together are exactly that list.
import type { Problem } from '../../../src-shared/domain';
import { UserError } from '../errors';
import { problemFingerprint } from '../data/fingerprint';

/** Shard `index` of `count`, 1-based: 1 <= index <= count. */
export interface Shard {
  index: number;
  count: number;
}

/** Parses "i/n" (whole numbers, 1 <= i <= n). Throws a one-line UserError naming the input. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d{1,9})\s*\/\s*(\d{1,9})\s*$/.exec(text);
  if (!m) throw new UserError(`--shard must be i/n with whole numbers, 1 <= i <= n, e.g. 1/4 (got "${text}")`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) throw new UserError(`--shard ${text}: the number of shards must be at least 1`);
  if (index < 1 || index > count) throw new UserError(`--shard ${text}: the shard must be between 1 and ${count}`);
  return { index, count };
}

/** The shard (1..count) of a problem with this content fingerprint (a sha256 hex digest). */
export function shardOfFingerprint(fingerprint: string, count: number): number {
  if (!/^[0-9a-f]{64}$/i.test(fingerprint)) throw new Error(`not a problem fingerprint: "${fingerprint}"`);
  if (!Number.isInteger(count) || count < 1) throw new Error(`shard count must be a positive integer, got ${count}`);
  return Number(BigInt(`0x${fingerprint}`) % BigInt(count)) + 1;
}

/** The content fingerprint of a problem as read from a workspace (the value stored in problems.fingerprint). */
export function fingerprintOf(p: Pick<Problem, 'question' | 'answer' | 'answerType' | 'images'>): string {
  return problemFingerprint({ question: p.question, answer: p.answer, answerType: p.answerType, imageHashes: p.images.map((i) => i.hash) });
}

/** The problems of `problems` that fall in `shard`, in their order; all of them when no shard is given. */
export function selectShard<P extends Pick<Problem, 'question' | 'answer' | 'answerType' | 'images'>>(problems: readonly P[], shard: Shard | undefined | null): P[] {
  if (!shard) return [...problems];
  return problems.filter((p) => shardOfFingerprint(fingerprintOf(p), shard.count) === shard.index);
}
