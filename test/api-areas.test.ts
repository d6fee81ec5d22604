// The handler map is composed from one file per area (src-main/core/handlers/): no method is defined by two
// areas, and the composed map implements exactly the contract's methods.
import { describe, expect, it } from 'vitest';
import { methods } from '../src-shared/api';
import { createApiHandlers, handlerAreas } from '../src-main/core/api';
import { composeHandlers, type HandlerContext } from '../src-main/core/handlers/context';
import type { JobRunner } from '../src-main/core/jobs/runner';
import type { Store } from '../src-main/core/store';

// building the areas only makes closures: nothing reads the store or the runner until a method is called
const ctx: HandlerContext = { store: {} as Store, runner: {} as JobRunner };

describe('the handler map by area', () => {
  it('no method name is defined by two areas', () => {
    const owners = new Map<string, string[]>();
    for (const [area, handlers] of Object.entries(handlerAreas(ctx))) {
      for (const method of Object.keys(handlers)) owners.set(method, [...(owners.get(method) ?? []), area]);
    }
    const twice = [...owners].filter(([, areas]) => areas.length > 1).map(([m, areas]) => `${m}: ${areas.join(', ')}`);
    expect(twice).toEqual([]);
  });

  it('composing areas that define one method twice is refused, naming the method and both areas', () => {
    const f = () => [];
    expect(() => composeHandlers({ jobs: { 'jobs.list': f }, files: { 'jobs.list': f } })).toThrow('the handler "jobs.list" is defined by two areas: jobs and files');
  });

  it("the composed map's methods are exactly the contract's", () => {
    const map = createApiHandlers(ctx.store, ctx.runner);
    expect(Object.keys(map).sort()).toEqual([...methods].sort());
    for (const fn of Object.values(map)) expect(typeof fn).toBe('function');
  });
});
