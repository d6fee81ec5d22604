// The workspace area: what is open, switching it, merging, checking and recovering workspaces, the
// curator's name, and renaming or deleting what a researcher made.
import { readCurator, saveCurator } from '../curator';
import { UserError } from '../errors';
import { manageDelete, manageDependents, manageRename } from '../manage';
import { mergeWorkspaces } from '../merge';
import { recoverWorkspace } from '../recover';
import { READS } from '../store/integrity';
import { APP_VERSION } from '../version';
import { readRecentWorkspaces } from '../workbench';
import { checkWorkspaceFiles } from '../workspaceCheck';
import type { AreaHandlers, HandlerContext } from './context';

export function workspaceHandlers({ store, workspaces }: HandlerContext) {
  return {
    'workspace.info': () => ({
      path: store.paths.dir,
      schemaVersion: store.schemaVersion,
      appVersion: APP_VERSION,
      problems: store.problems.count(),
      datasets: store.datasets.count(),
      images: store.images.count(),
    }),
    'workspace.open': (input) => {
      if (!workspaces) throw new UserError('this Steplab process serves one workspace and cannot switch: start Steplab on the other workspace');
      return workspaces.open(input);
    },
    'workspace.recent': () => (workspaces ? workspaces.recent() : readRecentWorkspaces()),
    'workspace.merge': ({ sources, into }) => mergeWorkspaces(sources, into),
    'workspace.check': ({ path, full }) => checkWorkspaceFiles(path, { full }),
    'workspace.recover': ({ path, into }) => recoverWorkspace(path, into),
    'curator.get': () => readCurator(),
    'curator.set': ({ name }) => saveCurator(name),
    'manage.dependents': ({ kind, ref }) => manageDependents(store, kind, ref),
    'manage.rename': ({ kind, ref, newName }) => manageRename(store, kind, ref, newName),
    'manage.delete': async ({ kind, ref }) => {
      await store.integrity.require(READS.job, 'nothing was deleted');
      return manageDelete(store, kind, ref);
    },
  } satisfies AreaHandlers;
}
