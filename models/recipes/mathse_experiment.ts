// The MathSE experiment on the demo domain: the same cycle run with the diagnostic ORM's reflections,
// without reflection (plain rejection-sampling self-training: correct paths only), and optionally with a
// binary-verdict ORM (it cannot name a step, so regeneration restarts from the question with no
// reflection), everything else equal. Prints a Markdown table and writes the numbers as JSON.
//
//   node bin/run-ts.js models/recipes/mathse_experiment.ts --workspace /tmp/mathse --cycles 3 \
//       [--dataset demo] [--eval-split test] [--config cycle.json] [--binary-orm <folder>] [--variants reflect,reflect-text,plain,binary] [--out results.json]
//
// reflect: the run as configured (the ORM's verdicts decide which paths regenerate and from which step);
// reflect-text: the same with the diagnosis text forced into the regeneration prompt; plain: no ORM, correct
// paths only; binary: a status-only ORM (regeneration from the question).
//
// Config choices (samples, learning rate, epochs) are made with --eval-split val; the reported numbers
// use test, run once.
import { Command } from 'commander';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CycleConfig, formatVsBase } from '../../src-shared/cycles';
import { checkCycleRun } from '../../src-main/core/cycles/check';
import type { CycleRunResult } from '../../src-main/core/cycles/cycleJob';
import { startOrResume } from '../../src-main/core/jobs/rerun';
import { registerModel } from '../../src-main/core/models/registry';
import { openWorkbench } from '../../src-main/core/workbench';
import { main as cliMain } from '../../src-main/cli/main';

interface VariantResult {
  variant: string;
  orm: string | null;
  seconds: number;
  result: CycleRunResult;
  perCycle: { cycle: number; seconds: number; stageSeconds: Record<string, number>; ormExact: number | null; ormJudged: number; ormUnparsed: number; ormMissed: number }[];
}

const program = new Command()
  .requiredOption('--workspace <dir>', 'workspace (created with the demo if missing)')
  .option('--cycles <n>', 'cycles per variant', (v) => Number(v), 3)
  .option('--eval-split <s>', 'held-out split', 'test')
  .option('--config <file>', 'base cycle config (JSON)')
  .option('--binary-orm <folder>', 'a binary-verdict ORM folder to compare against the diagnostic one')
  .option('--variants <list>', 'reflect,plain,binary', 'reflect,plain,binary')
  .option('--dataset <name>', 'dataset whose train split the cycles infer on and whose --eval-split they are measured on', 'demo')
  .option('--policy <name>', 'registered policy the cycles start from', 'tiny-policy')
  .option('--orm <name>', 'registered diagnostic ORM of the reflect variants', 'tiny-orm')
  .option('--tag <t>', 'suffix of the run names', '')
  .option('--out <file>', 'results JSON')
  .parse();
const o = program.opts<{ workspace: string; dataset: string; cycles: number; evalSplit: string; config?: string; binaryOrm?: string; variants: string; policy: string; orm: string; tag: string; out?: string }>();

