// A workspace with real searches for the tree explorer's tests: the first text-only demo problems
// imported, an OmegaPRM search of each with the bundled tiny policy, and optionally a Math-Shepherd
// search of the same problems (small budgets: seconds on CPU).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerModel } from '../../src-main/core/models/registry';
import { openWorkbench, type Workbench } from '../../src-main/core/workbench';
import { tempDir } from './tmp';

const ROOT = join(import.meta.dirname, '..', '..');

export interface SearchWorkspace {
  wb: Workbench;
  omega: number[];
  mathShepherd: number[];
  cleanup(): Promise<void>;
}

async function search(wb: Workbench, algo: 'omega' | 'mc', count: number, config: Record<string, unknown>): Promise<number[]> {
  const job = await wb.runner.wait(wb.runner.submit('search', { dataset: 'demo', model: 'tiny-policy', algo, limit: count, config, seed: 3 }).id);
  if (job.state !== 'done') throw new Error(`set-up: ${algo} search ${job.state}: ${job.error}`);
  return (job.result as { searchIds: number[] }).searchIds;
}

export async function searchWorkspace(opts: { count?: number; mathShepherd?: boolean } = {}): Promise<SearchWorkspace> {
  const count = opts.count ?? 2;
  const tmp = tempDir('steplab-search-ws-');
  const lines = readFileSync(join(ROOT, 'models', 'demo-data', 'problems.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l && !JSON.parse(l).image)
    .slice(0, count);
  const file = join(tmp.dir, 'demo.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  const wb = openWorkbench(join(tmp.dir, 'ws'), { create: true });
  const imp = await wb.runner.wait(wb.runner.submit('import', { path: file, dataset: 'demo', skipBad: false }).id);
  if (imp.state !== 'done') throw new Error(`set-up: import ${imp.state}: ${imp.error}`);
  await registerModel(wb.store, join(ROOT, 'models', 'tiny-policy'));
  const omega = await search(wb, 'omega', count, { maxSearchCount: 4, rolloutBudget: 48, rolloutsPerState: 8, lengthScale: 50 });
  const mathShepherd = opts.mathShepherd ? await search(wb, 'mc', count, { samplesPerSolution: 2, k: 4 }) : [];
  return {
    wb,
    omega,
    mathShepherd,
    async cleanup() {
      await wb.close();
      tmp.cleanup();
    },
  };
}
