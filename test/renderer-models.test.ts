// The models slice: one list of the workspace's models in the store, read by every view through the
// selectors (store/selectors.ts), which return the same value until the list changes.
import { describe, expect, it, vi } from 'vitest';
import type { Api } from '../src-shared/api';
import type { ModelRecord } from '../src-shared/domain';
import { createAppStore } from '../src-renderer/store';
import { modelsOfRole, prmLabels } from '../src-renderer/store/selectors';

const model = (id: number, name: string, role: ModelRecord['role'], version = 1): ModelRecord => ({ id, name, version, role }) as unknown as ModelRecord;

describe('models slice', () => {
  it('loads the list once per ask and derives the roles and the PRM labels from it, stable until it changes', async () => {
    let list = [model(1, 'tiny-policy', 'policy'), model(2, 'tiny-prm', 'prm'), model(3, 'tiny-prm', 'prm', 2)];
    const api = {
      'models.list': vi.fn(async () => list),
      'searches.list': vi.fn(async () => ({ total: 0, items: [] })),
    } as unknown as Api;
    const store = createAppStore(api, { view: 'searches', dataset: null });
    await store.getState().loadSearches();
    // the searches list reads the models through the slice: one call, and the PRMs come from it
    expect(api['models.list']).toHaveBeenCalledTimes(1);
    expect(prmLabels(store.getState())).toEqual(['tiny-prm@1', 'tiny-prm@2']);
    const policies = modelsOfRole('policy')(store.getState());
    expect(policies.map((m) => m.name)).toEqual(['tiny-policy']);
    expect(modelsOfRole('policy')(store.getState())).toBe(policies);
    expect(prmLabels(store.getState())).toBe(prmLabels(store.getState()));
    list = [...list, model(4, 'p2', 'policy')];
    await store.getState().loadModels();
    expect(modelsOfRole('policy')(store.getState()).map((m) => m.name)).toEqual(['tiny-policy', 'p2']);
  });

  it('keeps the list it has when a reload fails, and says why', async () => {
    let fail = false;
    const api = {
      'models.list': vi.fn(async () => {
        if (fail) throw new Error('the workspace is busy');
        return [model(1, 'tiny-policy', 'policy')];
      }),
    } as unknown as Api;
    const store = createAppStore(api, { view: 'models', dataset: null });
    await store.getState().loadModels();
    fail = true;
    await store.getState().loadModels();
    expect(store.getState()).toMatchObject({ modelsLoaded: true, modelsError: expect.stringContaining('the workspace is busy') });
    expect(store.getState().models).toHaveLength(1);
  });
});
