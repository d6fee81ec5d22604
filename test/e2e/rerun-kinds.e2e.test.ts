// Every long command resumes when re-run: the job of the same identity (kind and whole config) is found
// and resumed, a finished one is told again and nothing runs, --restart starts over with the partial rows
// removed first. Here: generate, score, bon, train-prm and bench-prm, each finished (told again) or left
// running by a killed process (a job row under a pid that is gone, as a SIGKILL leaves it). A killed search
// run again, and --restart: rerun.e2e.test.ts; import and import-labels killed mid-file:
// kill-resume.e2e.test.ts, ../import-labels.test.ts; a cycle run killed in a stage: cycles-cli.e2e.test.ts.
import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalDoor } from '../../src-main/core/door';
import { registerModel } from '../../src-main/core/models/registry';
import { cli } from '../helpers/cli';
import { searchWorkspace } from '../helpers/searchWorkspace';
import { tempDir } from '../helpers/tmp';
import { rows } from '../helpers/db';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'benchmarks');
const COPY_TRAINER = join(import.meta.dirname, '..', 'helpers', 'copy-trainer.mjs');

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir();
});
afterAll(() => tmp.cleanup());

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

  it('bench-prm: a finished run is told again (no second job or evaluation); one left running by a killed process is resumed to the result of an uninterrupted run', async () => {
    const setup = async (name: string): Promise<string> => {
      const ws = join(tmp.dir, name);
      expect((await cli('init', ws, '--demo')).code).toBe(0);
      const door = openLocalDoor(ws);
      try {
        await door.api['benchmarks.import']({ path: join(FIX, 'processbench', 'gsm8k.json'), dataset: 'pb', format: 'processbench' });
      } finally {
        await door.close();
      }
      return ws;
    };
    const args = (ws: string): string[] => ['bench-prm', '--workspace', ws, '--dataset', 'pb', '--prm', 'tiny-prm', '--resamples', '0', '--batch', '1', '--json'];
    const ws = await setup('ws-bench');
    const first = await cli(...args(ws));
    expect(first.code, first.err.join('\n')).toBe(0);
    const again = await cli(...args(ws).filter((a) => a !== '--json'));
    expect(again.code, again.err.join('\n')).toBe(0);
    expect(again.err.at(-1)).toMatch(/^bench-prm job \d+ with these settings is done \(.*\); its result again, nothing was run$/);
    expect(again.out.at(-1)).toBe(`stored as evaluation ${JSON.parse(first.out.at(-1)!).evaluation}`);
    expect(rows(ws, "SELECT count(*) AS n FROM jobs WHERE kind = 'bench-prm'")).toEqual([{ n: 1 }]);
    expect(rows(ws, 'SELECT count(*) AS n FROM evaluations')).toEqual([{ n: 1 }]);

    // a process killed while the job ran leaves it running under a pid that is gone
    const killed = await setup('ws-bench-killed');
    const config = rows<{ config: string }>(ws, "SELECT config FROM jobs WHERE kind = 'bench-prm'")[0].config;
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    const db = new Database(join(killed, 'steplab.db'));
    db.prepare("INSERT INTO jobs (kind, config, state, owner_pid, created_at, updated_at) VALUES ('bench-prm', ?, 'running', ?, datetime('now'), datetime('now'))").run(config, gone);
    db.close();
    const [{ id }] = rows<{ id: number }>(killed, "SELECT id FROM jobs WHERE kind = 'bench-prm'");
    const resumed = await cli(...args(killed).filter((a) => a !== '--json'));
    expect(resumed.code, resumed.err.join('\n')).toBe(0);
    expect(resumed.err).toContain(`resuming interrupted bench-prm job ${id} (0 done); --restart starts over`);
    // its result, told again with --json, is an uninterrupted run's
    const told = await cli(...args(killed));
    const { evaluation: _a, ...want } = JSON.parse(first.out.at(-1)!);
    const { evaluation: _b, ...got } = JSON.parse(told.out.at(-1)!);
    expect(got).toEqual(want);
    expect(rows(killed, "SELECT id, state FROM jobs WHERE kind = 'bench-prm'")).toEqual([{ id, state: 'done' }]);
    expect(rows(killed, 'SELECT count(*) AS n FROM evaluations')).toEqual([{ n: 1 }]);
  }, 600_000);

  it('generate, score and bon: a job left running by a killed process is resumed by the same command, to the rows of an uninterrupted run', async () => {
    const commands: [kind: string, args: (ws: string) => string[], table: string][] = [
      ['generate', (ws) => ['generate', '--workspace', ws, '--dataset', 'demo', '--split', 'test', '--limit', '2', '--model', 'tiny-policy', '--n', '2', '--seed', '3'], 'solutions'],
      ['score', (ws) => ['score', '--workspace', ws, '--dataset', 'demo', '--split', 'test', '--prm', 'tiny-prm'], 'step_scores'],
      ['bon', (ws) => ['bon', '--workspace', ws, '--dataset', 'demo', '--split', 'test', '--policy', 'tiny-policy', '--prm', 'tiny-prm', '--n', '2', '--limit', '2', '--seed', '4'], 'evaluation_items'],
    ];
    const plain = join(tmp.dir, 'ws-plain');
    const killed = join(tmp.dir, 'ws-killed');
    for (const ws of [plain, killed]) expect((await cli('init', ws, '--demo')).code).toBe(0);
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    for (const [kind, args, table] of commands) {
      const r = await cli(...args(plain));
      expect(r.code, r.err.join('\n')).toBe(0);
      const [{ config }] = rows<{ config: string }>(plain, `SELECT config FROM jobs WHERE kind = '${kind}'`);
      const db = new Database(join(killed, 'steplab.db'));
      const id = Number(db.prepare("INSERT INTO jobs (kind, config, state, owner_pid, created_at, updated_at) VALUES (?, ?, 'running', ?, datetime('now'), datetime('now'))").run(kind, config, gone).lastInsertRowid);
      db.close();
      const resumed = await cli(...args(killed));
      expect(resumed.code, resumed.err.join('\n')).toBe(0);
      expect(resumed.err).toContain(`resuming interrupted ${kind} job ${id} (0 done); --restart starts over`);
      expect(rows(killed, `SELECT id, state FROM jobs WHERE kind = '${kind}'`)).toEqual([{ id, state: 'done' }]);
      expect(rows(killed, `SELECT count(*) AS n FROM ${table}`), kind).toEqual(rows(plain, `SELECT count(*) AS n FROM ${table}`));
    }
  }, 600_000);

  it('train-prm: a finished training is told again (no second model); one left running by a killed process is resumed by the same command', async () => {
    const sw = await searchWorkspace({ count: 1 });
    const set = sw.wb.store.annotations.sets()[0].name;
    const plain = sw.wb.store.paths.dir;
    // the scripted trainer copies its base: a PRM base gives a PRM
    await registerModel(sw.wb.store, join(import.meta.dirname, '..', '..', 'models', 'tiny-prm'));
    await sw.wb.close();
    const killed = join(tmp.dir, 'ws-train-killed');
    cpSync(plain, killed, { recursive: true });
    try {
      const args = (ws: string): string[] => ['train-prm', '--workspace', ws, '--annotations', set, '--name', 'rerun-prm', '--base', 'tiny-prm', '--trainer', process.execPath, COPY_TRAINER];
      const first = await cli(...args(plain));
      expect(first.code, first.err.join('\n')).toBe(0);
      const again = await cli(...args(plain));
      expect(again.code, again.err.join('\n')).toBe(0);
      expect(again.err).toEqual([expect.stringMatching(/^train-prm job \d+ with these settings is done \(.*\); its result again, nothing was run$/)]);
      expect(again.out).toEqual(first.out);
      expect(rows(plain, "SELECT count(*) AS n FROM jobs WHERE kind = 'train-prm'")).toEqual([{ n: 1 }]);
      expect(rows(plain, "SELECT name FROM models WHERE role = 'prm' ORDER BY name")).toEqual([{ name: 'rerun-prm' }, { name: 'tiny-prm' }]);

      const [{ config }] = rows<{ config: string }>(plain, "SELECT config FROM jobs WHERE kind = 'train-prm'");
      const db = new Database(join(killed, 'steplab.db'));
      const id = Number(db.prepare("INSERT INTO jobs (kind, config, state, owner_pid, created_at, updated_at) VALUES ('train-prm', ?, 'running', ?, datetime('now'), datetime('now'))").run(config, spawnSync(process.execPath, ['-e', '']).pid).lastInsertRowid);
      db.close();
      const resumed = await cli(...args(killed));
      expect(resumed.code, resumed.err.join('\n')).toBe(0);
      expect(resumed.err).toContain(`resuming interrupted train-prm job ${id} (0 done); --restart starts over`);
      expect(rows(killed, "SELECT id, state FROM jobs WHERE kind = 'train-prm'")).toEqual([{ id, state: 'done' }]);
      expect(rows(killed, "SELECT name FROM models WHERE role = 'prm' ORDER BY name")).toEqual([{ name: 'rerun-prm' }, { name: 'tiny-prm' }]);
    } finally {
      await sw.cleanup();
    }
  }, 600_000);
});
