// The models area: the registry, endpoints and their health, execution providers, and scoring rollouts with a PRM.
import { modelLabel } from '../../../src-shared/modelLabel';
import { UserError } from '../errors';
import { addEndpoint, endpointHealth } from '../inference/endpoints';
import { availableProviders } from '../inference/session';
import { registerModel } from '../models/registry';
import { scoreRollouts } from '../reward/scoreRollouts';
import type { AreaHandlers, HandlerContext } from './context';

export function modelsHandlers({ store }: HandlerContext) {
  return {
    'models.list': () => store.models.list(),
    'models.get': ({ name, role }) => (role ? store.models.withRole(name, role) : store.models.byName(name)),
    'models.providers': () => availableProviders(),
    'models.health': ({ id }) => {
      const m = store.models.get(id);
      if (!m.endpoint) throw new UserError(`model ${modelLabel(m)} is not served over an endpoint`);
      return endpointHealth(m);
    },
    'models.register': ({ folder, name }) => registerModel(store, folder, { name }),
    'models.addEndpoint': (o) => addEndpoint(store, o),
    'score.rollouts': (o) => scoreRollouts(store, o),
  } satisfies AreaHandlers;
}
