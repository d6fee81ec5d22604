// One open workspace: store, job runner and the API handlers over them. Hosts (CLI, HTTP, Electron) hold one.
import type { ApiHandlers } from '../../src-shared/api';
import { createApiHandlers } from './api';
import { JobRunner } from './jobs/runner';
import { Store } from './store';

export interface Workbench {
  store: Store;
  runner: JobRunner;
  handlers: ApiHandlers;
  close(): Promise<void>;
}

export function openWorkbench(dir: string, opts: { create?: boolean; concurrency?: number } = {}): Workbench {
  const store = Store.open(dir, { create: opts.create });
  const runner = new JobRunner(store, { concurrency: opts.concurrency });
  return {
    store,
    runner,
    handlers: createApiHandlers(store, runner),
    async close() {
      await runner.close();
      store.close();
    },
  };
}
