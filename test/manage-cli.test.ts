// `steplab delete` and `steplab rename`: without --yes the plan is printed and, where nobody can answer
// (not a terminal), the delete is refused in one line that says to add --yes, nothing deleted; on a
// terminal it asks; --yes deletes; refusals exit 1 with one line, like the rest of the CLI.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../src-main/cli/main';
import { openWorkbench } from '../src-main/core/workbench';
import { cli, runCli } from './helpers/cli';
import { buildManageFixture, type ManageFixture } from './helpers/manageFixture';
import { tempDir } from './helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let ws: string;
let fx: ManageFixture;

beforeEach(async () => {
  tmp = tempDir('steplab-manage-cli-');
  ws = join(tmp.dir, 'ws');
  const wb = openWorkbench(ws, { create: true });
  fx = buildManageFixture(wb, tmp.dir);
  await wb.close();
});
afterEach(() => tmp.cleanup());

function snapshot(): Record<string, number> {
  const db = new Database(join(ws, 'steplab.db'), { readonly: true });
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((r) => r.name);
    return Object.fromEntries(tables.map((t) => [t, (db.prepare(`SELECT count(*) AS n FROM "${t}"`).get() as { n: number }).n]));
  } finally {
    db.close();
  }
}

/** The CLI in this process with a person at a terminal who answers `answer`. */
async function atTerminal(answer: string, ...args: string[]): Promise<{ code: number; out: string[]; err: string[]; asked: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const asked: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l), tty: false, ask: async (q) => (asked.push(q), answer) });
  return { code, out, err, asked };
}

describe('steplab delete', () => {
  it('without --yes and no terminal: prints what goes, refuses in one line telling to add --yes, deletes nothing', async () => {
    const before = snapshot();
    const r = await cli('delete', 'evaluation', 'bon-1', '--workspace', ws);
    expect(r.code).toBe(1);
    expect(r.out).toEqual([
      'delete evaluation "bon-1": 14 rows in all',
      '  1 evaluations',
      '  2 evaluation items',
      '  2 solutions',
      '  4 solution steps',
      '  4 step scores',
      '  1 job records',
    ]);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toBe(`error: delete: nothing was deleted; to delete evaluation "bon-1" and the rows above without a question, add --yes (steplab delete evaluation "bon-1" --workspace ${ws} --yes)`);
    expect(snapshot()).toEqual(before);
  });

  it('the real command with stdin not a terminal refuses the same way (exit 1, one line)', async () => {
    const before = snapshot();
    const r = await runCli(['delete', 'search', String(fx.s1.id), '--workspace', ws]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`delete search #${fx.s1.id} d-1: 18 rows in all`);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('add --yes');
    expect(snapshot()).toEqual(before);
  });

  it('on a terminal it asks: "n" deletes nothing (exit 1), "y" deletes', async () => {
    const before = snapshot();
    const no = await atTerminal('n', 'delete', 'annotation-set', 'setA', '--workspace', ws);
    expect(no.asked).toEqual(['delete annotation set "setA" and the 7 rows above? [y/N] ']);
    expect(no.code).toBe(1);
    expect(no.err).toEqual(['error: not confirmed: nothing was deleted']);
    expect(snapshot()).toEqual(before);
    const yes = await atTerminal('y', 'delete', 'annotation-set', 'setA', '--workspace', ws);
    expect(yes.code).toBe(0);
    expect(yes.out.at(-1)).toBe('deleted annotation set "setA" (7 rows)');
    expect(snapshot().annotations).toBe(before.annotations - 2);
  });

  it('--yes deletes; --json --yes prints what was deleted', async () => {
    const r = await cli('delete', 'cycle-run', 'run-1', '--workspace', ws, '--yes');
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.out).toContain('stays: the model it registered (pol-c1@1): delete them under Models');
    expect(r.out.at(-1)).toBe('deleted cycle run "run-1" (13 rows)');
    const j = await cli('delete', 'model', 'judge1@1', '--workspace', ws, '--yes', '--json');
    expect(j.code, j.err.join('\n')).toBe(0);
    expect(JSON.parse(j.out.join('\n'))).toMatchObject({ deleted: true, kind: 'model', name: 'judge1@1', total: 4, folders: [fx.judge.path] });
    // --json without --yes never asks
    const n = await atTerminal('y', 'delete', 'dataset', 'other', '--workspace', ws, '--json');
    expect(n.code).toBe(1);
    expect(n.asked).toEqual([]);
  });

  it('a refused delete (a model still used) exits 1 with one line, even with --yes', async () => {
    const before = snapshot();
    const r = await cli('delete', 'model', 'pol', '--workspace', ws, '--yes');
    expect(r.code).toBe(1);
    expect(r.err).toEqual(['error: cannot delete model "pol@1": pol@1 is used by 5 solutions, 2 searches, evaluation "bon-1", cycle run "run-1": delete those first (a model goes only when nothing made with it is left); nothing was deleted']);
    expect(snapshot()).toEqual(before);
  });

  it('an unknown kind or target is a usage error (exit 1)', async () => {
    expect((await cli('delete', 'problem', 'x', '--workspace', ws)).code).toBe(1);
    const r = await cli('delete', 'dataset', 'nope', '--workspace', ws, '--yes');
    expect(r.code).toBe(1);
    expect(r.err).toEqual(['error: dataset "nope" not found']);
  });
});

describe('steplab rename', () => {
  it('renames, and refuses a name in use in one line with nothing changed', async () => {
    const ok = await cli('rename', 'dataset', 'demo', 'demo-v2', '--workspace', ws);
    expect(ok.code, ok.err.join('\n')).toBe(0);
    expect(ok.out).toEqual(['renamed dataset "demo" to "demo-v2"']);
    const clash = await cli('rename', 'dataset', 'demo-v2', 'other', '--workspace', ws);
    expect(clash.code).toBe(1);
    expect(clash.err).toEqual(['error: another dataset is named "other": choose another name; nothing was renamed']);
    const s = await cli('rename', 'search', String(fx.s1.id), 'my tree', '--workspace', ws, '--json');
    expect(JSON.parse(s.out[0])).toMatchObject({ kind: 'search', id: fx.s1.id, name: 'my tree' });
  });
});
