// Every long command resumes when re-run: the job of the same identity (kind and whole config) is found
// and resumed, a finished one is told again and nothing runs, --restart starts over with the partial rows
// removed first. A killed search run again, and --restart: e2e/rerun.e2e.test.ts.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli';
import { tempDir } from './helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir();
});
afterAll(() => tmp.cleanup());

function rows<T>(ws: string, sql: string): T[] {
  const db = new Database(join(ws, 'steplab.db'), { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}


describe('re-running the other long commands', () => {
  it('generate: a finished run is told again; score cannot restart and says what to do instead', async () => {
    const ws = join(tmp.dir, 'ws-gen');
    expect((await cli('init', ws, '--demo')).code).toBe(0);
    const args = ['generate', '--workspace', ws, '--dataset', 'demo', '--split', 'test', '--limit', '2', '--model', 'tiny-policy', '--n', '2', '--seed', '1'];
    const first = await cli(...args);
    expect(first.code, first.err.join('\n')).toBe(0);
    const solutions = rows(ws, 'SELECT count(*) AS n FROM solutions');
    const second = await cli(...args);
    expect(second.err).toEqual([expect.stringMatching(/^generate job 2 with these settings is done \(.*\); its result again, nothing was run$/)]);
    expect(second.out.slice(0, 2)).toEqual(first.out.slice(0, 2));
    expect(rows(ws, 'SELECT count(*) AS n FROM solutions')).toEqual(solutions);
    expect(rows(ws, "SELECT count(*) AS n FROM jobs WHERE kind = 'generate'")).toEqual([{ n: 1 }]);
    const score = await cli('score', '--workspace', ws, '--dataset', 'demo', '--prm', 'tiny-prm', '--restart');
    expect(score.code).toBe(1);
    expect(score.err).toEqual(["error: --restart: a score job keeps no rows of its own (its scores are the PRM's, per step, and a re-run skips what is scored): to score again, add --rescore"]);
    expect(rows(ws, "SELECT count(*) AS n FROM jobs WHERE kind = 'score'")).toEqual([{ n: 0 }]);
  }, 600_000);
});
