// CLI commands of the process reward model: train-prm, score, bon, evaluations.
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { writeFileSync } from 'node:fs';
import { ApiError } from '../../src-shared/api';
import { UserError } from '../core/errors';
import { AGGREGATORS } from '../core/reward/aggregate';
import type { BonResult } from '../core/reward/bonJob';
import { BON_METHODS, type BonMethod } from '../core/reward/metrics';
import { ROLLOUT_SHAPES, type EvaluationComparison } from '../../src-shared/domain';
import { parseFieldSpecs } from '../core/data/fieldMap';
import { checkImageRoot } from '../core/data/imageRoot';
import type { ScoreResult } from '../core/reward/scoreJob';
import type { TrainPrmResult } from '../core/reward/trainPrmJob';
import { addLimitOptions, limitsFromFlags, nonNegativeInt, positiveInt, jobResult, runLongJob, table, withApi, type CliIO, type LimitFlags } from './common';
import type { JobConfigInput, JobRequest } from '../../src-shared/jobConfigs';
import { benchText } from './bench';
import { allPages } from './pages';
import type { BenchPrmMetrics } from '../core/jobs/kinds/benchPrm';

function learningRate(v: string): number {
  const n = Number(v);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError('must be a number in (0, 1]');
  return n;
}

function nAtLeastOne(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('N must be an integer >= 1');
  return n;
}

const pct = (x: number | undefined): string => (x === undefined ? '' : (100 * x).toFixed(1));

