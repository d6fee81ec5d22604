// The replay of a search from its event log, on the logs of real searches (OmegaPRM and Math-Shepherd
// with the bundled tiny policy): which nodes exist after each event, the node each event touched, the
// captions, and the fallback for logs recorded before node creations were logged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../src-main/core/dispatch';
import type { TreeNode } from '../src-shared/domain';
import { buildReplay, eventCaption, nodesAt, replayFrame, type EventRecord } from '../src-renderer/tree/replay';
import { searchWorkspace, type SearchWorkspace } from './helpers/searchWorkspace';

let ws: SearchWorkspace;
const logs: { algo: string; nodes: TreeNode[]; events: EventRecord[] }[] = [];

beforeAll(async () => {
  ws = await searchWorkspace({ count: 2, mathShepherd: true });
  for (const id of [...ws.omega, ...ws.mathShepherd]) {
    const tree = (await dispatch(ws.wb.handlers, 'searches.tree', { id })) as { search: { algorithm: string }; nodes: TreeNode[] };
    const events = (await dispatch(ws.wb.handlers, 'searches.events', { id })) as EventRecord[];
    logs.push({ algo: tree.search.algorithm, nodes: tree.nodes, events });
  }
}, 120_000);
afterAll(() => ws?.cleanup());

describe('replay of a real search', () => {
  it('logs the creation of every node but the root, under a parent in the tree', () => {
    for (const { nodes, events } of logs) {
      const ids = new Set(nodes.map((n) => n.id));
      const adds = events.filter((e) => e.kind === 'add').map((e) => e.data as { node: number; parent: number; depth: number });
      expect(adds.map((a) => a.node).sort((a, b) => a - b)).toEqual(nodes.filter((n) => n.parentId !== null).map((n) => n.id).sort((a, b) => a - b));
      for (const a of adds) expect(ids.has(a.parent)).toBe(true);
    }
    expect(logs.some((l) => l.nodes.length > 3)).toBe(true);
  });

  it('grows the tree one event at a time: every event touches a node that exists, the end has them all', () => {
    for (const { nodes, events } of logs) {
      const r = buildReplay(events, nodes);
      expect(r.legacy).toBe(false);
      expect(r.steps.length).toBe(events.filter((e) => e.kind !== 'add').length);
      const root = nodes.find((n) => n.parentId === null)!;
      let before = new Set([root.id]);
      r.steps.forEach((s, k) => {
        const now = nodesAt(r, k);
        for (const id of before) expect(now.has(id)).toBe(true);
        expect(now.has(root.id)).toBe(true);
        expect(s.node).not.toBeNull();
        expect(now.has(s.node!)).toBe(true);
        // a node exists only once its parent (in the finished tree) or a nearer ancestor does: its
        // nearest existing ancestor is the root at worst
        for (const id of now) {
          const n = nodes.find((m) => m.id === id)!;
          if (n.parentId !== null) expect(now.has(n.parentId) || now.has(root.id)).toBe(true);
        }
        const f = replayFrame(r, k);
        expect(f.touched).toBe(s.node);
        expect(f.exists).toEqual(now);
        before = now;
      });
      expect(nodesAt(r, r.steps.length - 1).size).toBe(nodes.length);
      // a rolled-out node appears with its first batch (the batch that gives it its MC), not before
      for (const n of nodes) {
        if (n.parentId === null || n.rollouts === 0) continue;
        expect(r.estimatedAt.get(n.id)).toBe(r.appearsAt.get(n.id));
        expect(r.steps[r.appearsAt.get(n.id)!]).toMatchObject({ kind: 'rollout', node: n.id });
      }
    }
  });

  it('captions each event with what happened', () => {
    const omega = logs.find((l) => l.algo === 'omegaprm' && l.events.some((e) => e.kind === 'select'));
    expect(omega, 'an OmegaPRM search that made a selection').toBeDefined();
    const r = buildReplay(omega!.events, omega!.nodes);
    const captions = r.steps.map((s) => s.caption);
    const root = omega!.nodes.find((n) => n.parentId === null)!;
    expect(captions[0]).toMatch(new RegExp(`^rollouts ×8 from node ${root.id}: \\d correct \\(MC \\d\\.\\d\\d\\)`));
    expect(captions.find((c) => c.startsWith('selection'))).toMatch(/^selection: node \d+ \(Q=\d\.\d\d, U=\d\.\d\d: the highest Q\+U of \d+ pooled rollouts?\)$/);
    expect(captions.find((c) => c.startsWith('binary search probe'))).toMatch(/^binary search probe: step \d+ \((new )?node \d+\), MC \d\.\d\d → the first error (lies later, search right|is here or earlier, search left)/);
    expect(captions.some((c) => /^rollouts ×8 from new node \d+/.test(c))).toBe(true);
    const ms = logs.find((l) => l.algo === 'math-shepherd')!;
    const rm = buildReplay(ms.events, ms.nodes);
    expect(rm.steps[0].caption).toMatch(/^rollouts ×2 from node \d+: \d correct/);
    expect(rm.steps[1].caption).toMatch(/^rollouts ×4 from new node \d+: \d correct/);
  });

  it('replays an older log without node creations by when nodes are first named', () => {
    for (const { nodes, events } of logs) {
      const old = events.filter((e) => e.kind !== 'add');
      const r = buildReplay(old, nodes);
      expect(r.legacy).toBe(true);
      r.steps.forEach((s, k) => expect(nodesAt(r, k).has(s.node!)).toBe(true));
      expect(nodesAt(r, r.steps.length - 1).size).toBe(nodes.length);
      const first = r.steps.findIndex((s) => s.kind === 'rollout' && s.node !== nodes[0].id);
      if (first >= 0) expect(r.appearsAt.get(r.steps[first].node!)).toBeLessThanOrEqual(first);
    }
  });
});

describe('event captions', () => {
  it('reads each kind of event, and says what is missing', () => {
    expect(eventCaption('select', { node: 12, q: 0.612, u: 0.05, score: 0.662, poolSize: 7 })).toBe('selection: node 12 (Q=0.61, U=0.05: the highest Q+U of 7 pooled rollouts)');
    expect(eventCaption('rollout', { node: 12, n: 8, correct: 3, tokens: 100 })).toBe('rollouts ×8 from node 12: 3 correct (MC 0.38)');
    expect(eventCaption('probe', { node: 14, from: 12, depth: 4, mc: 0.25, direction: 'right' }, true)).toBe('binary search probe: step 4 (new node 14), MC 0.25 → the first error lies later, search right');
    expect(eventCaption('probe', { node: 15, depth: 3, mc: 0, direction: 'left' })).toBe('binary search probe: step 3 (node 15), MC 0.00 → the first error is here or earlier, search left');
    expect(eventCaption('first-error', { node: 15, depth: 3 })).toBe('first error found: step 3 (node 15) is marked as the first wrong step');
    expect(eventCaption('rollout', null)).toBe('rollouts ×? from node ?: ? correct');
    expect(eventCaption('checkpoint', { node: 3 })).toBe('checkpoint: node 3');
  });

  it('an empty log replays as no steps', () => {
    const r = buildReplay([], [{ id: 1, searchId: 1, parentId: null, depth: 0, stepText: '', visits: 0, rollouts: 0, correct: 0, mc: null, q: null, firstError: false, meta: null }]);
    expect(r.steps).toEqual([]);
    expect(r.appearsAt.get(1)).toBe(-1);
  });
});
