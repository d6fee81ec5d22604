// `npm run reproduce`: the demo's models and tables from scratch, by one command, resumable.
//
//   npm run reproduce -- --work /tmp/steplab-repro [--quick] [--only stage,stage] [--list] [--cores 2]
//
// Stages (each one the recipe that models/recipes/README.md and the README document), with what each reads:
//   policy          tokenizer, 200k training problems, the tiny policy trained, exported to ONNX with parity, evaluated
//   pool            MathSE's problem pool: 12,000 fresh demo problems plus the bundled val/test (needs nothing)
//   searches        a demo workspace; OmegaPRM searches with the policy over 1,506 train and 150 val problems
//   prm             train-prm on the train searches' annotations (soft labels, lr 3e-4, 3 epochs, the calculator's check)
//   bon             Best-of-16 on the test split with the PRM's rule and threshold chosen on val
//   orm             ORM rows from the policy's samples; the diagnostic and the binary ORM trained
//   orm-eval        both ORMs evaluated on test against a threshold on the PRM's step scores (needs orm, prm)
//   mathse-reflect  three MathSE cycles on 4,000 fresh problems each with the ORM's reflections (needs orm, pool)
//   mathse-plain    the same without reflection (needs policy, pool)
//   tables          REPRODUCE.md: every stage's time and the tables above
//
// Scheduling: a stage starts once the stages it reads have finished, and at most --cores of them run at a time
// (each keeps one core busy), the longest chain (policy, orm, mathse-reflect) first. Every node child runs with
// --single-threaded-gc --max-semi-space-size=64: with V8's default parallel GC a search process keeps a second
// core 40% busy with collections of the ONNX runtime's per-step output buffers; see "GC flags" under Benchmarks in the README.
//
// Resuming: a stage that finished leaves <work>/stages/<name>.json and is skipped when the command is run
// again; an interrupted stage runs again: the CLI jobs inside it (searches, train-prm, Best-of-N, cycles)
// resume where they stopped, and the Python steps are skipped when their output is there (training data,
// the policy's checkpoint, each ORM folder); one cut off mid-way starts over. A stage that fails stops the
// others (their jobs resume on the next run). --only reruns the named stages (their markers removed first),
// assuming what they read is there. Everything is written under --work; nothing in models/ is changed
// (install by copying <work>/models/<name> over models/<name>, with the parity fixtures, as
// models/recipes/README.md says).
//
// --quick runs the same stages at a scale that takes minutes (a smoke run of the pipeline; its numbers
// mean nothing); its later stages use the bundled tiny-policy, as a policy trained for a minute labels nothing.
import { Command } from 'commander';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runStages } from './schedule';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PY = '/usr/bin/python3';

const program = new Command()
  .requiredOption('--work <dir>', 'folder for everything the run writes')
  .option('--quick', 'a minutes-long smoke run of every stage at a tiny scale')
  .option('--only <stages>', 'run only these stages (comma-separated), again if they had finished')
  .option('--list', 'list the stages and whether each has finished, then exit')
  .option('--cores <n>', 'stages run at a time (each keeps one core busy)', (v) => Number(v), 2)
  .parse();
const o = program.opts<{ work: string; quick?: boolean; only?: string; list?: boolean; cores: number }>();
if (!Number.isInteger(o.cores) || o.cores < 1) {
  process.stderr.write('reproduce: --cores must be a whole number of at least 1\n');
  process.exit(2);
}

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
  /** the stages whose outputs this one reads */
  after: string[];
  run: (log: string, procs: Procs) => Promise<void>;
}

/** A stage's child processes, and the signal that stops them (another stage failed). */
interface Procs {
  children: Set<ChildProcess>;
  signal: AbortSignal;
}

const env = { ...process.env, OPENBLAS_NUM_THREADS: '1' };
/** V8 flags of every node child: one GC thread and a larger young generation (bench/gc.ts; the README, Benchmarks, "GC flags") */
const NODE_FLAGS = ['--single-threaded-gc', '--max-semi-space-size=64'];

/** Runs one command of a stage, its output appended to the stage's log; a failure fails the stage. The child
 *  joins `children`, so a stage that fails elsewhere can stop it. */
