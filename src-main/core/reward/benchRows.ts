// The benchmark rows a bench-prm run judges: read from a dataset's imported rows (data/benchmarks), the
// split(s) it evaluates and chooses a threshold on, the step scores of a scores file matched to them
// (refused, naming the row, when a count differs from the row's steps), and the contamination check of a
// PRM's training annotation set.
import type { BenchFormat } from '../../../src-shared/benchmarks';
import type { BenchPrmJobConfig } from '../../../src-shared/jobConfigs';
import type { ModelRecord } from '../../../src-shared/domain';
import { storedBenchmark, type StoredBenchmarkRow } from '../data/benchmarks/import';
import { FORMAT_NAMES } from '../data/benchmarks/common';
import { problemFingerprint } from '../data/fingerprint';
import { UserError } from '../errors';
import type { Store } from '../store';
import type { Solution } from '../store/solutions';
import type { BenchRow } from './benchMetrics';
import { modelLabel } from '../../../src-shared/modelLabel';

export interface LoadedBenchRow {
  solution: Solution;
  bench: StoredBenchmarkRow;
}

/** A dataset's benchmark rows: splits in the order they were imported, rows in their file's order. */
export function loadBenchRows(store: Store, dataset: string): LoadedBenchRow[] {
  store.datasets.requireId(dataset);
  const rows = store.solutions
    .benchmarkRows(dataset)
    .map((solution) => ({ solution, bench: storedBenchmark(solution)! }))
    .filter((r) => r.bench);
  if (rows.length === 0) throw new UserError(`dataset "${dataset}" holds no benchmark rows (import a ProcessBench, VisualProcessBench or PRMBench file into it first)`);
  const splitOrder = new Map<string, number>();
  for (const r of rows) if (!splitOrder.has(r.bench.split)) splitOrder.set(r.bench.split, splitOrder.size);
  return rows.sort((a, b) => splitOrder.get(a.bench.split)! - splitOrder.get(b.bench.split)! || a.bench.index - b.bench.index || a.solution.id - b.solution.id);
}

export interface BenchSelection {
  format: BenchFormat;
  /** every row of the dataset (a by-id scores file may name any of them) */
  all: LoadedBenchRow[];
  /** the rows evaluated */
  evaluated: LoadedBenchRow[];
  /** the rows the threshold is chosen on (sweepOn), else none */
  selection: LoadedBenchRow[];
  /** every row that needs scores: evaluated and selection */
  scored: LoadedBenchRow[];
}

/** The rows of a run, refused in one line where a split is missing or the rows mix benchmarks. */
export function selectBenchRows(store: Store, config: Pick<BenchPrmJobConfig, 'dataset' | 'split' | 'sweepOn'>): BenchSelection {
  const all = loadBenchRows(store, config.dataset);
  const splits = [...new Set(all.map((r) => r.bench.split))];
  const ofSplit = (sp: string, what: string): LoadedBenchRow[] => {
    const rows = all.filter((r) => r.bench.split === sp);
    if (rows.length === 0) throw new UserError(`${what}: dataset "${config.dataset}" has no benchmark rows in split "${sp}" (have: ${splits.join(', ')})`);
    return rows;
  };
  const evaluated = config.split ? ofSplit(config.split, '--split') : all;
  const selection = config.sweepOn ? ofSplit(config.sweepOn, '--sweep-on') : [];
  const scored = [...evaluated, ...selection];
  const formats = [...new Set(scored.map((r) => r.bench.format))];
  if (formats.length > 1) throw new UserError(`dataset "${config.dataset}" mixes ${formats.map((f) => FORMAT_NAMES[f]).join(' and ')} rows: evaluate one benchmark's split at a time (--split)`);
  return { format: formats[0], all, evaluated, selection, scored };
}

/**
 * The scores of a scores file for the rows that need them, by solution id. By id: every such row must
 * have a line, every line a row of the dataset. Bare arrays: one line per row of the one split scored,
 * in its file's order. A count that differs from the row's steps is refused naming the row.
 */
export function scoresFromFile(sel: BenchSelection, scores: NonNullable<BenchPrmJobConfig['scores']>, dataset: string): Map<number, number[]> {
  const out = new Map<number, number[]>();
  const check = (r: LoadedBenchRow, s: number[], line: number): void => {
    if (s.length !== r.solution.steps.length) {
      throw new UserError(`row "${r.bench.id}": ${s.length} score${s.length === 1 ? '' : 's'} for its ${r.solution.steps.length} steps (${scores.file} line ${line})`);
    }
    out.set(r.solution.id, s);
  };
  if (scores.form === 'by-id') {
    const byId = new Map(sel.all.map((r) => [r.bench.id, r]));
    const lineOf = new Map<string, { line: number; scores: number[] }>();
    for (const l of scores.lines) {
      if (!byId.has(l.id!)) throw new UserError(`${scores.file} line ${l.line}: no row "${l.id}" in dataset "${dataset}"`);
      lineOf.set(l.id!, l);
    }
    const missing = sel.scored.filter((r) => !lineOf.has(r.bench.id));
    if (missing.length) {
      const shown = missing.slice(0, 5).map((r) => `"${r.bench.id}"`).join(', ');
      throw new UserError(`${scores.file} has no scores for row ${shown}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`);
    }
    for (const r of sel.scored) check(r, lineOf.get(r.bench.id)!.scores, lineOf.get(r.bench.id)!.line);
    return out;
  }
  const splits = [...new Set(sel.scored.map((r) => r.bench.split))];
  if (splits.length > 1) {
    throw new UserError(`${scores.file} holds bare score arrays, which follow one file's row order, but ${splits.length} splits are scored (${splits.join(', ')}): give --split, or give the scores by row id`);
  }
  if (scores.lines.length !== sel.scored.length) {
    throw new UserError(`${scores.file} has ${scores.lines.length} lines of scores for the ${sel.scored.length} rows of split "${splits[0]}" (bare arrays are read in the imported file's row order)`);
  }
  sel.scored.forEach((r, i) => check(r, scores.lines[i].scores, scores.lines[i].line));
  return out;
}