if (!existsSync(join(o.workspace, 'steplab.db'))) {
  const code = await cliMain(['init', o.workspace, '--demo'], { out: () => {}, err: (l) => process.stderr.write(l + '\n'), tty: false });
  if (code !== 0) process.exit(code);
}
const base = o.config ? (JSON.parse(readFileSync(o.config, 'utf8')) as Record<string, unknown>) : {};
const wb = openWorkbench(o.workspace);
const results: VariantResult[] = [];
try {
  let binaryOrm: string | null = null;
  if (o.binaryOrm) {
    const existing = wb.store.models.list().find((m) => (m.provenance as { source?: string } | null)?.source === o.binaryOrm && m.role === 'orm');
    binaryOrm = existing ? `${existing.name}@${existing.version}` : await registerModel(wb.store, o.binaryOrm, { name: 'tiny-orm-binary' }).then((m) => `${m.name}@${m.version}`);
  }
  const variants: Record<string, Record<string, unknown>> = {
    reflect: { orm: o.orm, reflect: { ...(base.reflect as object), enabled: true } },
    'reflect-text': { orm: o.orm, reflect: { ...(base.reflect as object), enabled: true }, regenerate: { ...(base.regenerate as object), withReflection: true } },
    plain: { orm: null, reflect: { ...(base.reflect as object), enabled: false } },
    binary: { orm: binaryOrm, reflect: { ...(base.reflect as object), enabled: true } },
  };
  for (const v of o.variants.split(',')) {
    if (!(v in variants)) throw new Error(`unknown variant ${v}`);
    if (v === 'binary' && !binaryOrm) {
      process.stderr.write('skipping the binary variant: no --binary-orm\n');
      continue;
    }
    const cfg = CycleConfig.parse({ ...base, ...variants[v], name: `mathse-${v}${o.tag}`.replace(/[^A-Za-z0-9._-]/g, '-'), dataset: o.dataset, policy: o.policy, cycles: o.cycles, evalSplit: o.evalSplit });
    const t0 = Date.now();
    // a run of this name and config that was stopped resumes where it stopped; a finished one gives its result again
    const { job, reuse } = startOrResume(wb.store, wb.runner, { kind: 'cycle', config: cfg }, false, (r) => {
      checkCycleRun(wb.store, cfg);
      return r;
    });
    if (reuse !== 'new') process.stderr.write(`${v}: cycle job ${job.id} ${reuse === 'done' ? 'finished before: its result again' : 'resumes where it stopped'}\n`);
    let lastStage = '';
    const off = wb.runner.onEvent((e) => {
      // one line per stage: "cycle 1/3 · infer" of "cycle 1/3 · infer · 184/4000 problems"
      if (e.type !== 'message' || e.jobId !== job.id || !e.message) return;
      const stage = e.message.split(' · ').slice(0, 2).join(' · ');
      if (stage !== lastStage) {
        lastStage = stage;
        process.stderr.write(`[${v} ${((Date.now() - t0) / 1000).toFixed(0)}s] ${stage}\n`);
      }
    });
    const end = await wb.runner.wait(job.id);
    off();
    if (end.state !== 'done') throw new Error(`${v}: ${end.state}: ${end.error}`);
    const result = end.result as CycleRunResult;
    const perCycle = wb.store.cycles.forRun(result.runId).map((c) => {
      const secs = (s: { startedAt: string | null; endedAt: string | null }) => (s.startedAt && s.endedAt ? (Date.parse(s.endedAt) - Date.parse(s.startedAt)) / 1000 : 0);
      const stageSeconds = Object.fromEntries(c.stages.filter((s) => s.status === 'done').map((s) => [s.stage, Math.round(secs(s) * 10) / 10]));
      const r = c.stages.find((s) => s.stage === 'reflect')!.counts;
      return {
        cycle: c.idx,
        seconds: Math.round(Object.values(stageSeconds).reduce((a, b) => a + b, 0)),
        stageSeconds,
        ormExact: r.first_error_known ? r.first_error_exact / r.first_error_known : null,
        ormJudged: r.judged ?? 0,
        ormUnparsed: r.unparsed ?? 0,
        ormMissed: r.judged_correct ?? 0,
      };
    });
    results.push({ variant: v, orm: (cfg.orm as string | null) ?? null, seconds: Math.round((Date.now() - t0) / 1000), result, perCycle });
    process.stderr.write(`${v}: done in ${Math.round((Date.now() - t0) / 1000)} s\n`);
  }
} finally {
  await wb.close();
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '-' : (100 * x).toFixed(1));
const lines = [
  `| variant | cycle | policy | ${o.evalSplit} greedy acc | vs base [95%] | pass@k | correct paths | diagnosed | corrected | train rows | ORM first error exact | cycle time |`,
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
];
for (const r of results) {
  lines.push(`| ${r.variant} | 0 (base) | ${o.policy} | ${pct(r.result.base_test_accuracy)} | | ${pct(r.result.base_pass_at_k)} | | | | | | ${r.perCycle[0]?.seconds ?? '-'} s |`);
  for (const c of r.result.cycles) {
    const pc = r.perCycle.find((p) => p.cycle === c.cycle)!;
    lines.push(
      `| ${r.variant} | ${c.cycle} | ${c.policy} | ${pct(c.test_accuracy)} | ${c.vs_base ? formatVsBase(c.vs_base) : '-'} | ${pct(c.pass_at_k)} | ${c.correct_paths} | ${c.diagnosed} | ${c.corrected} | ${c.train_examples} | ${pc.ormExact === null ? '-' : `${pct(pc.ormExact)} (${pc.ormJudged} judged, ${pc.ormUnparsed} unparsed)`} | ${pc.seconds} s |`,
    );
  }
}
process.stdout.write(lines.join('\n') + '\n');
if (o.out) writeFileSync(o.out, JSON.stringify({ config: base, evalSplit: o.evalSplit, cycles: o.cycles, results }, null, 2));
