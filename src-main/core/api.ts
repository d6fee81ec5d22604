// Implements the src-shared API over one workspace: the store for reads, the job runner for long work.
// Each area of the contract is one file in handlers/; this file composes them into the one handler map.
import type { ApiHandlers, Method } from '../../src-shared/api';
import { UserError } from './errors';
import { composeHandlers, type HandlerContext } from './handlers/context';
import { curationHandlers } from './handlers/curation';
import { cyclesHandlers } from './handlers/cycles';
import { evaluationsHandlers } from './handlers/evaluations';
import { filesHandlers } from './handlers/files';
import { jobsHandlers } from './handlers/jobs';
import { modelsHandlers } from './handlers/models';
import { problemsHandlers } from './handlers/problems';
import { searchesHandlers } from './handlers/searches';
import { workspaceHandlers } from './handlers/workspace';
import type { JobRunner } from './jobs/runner';
import type { Store } from './store';
import type { WorkspaceControl } from './workbench';

/** Every area's handlers, by area. */
export function handlerAreas(ctx: HandlerContext) {
  return {
    workspace: workspaceHandlers(ctx),
    problems: problemsHandlers(ctx),
    searches: searchesHandlers(ctx),
    curation: curationHandlers(ctx),
    evaluations: evaluationsHandlers(ctx),
    cycles: cyclesHandlers(ctx),
    jobs: jobsHandlers(ctx),
    models: modelsHandlers(ctx),
    files: filesHandlers(ctx),
  };
}

// Every method of the contract is defined by some area: a method no area defines fails to compile here.
type Areas = ReturnType<typeof handlerAreas>;
type Defined = { [A in keyof Areas]: keyof Areas[A] }[keyof Areas];
const everyMethodDefined: [Exclude<Method, Defined>] extends [never] ? true : Exclude<Method, Defined> = true;
void everyMethodDefined;

/** `workspaces` switches the host's workspace (workspace.open; see WorkbenchHolder); without it the workspace is fixed. */
export function createApiHandlers(store: Store, runner: JobRunner, workspaces?: WorkspaceControl): ApiHandlers {
  return whileChecking(store, composeHandlers(handlerAreas({ store, runner, workspaces })) as ApiHandlers);
}

/**
 * A large workspace is read-only until its background damage check passes (store/integrity.ts): a write
 * meanwhile is told so in one line, not as a read-only folder.
 */
function whileChecking(store: Store, handlers: ApiHandlers): ApiHandlers {
  const tell = (e: unknown): unknown => {
    const code = (e as { code?: unknown })?.code;
    if (store.integrity.checking && typeof code === 'string' && code.startsWith('SQLITE_READONLY')) {
      return new UserError(`the workspace ${store.paths.dir} is being checked for damage and is read-only until the check passes (a large workspace is checked in the background when opened): try again in a few seconds`);
    }
    return e;
  };
  const out: Record<string, (input: never) => unknown> = {};
  for (const [method, fn] of Object.entries(handlers) as [string, (input: never) => unknown][]) {
    out[method] = (input) => {
      try {
        const r = fn(input);
        return r instanceof Promise ? r.catch((e: unknown) => Promise.reject(tell(e))) : r;
      } catch (e) {
        throw tell(e);
      }
    };
  }
  return out as unknown as ApiHandlers;
}
