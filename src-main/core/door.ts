// The in-process door: the same typed proxy and dispatcher the renderer's transports use (every call is
// parsed against the src-shared contract and its answer checked), over a workspace opened in this
// process. The CLI reaches the core only through it, so a CLI command and a UI action are one code path.
import { createApiProxy, type Api, type ApiHandlers, type Method, type Transport } from '../../src-shared/api';
import type { ApiEvent } from '../../src-shared/events';
import { checkedEvents, streamJobs } from './events';
import { writeErrorLog } from './log';
import { dispatch } from './dispatch';
import { mergeWorkspaces } from './merge';
import { verify } from './data/verify';
import { UserError } from './errors';
import { checkWorkspaceFiles } from './workspaceCheck';
import { recoverWorkspace } from './recover';
import { openWorkbench, readRecentWorkspaces, type Workbench } from './workbench';
import type { RunnerOptions } from './jobs/runner';

export interface LocalDoor {
  api: Api;
  /** the workspace's jobs as they are now, then every job event, each checked against the contract */
  subscribe(listener: (event: ApiEvent) => void): () => void;
  /** the workbench behind the door, for a host that serves it (steplab serve) */
  readonly workbench: Workbench;
  /** resolves once a large workspace's background damage check has ended (at once when none runs); writes wait for it */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** Opens a workspace in this process behind the contract. Jobs of processes that died are marked interrupted. */
export function openLocalDoor(dir: string, opts: { create?: boolean; onRefusedEvent?: (why: string) => void } & RunnerOptions = {}): LocalDoor {
  const workbench = openWorkbench(dir, opts);
  workbench.runner.recover();
  // a refused event is a bug in the core: its line goes to the log, the command goes on without it
  const refused = opts.onRefusedEvent ?? ((why: string) => void writeErrorLog(new Error(why), `a job event of ${workbench.store.paths.dir}`));
  const transport: Transport = {
    call: (method: Method, params: unknown) => dispatch(workbench.handlers, method, params),
    subscribe: (listener) => streamJobs(workbench, checkedEvents(listener, refused)),
  };
  return { api: createApiProxy(transport), subscribe: transport.subscribe, workbench, ready: () => workbench.store.integrity.settled(), close: () => workbench.close() };
}

/** The methods that need no open workspace. */
type Detached = Pick<ApiHandlers, 'workspace.merge' | 'workspace.check' | 'workspace.recover' | 'verify.check' | 'workspace.recent'>;
const DETACHED: Detached = {
  'workspace.merge': ({ sources, into }) => mergeWorkspaces(sources, into),
  'workspace.check': ({ path, full }) => checkWorkspaceFiles(path, { full }),
  'workspace.recover': ({ path, into }) => recoverWorkspace(path, into),
  'verify.check': (input) => verify(input),
  'workspace.recent': () => readRecentWorkspaces(),
};

/** A door with no workspace behind it: only the methods that need none answer. */
export function detachedApi(): Api {
  const handlers = new Proxy(DETACHED as Partial<ApiHandlers>, {
    get: (target, method: string) =>
      (target as Record<string, unknown>)[method] ??
      (() => {
        throw new UserError(`${method} needs a workspace (--workspace <dir>)`);
      }),
  }) as ApiHandlers;
  return createApiProxy({ call: (method, params) => dispatch(handlers, method, params), subscribe: () => () => {} });
}