function sh(log: string, { children, signal }: Procs, cmd: string, args: (string | number)[], opts: { stdoutTo?: string } = {}): Promise<string> {
  const argv = args.map(String);
  if (signal.aborted) return Promise.reject(new StageError('stopped: another stage failed'));
  appendFileSync(log, `\n$ ${cmd} ${argv.join(' ')}\n`);
  return new Promise((done, fail) => {
    // stdin is /dev/null, not a pipe: the reference trainer exits when a stdin pipe closes (the trainer
    // protocol's parent watch). Ctrl-C still stops the child with the run, as both are in the terminal's
    // foreground group.
    const child = spawn(cmd, argv, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => {
      out.push(b);
      appendFileSync(log, b);
    });
    child.stderr.on('data', (b: Buffer) => appendFileSync(log, b));
    child.on('error', (e) => fail(new StageError(`${cmd} ${argv.slice(0, 2).join(' ')}: ${e.message}; see ${log}`)));
    child.on('close', (code, signal) => {
      children.delete(child);
      const text = Buffer.concat(out).toString('utf8');
      if (opts.stdoutTo) writeFileSync(opts.stdoutTo, text);
      if (code === 0) done(text);
      else fail(new StageError(`${cmd} ${argv.slice(0, 2).join(' ')} ${code === null ? `stopped by ${signal}` : `exited with ${code}`}; see ${log}`));
    });
  });
}
const ts = (log: string, ch: Procs, script: string, ...args: (string | number)[]) =>
  sh(log, ch, process.execPath, [...NODE_FLAGS, join(REPO, 'bin', 'run-ts.js'), script, ...args]);
const steplab = (log: string, ch: Procs, ...args: (string | number)[]) => sh(log, ch, process.execPath, [...NODE_FLAGS, join(REPO, 'bin', 'steplab.js'), ...args]);
const py = (log: string, ch: Procs, script: string, args: (string | number)[], opts?: { stdoutTo?: string }) =>
  sh(log, ch, PY, [join(REPO, 'models', 'recipes', script), ...args], opts);

class StageError extends Error {}

function registered(name: string, workspace = ws): boolean {
  const r = spawnSync(process.execPath, [join(REPO, 'bin', 'steplab.js'), 'models', '--workspace', workspace, '--json'], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) return false;
  const list = JSON.parse(r.stdout.trim().split('\n').pop() ?? '[]') as { models?: { name: string }[] } | { name: string }[];
  const arr = Array.isArray(list) ? list : (list.models ?? []);
  return arr.some((m) => m.name === name);
}

const pool = join(build, 'cycle-pool');

/** One MathSE variant in a workspace of its own (so the two can run side by side): the pool imported, the
 *  cycles run (resumed by identity when run again), its table kept for REPRODUCE.md. */
async function mathse(variant: 'reflect' | 'plain', log: string, ch: Procs): Promise<void> {
  const cfg = join(build, 'cycle.json');
  writeFileSync(cfg, JSON.stringify(S.cycleConfig));
  const vws = join(W, `ws-mathse-${variant}`);
  if (!existsSync(join(vws, 'steplab.db'))) await steplab(log, ch, 'init', vws, '--demo');
  if (!registered(POLICY, vws)) await steplab(log, ch, 'models', 'register', policyFolder(), '--workspace', vws, '--name', POLICY);
  if (variant === 'reflect' && !registered(ORM, vws)) await steplab(log, ch, 'models', 'register', join(models, 'tiny-orm'), '--workspace', vws, '--name', ORM);
  await steplab(log, ch, 'import', join(pool, 'problems.jsonl'), '--workspace', vws, '--dataset', 'demo-pool'); // again: a no-op that leaves the imported problems as they were
  const table = await ts(log, ch, 'models/recipes/mathse_experiment.ts', '--workspace', vws, '--dataset', 'demo-pool', '--cycles', S.cycles, '--eval-split', 'test',
    '--config', cfg, '--policy', POLICY, ...(variant === 'reflect' ? ['--orm', ORM] : []), '--variants', variant, '--tag', '-repro', '--out', join(W, `mathse-${variant}.json`));
  writeFileSync(join(W, `mathse-${variant}.md`), table.trim() + '\n');
}

