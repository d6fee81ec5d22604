// `steplab bench-prm`: judges a PRM on an imported step-level benchmark (ProcessBench, VisualProcessBench,
// PRMBench) as the benchmark's own code does, with a registered PRM or step scores made elsewhere.
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { ApiError, type Api } from '../../src-shared/api';
import type { ContaminationReport } from '../../src-shared/benchmarks';
import { UserError } from '../core/errors';
import type { BenchPrmMetrics, BenchPrmResult } from '../core/jobs/kinds/benchPrm';
import { parseScoresFile } from '../core/reward/benchScores';
import { nonNegativeInt, positiveInt, jobResult, runLongJob, table, withApi, type CliIO } from './common';
import type { JobConfigInput } from '../../src-shared/jobConfigs';
import { modelLabel } from '../../src-shared/modelLabel';

function unitInterval(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !(n >= 0 && n <= 1)) throw new InvalidArgumentError('must be a number in [0, 1]');
  return n;
}

/** Percent with one decimal, as ProcessBench prints it; '-' where a value is undefined (upstream: nan). */
const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : (100 * x).toFixed(1));

/** The warning a contaminated benchmark gets: counts and the rows (first 20). */
export function contaminationLines(c: ContaminationReport, prm: string): string[] {
  if (!c.checked) return [`note: contamination not checked: ${c.reason}`];
  if (c.problems === 0) return [];
  const shown = c.list.slice(0, 20).map((x) => `${x.id} (${x.split}, by ${x.how})`);
  return [
    `warning: ${c.problems} benchmark problem${c.problems === 1 ? '' : 's'} (${c.rows} row${c.rows === 1 ? '' : 's'}) appear in ${prm}'s training annotation set "${c.annotationSet}" (${c.byFingerprint} by fingerprint, ${c.byQuestion} by question text):`,
    `  ${shown.join(', ')}${c.rows > shown.length ? `, and ${c.rows - shown.length} more` : ''}`,
  ];
}

/** The result as tables: the first-error table per split (percent), the benchmark's own headline, its interval. */
export function benchText(m: BenchPrmMetrics): string {
  const how =
    m.threshold_mode === 'oracle'
      ? `chosen by the sweep on the rows evaluated (an oracle: chosen on the rows it reports)`
      : m.threshold_mode === 'sweep-on'
        ? `chosen by the sweep on split "${m.chosen_on}"`
        : 'given';
  const vpb = m.format === 'visualprocessbench';
  const lines = [
    `${m.format} on dataset "${m.dataset}"${m.split ? ` split "${m.split}"` : ''}: ${m.rows} rows, ${m.prm ? `PRM ${m.prm}` : `scores from ${m.scores_file?.file}`}; threshold ${m.threshold} (${how}; a step is accepted when its score is above it)`,
  ];
  const rows = Object.entries(m.by_split).map(([sp, s]) => [sp, String(s.rows), pct(s.error_acc), pct(s.correct_acc), pct(s.f1), ...(vpb ? [pct(s.macro_f1)] : [])]);
  if (Object.keys(m.by_split).length > 1) rows.push(['mean', String(m.rows), pct(m.error_acc), pct(m.correct_acc), pct(m.f1), ...(vpb ? [pct(m.macro_f1?.macro_f1)] : [])]);
  lines.push(table(['split', 'rows', 'error acc', 'correct acc', 'F1', ...(vpb ? ['step macro F1'] : [])], rows));
  if (m.splits_without_f1.length) lines.push(`no F1 for ${m.splits_without_f1.join(', ')}: a split without rows with an error or without all-correct rows (ProcessBench prints nan); left out of the mean`);
  if (m.macro_f1) {
    lines.push(
      `step macro F1 ${pct(m.macro_f1.macro_f1)} over ${m.macro_f1.steps} labelled steps (F1 correct ${pct(m.macro_f1.f1_correct)} on ${m.macro_f1.correct_steps}, incorrect ${pct(m.macro_f1.f1_incorrect)} on ${m.macro_f1.incorrect_steps}; neutral steps left out)`,
    );
  }
  if (m.by_source && Object.keys(m.by_source).length) {
    lines.push(`step macro F1 by data source: ${Object.entries(m.by_source).map(([k, v]) => `${k} ${pct(v.macro_f1)} (${v.rows} rows)`).join(', ')}`);
  }
  if (m.prmbench) {
    const p = m.prmbench;
    // mr_eval's -1 for a mean of no values is shown as n/a (its -1 inside an F1 formula is kept, as upstream uses it)
    const classes = Object.entries(p.byClass).map(([c, s]) => [c, String(s.rows), pct(s.prmScore), pct(s.f1), pct(s.negative_f1), s.first_error_acc === -1 ? 'n/a' : pct(s.first_error_acc)]);
    lines.push(`PRMScore ${pct(p.prmScore)} (F1 ${pct(p.total.f1)}, negative F1 ${pct(p.total.negative_f1)}); simplicity ${pct(p.groups.simplicity)}, soundness ${pct(p.groups.soundness)}, sensitivity ${pct(p.groups.sensitivity)}`);
    lines.push(table(['class', 'rows', 'PRMScore', 'F1', 'negative F1', 'first error acc'], classes));
  }
  const ci = m.headline.ci;
  if (ci) {
    const name = m.headline.name === 'f1' ? 'F1' : m.headline.name === 'macro_f1' ? 'step macro F1' : 'PRMScore';
    lines.push(`${name} ${pct(m.headline.value)}, bootstrap 95% interval over rows ${pct(ci.low)}–${pct(ci.high)} (${ci.resamples} resamples within each split, seed ${ci.seed})`);
  }
  return lines.join('\n');
}

