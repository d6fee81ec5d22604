// `npm run reproduce`: the demo's models and tables from scratch, by one command, resumable.
//
//   npm run reproduce -- --work /tmp/steplab-repro [--quick] [--only stage,stage] [--list]
//
// Stages, in order (each one the recipe that models/recipes/README.md and the README document):
//   policy     tokenizer, 200k training problems, the tiny policy trained, exported to ONNX with parity, evaluated
//   searches   a demo workspace; OmegaPRM searches with that policy over 1,506 train and 150 val problems
//   prm        train-prm on the train searches' annotations (soft labels, lr 3e-4, 3 epochs)
//   bon        Best-of-16 on the test split with the PRM's rule and threshold chosen on val
//   orm        ORM rows from the policy's samples, the diagnostic and the binary ORM trained, both evaluated
//   mathse     three MathSE cycles on 4,000 fresh problems each, with the ORM's reflections and without (plain),
//              the two side by side, evaluated on test
//   tables     REPRODUCE.md: every stage's time and the tables above
//
// Resuming: a stage that finished leaves <work>/stages/<name>.json and is skipped when the command is run
// again; an interrupted stage runs again: the CLI jobs inside it (searches, train-prm, Best-of-N, cycles)
// resume where they stopped, and the Python steps are skipped when their output is there (training data,
// the policy's checkpoint, each ORM folder); one cut off mid-way starts over. --only reruns the named stages (their markers removed
// first). Everything is written under --work; nothing in models/ is changed (install by copying
// <work>/models/<name> over models/<name>, with the parity fixtures, as models/recipes/README.md says).
//
// --quick runs the same stages at a scale that takes minutes (a smoke run of the pipeline; its numbers
// mean nothing); its later stages use the bundled tiny-policy, as a policy trained for a minute labels nothing.
import { Command } from 'commander';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PY = '/usr/bin/python3';

const program = new Command()
  .requiredOption('--work <dir>', 'folder for everything the run writes')
  .option('--quick', 'a minutes-long smoke run of every stage at a tiny scale')
  .option('--only <stages>', 'run only these stages (comma-separated), again if they had finished')
  .option('--list', 'list the stages and whether each has finished, then exit')
  .parse();
const o = program.opts<{ work: string; quick?: boolean; only?: string; list?: boolean }>();

const W = resolve(o.work);
const q = !!o.quick;
/** the full recipe's numbers, or the quick run's */
const S = {
  trainProblems: q ? 4000 : 200000,
  valProblems: q ? 200 : 2000,
  pixels: q ? 2000 : 60000,
  visionEpochs: q ? 1 : 3,
  policyTokens: q ? '2e5' : '5e6',
  evalSamples: q ? 2 : 8,
  searchTrain: q ? 8 : 1506,
  searchVal: q ? 4 : 150,
  prmEpochs: q ? 1 : 3,
  bonN: q ? 4 : 16,
  bonLimit: q ? 8 : null,
  ormProblems: q ? 60 : 4000,
  ormSteps: q ? 10 : 800,
  ormLimit: q ? 10 : null,
  cycles: q ? 1 : 3,
  /** fresh train problems each cycle answers (make_cycle_pool.ts writes cycles x this many) */
  poolPerCycle: q ? 10 : 4000,
  cycleConfig: q
    ? { infer: { problems: 10, samples: 2, rotate: true }, evaluate: { problems: 10 }, finetune: { maxSteps: 5 } }
    : { infer: { problems: 4000, samples: 4, rotate: true }, collect: { maxPerProblem: 1 }, reflect: { maxPerProblem: 1 } },
};
/** the policy the later stages use: the one the policy stage trained; in a --quick run the bundled one, since
 *  a policy trained for a minute solves nothing, so its searches would label no step */
const policyFolder = () => (q ? join(REPO, 'models', 'tiny-policy') : join(models, 'tiny-policy'));
const POLICY = 'repro-policy';
const PRM = 'repro-prm';
const ORM = 'repro-orm';
const ws = join(W, 'ws');
const build = join(W, 'build');
const models = join(W, 'models');
const marks = join(W, 'stages');
const logs = join(W, 'logs');

