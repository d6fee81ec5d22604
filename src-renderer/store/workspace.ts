// The open workspace (path and counts), the state of the link to the core, and the workspace picker's
// side of switching: the recent list, and opening or creating another workspace.
import type { StateCreator } from 'zustand/vanilla';
import { ApiError, type Api, type Output } from '../../src-shared/api';
import { describeError } from '../errors';
import type { ConnectionInfo } from '../transport';
import type { AppState } from '.';

export type WorkspaceInfo = Output<'workspace.info'>;
export type RecentWorkspace = Output<'workspace.recent'>[number];

export interface WorkspaceSlice {
  workspace: WorkspaceInfo | null;
  workspaceError: string | null;
  connection: ConnectionInfo;
  loadWorkspace(): Promise<void>;
  setConnection(info: ConnectionInfo): void;
  /** workspaces opened lately (null until loaded) */
  recentWorkspaces: RecentWorkspace[] | null;
  recentError: string | null;
  /** why the last open or create failed; the open workspace is unchanged then */
  pickerError: string | null;
  pickerBusy: boolean;
  loadRecentWorkspaces(): Promise<void>;
  /** asks the core to switch workspaces; resolves to the new workspace, or null when it failed (see pickerError) */
  openWorkspace(path: string, create: boolean): Promise<WorkspaceInfo | null>;
  clearPickerError(): void;
}

/** The picker shows a refusal as the core wrote it ("Cannot open ...: ..."), without a generic prefix. */
function pickerMessage(e: unknown): string {
  return e instanceof ApiError && e.code === 'user_error' ? e.message : describeError(e);
}

export const createWorkspaceSlice =
  (api: Api): StateCreator<AppState, [], [], WorkspaceSlice> =>
  (set, get) => ({
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
    recentWorkspaces: null,
    recentError: null,
    pickerError: null,
    pickerBusy: false,
    async loadRecentWorkspaces() {
      try {
        set({ recentWorkspaces: await api['workspace.recent']({}), recentError: null });
      } catch (e) {
        set({ recentError: describeError(e) });
      }
    },
    async openWorkspace(path, create) {
      if (get().pickerBusy) return null;
      if (path.trim() === '') {
        set({ pickerError: 'Type the full path of a workspace folder first.' });
        return null;
      }
      set({ pickerBusy: true, pickerError: null });
      try {
        const info = await api['workspace.open']({ path: path.trim(), create });
        set({ workspace: info, workspaceError: null, pickerBusy: false });
        return info;
      } catch (e) {
        set({ pickerError: pickerMessage(e), pickerBusy: false });
        void get().loadRecentWorkspaces();
        return null;
      }
    },
    clearPickerError() {
      set({ pickerError: null });
    },
  });
