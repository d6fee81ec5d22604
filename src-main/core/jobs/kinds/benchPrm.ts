// The `bench-prm` job: judges a PRM on an imported step-level benchmark as the benchmark's own code does
// (reward/benchMetrics.ts, reward/prmbenchMetrics.ts). Step scores come from a registered PRM (in process
// or over its endpoint; rows it already scored are reused, new scores are committed batch by batch as the
// score job commits them) or from a scores file made elsewhere. The threshold is given (default 0.5), the
// oracle of the sweep on the rows evaluated, or chosen by the sweep on another split. The run is stored as
// one evaluation (config, metrics with provenance, one item per row with its prediction and scores) in one
// transaction at the end, so a refused or failed run stores no evaluation.
import type { Problem } from '../../../../src-shared/domain';
import { DEFAULT_THRESHOLD } from '../../../../src-shared/stepRule';
import { buildInfo } from '../../buildInfo';
import { UserError } from '../../errors';
import { benchScore, bootstrap, firstErrorPrediction, headline, sweep, type BenchFormat, type BenchResult, type BootstrapCI, type SweepPoint } from '../../reward/benchMetrics';
import { benchRowOf, contamination, scoresFromFile, selectBenchRows, type BenchSelection, type ContaminationReport, type LoadedBenchRow } from '../../reward/benchRows';
import type { PrmbenchResult } from '../../reward/prmbenchMetrics';
import { openPrm } from '../../reward/scoreJob';
import type { ScoreItem } from '../../reward/scorer';
import type { Store } from '../../store';
import type { JobHandler } from '../types';

export { BenchPrmJobConfig } from '../../../../src-shared/jobConfigs';
import { BenchPrmJobConfig } from '../../../../src-shared/jobConfigs';
import { modelLabel } from '../../../../src-shared/modelLabel';

export const THRESHOLD_RULE = 'a step is accepted when its score is above the threshold (score > t); sweep 0.00, 0.01, ..., 1.00, ties to the lowest';

export interface BenchSplitMetrics {
  rows: number;
  error_rows: number;
  error_hits: number;
  correct_rows: number;
  correct_hits: number;
  error_acc: number | null;
  correct_acc: number | null;
  f1: number | null;
  /** VisualProcessBench: macro F1 over the split's labelled steps */
  macro_f1?: number;
}

export interface StepMacroF1 {
  macro_f1: number;
  f1_correct: number;
  f1_incorrect: number;
  steps: number;
  correct_steps: number;
  incorrect_steps: number;
}

export interface BenchSweepPoint {
  threshold: number;
  value: number | null;
  f1: number | null;
  error_acc: number | null;
  correct_acc: number | null;
}

/** What a bench-prm run reports and stores as its evaluation's metrics (fractions throughout). */
export interface BenchPrmMetrics {
  kind: 'bench-prm';
  format: BenchFormat;
  dataset: string;
  /** the split evaluated, or null for every split */
  split: string | null;
  /** the splits evaluated (not `splits`: that key marks a Best-of-N evaluation's table) */
  split_names: string[];
  prm: string | null;
  scores_file: { file: string; sha256: string; form: 'by-id' | 'ordered' } | null;
  threshold: number;
  /** fixed: given or the default; oracle: the sweep on the rows evaluated; sweep-on: chosen on another split */
  threshold_mode: 'fixed' | 'oracle' | 'sweep-on';
  chosen_on: string | null;
  /** ProcessBench-style first-error F1 (the mean of the splits'), and the means of the accuracies */
  f1: number | null;
  error_acc: number | null;
  correct_acc: number | null;
  splits_without_f1: string[];
  by_split: Record<string, BenchSplitMetrics>;
  /** the benchmark's own headline, with its bootstrap 95% interval over rows */
  headline: { name: 'f1' | 'macro_f1' | 'prm_score'; value: number | null; ci: BootstrapCI | null };
  /** VisualProcessBench: step macro F1 over every labelled step evaluated, and by data source */
  macro_f1?: StepMacroF1;
  by_source?: Record<string, StepMacroF1 & { rows: number }>;
  prmbench?: PrmbenchResult;
  /** the sweep on the rows evaluated, and (sweep-on) the one the threshold was chosen on */
  sweep: BenchSweepPoint[];
  selection_sweep: BenchSweepPoint[] | null;
  contamination: ContaminationReport | null;
  rows: number;
  provenance: {
    steplab: string;
    commit: string | null;
    prm: string | null;
    scores_file_sha256: string | null;
    threshold_rule: string;
    seed: number;
    resamples: number;
  };
}

