// Re-running a killed `steplab search` resumes it, end to end through the real command (child processes
// killed with SIGKILL): one job, one annotation set, the rows an uninterrupted run writes; a finished one
// is told again; --restart starts over with the partial rows removed. No fixed time limit: a wait fails
// only when the work stops moving.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, runCli } from '../helpers/cli';
import { whileProgressing } from '../helpers/progress';
import { tempDir } from '../helpers/tmp';
import { rows } from '../helpers/db';

const NO_FIXED_LIMIT = 3_600_000;

let tmp: ReturnType<typeof tempDir>;
let cfg: string;
beforeAll(() => {
  tmp = tempDir();
  cfg = join(tmp.dir, 'small.json');
  // a small budget so a search of three problems takes seconds on CPU
  writeFileSync(cfg, JSON.stringify({ rolloutsPerState: 4, maxSearchCount: 4, rolloutBudget: 48 }));
});
afterAll(() => tmp.cleanup());

/** What moves while a search works: its searches and its job's progress. */
function progressOf(ws: string): unknown {
  try {
    return [rows(ws, 'SELECT count(*) AS n FROM searches'), rows(ws, 'SELECT id, state, progress FROM jobs ORDER BY id')];
  } catch (e) {
    return String(e);
  }
}

const search = (ws: string, ...extra: string[]): string[] => ['search', '--workspace', ws, '--dataset', 'demo', '--split', 'test', '--limit', '3', '--model', 'tiny-policy', '--algo', 'omega', '--config', cfg, ...extra];

describe('re-running steplab search', () => {
  it('resumes the killed search: one job, one annotation set, the rows of an uninterrupted run', { timeout: NO_FIXED_LIMIT }, async () => {
    const ws = join(tmp.dir, 'ws');
    const fresh = join(tmp.dir, 'fresh');
    for (const w of [ws, fresh]) expect((await cli('init', w, '--demo')).code).toBe(0);
    const killed = await whileProgressing('the search to be killed', runCli(search(ws, '--seed', '3'), { STEPLAB_TEST_KILL_AFTER_COMMITS: '1' }), () => progressOf(ws));
    expect(killed.signal).toBe('SIGKILL');
    const again = await whileProgressing('the search run again', runCli(search(ws, '--seed', '3')), () => progressOf(ws));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toBe('resuming interrupted search job 2 (1/3 done); --restart starts over\n');
    expect(again.stdout).toMatch(/^searched 3 problems: \d+ nodes, \d+ labelled steps, \d+ annotations in set "omega-2"$/m);
    expect(rows(ws, "SELECT id, state, attempts FROM jobs WHERE kind = 'search'")).toEqual([{ id: 2, state: 'done', attempts: 2 }]);
    expect(rows(ws, 'SELECT DISTINCT set_name AS s FROM annotations')).toEqual([{ s: 'omega-2' }]);
    // the same rows as a search that was never interrupted
    expect((await cli(...search(fresh, '--seed', '3'))).code).toBe(0);
    const exported = async (w: string): Promise<string> => {
      const out = join(tmp.dir, `${w === ws ? 'a' : 'b'}.jsonl`);
      const r = await cli('export', 'annotations', '--workspace', w, '--dataset', 'demo', '--format', 'trl', '--out', out, '--json');
      expect(r.code, r.err.join('\n')).toBe(0);
      return readFileSync(out, 'utf8');
    };
    const [a, b] = [await exported(ws), await exported(fresh)];
    expect(a.split('\n').length).toBeGreaterThan(1);
    expect(a).toBe(b);

    // run once more: it is done; its result is told again and nothing runs
    const done = await cli(...search(ws, '--seed', '3'));
    expect(done.code).toBe(0);
    expect(done.err).toEqual([expect.stringMatching(/^search job 2 with these settings is done \(\d{4}-\d\d-\d\dT[\d:.]+Z\); its result again, nothing was run$/)]);
    expect(done.out[0]).toBe(again.stdout.split('\n')[0]);
    expect(rows(ws, "SELECT count(*) AS n FROM jobs WHERE kind = 'search'")).toEqual([{ n: 1 }]);
    // finished work is never redone
    const restart = await cli(...search(ws, '--seed', '3', '--restart'));
    expect(restart.code).toBe(1);
    expect(restart.err).toEqual(['error: --restart: search job 2 with these settings is done; finished work is never redone (it may be curated or used since): change a setting such as --seed to run another']);
    // another seed or an explicit set name is another search
    const named = await cli(...search(ws, '--seed', '3', '--annotation-set', 'mine', '--json'));
    expect(JSON.parse(named.out.at(-1)!)).toMatchObject({ annotation_set: 'mine', problems: 3 });
    expect(rows<{ s: string }>(ws, 'SELECT set_name AS s, count(*) AS n FROM annotations GROUP BY set_name ORDER BY set_name').map((r) => r.s)).toEqual(['mine', 'omega-2']);
  });

  it('--restart removes the interrupted search\'s trees and annotations first, then starts over', { timeout: NO_FIXED_LIMIT }, async () => {
    const ws = join(tmp.dir, 'ws-restart');
    expect((await cli('init', ws, '--demo')).code).toBe(0);
    const killed = await whileProgressing('the search to be killed', runCli(search(ws, '--seed', '5'), { STEPLAB_TEST_KILL_AFTER_COMMITS: '1' }), () => progressOf(ws));
    expect(killed.signal).toBe('SIGKILL');
    expect(rows(ws, 'SELECT job_id FROM searches')).toEqual([{ job_id: 2 }]);
    const r = await whileProgressing('the search started over', runCli(search(ws, '--seed', '5', '--restart')), () => progressOf(ws));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("starting over as search job 3: job 2's partial rows removed\n");
    expect(rows(ws, 'SELECT DISTINCT job_id FROM searches')).toEqual([{ job_id: 3 }]);
    expect(rows(ws, 'SELECT count(*) AS n FROM searches')).toEqual([{ n: 3 }]);
    expect(rows(ws, 'SELECT DISTINCT set_name AS s FROM annotations')).toEqual([{ s: 'omega-3' }]);
    expect(rows(ws, "SELECT id, state, error FROM jobs WHERE kind = 'search' ORDER BY id")).toEqual([
      { id: 2, state: 'cancelled', error: 'started over as job 3 (--restart); its partial rows were removed' },
      { id: 3, state: 'done', error: null },
    ]);
  });
});
