// A runner's typed job events followed as a client keeps its rows: each event reduced into its job's row
// (src-shared/events.ts reduceJob), starting from the jobs stored when it subscribes. The listener is told
// the row after every event that changed it, so a test reads a job's state as the snapshots used to tell it.
import type { Job } from '../../src-shared/domain';
import { jobIdOf, reduceJob } from '../../src-shared/events';
import type { Workbench } from '../../src-main/core/workbench';

export function onJobRow(wb: Pick<Workbench, 'store' | 'runner'>, listener: (job: Job) => void): () => void {
  const rows = new Map(wb.store.jobs.list(10_000).map((j) => [j.id, j]));
  return wb.runner.onEvent((e) => {
    const id = jobIdOf(e);
    const before = rows.get(id);
    const after = reduceJob(before, e);
    if (!after || after === before) return;
    rows.set(id, after);
    listener(after);
  });
}