interface Stage {
  name: string;
  what: string;
  run: (log: string) => void | Promise<void>;
}

const env = { ...process.env, OPENBLAS_NUM_THREADS: '1' };

/** Runs one command of a stage, its output appended to the stage's log; a failure stops the run. */
function sh(log: string, cmd: string, args: (string | number)[], opts: { stdoutTo?: string } = {}): string {
  const argv = args.map(String);
  appendFileSync(log, `\n$ ${cmd} ${argv.join(' ')}\n`);
  // stdin is /dev/null, not a pipe: the reference trainer exits when a stdin pipe closes (the trainer
  // protocol's parent watch), and a pipe spawnSync never writes is closed at once. Ctrl-C still stops
  // the child with the run, as both are in the terminal's foreground group.
  const r = spawnSync(cmd, argv, { cwd: REPO, env, encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] });
  appendFileSync(log, (r.stdout ?? '') + (r.stderr ?? ''));
  if (opts.stdoutTo) writeFileSync(opts.stdoutTo, r.stdout ?? '');
  if (r.error || r.status !== 0) {
    throw new StageError(`${cmd} ${argv.slice(0, 2).join(' ')} exited with ${r.status ?? r.error?.message}; see ${log}`);
  }
  return r.stdout ?? '';
}
/** sh without waiting: for commands side by side (each with its own log); the child joins `children`. */
function shAsync(log: string, cmd: string, args: (string | number)[], children: ChildProcess[]): Promise<string> {
  const argv = args.map(String);
  appendFileSync(log, `\n$ ${cmd} ${argv.join(' ')}\n`);
  return new Promise((done, fail) => {
    const child = spawn(cmd, argv, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      appendFileSync(log, b);
    });
    child.stderr.on('data', (b: Buffer) => appendFileSync(log, b));
    child.on('error', (e) => fail(new StageError(`${cmd} ${argv.slice(0, 2).join(' ')}: ${e.message}; see ${log}`)));
    child.on('close', (code, signal) => (code === 0 ? done(out) : fail(new StageError(`${cmd} ${argv.slice(0, 2).join(' ')} ${code === null ? `stopped by ${signal}` : `exited with ${code}`}; see ${log}`))));
  });
}
const ts = (log: string, script: string, ...args: (string | number)[]) => sh(log, process.execPath, [join(REPO, 'bin', 'run-ts.js'), script, ...args]);
const steplab = (log: string, ...args: (string | number)[]) => sh(log, process.execPath, [join(REPO, 'bin', 'steplab.js'), ...args]);
const py = (log: string, script: string, args: (string | number)[], opts?: { stdoutTo?: string }) => sh(log, PY, [join(REPO, 'models', 'recipes', script), ...args], opts);

class StageError extends Error {}

function registered(name: string, workspace = ws): boolean {
  const r = spawnSync(process.execPath, [join(REPO, 'bin', 'steplab.js'), 'models', '--workspace', workspace, '--json'], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) return false;
  const list = JSON.parse(r.stdout.trim().split('\n').pop() ?? '[]') as { models?: { name: string }[] } | { name: string }[];
  const arr = Array.isArray(list) ? list : (list.models ?? []);
  return arr.some((m) => m.name === name);
}