export function addRewardCommands(program: Command, io: CliIO): void {
  program
    .command('train-prm')
    .description('train a process reward model on an annotation set through the trainer protocol and register it')
    .requiredOption('--workspace <dir>', 'workspace folder')
    .requiredOption('--annotations <set>', 'annotation set to train on')
    .option('--base <model>', 'model to start from (default: the policy that produced the annotations)')
    .option('--name <name>', 'name to register the PRM under (default: prm-<set>)')
    .option('--hard-labels', 'train on hard labels (MC > 0) instead of the soft MC values')
    .option('--calculator', "let the PRM read a calculator's check after each `a op b = c` of a step, before its tag: ' (=v)' when c is v = a op b, ' (!=v)' when not")
    .option('--lr <x>', 'learning rate', learningRate)
    .option('--epochs <n>', 'epochs', positiveInt)
    .option('--batch-size <n>', 'rows per step', positiveInt)
    .option('--max-steps <n>', 'stop after this many steps', positiveInt)
    .option('--seed <s>', 'random seed', nonNegativeInt, 0)
    .option('--no-dedupe', 'keep near-identical paths')
    .option('--max-paths-per-problem <n>', 'keep at most N paths per problem', positiveInt)
    .option('--val-annotations <set>', 'held-out annotation set for the trainer to report step metrics on')
    .option('--trainer <command...>', 'trainer command (default: /usr/bin/python3 models/recipes/trainer.py)')
    .option('--restart', 'start over instead of resuming the unfinished training of the same settings (its work folder removed first)')
    .option('--json', 'print the result as JSON')
    .action(
      async (o: {
        workspace: string;
        annotations: string;
        base?: string;
        name?: string;
        hardLabels?: boolean;
        calculator?: boolean;
        lr?: number;
        epochs?: number;
        batchSize?: number;
        maxSteps?: number;
        seed: number;
        dedupe: boolean;
        maxPathsPerProblem?: number;
        valAnnotations?: string;
        trainer?: string[];
        restart?: boolean;
        json?: boolean;
      }) => {
        const config: JobConfigInput<'train-prm'> = {
          annotations: o.annotations,
          labels: o.hardLabels ? 'hard' : 'soft',
          ...(o.calculator ? { calculator: true } : {}),
          seed: o.seed,
          dedupe: o.dedupe,
          ...(o.base ? { base: o.base } : {}),
          ...(o.name ? { name: o.name } : {}),
          ...(o.lr !== undefined ? { lr: o.lr } : {}),
          ...(o.epochs !== undefined ? { epochs: o.epochs } : {}),
          ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
          ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}),
          ...(o.maxPathsPerProblem !== undefined ? { maxPathsPerProblem: o.maxPathsPerProblem } : {}),
          ...(o.valAnnotations ? { valAnnotations: o.valAnnotations } : {}),
          ...(o.trainer ? { trainer: o.trainer } : {}),
        };
        await withApi(o.workspace, async (api, door) => {
          // the door parses the config, and jobs.start refuses an unknown set, base or name before the job starts
          const end = await runLongJob(door, { kind: 'train-prm', config }, o, io);
          const r = jobResult<TrainPrmResult>(end, 'training cancelled; nothing was registered', 'training failed');
          if (o.json) io.out(JSON.stringify({ model: r.model, steps: r.steps, final_loss: r.finalLoss, annotation_set: r.annotationSet, annotation_hash: r.annotationHash, rows: r.rows, job: end.id }));
          else io.out(`registered ${r.model} (role prm): ${r.steps} steps on ${r.rows} paths of set "${r.annotationSet}", final loss ${r.finalLoss?.toFixed(4) ?? 'n/a'}; loss curve stored with job ${end.id}`);
        });
      },
    );

  const scoreCommand = program
    .command('score')
    .description('score steps with a PRM: stored solutions of a dataset, the nodes of search trees, or an MM-PRM rollout file')
    .requiredOption('--workspace <dir>', 'workspace folder')
    .requiredOption('--prm <model>', 'PRM (name or name@version)')
    .option('--dataset <name>', 'score the stored solutions of this dataset')
    .option('--split <name>', 'only this split (with --dataset)')
    .option('--search <ids>', 'score the nodes of these searches (comma-separated ids, or "job:<id>" for every search of a search job)')
    .option('--rollouts <file>', 'an MM-PRM rollout file (query, image, solutions_splits) to score')
    .option('--out <file>', 'where the scored rollout file goes (with --rollouts)')
    .addOption(new Option('--shape <shape>', 'read question, options and pictures as this MM-PRM evaluator does (with --rollouts; default: detected)').choices(ROLLOUT_SHAPES))
    .option('--field <field=column>', 'read the question or the pictures from this column (with --rollouts; repeatable: question, images)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--image-root <dir>', "folder picture paths are read under, as MM-PRM's --root (with --rollouts; default: the file's folder)")
    .option('--allow-outside', "read pictures outside the rollout file's folder and --image-root (with --rollouts)");
  addLimitOptions(scoreCommand)
    .option('--threshold <t>', 'a step counts as good in the reported metrics when its score is above t', (v) => {
      const n = Number(v);
      if (!(n > 0 && n < 1)) throw new InvalidArgumentError('must be in (0, 1)');
      return n;
    })
    .option('--rescore', 'score again what this PRM already scored')
    .option('--restart', 'refused: a score job keeps no rows of its own (use --rescore to score again)')
    .option('--json', 'print the result as JSON')
    .action(async (o: { workspace: string; prm: string; dataset?: string; split?: string; search?: string; rollouts?: string; out?: string; shape?: (typeof ROLLOUT_SHAPES)[number]; field: string[]; imageRoot?: string; allowOutside?: boolean; threshold?: number; rescore?: boolean; restart?: boolean; json?: boolean } & LimitFlags) => {
      const modes = [o.dataset, o.search, o.rollouts].filter(Boolean).length;
      if (modes !== 1) throw new UserError('give exactly one of --dataset, --search or --rollouts');
      if (o.rollouts && !o.out) throw new UserError('--rollouts needs --out <file> for the scored copy');
      if (o.split && !o.dataset) throw new UserError('--split goes with --dataset');
      if (!o.rollouts && (o.shape || o.field.length || o.imageRoot || o.allowOutside)) throw new UserError('--shape, --field, --image-root and --allow-outside go with --rollouts');
      const caps = limitsFromFlags(o);
      if (!o.rollouts && caps.limits) throw new UserError('--max-question-bytes, --max-answer-bytes, --max-image-bytes, --max-image-mpx, --max-line-bytes and --max-item-bytes go with --rollouts');
      const fields = parseFieldSpecs(o.field, ['question', 'images']);
      const imageRoot = o.imageRoot === undefined ? undefined : checkImageRoot(o.imageRoot);
      await withApi(o.workspace, async (api, door) => {
        if (o.rollouts) {
          const r = await api['score.rollouts']({ prm: o.prm, rollouts: o.rollouts, out: o.out!, ...(o.shape ? { shape: o.shape } : {}), fields, ...(imageRoot ? { imageRoot } : {}), allowOutside: Boolean(o.allowOutside), ...caps });
          if (o.json) io.out(JSON.stringify({ prm: r.prm, shape: r.shape, items: r.items, solutions: r.solutions, steps: r.steps, out: r.path, seconds: r.seconds }));
          else {
            if (r.shape) io.out(`shape ${r.shape} (${r.shapeFrom === '--shape' ? 'given' : `detected: ${r.shapeFrom}; --shape chooses another`})`);
            io.out(`scored ${r.solutions} solutions (${r.steps} steps) of ${r.items} items with ${r.prm} in ${r.seconds.toFixed(1)} s; wrote ${r.path}`);
          }
          return;
        }
        let searches: number[] | undefined;
        if (o.search) {
          const m = /^job:(\d+)$/.exec(o.search.trim());
          if (m) {
            const { items } = await api['searches.list']({ jobId: Number(m[1]), limit: 1000 });
            if (items.length === 0) throw new UserError(`job ${m[1]} made no searches`);
            searches = items.map((r) => r.id).sort((a, b) => a - b);
          } else {
            searches = o.search.split(',').map((x) => {
              const n = Number(x.trim());
              if (!Number.isInteger(n) || n < 1) throw new UserError(`--search: "${x}" is not a search id`);
              return n;
            });
          }
        }
        await api['models.get']({ name: o.prm, role: 'prm' });
        const config = {
          prm: o.prm,
          ...(o.dataset ? { dataset: o.dataset } : {}),
          ...(o.split ? { split: o.split } : {}),
          ...(searches ? { searches } : {}),
          ...(o.threshold !== undefined ? { threshold: o.threshold } : {}),
          ...(o.rescore ? { rescore: true } : {}),
        };
        const end = await runLongJob(door, { kind: 'score', config } as JobRequest, o, io);
        const r = jobResult<ScoreResult>(end, 'scoring cancelled; scores of finished batches are kept', 'scoring failed');
        if (o.json) return io.out(JSON.stringify(r));
        io.out(
          `${r.prm}: scored ${o.dataset ? `${r.solutions} solutions` : `${r.nodes} tree nodes`} (${r.steps} steps${r.skipped ? `, ${r.skipped} already scored` : ''}), mean score ${r.mean_score?.toFixed(3) ?? 'n/a'}, ${Math.round(r.tokens_per_s)} tokens/s`,
        );
        if (r.gold) {
          const pb = r.gold.processbench;
          io.out(
            `against gold step labels at threshold ${r.threshold}: step macro F1 ${pct(r.gold.steps.macroF1)} (good ${pct(r.gold.steps.f1Good)}, bad ${pct(r.gold.steps.f1Bad)}, ${r.gold.steps.steps} steps)${pb ? `; ProcessBench F1 ${pct(pb.f1)} (first error ${pct(pb.errorAccuracy)} on ${pb.flawed} flawed, no error ${pct(pb.correctAccuracy)} on ${pb.correct} correct)` : ''}`,
          );
        }
        if (r.mc) io.out(`against MC labels (MC > 0 = good): macro F1 ${pct(r.mc.macroF1)}, accuracy ${pct(r.mc.accuracy)} over ${r.mc.steps} nodes`);
      });
    });

  program
    .command('bon')
    .description('Best-of-N evaluation: N sampled candidates per problem, scored by a PRM, against random pick, greedy, majority vote and pass@N')
    .requiredOption('--workspace <dir>', 'workspace folder')
    .requiredOption('--dataset <name>', 'dataset')
    .requiredOption('--split <name>', 'split to report on')
    .requiredOption('--policy <model>', 'policy that writes the candidates')
    .requiredOption('--prm <model>', 'PRM that scores them')
    .requiredOption('--n <N>', 'candidates per problem', nAtLeastOne)
    .option('--select-on <split>', 'choose the PRM aggregation and the step threshold on this split (e.g. val)')
    .option('--limit <n>', 'at most N problems per split', positiveInt)
    .option('--seed <s>', 'sampling seed', nonNegativeInt, 0)
    .option('--temperature <t>', 'sampling temperature (default: the policy manifest\'s)', Number)
    .option('--vote-weight <agg>', `aggregation weighting the PRM vote (${AGGREGATORS.filter((a) => a !== 'sum_log_odds').join(', ')})`, 'product')
    .option('--name <name>', 'name of the stored evaluation')
    .option('--chart <file.svg>', 'also draw accuracy against N as an SVG chart')
    .option('--restart', 'start over instead of resuming the unfinished evaluation of the same settings (its candidates removed first)')
    .option('--json', 'print the result as JSON (last line)')
    .action(
      async (o: { workspace: string; dataset: string; split: string; policy: string; prm: string; n: number; selectOn?: string; limit?: number; seed: number; temperature?: number; voteWeight: string; name?: string; chart?: string; restart?: boolean; json?: boolean }) => {
        const config: JobConfigInput<'bon'> = {
          dataset: o.dataset,
          split: o.split,
          policy: o.policy,
          prm: o.prm,
          n: o.n,
          seed: o.seed,
          voteWeight: o.voteWeight as JobConfigInput<'bon'>['voteWeight'], // checked at the door
          ...(o.selectOn ? { selectOn: o.selectOn } : {}),
          ...(o.limit ? { limit: o.limit } : {}),
          ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
          ...(o.name ? { name: o.name } : {}),
        };
        await withApi(o.workspace, async (api, door) => {
          for (const [what, ref, role] of [['--policy', o.policy, 'policy'], ['--prm', o.prm, 'prm']] as const) {
            try {
              await api['models.get']({ name: ref, role });
            } catch (e) {
              throw e instanceof UserError || e instanceof ApiError ? new UserError(`${what}: ${e.message}`) : e;
            }
          }
          await api['datasets.get']({ name: o.dataset });
          const end = await runLongJob(door, { kind: 'bon', config }, o, io);
          const r = jobResult<BonResult>(end, 'evaluation cancelled; candidates and scores made so far are kept and reused by the next run', 'evaluation failed');
          if (!o.json) io.out(bonText(r, o.split));
          if (o.chart) {
            writeFileSync(o.chart, (await api['evaluations.chart']({ id: r.evaluation, split: o.split })).svg);
            if (!o.json) io.out(`chart: ${o.chart}`);
          }
          if (o.json) io.out(JSON.stringify({ n: r.n, problems: r.problems, accuracy: r.accuracy, chosen: r.chosen, chosen_on: r.chosen_on, evaluation: r.evaluation, by_n: r.splits[o.split].byN }));
        });
      },
    );

  program
    .command('evaluations')
    .description('list stored evaluations, or export one as JSON or CSV')
    .requiredOption('--workspace <dir>', 'workspace folder')
    .option('--id <n>', 'the evaluation to show or export', positiveInt)
    .option('--format <fmt>', 'json | csv | svg (accuracy against N) (with --out)', 'json')
    .option('--out <file>', 'write the evaluation to this file')
    .option('--against <m>', 'compare evaluation --id with this one (same problems): accuracy of --id minus this at each N, with the paired bootstrap interval', positiveInt)
    .option('--n <N>', 'with --against: up to this N (default: the largest both have)', nAtLeastOne)
    .option('--method <m>', `with --against: read this method on both (default: each evaluation's chosen one): ${BON_METHODS.join(', ')}`)
    .option('--json', 'print JSON')
    .action(async (o: { workspace: string; id?: number; format: string; out?: string; against?: number; n?: number; method?: string; json?: boolean }) => {
      if (!['json', 'csv', 'svg'].includes(o.format)) throw new UserError(`unknown format "${o.format}" (json, csv or svg)`);
      if (o.out && o.id === undefined) throw new UserError('--out needs --id');
      if (o.against === undefined && (o.n !== undefined || o.method !== undefined)) throw new UserError('--n and --method go with --against');
      if (o.against !== undefined && (o.id === undefined || o.out)) throw new UserError('--against needs --id (the evaluation to compare) and no --out');
      if (o.method !== undefined && !(BON_METHODS as readonly string[]).includes(o.method)) throw new UserError(`--method: unknown method "${o.method}" (${BON_METHODS.join(', ')})`);
      await withApi(o.workspace, async (api) => {
        if (o.against !== undefined) {
          const c = await api['evaluations.compare']({ a: o.id!, b: o.against, ...(o.n ? { n: o.n } : {}), ...(o.method ? { method: o.method as BonMethod } : {}) });
          return io.out(o.json ? JSON.stringify(c) : compareText(c));
        }
        if (o.id === undefined) {
          const list = await allPages((q) => api['evaluations.list'](q));
          if (o.json) return io.out(JSON.stringify(list));
          if (list.length === 0) return io.out('no evaluations; make one with: steplab bon --workspace <dir> --dataset demo --split test --policy tiny-policy --prm tiny-prm --n 16');
          io.out(table(['id', 'name', 'created'], list.map((e) => [String(e.id), e.name, e.createdAt])));
          return;
        }
        if (o.out) {
          const { text } = await api['evaluations.export']({ id: o.id, format: o.format as 'json' | 'csv' | 'svg' });
          writeFileSync(o.out, text);
          io.out(`wrote evaluation ${o.id} (${o.format}) to ${o.out}`);
          return;
        }
        if (o.json) return io.out(JSON.stringify(JSON.parse((await api['evaluations.export']({ id: o.id, format: 'json' })).text)));
        const ev = await api['evaluations.get']({ id: o.id });
        const m = ev.metrics as unknown as BonResult;
        io.out(`${ev.name} (evaluation ${ev.id}, ${ev.createdAt})`);
        if ((ev.metrics as { kind?: string }).kind === 'bench-prm') io.out(benchText(ev.metrics as unknown as BenchPrmMetrics));
        else if (m.splits) io.out(bonText(m, Object.keys(m.splits).at(-1)!));
      });
    });
}

