// The host's side of the workbench at MM-PRM scale: the API calls behind the views that bench/scaleUi.ts
// times in the page, timed directly on a workspace folder (the scale bench's scored copy, or any other):
// filtering the disagreement queue, the Datasets view's two lists, the evaluations list. Medians of 5
// after one warm-up call, with the load average beside them. Opening the folder migrates it to this
// Steplab's schema: time a copy of the bench's cached workspace, not the cache itself.
//
//   node bin/run-ts.js bench/scaleApi.ts <workspace folder>
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { dispatch } from '../src-main/core/dispatch';
import { openWorkbench } from '../src-main/core/workbench';
import { fmt, median } from './util';

export async function benchScaleApi(dir: string, repeats = 5): Promise<string[]> {
  const wb = openWorkbench(dir);
  try {
    await wb.store.integrity.require('all', 'the API bench');
    const lines: string[] = [];
    const time = async (name: string, method: string, input: Record<string, unknown>): Promise<void> => {
      await dispatch(wb.handlers, method as never, input as never);
      const ms: number[] = [];
      for (let r = 0; r < repeats; r++) {
        const t0 = performance.now();
        await dispatch(wb.handlers, method as never, input as never);
        ms.push(performance.now() - t0);
      }
      lines.push(`${name}: ${fmt(median(ms))} ms (median of ${repeats}; ${ms.map((x) => fmt(x)).join(', ')})`);
    };
    const prm = (wb.store.db.prepare("SELECT name FROM models WHERE role = 'prm' ORDER BY id LIMIT 1").get() as { name: string } | undefined)?.name;
    if (prm) {
      for (const stepKind of [undefined, 'answer', 'reasoning'] as const) {
        await time(`curation.disagreements ${stepKind ?? 'all kinds'} (limit 100)`, 'curation.disagreements', { prm, limit: 100, ...(stepKind ? { stepKind } : {}) });
      }
      await time('curation.disagreements reasoning, gap >= 0.3', 'curation.disagreements', { prm, limit: 100, stepKind: 'reasoning', minGap: 0.3 });
      const problemId = (wb.store.db.prepare('SELECT problem_id AS p FROM searches ORDER BY id LIMIT 1 OFFSET 5000').get() as { p: number }).p;
      await time('curation.disagreements one problem', 'curation.disagreements', { prm, limit: 100, problemId });
    }
    await time('annotations.sets', 'annotations.sets', {});
    await time('datasets.list', 'datasets.list', {});
    await time('evaluations.list', 'evaluations.list', {});
    lines.push(`load average: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    return lines;
  } finally {
    await wb.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node bin/run-ts.js bench/scaleApi.ts <workspace folder>');
    process.exit(1);
  }
  for (const line of await benchScaleApi(dir)) console.log(line);
}
