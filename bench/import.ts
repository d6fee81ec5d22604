// Import throughput: the staged, chunked import job (the real path, in its worker thread) against
// parsing each line and inserting it with one autocommit per row, on the same machine in the same run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openWorkbench } from '../src-main/core/workbench';
import { Store } from '../src-main/core/store';
import { parseProblemRow } from '../src-main/core/data/problemRow';
import { tempDir } from '../test/helpers/tmp';
import { median, timeAsync, time, type BenchResult } from './util';

function writeFile(path: string, n: number): void {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    lines.push(JSON.stringify({ id: `p${i}`, question: `Tom has ${i} apples. He buys ${i % 7 + 1} more. How many apples does he have now?`, answer: String(i + (i % 7) + 1), split: i % 10 === 0 ? 'test' : 'train', source: 'bench' }));
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

export async function benchImport(opts: { rows?: number; naiveRows?: number; repeats?: number } = {}): Promise<BenchResult> {
  const rows = opts.rows ?? 50_000;
  const naiveRows = opts.naiveRows ?? 5_000;
  const repeats = opts.repeats ?? 3;
  const tmp = tempDir('steplab-bench-');
  try {
    const file = join(tmp.dir, 'problems.jsonl');
    writeFile(file, rows);
    const job: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const wb = openWorkbench(join(tmp.dir, `ws-job-${r}`), { create: true });
      const { ms, value } = await timeAsync(async () => wb.runner.wait(wb.runner.submit('import', { path: file, dataset: 'd' }).id));
      if (value.state !== 'done') throw new Error(`bench import failed: ${value.error}`);
      job.push(rows / (ms / 1000));
      await wb.close();
    }
    const lines = (await import('node:fs')).readFileSync(file, 'utf8').split('\n').slice(0, naiveRows);
    const naive: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const store = Store.open(join(tmp.dir, `ws-naive-${r}`), { create: true });
      const ds = store.datasets.getOrCreate('d');
      const { ms } = time(() => {
        lines.forEach((line, i) => {
          const p = parseProblemRow(JSON.parse(line));
          const { id } = store.problems.upsert({ question: p.question, answer: p.answer, answerType: p.answerType, source: p.source, tags: p.tags, imageHashes: [], meta: p.meta });
          store.datasets.addMember(ds, id, p.id ?? `row${i}`, p.split);
        });
      });
      naive.push(naiveRows / (ms / 1000));
      store.close();
    }
    return { name: `problem import (${rows.toLocaleString()} JSONL lines, staged chunks in a worker)`, unit: 'problems/s', value: median(job), baseline: median(naive), baselineName: 'parse + insert, one autocommit per row' };
  } finally {
    tmp.cleanup();
  }
}