const stages: Stage[] = [
  {
    name: 'policy',
    what: 'tokenizer, training problems, tiny policy trained, exported with parity, evaluated on test',
    run: (log) => {
      const tok = join(build, 'tokenizer');
      ts(log, 'models/recipes/make_tokenizer.ts', '--out', tok, '--fixture', join(build, 'tokenizer-fixture.json'));
      py(log, 'steplab_model.py', ['--check-tokenizer', join(tok, 'tokenizer.json'), join(build, 'tokenizer-fixture.json')]);
      if (!existsSync(join(build, 'train', 'problems.jsonl'))) {
        ts(log, 'models/recipes/make_demo_data.ts', '--out', join(build, 'train'), '--seed', 11, '--train', S.trainProblems, '--val', S.valProblems,
          '--test', 0, '--allow-repeats', '--image-format', 'pixels', '--pixels', S.pixels, '--overwrite');
      }
      const work = join(build, 'policy');
      const reuse = existsSync(join(work, 'vision.pt')) ? ['--reuse-vision'] : [];
      if (!existsSync(join(work, 'checkpoint.pt'))) {
        py(log, 'train_policy.py', ['--data', join(build, 'train'), '--tokenizer', tok, '--work', work, '--vision-epochs', S.visionEpochs, '--tokens', S.policyTokens, ...reuse]);
      }
      const out = join(models, 'tiny-policy');
      rmSync(out, { recursive: true, force: true });
      py(log, 'export_onnx.py', ['--checkpoint', join(work, 'checkpoint.pt'), '--tokenizer', tok, '--out', out, '--train-info', join(work, 'train_info.json'), '--check']);
      py(log, 'eval_policy.py', ['--model', out, '--samples', S.evalSamples]);
    },
  },
  {
    name: 'searches',
    what: `OmegaPRM searches (k = 16, seed 1) with the policy: ${S.searchTrain} train and ${S.searchVal} val problems`,
    run: (log) => {
      if (!existsSync(join(ws, 'steplab.db'))) steplab(log, 'init', ws, '--demo');
      if (!registered(POLICY)) steplab(log, 'models', 'register', policyFolder(), '--workspace', ws, '--name', POLICY);
      for (const [split, limit, set] of [['train', S.searchTrain, 'demo-train-omega'], ['val', S.searchVal, 'demo-val-omega']] as const) {
        steplab(log, 'search', '--workspace', ws, '--dataset', 'demo', '--model', POLICY, '--algo', 'omega', '--split', split, '--limit', limit,
          '--config', 'models/recipes/prm-search.json', '--seed', 1, '--annotation-set', set);
      }
    },
  },
  {
    name: 'prm',
    what: `train-prm on the train annotations: soft labels, lr 3e-4, ${S.prmEpochs} epochs, batch 16, seed 0`,
    run: (log) => {
      if (!registered(PRM)) {
        steplab(log, 'train-prm', '--workspace', ws, '--annotations', 'demo-train-omega', '--val-annotations', 'demo-val-omega',
          '--epochs', S.prmEpochs, '--lr', '0.0003', '--name', PRM);
      }
      const folder = readdirSync(join(ws, 'models')).filter((d) => d.startsWith(`${PRM}-v`)).sort().pop();
      if (!folder) throw new StageError(`train-prm registered no folder named ${PRM}-v* in ${join(ws, 'models')}; see ${log}`);
      rmSync(join(models, 'tiny-prm'), { recursive: true, force: true });
      cpSync(join(ws, 'models', folder), join(models, 'tiny-prm'), { recursive: true });
    },
  },
  {
    name: 'bon',
    what: `Best-of-${S.bonN} on test, the PRM's rule and threshold chosen on val`,
    run: (log) => {
      const out = steplab(log, 'bon', '--workspace', ws, '--dataset', 'demo', '--split', 'test', '--select-on', 'val', '--policy', POLICY, '--prm', PRM,
        '--n', S.bonN, ...(S.bonLimit ? ['--limit', S.bonLimit] : []), '--chart', join(W, 'bon.svg'));
      writeFileSync(join(W, 'bon.txt'), out);
    },
  },
  {
    name: 'orm',
    what: `ORM rows (${S.ormProblems} problems, seed 21), the diagnostic and binary ORMs (${S.ormSteps} steps each), evaluated on test`,
    run: (log) => {
      const data = join(build, 'orm-data');
      const policy = policyFolder();
      if (!existsSync(join(data, 'problems', 'orm-train.jsonl'))) {
        py(log, 'make_orm_data.py', ['--work', data, '--seed', 21, '--problems', S.ormProblems, '--samples', 2, '--policy', policy]);
      }
      const out = { diagnostic: join(models, 'tiny-orm'), binary: join(build, 'orm-binary') };
      for (const kind of ['diagnostic', 'binary'] as const) {
        const name = kind === 'diagnostic' ? 'tiny-orm' : 'tiny-orm-binary';
        const cfg = join(build, `orm-${kind}.json`);
        writeFileSync(cfg, JSON.stringify({
          task: 'orm', base_model: policy, train_file: join(data, 'problems', 'orm-train.jsonl'), output_dir: out[kind], name, orm_kind: kind,
          hyperparameters: { lr: 1e-3, epochs: 1, batch_size: 16, seed: 0, max_steps: S.ormSteps },
        }));
        if (!existsSync(join(out[kind], 'manifest.json'))) py(log, 'trainer.py', ['--config', cfg], { stdoutTo: join(build, `orm-${kind}.jsonl`) });
      }
      py(log, 'eval_orm.py', ['--orm', out.diagnostic, '--binary', out.binary, '--policy', policy, '--prm', join(models, 'tiny-prm'), '--samples', 2,
        '--parity', q ? 2 : 8, ...(S.ormLimit ? ['--limit', S.ormLimit] : [])]);
    },
  },
  {
    name: 'mathse',
    what: `MathSE: ${S.cycles} cycles on ${S.poolPerCycle} fresh problems each, with the ORM's reflections and without (plain), side by side, evaluated on test`,
    run: async (log) => {
      // MathSE's "remaining data": fresh problems the policy was not distilled on, with the bundled val/test
      const pool = join(build, 'cycle-pool');
      if (!existsSync(join(pool, 'problems.jsonl'))) ts(log, 'models/recipes/make_cycle_pool.ts', '--out', pool, '--problems', S.cycles * S.poolPerCycle, '--seed', 99);
      const cfg = join(build, 'cycle.json');
      writeFileSync(cfg, JSON.stringify(S.cycleConfig));
      // one workspace per variant, so the two run side by side on the two cores
      const variants = ['reflect', 'plain'];
      for (const v of variants) {
        const vws = join(W, `ws-mathse-${v}`);
        if (!existsSync(join(vws, 'steplab.db'))) steplab(log, 'init', vws, '--demo');
        if (!registered(POLICY, vws)) steplab(log, 'models', 'register', policyFolder(), '--workspace', vws, '--name', POLICY);
        if (!registered(ORM, vws)) steplab(log, 'models', 'register', join(models, 'tiny-orm'), '--workspace', vws, '--name', ORM);
        steplab(log, 'import', join(pool, 'problems.jsonl'), '--workspace', vws, '--dataset', 'demo-pool'); // again: a no-op that leaves the imported problems as they were
      }
      const children: ChildProcess[] = [];
      const runs = variants.map((v) =>
        shAsync(log.replace(/\.log$/, `-${v}.log`), process.execPath, [join(REPO, 'bin', 'run-ts.js'), 'models/recipes/mathse_experiment.ts',
          '--workspace', join(W, `ws-mathse-${v}`), '--dataset', 'demo-pool', '--cycles', S.cycles, '--eval-split', 'test', '--config', cfg,
          '--policy', POLICY, '--orm', ORM, '--variants', v, '--tag', '-repro', '--out', join(W, `mathse-${v}.json`)], children),
      );
      // one failing stops the other (its cycle run resumes when the stage runs again), so none is left running
      let first: unknown = null;
      for (const r of runs) {
        r.catch((e: unknown) => {
          first ??= e;
          for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
        });
      }
      const settled = await Promise.allSettled(runs);
      if (first) throw first;
      const tables = settled.map((r) => (r as PromiseFulfilledResult<string>).value);
      // one table: the header once, then each variant's rows
      const lines = tables.map((t) => t.trim().split('\n'));
      writeFileSync(join(W, 'mathse.md'), [...lines[0].slice(0, 2), ...lines.flatMap((l) => l.slice(2))].join('\n') + '\n');
    },
  },
  {
    name: 'tables',
    what: 'REPRODUCE.md: the stages\' times and the tables',
    run: () => writeFileSync(join(W, 'REPRODUCE.md'), report()),
  },
];