export interface BenchPrmResult extends BenchPrmMetrics {
  evaluation: number;
  /** rows the PRM scored in this run (the rest were scored before, or came from the file) */
  scored: number;
}

const points = (ps: SweepPoint[]): BenchSweepPoint[] => ps.map((p) => ({ threshold: p.threshold, value: p.value, f1: p.f1, error_acc: p.errorAcc, correct_acc: p.correctAcc }));

const macro = (m: NonNullable<BenchResult['macroF1']>): StepMacroF1 => ({
  macro_f1: m.macroF1,
  f1_correct: m.f1Good,
  f1_incorrect: m.f1Bad,
  steps: m.steps,
  correct_steps: m.goodSteps,
  incorrect_steps: m.badSteps,
});

/** Everything that would make a run fail after minutes of work, checked before the job is made. */
export function checkBenchPrm(store: Store, config: BenchPrmJobConfig): BenchSelection {
  const sel = selectBenchRows(store, config);
  if (config.prm) store.models.withRole(config.prm, 'prm');
  if (config.scores) scoresFromFile(sel, config.scores, config.dataset);
  return sel;
}

/** The contamination check of a run's PRM over the rows it evaluates (null without a PRM). */
export function benchContamination(store: Store, config: Pick<BenchPrmJobConfig, 'dataset' | 'split' | 'sweepOn' | 'prm'>): ContaminationReport | null {
  if (!config.prm) return null;
  const prm = store.models.withRole(config.prm, 'prm');
  const sel = selectBenchRows(store, config);
  return contamination(store, prm, sel.scored);
}