// In priority order: when several could start, the first listed does (the longest chain first).
const stages: Stage[] = [
  {
    name: 'policy',
    what: 'tokenizer, training problems, tiny policy trained, exported with parity, evaluated on test',
    after: [],
    run: async (log, ch) => {
      const tok = join(build, 'tokenizer');
      await ts(log, ch, 'models/recipes/make_tokenizer.ts', '--out', tok, '--fixture', join(build, 'tokenizer-fixture.json'));
      await py(log, ch, 'steplab_model.py', ['--check-tokenizer', join(tok, 'tokenizer.json'), join(build, 'tokenizer-fixture.json')]);
      if (!existsSync(join(build, 'train', 'problems.jsonl'))) {
        await ts(log, ch, 'models/recipes/make_demo_data.ts', '--out', join(build, 'train'), '--seed', 11, '--train', S.trainProblems, '--val', S.valProblems,
          '--test', 0, '--allow-repeats', '--image-format', 'pixels', '--pixels', S.pixels, '--overwrite');
      }
      const work = join(build, 'policy');
      const reuse = existsSync(join(work, 'vision.pt')) ? ['--reuse-vision'] : [];
      if (!existsSync(join(work, 'checkpoint.pt'))) {
        await py(log, ch, 'train_policy.py', ['--data', join(build, 'train'), '--tokenizer', tok, '--work', work, '--vision-epochs', S.visionEpochs, '--tokens', S.policyTokens, ...reuse]);
      }
      const out = join(models, 'tiny-policy');
      rmSync(out, { recursive: true, force: true });
      await py(log, ch, 'export_onnx.py', ['--checkpoint', join(work, 'checkpoint.pt'), '--tokenizer', tok, '--out', out, '--train-info', join(work, 'train_info.json'), '--check']);
      await py(log, ch, 'eval_policy.py', ['--model', out, '--samples', S.evalSamples]);
    },
  },
  {
    name: 'pool',
    what: `MathSE's problem pool: ${S.cycles * S.poolPerCycle} fresh demo problems (seed 99) and the bundled val/test`,
    after: [],
    run: async (log, ch) => {
      // MathSE's "remaining data": fresh problems the policy was not distilled on, with the bundled val/test
      if (!existsSync(join(pool, 'problems.jsonl'))) await ts(log, ch, 'models/recipes/make_cycle_pool.ts', '--out', pool, '--problems', S.cycles * S.poolPerCycle, '--seed', 99);
    },
  },
  {
    name: 'orm',
    what: `ORM rows (${S.ormProblems} problems, seed 21), the diagnostic and binary ORMs (${S.ormSteps} steps each)`,
    after: ['policy'],
    run: async (log, ch) => {
      const data = join(build, 'orm-data');
      const policy = policyFolder();
      if (!existsSync(join(data, 'problems', 'orm-train.jsonl'))) {
        await py(log, ch, 'make_orm_data.py', ['--work', data, '--seed', 21, '--problems', S.ormProblems, '--samples', 2, '--policy', policy]);
      }
      for (const kind of ['diagnostic', 'binary'] as const) {
        const name = kind === 'diagnostic' ? 'tiny-orm' : 'tiny-orm-binary';
        const cfg = join(build, `orm-${kind}.json`);
        writeFileSync(cfg, JSON.stringify({
          task: 'orm', base_model: policy, train_file: join(data, 'problems', 'orm-train.jsonl'), output_dir: ormOut[kind], name, orm_kind: kind,
          hyperparameters: { lr: 1e-3, epochs: 1, batch_size: 16, seed: 0, max_steps: S.ormSteps },
        }));
        if (!existsSync(join(ormOut[kind], 'manifest.json'))) await py(log, ch, 'trainer.py', ['--config', cfg], { stdoutTo: join(build, `orm-${kind}.jsonl`) });
      }
    },
  },
  {
    name: 'mathse-reflect',
    what: `MathSE: ${S.cycles} cycles on ${S.poolPerCycle} fresh problems each with the ORM's reflections, evaluated on test`,
    after: ['orm', 'pool'],
    run: (log, ch) => mathse('reflect', log, ch),
  },
  {
    name: 'searches',
    what: `OmegaPRM searches (k = 16, seed 1) with the policy: ${S.searchTrain} train and ${S.searchVal} val problems`,
    after: ['policy'],
    run: async (log, ch) => {
      if (!existsSync(join(ws, 'steplab.db'))) await steplab(log, ch, 'init', ws, '--demo');
      if (!registered(POLICY)) await steplab(log, ch, 'models', 'register', policyFolder(), '--workspace', ws, '--name', POLICY);
      for (const [split, limit, set] of [['train', S.searchTrain, 'demo-train-omega'], ['val', S.searchVal, 'demo-val-omega']] as const) {
        await steplab(log, ch, 'search', '--workspace', ws, '--dataset', 'demo', '--model', POLICY, '--algo', 'omega', '--split', split, '--limit', limit,
          '--config', 'models/recipes/prm-search.json', '--seed', 1, '--annotation-set', set);
      }
    },
  },
  {
    name: 'prm',
    what: `train-prm on the train annotations: soft labels, lr 3e-4, ${S.prmEpochs} epochs, batch 16, seed 0, reading the calculator's check of each line`,
    after: ['searches'],
    run: async (log, ch) => {
      if (!registered(PRM)) {
        await steplab(log, ch, 'train-prm', '--workspace', ws, '--annotations', 'demo-train-omega', '--val-annotations', 'demo-val-omega',
          '--epochs', S.prmEpochs, '--lr', '0.0003', '--calculator', '--name', PRM);
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
    after: ['prm'],
    run: async (log, ch) => {
      const out = await steplab(log, ch, 'bon', '--workspace', ws, '--dataset', 'demo', '--split', 'test', '--select-on', 'val', '--policy', POLICY, '--prm', PRM,
        '--n', S.bonN, ...(S.bonLimit ? ['--limit', S.bonLimit] : []), '--chart', join(W, 'bon.svg'));
      writeFileSync(join(W, 'bon.txt'), out);
    },
  },
  {
    name: 'orm-eval',
    what: 'both ORMs evaluated on test, against a threshold on the PRM\'s step scores',
    after: ['orm', 'prm'],
    run: async (log, ch) => {
      await py(log, ch, 'eval_orm.py', ['--orm', ormOut.diagnostic, '--binary', ormOut.binary, '--policy', policyFolder(), '--prm', join(models, 'tiny-prm'), '--samples', 2,
        '--parity', q ? 2 : 8, ...(S.ormLimit ? ['--limit', S.ormLimit] : [])]);
    },
  },
  {
    name: 'mathse-plain',
    what: `MathSE without reflection (plain): the same cycles, correct paths only, evaluated on test`,
    after: ['policy', 'pool'],
    run: (log, ch) => mathse('plain', log, ch),
  },
  {
    name: 'tables',
    what: 'REPRODUCE.md: the stages\' times and the tables',
    after: ['policy', 'pool', 'orm', 'mathse-reflect', 'searches', 'prm', 'bon', 'orm-eval', 'mathse-plain'],
    run: async () => writeFileSync(join(W, 'REPRODUCE.md'), report()),
  },
];
const ormOut = { diagnostic: join(models, 'tiny-orm'), binary: join(build, 'orm-binary') };

interface Marker {
  seconds: number;
  finishedAt: string;
  /** when the stage started, and the invocation it ran in (markers written before the stages ran side by side have neither) */
  startedAt?: string;
  run?: string;
}

function marker(name: string): Marker | null {
  const f = join(marks, `${name}.json`);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as Marker) : null;
}

/** The run's wall time from the stage markers: stages that ran in one invocation count from the first one's
 *  start to the last one's end (they overlap); a marker without a start (an older run's) counts its own time. */
function wallSeconds(names: readonly string[]): number {
  const byRun = new Map<string, { start: number; end: number }>();
  let loose = 0;
  for (const n of names) {
    const m = marker(n);
    if (!m) continue;
    if (!m.startedAt || !m.run) {
      loose += m.seconds;
      continue;
    }
    const start = Date.parse(m.startedAt);
    const end = Date.parse(m.finishedAt);
    const r = byRun.get(m.run);
    byRun.set(m.run, r ? { start: Math.min(r.start, start), end: Math.max(r.end, end) } : { start, end });
  }
  return loose + [...byRun.values()].reduce((a, r) => a + (r.end - r.start) / 1000, 0);
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

/** One table of both MathSE variants: the header once, then each variant's rows. */
function mathseTable(): string {
  const files = ['reflect', 'plain'].map((v) => join(W, `mathse-${v}.md`));
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length) return `(missing: ${missing.join(', ')})`;
  const lines = files.map((f) => readFileSync(f, 'utf8').trim().split('\n'));
  return [...lines[0].slice(0, 2), ...lines.flatMap((l) => l.slice(2))].join('\n');
}

function report(): string {
  const names = stages.filter((s) => s.name !== 'tables').map((s) => s.name);
  // offsets count from the start of the run (invocation) the stage ran in
  const runStart = new Map<string, number>();
  for (const n of names) {
    const m = marker(n);
    if (m?.run && m.startedAt) runStart.set(m.run, Math.min(runStart.get(m.run) ?? Infinity, Date.parse(m.startedAt)));
  }
  const runNo = new Map([...runStart.entries()].sort((a, b) => a[1] - b[1]).map(([r], i) => [r, i + 1]));
  const min = (sec: number) => `${(sec / 60).toFixed(1)} min`;
  const rows = stages.filter((s) => s.name !== 'tables').map((s) => {
    const m = marker(s.name);
    const t0 = m?.run ? runStart.get(m.run) : undefined;
    const span = m?.startedAt && t0 !== undefined
      ? `${runNo.size > 1 ? `run ${runNo.get(m.run!)}: ` : ''}${min((Date.parse(m.startedAt) - t0) / 1000)} – ${min((Date.parse(m.finishedAt) - t0) / 1000)}`
      : '';
    return `| ${s.name} | ${s.what} | ${s.after.join(', ') || '–'} | ${span} | ${m ? min(m.seconds) : 'not run'} |`;
  });
  const summed = names.reduce((a, n) => a + (marker(n)?.seconds ?? 0), 0);
  return [
    `# Steplab demo reproduction${q ? ' (--quick: a smoke run; its numbers mean nothing)' : ''}`,
    '',
    `Written by \`npm run reproduce -- --work ${W}${q ? ' --quick' : ''}\` on ${new Date().toISOString()}. Stages run side by side, ${o.cores} at a time, once what they read is there.`,
    '',
    '| stage | what | reads | ran (from the start) | wall time |',
    '|---|---|---|---|---|',
    ...rows,
    `| all | ${runNo.size > 1 ? `${runNo.size} runs, each from its first stage's start to its last one's end, added` : 'the run, from its first stage\'s start to its last one\'s end'} | | | **${min(wallSeconds(names))}** (stage times summed: ${min(summed)}) |`,
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
    mathseTable(),
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
    process.stdout.write(`${s.name.padEnd(15)} ${m ? `done in ${(m.seconds / 60).toFixed(1)} min` : 'to run'}  ${s.what}\n`);
  }
  process.exit(0);
}

const runId = new Date().toISOString();
const t0 = Date.now();
const waiting = stages.filter((s) => !only || only.has(s.name));
if (only) for (const s of waiting) rmSync(join(marks, `${s.name}.json`), { force: true });
for (const s of [...waiting]) {
  if (marker(s.name)) {
    process.stderr.write(`reproduce: ${s.name}: done before, skipped\n`);
    waiting.splice(waiting.indexOf(s), 1);
  }
}
const result = await runStages(waiting, o.cores, {
  run: (s, signal) => {
    const procs: Procs = { children: new Set(), signal };
    // another stage failed: this one's children stop too (their jobs resume when the command runs again)
    signal.addEventListener('abort', () => {
      for (const c of procs.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    });
    const startedAt = new Date();
    return s.run(join(logs, `${s.name}.log`), procs).then(() => {
      const seconds = Math.round((Date.now() - startedAt.getTime()) / 1000);
      const m: Marker = { seconds, finishedAt: new Date().toISOString(), startedAt: startedAt.toISOString(), run: runId };
      writeFileSync(join(marks, `${s.name}.json`), JSON.stringify(m) + '\n');
      process.stderr.write(`reproduce: ${s.name}: done in ${(seconds / 60).toFixed(1)} min\n`);
    });
  },
  started: (s) => process.stderr.write(`reproduce: ${s.name}: ${s.what} (log: ${join(logs, `${s.name}.log`)})\n`),
});
const failure = result.failed
  ? `${result.failed.stage.name} failed: ${result.failed.error instanceof StageError ? result.failed.error.message : ((result.failed.error as Error)?.stack ?? String(result.failed.error))}`
  : null;
if (failure) {
  process.stderr.write(`reproduce: ${failure}; run the same command again to resume\n`);
  process.exit(1);
}
process.stderr.write(`reproduce: finished in ${((Date.now() - t0) / 60000).toFixed(1)} min\n`);