function marker(name: string): { seconds: number; finishedAt: string } | null {
  const f = join(marks, `${name}.json`);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as { seconds: number; finishedAt: string }) : null;
}

/** A model's METRICS.md, whole, its headings one level down (its title dropped) to sit under ours. */
function metrics(file: string): string {
  if (!existsSync(file)) return `(missing: ${file})`;
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l, i) => !(i === 0 && l.startsWith('# ')))
    .map((l) => (/^#{1,5} /.test(l) ? '#' + l : l))
    .join('\n')
    .trim();
}

function bonTable(): string {
  const f = join(W, 'bon.txt');
  return existsSync(f) ? '```\n' + readFileSync(f, 'utf8').trim() + '\n```\n\n![accuracy against N](bon.svg)' : '(missing: bon.txt)';
}

function report(): string {
  const rows = stages.filter((s) => s.name !== 'tables').map((s) => {
    const m = marker(s.name);
    return `| ${s.name} | ${s.what} | ${m ? `${(m.seconds / 60).toFixed(1)} min` : 'not run'} |`;
  });
  const total = stages.reduce((a, s) => a + (marker(s.name)?.seconds ?? 0), 0);
  return [
    `# Steplab demo reproduction${q ? ' (--quick: a smoke run; its numbers mean nothing)' : ''}`,
    '',
    `Written by \`npm run reproduce -- --work ${W}${q ? ' --quick' : ''}\` on ${new Date().toISOString()}.`,
    '',
    '| stage | what | wall time |',
    '|---|---|---|',
    ...rows,
    `| all | | ${(total / 60).toFixed(1)} min |`,
    '',
    '## tiny-policy',
    '',
    metrics(join(models, 'tiny-policy', 'METRICS.md')),
    '',
    '## Best-of-N (steplab bon)',
    '',
    bonTable(),
    '',
    '## tiny-orm',
    '',
    metrics(join(models, 'tiny-orm', 'METRICS.md')),
    '',
    '## MathSE',
    '',
    existsSync(join(W, 'mathse.md')) ? readFileSync(join(W, 'mathse.md'), 'utf8').trim() : '(missing: mathse.md)',
    '',
  ].join('\n');
}

mkdirSync(marks, { recursive: true });
mkdirSync(logs, { recursive: true });
mkdirSync(build, { recursive: true });
mkdirSync(models, { recursive: true });

const only = o.only ? new Set(o.only.split(',').map((s) => s.trim()).filter(Boolean)) : null;
if (only) {
  const unknown = [...only].filter((n) => !stages.some((s) => s.name === n));
  if (unknown.length) {
    process.stderr.write(`reproduce: unknown stage ${unknown.join(', ')}; the stages are ${stages.map((s) => s.name).join(', ')}\n`);
    process.exit(2);
  }
}
if (o.list) {
  for (const s of stages) {
    const m = marker(s.name);
    process.stdout.write(`${s.name.padEnd(9)} ${m ? `done in ${(m.seconds / 60).toFixed(1)} min` : 'to run'}  ${s.what}\n`);
  }
  process.exit(0);
}

const t0 = Date.now();
for (const s of stages) {
  if (only && !only.has(s.name)) continue;
  if (only) rmSync(join(marks, `${s.name}.json`), { force: true });
  if (marker(s.name)) {
    process.stderr.write(`reproduce: ${s.name}: done before, skipped\n`);
    continue;
  }
  const log = join(logs, `${s.name}.log`);
  process.stderr.write(`reproduce: ${s.name}: ${s.what} (log: ${log})\n`);
  const start = Date.now();
  try {
    await s.run(log);
  } catch (e) {
    if (e instanceof StageError) {
      process.stderr.write(`reproduce: ${s.name} failed: ${e.message}; run the same command again to resume\n`);
      process.exit(1);
    }
    throw e;
  }
  const seconds = Math.round((Date.now() - start) / 1000);
  writeFileSync(join(marks, `${s.name}.json`), JSON.stringify({ seconds, finishedAt: new Date().toISOString() }) + '\n');
  process.stderr.write(`reproduce: ${s.name}: done in ${(seconds / 60).toFixed(1)} min\n`);
}
process.stderr.write(`reproduce: finished in ${((Date.now() - t0) / 60000).toFixed(1)} min; tables in ${join(W, 'REPRODUCE.md')}\n`);