export const benchPrmJob: JobHandler<BenchPrmJobConfig, BenchPrmResult> = {
  kind: 'bench-prm',
  configSchema: BenchPrmJobConfig,
  async run(ctx) {
    const { store, config } = ctx;
    const sel = checkBenchPrm(store, config);
    const prmRec = config.prm ? store.models.withRole(config.prm, 'prm') : null;
    const prmLabel = prmRec ? modelLabel(prmRec) : null;
    const contaminated = prmRec ? contamination(store, prmRec, sel.scored) : null;

    // 1. step scores
    let scoresOf: Map<number, number[]>;
    let scoredNow = 0;
    if (config.scores) {
      scoresOf = scoresFromFile(sel, config.scores, config.dataset);
    } else {
      const prm = await openPrm(store, config.prm!);
      try {
        const rows = sel.scored;
        for (let start = 0; start < rows.length; start += config.batch) {
          ctx.throwIfCancelled();
          const batch = rows.slice(start, start + config.batch);
          const have = store.scores.stepScores(prm.modelId, batch.map((r) => r.solution.id));
          const todo = batch.filter((r) => have.get(r.solution.id)?.length !== r.solution.steps.length);
          if (todo.length === 0) continue;
          const problems = new Map<number, Problem>();
          const items: ScoreItem[] = [];
          for (const r of todo) {
            let p = problems.get(r.solution.problemId);
            if (!p) problems.set(r.solution.problemId, (p = store.problems.get(r.solution.problemId)));
            items.push({ question: p.question, steps: r.solution.steps.map((s) => s.text), image: await prm.scorer.imageFor(store, p) });
          }
          const scores = await prm.scorer.score(items, ctx.signal);
          todo.forEach((r, i) => {
            if (scores[i].length !== r.solution.steps.length) {
              throw new UserError(
                `row "${r.bench.id}": ${prm.label} scored ${scores[i].length} of its ${r.solution.steps.length} steps (the rest did not fit its context of ${prm.scorer.manifest.contextLength} tokens); nothing was stored for this batch`,
              );
            }
          });
          scoredNow += todo.length;
          ctx.commit(
            () => store.scores.setStepScores(prm.modelId, todo.map((r, i) => ({ solutionId: r.solution.id, scores: scores[i] }))),
            { done: Math.min(start + batch.length, rows.length), total: rows.length, message: `scoring: ${scoredNow} rows` },
            { phase: 'score' },
          );
        }
        scoresOf = store.scores.stepScores(prm.modelId, rows.map((r) => r.solution.id));
      } finally {
        await prm.release();
      }
    }

    // 2. metrics
    const toRows = (rows: LoadedBenchRow[]) => rows.map((r) => benchRowOf(r, scoresOf.get(r.solution.id)!));
    const evaluated = toRows(sel.evaluated);
    const format = sel.format;
    const evalSweep = sweep(format, evaluated);
    let threshold = config.threshold ?? DEFAULT_THRESHOLD;
    let mode: BenchPrmMetrics['threshold_mode'] = 'fixed';
    let selectionSweep: SweepPoint[] | null = null;
    if (config.sweep) {
      threshold = evalSweep.best;
      mode = 'oracle';
    } else if (config.sweepOn) {
      const s = sweep(format, toRows(sel.selection));
      threshold = s.best;
      selectionSweep = s.points;
      mode = 'sweep-on';
    }
    ctx.progress({ done: 0, total: null, message: `metrics at threshold ${threshold}` });
    const r = benchScore(format, evaluated, threshold);
    const ci = config.resamples > 0 ? bootstrap(evaluated, (s) => headline(format, s, threshold), { resamples: config.resamples, seed: config.seed }) : null;
    const build = buildInfo();
    const metrics: BenchPrmMetrics = {
      kind: 'bench-prm',
      format,
      dataset: config.dataset,
      split: config.split ?? null,
      split_names: Object.keys(r.bySplit),
      prm: prmLabel,
      scores_file: config.scores ? { file: config.scores.file, sha256: config.scores.sha256, form: config.scores.form } : null,
      threshold,
      threshold_mode: mode,
      chosen_on: mode === 'oracle' ? (config.split ?? 'the rows evaluated') : mode === 'sweep-on' ? config.sweepOn! : null,
      f1: r.f1,
      error_acc: r.errorAcc,
      correct_acc: r.correctAcc,
      splits_without_f1: r.splitsWithoutF1,
      by_split: Object.fromEntries(
        Object.entries(r.bySplit).map(([sp, s]) => [
          sp,
          {
            rows: s.rows,
            error_rows: s.errorRows,
            error_hits: s.errorHits,
            correct_rows: s.correctRows,
            correct_hits: s.correctHits,
            error_acc: s.errorAcc,
            correct_acc: s.correctAcc,
            f1: s.f1,
            ...(s.macroF1 ? { macro_f1: s.macroF1.macroF1 } : {}),
          },
        ]),
      ),
      headline: { name: r.headline.name, value: r.headline.value, ci },
      ...(r.macroF1 ? { macro_f1: macro(r.macroF1) } : {}),
      ...(r.bySource ? { by_source: Object.fromEntries(Object.entries(r.bySource).map(([k, v]) => [k, { ...macro(v), rows: v.rows }])) } : {}),
      ...(r.prmbench ? { prmbench: r.prmbench } : {}),
      sweep: points(evalSweep.points),
      selection_sweep: selectionSweep ? points(selectionSweep) : null,
      contamination: contaminated,
      rows: evaluated.length,
      provenance: {
        steplab: build.version,
        commit: build.commit,
        prm: prmLabel,
        scores_file_sha256: config.scores?.sha256 ?? null,
        threshold_rule: THRESHOLD_RULE,
        seed: config.seed,
        resamples: config.resamples,
      },
    };

    // 3. the evaluation, in one transaction
    const datasetId = store.datasets.requireId(config.dataset);
    const source = prmLabel ?? config.scores!.file;
    const evaluation = store.transaction(() => {
      const id = store.evaluations.create({
        name: config.name ?? `bench-prm ${config.dataset}${config.split ? `/${config.split}` : ''} ${source}`,
        datasetId,
        policyId: null,
        rewardId: prmRec?.id ?? null,
        config: {
          kind: 'bench-prm',
          dataset: config.dataset,
          split: config.split ?? null,
          format,
          prm: prmLabel,
          scores_file: metrics.scores_file,
          threshold: config.threshold ?? null,
          sweep: config.sweep,
          sweep_on: config.sweepOn ?? null,
          seed: config.seed,
          resamples: config.resamples,
        },
        jobId: ctx.job.id,
      });
      store.evaluations.addItems(
        id,
        sel.evaluated.map((row, i) => {
          const sc = evaluated[i].scores;
          const prediction = firstErrorPrediction(sc, threshold);
          return {
            problemId: row.solution.problemId,
            solutionId: row.solution.id,
            scores: { label: row.bench.label, prediction, match: prediction === row.bench.label ? 1 : 0, steps: sc.length, ...Object.fromEntries(sc.map((s, k) => [`s${k}`, s])) },
          };
        }),
      );
      store.evaluations.setMetrics(id, metrics as unknown as Record<string, unknown>);
      return id;
    });
    return { evaluation, scored: scoredNow, ...metrics };
  },
};