/** Two evaluations side by side: each one's method, and a minus b at each N with its interval. */
export function compareText(c: EvaluationComparison): string {
  const who = (s: EvaluationComparison['a']) =>
    `evaluation ${s.id} (${s.name}; PRM ${s.prm}, policy ${s.policy}): ${s.method}${s.chosenOn ? ` (chosen on ${s.chosenOn})` : ''}`;
  const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)}`;
  return [
    `${c.dataset}/${c.split}, ${c.problems} problems, ${c.sameCandidates ? 'the same candidates' : 'different candidates (another policy, sampling or seed)'}; accuracy %, a minus b with the 95% interval of a paired bootstrap over problems`,
    `a: ${who(c.a)}`,
    `b: ${who(c.b)}`,
    table(
      ['N', 'a', 'b', 'a − b', '95% interval'],
      c.rows.map((r) => [String(r.n), pct(r.a), pct(r.b), signed(r.diff), `[${signed(r.interval[0])}, ${signed(r.interval[1])}]`]),
    ),
  ].join('\n');
}

/** The accuracy table of a Best-of-N result (methods down, N across), with the chosen method marked. */
export function bonText(r: Pick<BonResult, 'splits' | 'chosen' | 'chosen_on' | 'threshold' | 'policy' | 'prm' | 'n'>, split: string): string {
  const rep = r.splits[split];
  const ns = Object.keys(rep.byN);
  const rows = BON_METHODS.map((m) => [m === r.chosen ? `${m} *` : m, ...ns.map((n) => pct(rep.byN[n][m]))]);
  const lines = [
    `Best-of-N on ${split}: ${rep.problems} problems, ${rep.candidates} candidates; policy ${r.policy}, PRM ${r.prm} (accuracy %, * = chosen on ${r.chosen_on})`,
    table(['method', ...ns.map((n) => `N=${n}`)], rows),
  ];
  if (rep.steps) {
    const s = rep.steps;
    lines.push(
      `step level vs gold labels (threshold ${s.threshold}${r.chosen_on !== split ? `, chosen on ${r.chosen_on}` : ''}): ProcessBench F1 ${pct(s.processbench.f1)} (first error ${pct(s.processbench.errorAccuracy)} of ${s.processbench.flawed} flawed, no error ${pct(s.processbench.correctAccuracy)} of ${s.processbench.correct} correct), step macro F1 ${pct(s.stepF1.macroF1)}; at 0.5: ${pct(s.at05.processbench.f1)} / ${pct(s.at05.stepF1.macroF1)}`,
    );
  }
  if (rep.pairwise && rep.pairwise.problems > 0) {
    const pw = rep.pairwise;
    lines.push(
      `pairwise: a correct candidate's ${pw.aggregator} step score above an incorrect one's of the same problem in ${pct(pw.accuracy)}% of ${pw.pairs} pairs (95% interval ${pct(pw.interval[0])}–${pct(pw.interval[1])}% over ${pw.problems} problems; chance 50%)`,
    );
  }
  for (const d of rep.differences ?? []) {
    lines.push(`${d.a} minus ${d.b} at N=${d.n}: ${d.diff >= 0 ? '+' : ''}${pct(d.diff)} points (95% interval ${pct(d.interval[0])} to ${pct(d.interval[1])}, paired bootstrap over problems)`);
  }
  return lines.join('\n');
}
