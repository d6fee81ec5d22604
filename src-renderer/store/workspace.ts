// The open workspace (path and counts) and the state of the link to the core.
import type { StateCreator } from 'zustand/vanilla';
import type { Api, Output } from '../../src-shared/api';
import { describeError } from '../errors';
import type { ConnectionInfo } from '../transport';
import type { AppState } from '.';

export type WorkspaceInfo = Output<'workspace.info'>;

export interface WorkspaceSlice {
  workspace: WorkspaceInfo | null;
  workspaceError: string | null;
  connection: ConnectionInfo;
  loadWorkspace(): Promise<void>;
  setConnection(info: ConnectionInfo): void;
}

export const createWorkspaceSlice =
  (api: Api): StateCreator<AppState, [], [], WorkspaceSlice> =>
  (set) => ({
    workspace: null,
    workspaceError: null,
    connection: { state: 'connecting', failures: 0 },
    async loadWorkspace() {
      try {
        set({ workspace: await api['workspace.info']({}), workspaceError: null });
      } catch (e) {
        set({ workspaceError: describeError(e) });
      }
    },
    setConnection(info) {
      set({ connection: info });
    },
  });
