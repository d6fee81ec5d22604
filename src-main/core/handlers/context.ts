// What every area of the handler map is built from, and how the areas become one map.
import type { ApiHandlers } from '../../../src-shared/api';
import type { JobRunner } from '../jobs/runner';
import type { Store } from '../store';
import type { WorkspaceControl } from '../workbench';

/** One open workspace's store and job runner; `workspaces` switches the host's workspace (absent: fixed). */
export interface HandlerContext {
  store: Store;
  runner: JobRunner;
  workspaces?: WorkspaceControl;
}

/** Some of the contract's methods: what one area implements. */
export type AreaHandlers = Partial<ApiHandlers>;

/** Searches (or anything with a problem) with the dataset id of their problem (the id the UI names them by). */
export function withRefs<T extends { problemId: number }>(store: Store, items: T[]): (T & { dataset: string | null; extId: string | null })[] {
  const refs = store.problems.refs(items.map((s) => s.problemId));
  return items.map((s) => ({ ...s, dataset: refs.get(s.problemId)?.dataset ?? null, extId: refs.get(s.problemId)?.extId ?? null }));
}

/**
 * The areas as one map. A method defined by two areas is a mistake (the later would silently win), so it
 * throws, naming the method and both areas.
 */
export function composeHandlers(areas: Record<string, AreaHandlers>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const owner = new Map<string, string>();
  for (const [area, handlers] of Object.entries(areas)) {
    for (const [method, fn] of Object.entries(handlers)) {
      const first = owner.get(method);
      if (first !== undefined) throw new Error(`the handler "${method}" is defined by two areas: ${first} and ${area}`);
      owner.set(method, area);
      out[method] = fn;
    }
  }
  return out;
}
