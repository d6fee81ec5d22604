// Rename and delete what the researcher made, from any view: one dialog at a time. A delete first asks
// the core what goes with it (manage.dependents) and shows that; manage.delete is called only when the
// researcher confirms. After either, the lists that could show the object are loaded again.
import type { StateCreator } from 'zustand/vanilla';
import type { Api } from '../../src-shared/api';
import type { ManageKind, ManagePlan } from '../../src-shared/manage';
import { describeError } from '../errors';
import type { AppState } from '.';

export interface ManageTargetRef {
  kind: ManageKind;
  /** its id, or its name (an annotation set) */
  ref: number | string;
  /** what it is called in the list it was picked from */
  label: string;
  /** its name now, the rename field's first value (a model: its name without the version) */
  name: string;
}

export type ManageDialog =
  | { mode: 'delete'; target: ManageTargetRef; plan: ManagePlan | null; busy: boolean; error: string | null }
  | { mode: 'rename'; target: ManageTargetRef; busy: boolean; error: string | null };

export interface ManageSlice {
  manageDialog: ManageDialog | null;
  /** opens the delete dialog and asks the core what would go; `after` runs once the delete is done */
  askDelete(target: ManageTargetRef, after?: () => void): Promise<void>;
  /** opens the rename dialog; `after` runs once the rename is done */
  askRename(target: ManageTargetRef, after?: () => void): void;
  /** deletes what the open dialog shows (after the researcher confirmed); true when it went */
  confirmDelete(): Promise<boolean>;
  saveRename(newName: string): Promise<boolean>;
  closeManage(): void;
}

export const createManageSlice =
  (api: Api): StateCreator<AppState, [], [], ManageSlice> =>
  (set, get) => {
    let after: (() => void) | undefined;
    /** the lists that can show an object of this kind, loaded again; the open one closed when it is gone */
    const refresh = async (target: ManageTargetRef, gone: boolean, renamed?: string): Promise<void> => {
      const { kind, ref } = target;
      const s = get();
      // the dataset the Problems view shows follows its rename, and is let go of when it is deleted
      if (kind === 'dataset' && s.dataset === target.name) set({ dataset: gone ? null : (renamed ?? s.dataset) });
      if (gone) {
        if (kind === 'search' && s.search === ref) set({ search: undefined, node: undefined, tree: null });
        if (kind === 'evaluation' && s.evaluationId === ref) set({ evaluationId: undefined, evaluation: null, evaluationChart: null, evaluationProblems: [] });
        if (kind === 'cycleRun' && s.cycleRun === ref) set({ cycleRun: undefined });
      }
      const loads: Promise<void>[] = [];
      if (kind === 'dataset' || kind === 'model') loads.push(s.loadDatasets(), s.loadWorkspace());
      if (kind === 'dataset' || kind === 'evaluation' || kind === 'model') loads.push(s.loadEvaluations());
      if (kind === 'dataset' || kind === 'cycleRun' || kind === 'model') loads.push(s.loadCycleRuns());
      if (kind === 'dataset' || kind === 'search' || kind === 'annotationSet' || kind === 'model') loads.push(s.loadSearches());
      await Promise.all(loads);
      after?.();
      after = undefined;
    };
    return {
      manageDialog: null,
      async askDelete(target, then) {
        after = then;
        set({ manageDialog: { mode: 'delete', target, plan: null, busy: true, error: null } });
        try {
          const plan = await api['manage.dependents']({ kind: target.kind, ref: target.ref });
          if (get().manageDialog?.target === target) set({ manageDialog: { mode: 'delete', target, plan, busy: false, error: null } });
        } catch (e) {
          if (get().manageDialog?.target === target) set({ manageDialog: { mode: 'delete', target, plan: null, busy: false, error: describeError(e) } });
        }
      },
      askRename(target, then) {
        after = then;
        set({ manageDialog: { mode: 'rename', target, busy: false, error: null } });
      },
      async confirmDelete() {
        const d = get().manageDialog;
        if (d?.mode !== 'delete' || !d.plan || d.busy || d.plan.blockers.length) return false;
        set({ manageDialog: { ...d, busy: true, error: null } });
        try {
          await api['manage.delete']({ kind: d.target.kind, ref: d.target.ref, confirm: true });
        } catch (e) {
          set({ manageDialog: { ...d, busy: false, error: describeError(e) } });
          return false;
        }
        set({ manageDialog: null });
        await refresh(d.target, true);
        return true;
      },
      async saveRename(newName) {
        const d = get().manageDialog;
        if (d?.mode !== 'rename' || d.busy) return false;
        set({ manageDialog: { ...d, busy: true, error: null } });
        let renamed: string;
        try {
          renamed = (await api['manage.rename']({ kind: d.target.kind, ref: d.target.ref, newName })).name;
        } catch (e) {
          set({ manageDialog: { ...d, busy: false, error: describeError(e) } });
          return false;
        }
        set({ manageDialog: null });
        await refresh(d.target, false, renamed);
        return true;
      },
      closeManage() {
        after = undefined;
        set({ manageDialog: null });
      },
    };
  };
