// The rename and delete dialogs over an in-memory Api: a delete shows what the core says goes with it
// (rows with counts, named objects, what stays) and calls manage.delete only after the researcher
// confirms; Cancel or a refusal calls nothing; after a delete or rename the lists are loaded again.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';
import type { Api } from '../src-shared/api';
import type { ManagePlan } from '../src-shared/manage';
import { ManageDialogBody } from '../src-renderer/components/ManageDialog';
import { createAppStore } from '../src-renderer/store';
import type { ManageTargetRef } from '../src-renderer/store/manage';
import { ApiError } from '../src-shared/api';

const plan = (extra: Partial<ManagePlan> = {}): ManagePlan => ({
  kind: 'search',
  id: 7,
  name: '#7 d-1',
  rows: [
    { what: 'searches', count: 1 },
    { what: 'tree nodes', count: 31 },
    { what: 'annotations', count: 4 },
  ],
  total: 36,
  objects: [{ kind: 'annotationSet', id: null, name: 'omega-3' }],
  keeps: [],
  blockers: [],
  folders: [],
  ...extra,
});

function fakeApi(p: ManagePlan) {
  const calls: string[] = [];
  const fn = <T>(name: string, value: T) =>
    vi.fn(async (_input?: unknown) => {
      calls.push(name);
      return value;
    });
  const api = {
    'manage.dependents': fn('manage.dependents', p),
    'manage.delete': fn('manage.delete', p),
    'manage.rename': vi.fn(async (input: { newName: string }) => {
      calls.push('manage.rename');
      if (input.newName === 'taken') throw new ApiError('user_error', 'another search is named "taken": choose another name; nothing was renamed');
      return { kind: 'search', id: 7, previous: '#7 d-1', name: input.newName, rows: 1 };
    }),
    'searches.list': fn('searches.list', { total: 0, items: [] }),
    'models.list': fn('models.list', []),
    'datasets.list': fn('datasets.list', { total: 0, items: [] }),
    'evaluations.list': fn('evaluations.list', { total: 0, items: [] }),
    'cycles.list': fn('cycles.list', []),
    'workspace.info': fn('workspace.info', { path: '/ws', schemaVersion: 10, appVersion: 'x', problems: 0, datasets: 0, images: 0 }),
    'jobs.list': fn('jobs.list', []),
  };
  return { api: api as unknown as Api, calls, spies: api };
}

const target: ManageTargetRef = { kind: 'search', ref: 7, label: '#7 d-1', name: '' };
const markup = (store: ReturnType<typeof createAppStore>): string => {
  const d = store.getState().manageDialog;
  if (!d) return '';
  return renderToStaticMarkup(createElement(ManageDialogBody, { dialog: d, onConfirm: () => {}, onRename: () => {}, onClose: () => {} }));
};

