// The cycle's build: the cycle's training set (correct and corrected paths, and the distilled reference solutions when asked).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Manifest } from '../../../../src-shared/manifest';
import { UserError } from '../../errors';
import type { CycleExample, CycleRecord } from '../../store/cycles';
import type { NewSolution } from '../../store/solutions';
import { loadExamples, writeTrainingSet } from '../trainingSet';
import { collected } from './verify';
import { corrected } from './regenerate';
import type { CycleRunner } from '../cycleJob';

export function build(run: CycleRunner, c: CycleRecord): void {
  const b = run.cfg.build;
  const collect = c.stages.find((s) => s.stage === 'collect')!;
  const correctIds = (collect.artifacts.solutionIds as number[] | undefined) ?? collected(run, c).map((s) => s.id);
  const fresh: CycleExample[] = correctIds.map((id) => ({ solutionId: id, source: 'correct', reflection: null }));
  let correctedRows: CycleExample[] = run.cfg.reflect.enabled
    ? corrected(run, c).map((k) => ({ solutionId: k.solution.id, source: 'corrected', reflection: b.reflectionInTraining === 'prompt' ? k.reflection : null }))
    : [];
  if (b.correctedPerCorrect !== null) correctedRows = correctedRows.slice(0, Math.floor(b.correctedPerCorrect * fresh.length));
  const carried: CycleExample[] = [];
  if (b.pool === 'cumulative' && c.idx > 1) {
    const prev = run.store.cycles.byRunIdx(run.cp.runId, c.idx - 1);
    if (prev) carried.push(...run.store.cycles.examples(prev.id));
  }
  const distilled: CycleExample[] = distilledRows(run, c).map((id) => ({ solutionId: id, source: 'distilled', reflection: null }));
  const seen = new Set<number>();
  const rows = [...distilled, ...carried.filter((e) => e.source !== 'distilled'), ...fresh, ...correctedRows].filter((e) => (seen.has(e.solutionId) ? false : (seen.add(e.solutionId), true)));
  const inRows = new Set(rows);
  const kept = (xs: readonly CycleExample[]): number => xs.filter((e) => inRows.has(e)).length;
  if (rows.length === 0) throw new UserError('no training examples: no sample was verified correct and none was corrected; raise infer.samples or infer.problems');
  const policy = run.store.models.get(run.policyOf(c));
  const manifest = Manifest.parse(policy.manifest);
  const dir = run.workDir(c.idx);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'train.jsonl');
  run.store.transaction(() => {
    run.store.cycles.clearExamples(c.id);
    run.store.cycles.addExamples(c.id, rows);
  });
  const written = writeTrainingSet(run.store, loadExamples(run.store, c.id), file, 'trainer', manifest);
  run.finishStage(
    // the counts are of the rows kept: a row in two sources counts once, in the first of distilled, carried over, correct, corrected
    { train_examples: rows.length, correct: kept(fresh), corrected: kept(correctedRows), distilled: kept(distilled), carried_over: kept(carried.filter((e) => e.source !== 'distilled')) },
    { file, trainingDataHash: written.hash, images: written.images, reflectionInTraining: b.reflectionInTraining, pool: b.pool },
  );
}

/**
 * The distilled stage-0 rows of this cycle as solutions (role `distilled`): the reference solutions of the
 * last `build.distilled` train-split problems. Stored once per cycle, so a resumed build reuses them.
 */
export function distilledRows(run: CycleRunner, c: CycleRecord): number[] {
  const n = run.cfg.build.distilled;
  if (n === 0) return [];
  const existing = run.store.solutions.forCycle(c.id, 'distilled');
  if (existing.length) return existing.map((s) => s.id);
  const all = run.splitProblems(run.cfg.trainSplit);
  const pick = all.slice(Math.max(0, all.length - n));
  const rows: NewSolution[] = [];
  for (const p of pick) {
    const ref = p.meta.reference_steps;
    if (!Array.isArray(ref) || ref.length === 0) continue;
    const steps = ref.map((r) => (typeof r === 'string' ? r : String((r as { text?: unknown }).text ?? '')));
    rows.push({ problemId: p.id, modelId: null, origin: 'import', finalAnswer: p.answer, verdict: 'correct', settings: { reference: true }, jobId: run.ctx.job.id, cycleId: c.id, cycleRole: 'distilled', steps: steps.map((text) => ({ text, goldLabel: null })) });
  }
  if (rows.length === 0) throw new UserError(`build.distilled is ${n}, but no problem of the "${run.cfg.trainSplit}" split has reference_steps to replay`);
  return run.store.solutions.insertMany(rows);
}
