// What jobs.start refuses before a job is made: the checks a job would otherwise fail on after minutes of
// work (an unknown model or dataset, a split the dataset does not have, a model of another role, a judge
// that is not one, a cycle's missing split, a PRM's base of another family, an import file that is empty,
// not UTF-8 or not a problems file). Each is one line, and nothing is written: no job row either.
import type { JobRequest } from '../../../src-shared/jobConfigs';
import { checkCycleRun } from '../cycles/check';
import { inspectProblemFile } from '../data/inputFile';
import { judgeModel } from '../data/verify/judge';
import { UserError } from '../errors';
import { checkTrainPrm } from '../reward/trainPrmJob';
import { checkBenchPrm } from './kinds/benchPrm';
import { checkLabelImport } from '../data/labels/check';
import type { Store } from '../store';

/** Refuses a dataset without problems, or without the split named. */
function requireProblems(store: Store, dataset: string, split: string | undefined): void {
  const ds = store.datasets.get(dataset);
  const splits = Object.entries(ds.splits)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  if (ds.problemCount === 0) throw new UserError(`dataset "${dataset}" has no problems`);
  if (split !== undefined && !(ds.splits[split] > 0)) throw new UserError(`dataset "${dataset}" has no split "${split}" (its splits: ${splits})`);
}

/** Checks a request against the workspace; returns it as the job is to be stored (an import's format read from its file). */
export function preflight(store: Store, request: JobRequest): JobRequest {
  switch (request.kind) {
    case 'import': {
      const c = request.config;
      return { kind: 'import', config: { ...c, format: inspectProblemFile(c.path, c.format) } };
    }
    case 'generate': {
      const c = request.config;
      store.models.byName(c.model);
      requireProblems(store, c.dataset, c.split);
      if (c.judge) judgeModel(store, c.judge.model);
      return request;
    }
    case 'search': {
      const c = request.config;
      store.models.withRole(c.model, 'policy');
      requireProblems(store, c.dataset, c.split);
      if (c.judge) judgeModel(store, c.judge.model);
      return request;
    }
    case 'score':
      store.models.withRole(request.config.prm, 'prm');
      if (request.config.dataset) requireProblems(store, request.config.dataset, request.config.split);
      return request;
    case 'bon':
      store.models.withRole(request.config.policy, 'policy');
      store.models.withRole(request.config.prm, 'prm');
      requireProblems(store, request.config.dataset, request.config.split);
      if (request.config.selectOn) requireProblems(store, request.config.dataset, request.config.selectOn);
      return request;
    case 'train-prm':
      checkTrainPrm(store, request.config);
      return request;
    case 'cycle':
      checkCycleRun(store, request.config);
      return request;
    case 'bench-prm':
      checkBenchPrm(store, request.config);
      return request;
    case 'import-labels':
      checkLabelImport(request.config);
      return request;
  }
}
