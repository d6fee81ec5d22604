// What jobs.start refuses before a job is made: the checks a job would otherwise fail on after minutes of
// work (an unknown model or dataset, a model of another role, a judge that is not one, a cycle's missing
// split, a PRM's base of another family). Each is one line, and nothing is written.
import type { JobRequest } from '../../../src-shared/jobConfigs';
import { checkCycleRun } from '../cycles/check';
import { judgeModel } from '../data/verify/judge';
import { checkTrainPrm } from '../reward/trainPrmJob';
import { checkLabelImport } from '../data/labels/check';
import type { Store } from '../store';

export function preflight(store: Store, request: JobRequest): void {
  switch (request.kind) {
    case 'import':
      return;
    case 'generate': {
      const c = request.config;
      store.models.byName(c.model);
      store.datasets.requireId(c.dataset);
      if (c.judge) judgeModel(store, c.judge.model);
      return;
    }
    case 'search': {
      const c = request.config;
      store.models.withRole(c.model, 'policy');
      store.datasets.requireId(c.dataset);
      if (c.judge) judgeModel(store, c.judge.model);
      return;
    }
    case 'score':
      store.models.withRole(request.config.prm, 'prm');
      if (request.config.dataset) store.datasets.requireId(request.config.dataset);
      return;
    case 'bon':
      store.models.withRole(request.config.policy, 'policy');
      store.models.withRole(request.config.prm, 'prm');
      store.datasets.requireId(request.config.dataset);
      return;
    case 'train-prm':
      checkTrainPrm(store, request.config);
      return;
    case 'cycle':
      checkCycleRun(store, request.config);
      return;
    case 'import-labels':
      checkLabelImport(request.config);
      return;
  }
}
