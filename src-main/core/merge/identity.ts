// Content identities used by `merge`: canonical JSON (object keys sorted, so key order never makes two equal
// values differ), a hash of a model folder's files, and a search tree's hash by content and position.
import { createHash } from 'node:crypto';
import type { NodeRow } from '../store/trees';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** JSON with object keys sorted at every level. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(sortKeys(v));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(Object.keys(o).sort().map((k) => [k, sortKeys(o[k])]));
  }
  return v;
}

/** A TEXT column that holds JSON, made canonical; anything else as it is. */
export function canonicalValue(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trimStart();
  if (t[0] !== '{' && t[0] !== '[') return v;
  try {
    return canonicalJson(JSON.parse(v));
  } catch {
    return v;
  }
}

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** sha256 over a folder's files (relative path and bytes, in path order, __pycache__ left out); null when it is not a folder. */
export function folderHash(dir: string): string | null {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return null;
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === '__pycache__') continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) files.push(p);
    }
  };
  walk(dir);
  const h = createHash('sha256');
  for (const f of files.map((p) => relative(dir, p).split(sep).join('/')).sort()) {
    const bytes = readFileSync(join(dir, f));
    h.update(`${f}\0${bytes.length}\0`);
    h.update(bytes);
  }
  return h.digest('hex');
}

/** A tree_nodes row without its search id (what a tree's identity is computed from). */
export type TreeNodeRow = Omit<NodeRow, 'search_id'>;

/**
 * A search's identity by content: algorithm, config, seed and every node in id order (parents come first)
 * with its parent as a position in that order, never as an id. Two workspaces that ran the same search
 * (same policy stream, same problem) get the same hash. Returns the hash and each node's parent position.
 */
export function treeHash(s: { algorithm: string; config: string; seed: number | null }, nodes: readonly TreeNodeRow[]): { hash: string; parents: (number | null)[] } {
  const index = new Map<number, number>();
  const parents: (number | null)[] = [];
  const rows = nodes.map((n, i) => {
    let parent: number | null = null;
    if (n.parent_id !== null) {
      const p = index.get(n.parent_id);
      if (p === undefined) throw new Error(`tree node ${n.id}: its parent ${n.parent_id} is not an earlier node of the same search`);
      parent = p;
    }
    index.set(n.id, i);
    parents.push(parent);
    return [parent, n.depth, n.step_text, n.visits, n.rollouts, n.correct, n.mc, n.q, n.first_error, canonicalValue(n.meta)];
  });
  return { hash: sha256(canonicalJson([s.algorithm, canonicalValue(s.config), s.seed, rows])), parents };
}
