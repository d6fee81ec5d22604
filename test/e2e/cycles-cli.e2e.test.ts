// `steplab cycle ...` with the bundled models and a scripted trainer (the Python trainer runs in
// `npm run test:train`): the --json line, status, a real SIGKILL inside a stage and `cycle resume` (or the
// same `cycle run` again),
// cancel, export, and one clear line for each bad request with nothing changed in the workspace.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src-main/core/store';
import { cli, runCli } from '../helpers/cli';
import { tempDir } from '../helpers/tmp';

const TRAINER = [process.execPath, join(import.meta.dirname, '..', 'helpers', 'copy-trainer.mjs')];

let tmp: ReturnType<typeof tempDir>;
let ws: string;
let cfgFile: string;

function count(sql: string): number {
  const s = Store.open(ws);
  try {
    return (s.db.prepare(sql).get() as { n: number }).n;
  } finally {
    s.close();
  }
}

beforeAll(async () => {
  tmp = tempDir();
  ws = join(tmp.dir, 'ws');
  expect((await cli('init', ws, '--demo')).code).toBe(0);
  cfgFile = join(tmp.dir, 'cycle.json');
  writeFileSync(
    cfgFile,
    JSON.stringify({ reflect: { enabled: false }, infer: { problems: 8, samples: 2 }, evaluate: { problems: 8, samples: 2 }, finetune: { trainer: TRAINER } }),
  );
});
afterAll(() => tmp.cleanup());

const RUN = () => ['cycle', 'run', '--workspace', ws, '--dataset', 'demo', '--policy', 'tiny-policy', '--config', cfgFile];