describe('the delete dialog', () => {
  it('lists what goes with counts, and deletes only after confirm', async () => {
    const { api, calls, spies } = fakeApi(plan());
    const store = createAppStore(api, { view: 'searches', dataset: null, search: 7 });
    await store.getState().askDelete(target);
    expect(spies['manage.dependents']).toHaveBeenCalledWith({ kind: 'search', ref: 7 });
    const html = markup(store);
    expect(html).toContain('Delete search #7 d-1?');
    expect(html).toMatch(/<td class="num">31<\/td><td>tree nodes<\/td>/);
    expect(html).toMatch(/<td class="num">4<\/td><td>annotations<\/td>/);
    expect(html).toContain('With it: annotation set “omega-3”');
    expect(html).toContain('36 rows go in one transaction');
    expect(html).toMatch(/<button type="submit" class="danger-primary">Delete<\/button>/);
    // nothing deleted yet: only the question was asked
    expect(calls).toEqual(['manage.dependents']);
    expect(spies['manage.delete']).not.toHaveBeenCalled();

    expect(await store.getState().confirmDelete()).toBe(true);
    expect(spies['manage.delete']).toHaveBeenCalledTimes(1);
    expect(spies['manage.delete']).toHaveBeenCalledWith({ kind: 'search', ref: 7, confirm: true });
    expect(store.getState().manageDialog).toBeNull();
    // the list is loaded again and the deleted search is no longer the open one
    expect(calls.indexOf('searches.list')).toBeGreaterThan(calls.indexOf('manage.delete'));
    expect(store.getState().search).toBeUndefined();
  });

  it('Cancel closes the dialog and deletes nothing; a confirm after it does nothing', async () => {
    const { api, spies } = fakeApi(plan());
    const store = createAppStore(api, { view: 'searches', dataset: null });
    const after = vi.fn();
    await store.getState().askDelete(target, after);
    store.getState().closeManage();
    expect(store.getState().manageDialog).toBeNull();
    expect(await store.getState().confirmDelete()).toBe(false);
    expect(spies['manage.delete']).not.toHaveBeenCalled();
    expect(after).not.toHaveBeenCalled();
  });

  it('a refused delete shows why, with Delete disabled, and calls nothing', async () => {
    const { api, spies } = fakeApi(plan({ blockers: ['search job 4 (running) uses search #7 d-1: wait for it to end or cancel it'] }));
    const store = createAppStore(api, { view: 'searches', dataset: null });
    await store.getState().askDelete(target);
    const html = markup(store);
    expect(html).toContain('Cannot delete now: search job 4 (running) uses search #7 d-1');
    expect(html).toMatch(/<button type="submit" class="danger-primary" disabled="">Delete<\/button>/);
    expect(await store.getState().confirmDelete()).toBe(false);
    expect(spies['manage.delete']).not.toHaveBeenCalled();
  });

  it('a model delete names the folder that goes, and runs the view\'s own reload after', async () => {
    const { api } = fakeApi(plan({ kind: 'model', name: 'prm-x@2', rows: [{ what: 'models', count: 1 }], total: 1, objects: [], folders: ['/ws/models/prm-x-v2'] }));
    const store = createAppStore(api, { view: 'models', dataset: null });
    const after = vi.fn();
    await store.getState().askDelete({ kind: 'model', ref: 3, label: 'prm-x@2', name: 'prm-x' }, after);
    expect(markup(store)).toContain('Its folder is removed: <span class="mono">/ws/models/prm-x-v2</span>');
    await store.getState().confirmDelete();
    expect(after).toHaveBeenCalledTimes(1);
  });
});

describe('the rename dialog', () => {
  it('shows a name in use in place and keeps the dialog; a free name renames and reloads', async () => {
    const { api, calls } = fakeApi(plan());
    const store = createAppStore(api, { view: 'searches', dataset: null });
    store.getState().askRename(target);
    expect(markup(store)).toContain('Rename search #7 d-1');
    expect(await store.getState().saveRename('taken')).toBe(false);
    expect(markup(store)).toContain('another search is named &quot;taken&quot;: choose another name; nothing was renamed');
    expect(store.getState().manageDialog).not.toBeNull();
    const before = calls.length;
    expect(await store.getState().saveRename('my tree')).toBe(true);
    expect(store.getState().manageDialog).toBeNull();
    expect(calls.slice(before)).toEqual(['manage.rename', 'searches.list', 'models.list']);
  });
});

describe('the open dataset', () => {
  it('follows a rename and is let go of when deleted', async () => {
    const { api, spies } = fakeApi(plan({ kind: 'dataset', name: 'demo' }));
    spies['manage.rename'].mockImplementation(async (input: { newName: string }) => ({ kind: 'dataset', id: 1, previous: 'demo', name: input.newName, rows: 1 }));
    const store = createAppStore(api, { view: 'problems', dataset: 'demo' });
    store.getState().askRename({ kind: 'dataset', ref: 1, label: '“demo”', name: 'demo' });
    await store.getState().saveRename('demo-v2');
    expect(store.getState().dataset).toBe('demo-v2');
    await store.getState().askDelete({ kind: 'dataset', ref: 1, label: '“demo-v2”', name: 'demo-v2' });
    await store.getState().confirmDelete();
    expect(store.getState().dataset).toBeNull();
  });
});
