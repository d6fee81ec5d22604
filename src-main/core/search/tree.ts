// The search tree as a tree of step prefixes, and the stream key that names a prefix to the policy port.
import type { SearchNode } from './types';

/**
 * The port's random-stream name for rollouts drawn from `prefix`: the steps as a JSON array, so that
 * it is unambiguous (steps may contain newlines or be empty) and the same prefix always draws the same
 * rollouts, whichever algorithm or search order asks. The root is `[]`.
 */
export function streamKeyOf(prefix: readonly string[]): string {
  return JSON.stringify(prefix);
}

export type NodeInit = Pick<SearchNode, 'rollouts' | 'correct' | 'mc' | 'terminal'>;

function extends_(prefix: readonly string[], longer: readonly string[]): boolean {
  if (longer.length <= prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== longer[i]) return false;
  return true;
}

/**
 * Every node is one distinct prefix (the root is the empty one). A node's parent is the deepest other
 * node whose prefix is a proper prefix of it, and its `steps` are the steps between the two, so a node
 * may hold several. When a prefix is added between a node and its parent (a binary search probing a
 * shorter prefix after a longer one, or a correct rollout kept before a probe inside it), the parent's
 * children that extend the new prefix move under the new node and keep only the steps past it; ids and
 * depths never change. MM-PRM instead hangs the shorter probe beside the longer one as a sibling, which
 * leaves two nodes sharing steps.
 */
export class PrefixTree {
  readonly nodes: SearchNode[] = [];
  private readonly prefixes: (readonly string[])[] = [];
  private readonly children: number[][] = [];
  private readonly ids = new Map<string, number>();

  /** onAdd: told of every node added after the root, once it is in place */
  constructor(private readonly onAdd?: (node: SearchNode) => void) {
    this.insert([], null, { rollouts: 0, correct: 0, mc: null, terminal: false });
  }

  get root(): SearchNode {
    return this.nodes[0];
  }

  find(prefix: readonly string[]): SearchNode | undefined {
    const id = this.ids.get(streamKeyOf(prefix));
    return id === undefined ? undefined : this.nodes[id];
  }

  prefixOf(id: number): readonly string[] {
    return this.prefixes[id];
  }

  /** Adds the node for a prefix that has none; its parent and the re-parented children follow from the prefixes. */
  add(prefix: readonly string[], init: NodeInit): SearchNode {
    if (this.find(prefix)) throw new Error(`prefix tree: node for ${streamKeyOf(prefix)} exists`);
    let parent = 0;
    for (let len = prefix.length - 1; len >= 0; len--) {
      const id = this.ids.get(streamKeyOf(prefix.slice(0, len)));
      if (id !== undefined) {
        parent = id;
        break;
      }
    }
    const node = this.insert(prefix, parent, init);
    const moved: number[] = [];
    const stay: number[] = [];
    for (const c of this.children[parent]) {
      if (c !== node.id && extends_(prefix, this.prefixes[c])) moved.push(c);
      else stay.push(c);
    }
    this.children[parent] = stay;
    for (const c of moved) {
      this.nodes[c].parentId = node.id;
      this.nodes[c].steps = this.prefixes[c].slice(prefix.length);
    }
    this.children[node.id] = moved;
    this.onAdd?.(node);
    return node;
  }

  private insert(prefix: readonly string[], parent: number | null, init: NodeInit): SearchNode {
    const id = this.nodes.length;
    const copy = [...prefix];
    const node: SearchNode = {
      id,
      parentId: parent,
      steps: parent === null ? [] : copy.slice(this.prefixes[parent].length),
      depth: copy.length,
      visits: 0,
      rollouts: init.rollouts,
      correct: init.correct,
      mc: init.mc,
      q: null,
      firstError: false,
      terminal: init.terminal,
    };
    this.nodes.push(node);
    this.prefixes.push(copy);
    this.children.push([]);
    this.ids.set(streamKeyOf(copy), id);
    if (parent !== null) this.children[parent].push(id);
    return node;
  }
}
