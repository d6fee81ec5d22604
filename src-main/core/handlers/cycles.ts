// The cycles area: MathSE cycle runs, started after their checks, read, and their training sets exported.
import { CycleConfig } from '../../../src-shared/cycles';
import { formatZodIssue } from '../../../src-shared/zodMessage';
import { checkCycleRun } from '../cycles/check';
import { exportCycleTrainingSet, listRuns, reflections, runView } from '../cycles/view';
import { UserError } from '../errors';
import { checkEndpoints, checkReferenceTrainer } from '../jobs/preflight';
import { READS } from '../store/integrity';
import type { AreaHandlers, HandlerContext } from './context';

export function cyclesHandlers({ store, runner }: HandlerContext) {
  return {
    'cycles.list': () => listRuns(store),
    'cycles.get': ({ id }) => runView(store, store.cycles.run(id)),
    'cycles.start': async ({ config }) => {
      const r = CycleConfig.safeParse(config);
      if (!r.success) throw new UserError(formatZodIssue(r.error.issues[0], { label: 'config' }));
      await store.integrity.require(READS.job, 'no job was started');
      checkCycleRun(store, r.data);
      checkReferenceTrainer(r.data.finetune.trainer);
      await checkEndpoints(store, { kind: 'cycle', config: r.data });
      return runner.start({ kind: 'cycle', config: r.data });
    },
    'cycles.reflections': (q) => reflections(store, q),
    'cycles.exportTrainingSet': async ({ run, cycle, format, out }) => {
      await store.integrity.require(READS['cycles.exportTrainingSet'], 'nothing was exported');
      return exportCycleTrainingSet(store, store.cycles.run(run).id, cycle, format, out);
    },
  } satisfies AreaHandlers;
}
