// Every job kind the runner knows. Workers import this module to find their handler.
import { importJob } from '../data/importProblems';
import { generateJob } from '../inference/generateJob';
import { bonJob } from '../reward/bonJob';
import { scoreJob } from '../reward/scoreJob';
import { trainPrmJob } from '../reward/trainPrmJob';
import { cycleJob } from '../cycles/cycleJob';
import { importLabelsJob } from './kinds/importLabels';
import { searchJob } from './kinds/search';
import { benchPrmJob } from './kinds/benchPrm';
import type { JobHandler } from './types';

// an import publishes all or nothing and its cleanup restores the workspace: bad input is a refusal (no job row)
const handlers: JobHandler<any, any>[] = [{ ...importJob, allOrNothing: true }, generateJob, searchJob, scoreJob, bonJob, trainPrmJob, cycleJob, benchPrmJob, { ...importLabelsJob, allOrNothing: true }];

export const jobHandlers: ReadonlyMap<string, JobHandler<any, any>> = new Map(handlers.map((h) => [h.kind, h]));

export function handlerFor(kind: string): JobHandler<any, any> {
  const h = jobHandlers.get(kind);
  if (!h) throw new Error(`no handler for job kind "${kind}"`);
  return h;
}