/** Every row of an evaluation, page by page. */
async function allRows(api: Api, id: number): Promise<Awaited<ReturnType<Api['evaluations.benchRows']>>['items']> {
  const out: Awaited<ReturnType<Api['evaluations.benchRows']>>['items'] = [];
  for (let offset = 0; ; offset += 10_000) {
    const page = await api['evaluations.benchRows']({ id, offset, limit: 10_000 });
    out.push(...page.items);
    if (out.length >= page.total || page.items.length === 0) return out;
  }
}

export function addBenchCommands(program: Command, io: CliIO): void {
  program
    .command('bench-prm')
    .description('judge a PRM on an imported ProcessBench, VisualProcessBench or PRMBench dataset as the benchmark computes it (a registered PRM, or step scores made elsewhere)')
    .requiredOption('--workspace <dir>', 'workspace folder')
    .requiredOption('--dataset <name>', 'the dataset the benchmark was imported into')
    .option('--prm <model>', 'a registered PRM (name or name@version; ONNX in process or an endpoint)')
    .option('--scores <file>', 'step scores made elsewhere: JSON lines {"id": <row id>, "scores": [..]}, or bare arrays in the imported file\'s row order')
    .option('--split <name>', 'evaluate this split (default: every split)')
    .option('--threshold <t>', 'a step is accepted when its score is above t (default 0.5)', unitInterval)
    .option('--sweep', 'choose the threshold (0.00, 0.01, ..., 1.00; ties to the lowest) on the rows evaluated: an oracle')
    .option('--sweep-on <split>', 'choose the threshold on this split and apply it to --split')
    .option('--rows <out.jsonl>', 'write per-row predictions, labels and scores')
    .option('--seed <s>', 'bootstrap seed', nonNegativeInt, 0)
    .option('--resamples <n>', 'bootstrap resamples (0: no interval)', nonNegativeInt, 1000)
    .option('--batch <n>', 'rows scored per committed batch (with --prm)', positiveInt, 32)
    .option('--name <name>', 'name of the stored evaluation')
    .option('--restart', 'refused: a bench-prm run resumes where it stopped, and a finished one is told again (use --name or --seed to run another)')
    .option('--json', 'print the result as JSON (last line)')
    .action(
      async (o: { workspace: string; dataset: string; prm?: string; scores?: string; split?: string; threshold?: number; sweep?: boolean; sweepOn?: string; rows?: string; seed: number; resamples: number; batch: number; name?: string; restart?: boolean; json?: boolean }) => {
        if (Boolean(o.prm) === Boolean(o.scores)) throw new UserError('give exactly one of --prm and --scores');
        if ([o.threshold !== undefined, Boolean(o.sweep), o.sweepOn !== undefined].filter(Boolean).length > 1) throw new UserError('give at most one of --threshold, --sweep and --sweep-on');
        if (o.sweepOn !== undefined && o.split === undefined) throw new UserError('--sweep-on needs --split (the split the chosen threshold is applied to)');
        let scores: JobConfigInput<'bench-prm'>['scores'];
        if (o.scores) {
          let text: string;
          try {
            text = readFileSync(resolve(o.scores), 'utf8');
          } catch (e) {
            throw new UserError(`--scores ${o.scores}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message}`);
          }
          scores = parseScoresFile(text, basename(o.scores));
        }
        // parsed once, at the door (runLongJob): a bad setting is refused there in the same words
        const config: JobConfigInput<'bench-prm'> = {
          dataset: o.dataset,
          seed: o.seed,
          resamples: o.resamples,
          batch: o.batch,
          sweep: Boolean(o.sweep),
          ...(o.split ? { split: o.split } : {}),
          ...(o.prm ? { prm: o.prm } : {}),
          ...(scores ? { scores } : {}),
          ...(o.threshold !== undefined ? { threshold: o.threshold } : {}),
          ...(o.sweepOn ? { sweepOn: o.sweepOn } : {}),
          ...(o.name ? { name: o.name } : {}),
        };
        await withApi(o.workspace, async (api, door) => {
          if (o.prm) {
            let label: string;
            try {
              const m = await api['models.get']({ name: o.prm, role: 'prm' });
              label = modelLabel(m);
            } catch (e) {
              throw e instanceof UserError || e instanceof ApiError ? new UserError(`--prm: ${e.message}`) : e;
            }
            // before any scoring: benchmark problems the PRM was trained on
            const c = await api['benchmarks.contamination']({ dataset: o.dataset, prm: o.prm, ...(o.split ? { split: o.split } : {}), ...(o.sweepOn ? { sweepOn: o.sweepOn } : {}) });
            for (const line of contaminationLines(c, label)) io.err(line);
          }
          // refused before the job is made: a missing split, scores of the wrong length or an unknown row; the
          // job of these settings that an earlier run left unfinished is resumed, a finished one told again
          const end = await runLongJob(door, { kind: 'bench-prm', config }, o, io);
          const r = jobResult<BenchPrmResult>(end, 'bench-prm cancelled; no evaluation was stored (scores of finished batches are kept): run the same command again to resume it', 'bench-prm failed');
          if (o.rows) {
            const rows = await allRows(api, r.evaluation);
            writeFileSync(
              o.rows,
              rows.map((x) => JSON.stringify({ id: x.id, split: x.split, label: x.label, prediction: x.prediction, match: x.match, scores: x.steps.map((s) => s.score), gold: x.steps.map((s) => s.gold), ...(x.classification ? { classification: x.classification } : {}) })).join('\n') + '\n',
            );
          }
          if (!o.json) {
            io.out(benchText(r));
            io.out(`stored as evaluation ${r.evaluation}${o.rows ? `; rows written to ${o.rows}` : ''}`);
            return;
          }
          io.out(
            JSON.stringify({
              f1: r.f1,
              threshold: r.threshold,
              error_acc: r.error_acc,
              correct_acc: r.correct_acc,
              by_split: Object.fromEntries(Object.entries(r.by_split).map(([sp, s]) => [sp, { f1: s.f1, error_acc: s.error_acc, correct_acc: s.correct_acc, rows: s.rows, ...(s.macro_f1 !== undefined ? { macro_f1: s.macro_f1 } : {}) }])),
              evaluation: r.evaluation,
              format: r.format,
              threshold_mode: r.threshold_mode,
              chosen_on: r.chosen_on,
              headline: { name: r.headline.name, value: r.headline.value, ci: r.headline.ci ? [r.headline.ci.low, r.headline.ci.high] : null },
              ...(r.macro_f1 ? { macro_f1: r.macro_f1.macro_f1 } : {}),
              ...(r.by_source ? { by_source: Object.fromEntries(Object.entries(r.by_source).map(([k, v]) => [k, v.macro_f1])) } : {}),
              ...(r.prmbench ? { prm_score: r.prmbench.prmScore, prmbench: { groups: r.prmbench.groups, by_class: Object.fromEntries(Object.entries(r.prmbench.byClass).map(([c, s]) => [c, s.prmScore])) } } : {}),
              rows: r.rows,
              contamination: r.contamination ? { checked: r.contamination.checked, problems: r.contamination.problems, rows: r.contamination.rows } : null,
            }),
          );
        });
      },
    );
}
