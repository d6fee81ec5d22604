// The job runner with real worker threads (an import killed with SIGKILL and resumed: e2e/kill-resume.e2e.test.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { openWorkbench, type Workbench } from '../src-main/core/workbench';
import { tempDir } from './helpers/tmp';
import { onJobRow } from './helpers/jobRows';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

function writeProblems(file: string, n: number, start = 0): void {
  const lines: string[] = [];
  for (let i = start; i < start + n; i++) lines.push(JSON.stringify({ id: `p${i}`, question: `What is ${i} + 1?`, answer: String(i + 1), split: i % 5 === 0 ? 'test' : 'train' }));
  writeFileSync(file, lines.join('\n') + '\n');
}

/** Row counts of everything an import touches, read through a separate connection. */
function counts(ws: string): Record<string, number> {
  const db = new Database(join(ws, 'steplab.db'), { readonly: true });
  try {
    const n = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
    return {
      problems: n('SELECT count(*) AS n FROM problems'),
      members: n('SELECT count(*) AS n FROM dataset_problems'),
      distinctExt: n('SELECT count(DISTINCT ext_id) AS n FROM dataset_problems'),
      staging: n('SELECT count(*) AS n FROM staging_problems'),
    };
  } finally {
    db.close();
  }
}

describe('job runner (worker threads)', () => {
  let wb: Workbench;
  afterEach(async () => {
    await wb?.close();
  });

  it('runs jobs one after another off the main thread and streams their events', async () => {
    wb = openWorkbench(join(tmp.dir, 'ws'), { create: true });
    const a = join(tmp.dir, 'a.jsonl');
    const b = join(tmp.dir, 'b.jsonl');
    writeProblems(a, 1200);
    writeProblems(b, 10, 5000);
    const seen: string[] = [];
    onJobRow(wb, (j) => seen.push(`${j.id}:${j.state}`));
    const j1 = wb.runner.submit('import', { path: a, dataset: 'a' });
    const j2 = wb.runner.submit('import', { path: b, dataset: 'b' });
    const [r1, r2] = await Promise.all([wb.runner.wait(j1.id), wb.runner.wait(j2.id)]);
    expect([r1.state, r2.state]).toEqual(['done', 'done']);
    expect(r1.result).toMatchObject({ imported: 1200, skipped: 0 });
    expect(r2.result).toMatchObject({ imported: 10 });
    expect(r1.attempts).toBe(1);
    // concurrency 1: the second job starts only after the first is finished
    expect(seen.indexOf(`${j2.id}:running`)).toBeGreaterThan(seen.indexOf(`${j1.id}:done`));
    expect(seen.filter((s) => s === `${j1.id}:running`).length).toBeGreaterThan(1); // progress while running
    expect(wb.store.datasets.get('a').problemCount).toBe(1200);
  });

  it('reports a refused import as a failed job with its message and leaves nothing behind, not even the job row', async () => {
    wb = openWorkbench(join(tmp.dir, 'ws'), { create: true });
    const bad = join(tmp.dir, 'bad.jsonl');
    writeFileSync(bad, '{"id":"a","question":"q","answer":"1"}\n{"id":"b","question":"q2"}\n');
    const seen: string[] = [];
    onJobRow(wb, (x) => seen.push(`${x.id}:${x.state}`));
    const j = wb.runner.submit('import', { path: bad, dataset: 'd' });
    const end = await wb.runner.wait(j.id);
    expect(end.state).toBe('failed');
    expect(end.error).toBe('bad.jsonl line 2: field "answer": required');
    // its last event told why; a late waiter is told the same
    expect(seen.at(-1)).toBe(`${j.id}:failed`);
    expect((await wb.runner.wait(j.id)).error).toBe('bad.jsonl line 2: field "answer": required');
    expect(counts(wb.store.paths.dir)).toEqual({ problems: 0, members: 0, distinctExt: 0, staging: 0 });
    expect(wb.store.jobs.list()).toEqual([]);
  });

  it('refuses an invalid config before creating a job', () => {
    wb = openWorkbench(join(tmp.dir, 'ws'), { create: true });
    expect(() => wb.runner.submit('import', { path: '', dataset: 'd' })).toThrow(/import: invalid config: path/);
    expect(() => wb.runner.submit('nope', {})).toThrow('unknown job kind "nope"');
    expect(wb.store.jobs.list()).toEqual([]);
  });

  it('cancels a running job; the workspace is unchanged', async () => {
    wb = openWorkbench(join(tmp.dir, 'ws'), { create: true });
    const big = join(tmp.dir, 'big.jsonl');
    writeProblems(big, 60_000);
    const j = wb.runner.submit('import', { path: big, dataset: 'big' });
    await new Promise<void>((resolve) => {
      const off = onJobRow(wb, (x) => {
        if (x.id === j.id && x.state === 'running' && x.progress.done > 0) {
          off();
          wb.runner.cancel(j.id);
          resolve();
        }
      });
    });
    const end = await wb.runner.wait(j.id);
    expect(end.state).toBe('cancelled');
    expect(counts(wb.store.paths.dir)).toEqual({ problems: 0, members: 0, distinctExt: 0, staging: 0 });
  });

  it('cancelling a queued job cancels it without running it', async () => {
    wb = openWorkbench(join(tmp.dir, 'ws'), { create: true });
    const f = join(tmp.dir, 'f.jsonl');
    writeProblems(f, 3000);
    const j1 = wb.runner.submit('import', { path: f, dataset: 'x' });
    const j2 = wb.runner.submit('import', { path: f, dataset: 'y' });
    expect(wb.runner.cancel(j2.id).state).toBe('cancelled');
    expect((await wb.runner.wait(j1.id)).state).toBe('done');
    expect(wb.store.jobs.get(j2.id).attempts).toBe(0);
    expect(wb.store.datasets.findId('y')).toBeUndefined();
  });
});