describe('steplab cycle', () => {
  it('runs cycles with the bundled policy, printing a line per stage and ending with the --json summary', async () => {
    const text = await cli(...RUN(), '--cycles', '1', '--name', 'plain');
    expect(text.code, text.err.join('\n')).toBe(0);
    const stages = text.out.filter((l) => l.startsWith('cycle 1 · '));
    expect(stages.map((l) => l.split(/\s+/)[3])).toEqual(['infer', 'verify', 'collect', 'reflect', 'regenerate', 'build', 'finetune', 'register', 'evaluate']);
    expect(stages[3]).toContain('skipped');
    expect(text.out.join('\n')).toMatch(/^0 \(base\)\s+tiny-policy@1\s+\d+\.\d%/m);
    // the scripted trainer copies the policy: cycle 1 answers as the base, problem by problem
    expect(text.out.join('\n')).toMatch(/^1\s+plain-c1@1\s+\d+\.\d%\s+\+0\.0\s+\+0\.0 \[\+0\.0, \+0\.0\]/m);

    const r = await cli(...RUN(), '--cycles', '2', '--name', 'two', '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    const last = JSON.parse(r.out.at(-1)!);
    expect(Object.keys(last).sort()).toEqual(['base_test_accuracy', 'cycles']);
    expect(last.cycles.map((c: { cycle: number; policy: string }) => [c.cycle, c.policy])).toEqual([
      [1, 'two-c1@1'],
      [2, 'two-c2@1'],
    ]);
    for (const c of last.cycles) {
      expect(Object.keys(c).sort()).toEqual(['correct_paths', 'corrected', 'cycle', 'diagnosed', 'pass_at_k', 'policy', 'test_accuracy', 'train_examples', 'vs_base']);
      expect(c.vs_base).toEqual({ diff: 0, lo: 0, hi: 0, problems: expect.any(Number) });
      expect(c.vs_base.problems).toBeGreaterThan(0);
      expect(c.test_accuracy).toBeGreaterThanOrEqual(0);
      expect(c.test_accuracy).toBeLessThanOrEqual(1);
      expect(c.train_examples).toBe(c.correct_paths + (c.cycle === 2 ? last.cycles[0].train_examples : 0));
    }
    // the scripted trainer copies the policy, so every cycle scores like the base
    expect(last.cycles[0].test_accuracy).toBe(last.base_test_accuracy);

    const st = await cli('cycle', 'status', '--workspace', ws);
    expect(st.out.join('\n')).toMatch(/two\s+\d+\s+done\s+2\/2/);
    const exp = await cli('cycle', 'export', '--workspace', ws, '--cycle', '2', '--format', 'sharegpt', '--out', join(tmp.dir, 'out', 'c2.jsonl'));
    expect(exp.out[0]).toMatch(new RegExp(`^wrote ${last.cycles[1].train_examples} rows \\(\\d+ images\\) of run two cycle 2 to `));
    const rows = readFileSync(join(tmp.dir, 'out', 'c2.jsonl'), 'utf8').trim().split('\n');
    expect(rows).toHaveLength(last.cycles[1].train_examples);
  });

  it('a run killed (SIGKILL) inside a stage resumes with `cycle resume` without redoing or duplicating rows', async () => {
    // 16 problems: two infer batches of 8. Commits: run created, cycle-0 eval batch, its finish, the first
    // infer batch; the process is killed at the second
    const cfg16 = join(tmp.dir, 'cycle16.json');
    writeFileSync(cfg16, JSON.stringify({ ...JSON.parse(readFileSync(cfgFile, 'utf8')), infer: { problems: 16, samples: 2 } }));
    const killed = await runCli([...RUN().slice(0, -1), cfg16, '--cycles', '1', '--name', 'killed'], { STEPLAB_TEST_KILL_AFTER_COMMITS: '4' });
    expect(killed.signal).toBe('SIGKILL');
    const sample = "SELECT count(*) AS n FROM solutions s JOIN cycles c ON c.id = s.cycle_id JOIN cycle_runs r ON r.id = c.run_id WHERE r.name = 'killed' AND s.cycle_role = 'sample'";
    expect(count(sample)).toBe(16); // the first batch: 8 problems x 2 samples
    const st = await cli('cycle', 'status', '--workspace', ws, '--id', String(count("SELECT id AS n FROM cycle_runs WHERE name = 'killed'")));
    expect(st.out.join('\n')).toMatch(/cycle 1 · infer\s+running/);
    const resumed = await runCli(['cycle', 'resume', '--workspace', ws, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(count(sample)).toBe(32);
    const evalRows = "SELECT count(*) AS n FROM solutions s JOIN cycles c ON c.id = s.cycle_id JOIN cycle_runs r ON r.id = c.run_id WHERE r.name = 'killed' AND s.cycle_role LIKE 'eval-%'";
    expect(count(evalRows)).toBe(2 * 8 * 3); // cycle 0 and 1: greedy + 2 samples for 8 problems
    expect(JSON.parse(resumed.stdout.trim().split('\n').at(-1)!).cycles).toHaveLength(1);
  });

  it('a run killed (SIGKILL) inside a stage resumes when the same `cycle run` is run again; run once more, it is told again', async () => {
    const cfg16 = join(tmp.dir, 'cycle16-again.json');
    writeFileSync(cfg16, JSON.stringify({ ...JSON.parse(readFileSync(cfgFile, 'utf8')), infer: { problems: 16, samples: 2 } }));
    const args = [...RUN().slice(0, -1), cfg16, '--cycles', '1', '--name', 'killed-again'];
    const killed = await runCli(args, { STEPLAB_TEST_KILL_AFTER_COMMITS: '4' });
    expect(killed.signal).toBe('SIGKILL');
    const sample = "SELECT count(*) AS n FROM solutions s JOIN cycles c ON c.id = s.cycle_id JOIN cycle_runs r ON r.id = c.run_id WHERE r.name = 'killed-again' AND s.cycle_role = 'sample'";
    expect(count(sample)).toBe(16);
    const job = count("SELECT job_id AS n FROM cycle_runs WHERE name = 'killed-again'");
    const again = await runCli([...args, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(count(sample)).toBe(32);
    expect(count("SELECT count(*) AS n FROM cycle_runs WHERE name = 'killed-again'")).toBe(1);
    const done = await cli(...args);
    expect(done.code, done.err.join('\n')).toBe(0);
    expect(done.err).toEqual([expect.stringMatching(new RegExp(`^cycle job ${job} with these settings is done \\(.*\\); its result again, nothing was run$`))]);
    expect(count(sample)).toBe(32);
    expect(count("SELECT count(*) AS n FROM jobs WHERE kind = 'cycle'")).toBe(count("SELECT count(*) AS n FROM cycle_runs"));
  });

  it('refuses bad requests with one line before any work, changing nothing', async () => {
    const notOrm = join(tmp.dir, 'not-an-orm.json');
    writeFileSync(notOrm, JSON.stringify({ reflect: { enabled: true } }));
    const badSchema = join(tmp.dir, 'bad.json');
    writeFileSync(badSchema, JSON.stringify({ infer: { samples: 0 } }));
    const noTrainer = join(tmp.dir, 'no-trainer.json');
    writeFileSync(noTrainer, JSON.stringify({ reflect: { enabled: false }, finetune: { trainer: ['/opt/nowhere/train-model', '--gpu'] } }));
    // a dataset with only a train split
    const only = join(tmp.dir, 'only-train.jsonl');
    writeFileSync(only, JSON.stringify({ question: 'What is 1 + 1?', answer: '2', split: 'train' }) + '\n');
    expect((await cli('import', only, '--workspace', ws, '--dataset', 'trainonly')).code).toBe(0);
    const prmCopy = join(tmp.dir, 'prm-as-orm');
    cpSync(join(import.meta.dirname, '..', '..', 'models', 'tiny-prm'), prmCopy, { recursive: true });

    const before = [count('SELECT count(*) AS n FROM jobs'), count('SELECT count(*) AS n FROM cycle_runs'), count('SELECT count(*) AS n FROM solutions'), count('SELECT count(*) AS n FROM models')];
    const base = ['cycle', 'run', '--workspace', ws, '--policy', 'tiny-policy'];
    const cases: [string[], string | RegExp][] = [
      [[...base, '--dataset', 'demo', '--cycles', '0'], "error: option '--cycles <n>' argument '0' is invalid. must be a positive integer"],
      [[...base, '--dataset', 'demo', '--cycles', '1', '--orm', 'tiny-prm', '--config', notOrm], 'error: model "tiny-prm" is a prm model, not an ORM: it cannot judge solutions (register an ORM, e.g. tiny-orm)'],
      [[...base, '--dataset', 'demo', '--cycles', '1', '--config', notOrm], 'error: orm: an ORM is required while reflect.enabled is true (set reflect.enabled to false for correct paths only)'],
      [[...base, '--dataset', 'trainonly', '--cycles', '1', '--config', noTrainer], 'error: dataset "trainonly" has no held-out "test" split to measure each cycle on (its splits: train 1); import one or name it with evalSplit'],
      [[...base, '--dataset', 'demo', '--cycles', '1', '--config', noTrainer], 'error: trainer command "/opt/nowhere/train-model" does not exist (not an executable file); set finetune.trainer to a command that speaks the trainer protocol'],
      [[...base, '--dataset', 'demo', '--cycles', '1', '--config', badSchema], /^error: infer\.samples: Too small: expected number to be >=1$/],
      [[...base, '--dataset', 'demo', '--cycles', '1', '--config', join(tmp.dir, 'nope.json')], `error: file not found: ${join(tmp.dir, 'nope.json')}`],
      [[...base, '--dataset', 'demo', '--cycles', '1', '--eval-split', 'train', '--config', noTrainer], 'error: evalSplit: must differ from trainSplit ("train"): the eval split is held out'],
      // the same name with other settings (the same settings would find that run done and tell its result)
      [[...base, '--dataset', 'demo', '--cycles', '2', '--name', 'plain', '--config', cfgFile], 'error: a cycle run named "plain" exists already; choose another name'],
    ];
    for (const [args, msg] of cases) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).not.toBe(0);
      // one line (commander adds its usual hint to its own option errors)
      expect(r.err.filter((l) => l !== '(run with --help for usage)'), args.join(' ')).toHaveLength(1);
      if (typeof msg === 'string') expect(r.err[0]).toBe(msg);
      else expect(r.err[0]).toMatch(msg);
    }
    const after = [count('SELECT count(*) AS n FROM jobs'), count('SELECT count(*) AS n FROM cycle_runs'), count('SELECT count(*) AS n FROM solutions'), count('SELECT count(*) AS n FROM models')];
    expect(after).toEqual(before);
  });
});