/** A stored row with its scores, as the metrics read it. */
export function benchRowOf(r: LoadedBenchRow, scores: readonly number[]): BenchRow {
  const b = r.bench;
  return {
    id: b.id,
    split: b.split,
    label: b.label,
    gold: r.solution.steps.map((s) => (s.goldLabel === 0 || s.goldLabel === 1 ? s.goldLabel : null)),
    scores,
    ...(b.format === 'visualprocessbench' && typeof b.data_source === 'string' ? { source: b.data_source } : {}),
    ...(b.format === 'prmbench'
      ? { classification: String(b.classification ?? 'unknown'), errorSteps: (b.errorSteps as number[] | undefined) ?? [], ...(typeof b.twin === 'string' ? { twin: b.twin } : {}) }
      : {}),
  };
}

export interface ContaminationReport {
  /** whether the PRM's provenance names a training annotation set that could be read */
  checked: boolean;
  /** why not, when not */
  reason: string | null;
  annotationSet: string | null;
  trainingProblems: number;
  /** benchmark problems met in the training set, and the rows that use them */
  problems: number;
  rows: number;
  byFingerprint: number;
  byQuestion: number;
  /** the first 50 rows, with how their problem was met */
  list: { id: string; split: string; how: 'fingerprint' | 'question'; trainingProblemId: number }[];
}

/** Question text as the check compares it: NFKC, <image> tokens out, whitespace runs as one space, lower case. */
export function normaliseQuestion(q: string): string {
  return q.normalize('NFKC').replace(/<image>/gi, ' ').replace(/\s+/g, ' ').trim().toLowerCase();
}

/**
 * Benchmark problems that appear in the PRM's training annotation set (provenance.annotationSet), by
 * content fingerprint or by normalised question text.
 */
export function contamination(store: Store, prm: ModelRecord, rows: readonly LoadedBenchRow[]): ContaminationReport {
  const set = (prm.provenance as { annotationSet?: unknown } | null)?.annotationSet;
  const empty = { annotationSet: null, trainingProblems: 0, problems: 0, rows: 0, byFingerprint: 0, byQuestion: 0, list: [] };
  if (typeof set !== 'string' || set === '') {
    return { ...empty, checked: false, reason: `the provenance of ${modelLabel(prm)} names no training annotation set` };
  }
  const ids = store.annotations.problemIdsOfSet(set);
  if (ids.length === 0) return { ...empty, annotationSet: set, checked: false, reason: `annotation set "${set}" (the provenance of ${modelLabel(prm)}) is not in this workspace` };
  const byFp = new Map<string, number>();
  const byQ = new Map<string, number>();
  for (const id of ids) {
    const p = store.problems.get(id);
    byFp.set(problemFingerprint({ question: p.question, answer: p.answer, answerType: p.answerType, imageHashes: p.images.map((i) => i.hash) }), id);
    const q = normaliseQuestion(p.question);
    if (!byQ.has(q)) byQ.set(q, id);
  }
  const met = new Map<number, { how: 'fingerprint' | 'question'; trainingProblemId: number } | null>();
  const list: ContaminationReport['list'] = [];
  let rowsMet = 0;
  for (const r of rows) {
    const pid = r.solution.problemId;
    if (!met.has(pid)) {
      const p = store.problems.get(pid);
      const fp = byFp.get(problemFingerprint({ question: p.question, answer: p.answer, answerType: p.answerType, imageHashes: p.images.map((i) => i.hash) }));
      const q = fp === undefined ? byQ.get(normaliseQuestion(p.question)) : undefined;
      met.set(pid, fp !== undefined ? { how: 'fingerprint', trainingProblemId: fp } : q !== undefined ? { how: 'question', trainingProblemId: q } : null);
    }
    const m = met.get(pid);
    if (!m) continue;
    rowsMet++;
    if (list.length < 50) list.push({ id: r.bench.id, split: r.bench.split, ...m });
  }
  const hits = [...met.values()].filter((m): m is NonNullable<typeof m> => m !== null);
  return {
    checked: true,
    reason: null,
    annotationSet: set,
    trainingProblems: ids.length,
    problems: hits.length,
    rows: rowsMet,
    byFingerprint: hits.filter((h) => h.how === 'fingerprint').length,
    byQuestion: hits.filter((h) => h.how === 'question').length,
    list,
  };
}
