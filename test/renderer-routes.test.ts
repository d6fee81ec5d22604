// Every selection the UI can make has a route in the URL hash, read back to the same state: a search and
// its node, a problem by its dataset id (URI-encoded), an evaluation, a job, a cycle run; the older
// problem links stay readable; walking the nodes of one tree replaces the history entry instead of
// piling them up.
import { describe, expect, it } from 'vitest';
import { formatHash, historyMode, parseHash, routeOf, type Route } from '../src-renderer/store/route';

describe('routes', () => {
  const routes: Route[] = [
    { view: 'searches', dataset: null },
    { view: 'searches', dataset: null, search: 12 },
    { view: 'searches', dataset: null, search: 12, node: 345 },
    { view: 'problems', dataset: 'demo', focus: { kind: 'ref', extId: 'demo-train-0008' } },
    { view: 'problems', dataset: 'my set/v2', focus: { kind: 'ref', extId: 'q 7/a#b?c%' } },
    { view: 'problems', dataset: 'demo', focus: { kind: 'ref', extId: 'demo-train-0008', solution: 40, step: 3 } },
    { view: 'problems', dataset: 'demo', focus: { kind: 'problem', id: 12 } },
    { view: 'problems', dataset: 'demo', focus: { kind: 'heatmap' } },
    { view: 'evaluations', dataset: null, evaluationId: 3 },
    { view: 'jobs', dataset: null, jobId: 17 },
    { view: 'cycles', dataset: null, cycleRun: 2 },
  ];

  it('formats every selection and reads it back', () => {
    for (const r of routes) expect(parseHash(formatHash(r)), formatHash(r)).toEqual(r);
    expect(formatHash(routes[2])).toBe('#/searches/12/node/345');
    expect(formatHash(routes[4])).toBe('#/problems/my%20set%2Fv2/id/q%207%2Fa%23b%3Fc%25');
    expect(formatHash(routes[5])).toBe('#/problems/demo/id/demo-train-0008/40/3');
    expect(formatHash(routes[8])).toBe('#/evaluations/3');
    expect(formatHash(routes[9])).toBe('#/jobs/17');
  });

  it('keeps the older problem links and the heatmap as they were', () => {
    expect(parseHash('#/problems/demo/problem/12')).toEqual({ view: 'problems', dataset: 'demo', focus: { kind: 'problem', id: 12 } });
    expect(parseHash('#/problems/demo/heatmap')).toEqual({ view: 'problems', dataset: 'demo', focus: { kind: 'heatmap' } });
    expect(parseHash('#/problem/7/1/0')).toEqual({ view: 'problems', dataset: null, focus: { kind: 'problem', id: 7, solution: 1, step: 0 } });
  });

  it('reads a malformed selection as its view alone', () => {
    expect(parseHash('#/searches/x')).toEqual({ view: 'searches', dataset: null });
    expect(parseHash('#/searches/4/node/y')).toEqual({ view: 'searches', dataset: null, search: 4 });
    expect(parseHash('#/evaluations/2/3')).toEqual({ view: 'evaluations', dataset: null });
    expect(parseHash('#/problems/demo/id/%E0%A4%A')).toEqual({ view: 'problems', dataset: null });
  });

  it('replaces the history entry for another node of the same tree and for a first choice; pushes the rest', () => {
    const tree = (search?: number, node?: number): Route => ({ view: 'searches', dataset: null, ...(search === undefined ? {} : { search }), ...(node === undefined ? {} : { node }) });
    expect(historyMode(tree(4, 1), tree(4, 2))).toBe('replace');
    expect(historyMode(tree(), tree(4))).toBe('replace');
    expect(historyMode(tree(4, 1), tree(5))).toBe('push');
    expect(historyMode({ view: 'jobs', dataset: null }, tree(4))).toBe('push');
    expect(historyMode({ view: 'evaluations', dataset: null }, { view: 'evaluations', dataset: null, evaluationId: 2 })).toBe('replace');
    expect(historyMode({ view: 'evaluations', dataset: null, evaluationId: 1 }, { view: 'evaluations', dataset: null, evaluationId: 2 })).toBe('push');
  });

  it('takes only the route out of the store state', () => {
    const state = { view: 'searches', dataset: 'demo', search: 3, node: 9, tree: {}, jobs: [] } as unknown as Route;
    expect(routeOf(state)).toEqual({ view: 'searches', dataset: 'demo', search: 3, node: 9 });
  });
});
