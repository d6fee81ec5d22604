// The `cycle` job: MathSE's self-evolving loop (DESIGN.md "MathSE cycle") as one resumable job.
// Cycle 0 evaluates the stage-0 policy; each later cycle runs infer → verify → collect → reflect →
// regenerate → build → finetune → register → evaluate. Every stage writes its rows and the job's
// checkpoint (cycle, stage, cursor) in one transaction, so a run killed at any instant resumes at the
// same stage and cursor without redoing finished work or duplicating rows. The policy and ORM are reached
// through CyclePorts, so the orchestration is testable with scripted models.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CYCLE_STAGES, CycleConfig, type CycleMetrics, type CycleStage, type OrmVerdictRecord } from '../../../src-shared/cycles';
import type { Problem } from '../../../src-shared/domain';
import { Manifest } from '../../../src-shared/manifest';
import { verifyProblem } from '../data/verify';
import { labelSolution } from '../demo/check';
import { CancelledError, UserError } from '../errors';
import { demoCheckable } from '../demo/check';
import type { JobContext, JobHandler } from '../jobs/types';
import { registerModel } from '../models/registry';
import type { Store } from '../store';
import type { CycleExample, CycleRecord } from '../store/cycles';
import type { NewSolution, Solution } from '../store/solutions';
import { REFERENCE_TRAINER, runTrainerInJob } from '../training/protocol';
import { checkCycleRun, runNameFor } from './check';
import { type CyclePorts, enginePorts, type GenOutput, type OrmHandle, type PolicyHandle } from './ports';
import { loadExamples, writeTrainingSet } from './trainingSet';

export interface CycleCheckpoint {
  runId: number;
  cycle: number;
  stage: CycleStage;
  /** items of the stage done (problems, paths), or 0 */
  cursor: number;
}

export interface CycleRunResult {
  runId: number;
  name: string;
  cycles: ({ cycle: number; policy: string } & CycleMetrics)[];
  base_test_accuracy: number | null;
  base_pass_at_k: number | null;
}

/** Problems decoded together in one batch. */
const PROBLEM_BATCH = 8;
/** Solutions the ORM judges together. */
const ORM_BATCH = 16;

type Ctx = JobContext<CycleConfig>;

function norm(steps: readonly string[]): string {
  return steps.map((s) => s.replace(/\s+/g, ' ').trim().toLowerCase()).join('\n');
}

/** What the regenerating policy reads: the ORM's analysis and suggestion on one line. */
export function reflectionText(v: Pick<OrmVerdictRecord, 'errorAnalysis' | 'improvementSuggestion'>): string {
  const a = v.errorAnalysis.trim().replace(/[.\s]+$/, '');
  const s = v.improvementSuggestion.trim();
  return [a, s].filter(Boolean).join('. ');
}

function checked(p: Problem, steps: readonly string[]): { verdict: NewSolution['verdict']; finalAnswer: string | null; gold: (0 | 1)[] | null; goldFirstError: number | null } {
  const v = verifyProblem(p, steps.join('\n'));
  const check = demoCheckable(p);
  const labels = check ? labelSolution(check, steps) : null;
  return { verdict: v.verdict, finalAnswer: v.extracted, gold: labels ? labels.labels : null, goldFirstError: labels ? labels.firstError : null };
}

/** Whether a solution counts as right: verified against gold, and on the demo domain every step right too. */
function isRight(s: Solution): boolean {
  return s.verdict === 'correct';
}

function difficulty(p: Problem): string {
  const d = p.meta.difficulty;
  return typeof d === 'number' || typeof d === 'string' ? String(d) : 'all';
}

function label(store: Store, modelId: number): string {
  const m = store.models.get(modelId);
  return `${m.name}@${m.version}`;
}

class CycleRunner {
  private readonly store: Store;
  private readonly cfg: CycleConfig;
  private cp: CycleCheckpoint;
  private runName = '';
  private datasetId = 0;
  private baseModelId = 0;

  constructor(
    private readonly ctx: Ctx,
    private readonly ports: CyclePorts,
    cp: CycleCheckpoint,
  ) {
    this.store = ctx.store;
    this.cfg = ctx.config;
    this.cp = cp;
    const run = this.store.cycles.run(cp.runId);
    this.runName = run.name;
    this.datasetId = run.datasetId;
    this.baseModelId = run.baseModelId;
  }

  private get totalStages(): number {
    return 1 + this.cfg.cycles * CYCLE_STAGES.length;
  }

  private stagesDone(): number {
    return this.cp.cycle === 0 ? 0 : 1 + (this.cp.cycle - 1) * CYCLE_STAGES.length + CYCLE_STAGES.indexOf(this.cp.stage);
  }

  private progress(message: string): { done: number; total: number; message: string } {
    return { done: this.stagesDone(), total: this.totalStages, message: `cycle ${this.cp.cycle}/${this.cfg.cycles} · ${this.cp.stage}${message ? ` · ${message}` : ''}` };
  }

  private cycle(): CycleRecord {
    const c = this.store.cycles.byRunIdx(this.cp.runId, this.cp.cycle);
    if (!c) throw new Error(`cycle ${this.cp.cycle} of run ${this.cp.runId} is missing`);
    return c;
  }

  private workDir(idx: number): string {
    return join(this.store.paths.dir, 'cycles', this.runName, `c${idx}`);
  }

  /** Commits fn with the cursor moved to `cursor` within the current stage. */
  private commitCursor<T>(fn: () => T, cursor: number, message: string): T {
    this.cp = { ...this.cp, cursor };
    return this.ctx.commit(fn, this.progress(message), this.cp);
  }

  /** Marks the stage done (with fn's writes) and moves the checkpoint to the next stage or cycle. */
  private finishStage(counts: Record<string, number>, artifacts: Record<string, unknown>, fn?: () => void, status: 'done' | 'skipped' = 'done'): void {
    const c = this.cycle();
    const stage = this.cp.stage;
    const next = this.nextPosition();
    this.ctx.commit(
      () => {
        fn?.();
        this.store.cycles.setStage(c.id, stage, { status, counts, artifacts });
        if (next.cycle !== c.idx) {
          // the cycle is complete: open the next one in the same transaction
          if (next.cycle <= this.cfg.cycles && !this.store.cycles.byRunIdx(this.cp.runId, next.cycle)) {
            this.store.cycles.create({ name: this.runName, runId: this.cp.runId, idx: next.cycle, parentModelId: c.modelId, config: {}, jobId: this.ctx.job.id });
          }
        }
      },
      { ...this.progress(''), done: this.stagesDone() + 1 },
      next,
    );
    this.cp = next;
  }

  private nextPosition(): CycleCheckpoint {
    const { cycle, stage } = this.cp;
    if (cycle === 0 || stage === 'evaluate') return { runId: this.cp.runId, cycle: cycle + 1, stage: 'infer', cursor: 0 };
    return { runId: this.cp.runId, cycle, stage: CYCLE_STAGES[CYCLE_STAGES.indexOf(stage) + 1], cursor: 0 };
  }

  async run(): Promise<CycleRunResult> {
    while (this.cp.cycle <= this.cfg.cycles) {
      this.ctx.throwIfCancelled();
      const c = this.cycle();
      if (c.idx === 0 && this.cp.stage !== 'evaluate') this.cp = { ...this.cp, stage: 'evaluate', cursor: 0 };
      const stage = this.cp.stage;
      if (c.status !== 'running') this.store.cycles.setStatus(c.id, 'running');
      this.store.cycles.setStage(c.id, stage, { status: 'running' });
      this.ctx.progress(this.progress(''));
      try {
        await this.stage(c);
      } catch (e) {
        if (!(e instanceof CancelledError)) {
          const message = (e as Error).message;
          this.store.cycles.setStage(c.id, stage, { status: 'failed', artifacts: { ...(c.stages.find((s) => s.stage === stage)?.artifacts ?? {}), error: message } });
          this.store.cycles.setStatus(c.id, 'failed');
          throw e instanceof UserError ? new UserError(`cycle ${c.idx}, stage ${stage}: ${message}`) : e;
        }
        this.store.cycles.setStage(c.id, stage, { status: 'pending' });
        throw e;
      }
    }
    return this.result();
  }

  private async stage(c: CycleRecord): Promise<void> {
    // cycle 0 only measures the stage-0 policy
    if (c.idx === 0) return this.evaluate(c, this.baseModelId);
    switch (this.cp.stage) {
      case 'infer':
        return this.infer(c);
      case 'verify':
        return this.verify(c);
      case 'collect':
        return this.collect(c);
      case 'reflect':
        return this.reflect(c);
      case 'regenerate':
        return this.regenerate(c);
      case 'build':
        return this.build(c);
      case 'finetune':
        return this.finetune(c);
      case 'register':
        return this.register(c);
      case 'evaluate':
        return this.evaluate(c, c.modelId ?? this.fail(`cycle ${c.idx} has no registered model to evaluate`));
    }
  }

  private fail(message: string): never {
    throw new UserError(message);
  }

  private policyOf(c: CycleRecord): number {
    return c.parentModelId ?? this.baseModelId;
  }

  // ---- problems ---------------------------------------------------------------------------

  private splitProblems(split: string): Problem[] {
    return [...this.store.problems.iterateDataset(this.datasetId, { split })];
  }

  /** The cycle's slice of the train split: the first `infer.problems`, or with rotate a window that moves each cycle. */
  trainPool(idx: number): Problem[] {
    const all = this.splitProblems(this.cfg.trainSplit);
    const n = this.cfg.infer.problems;
    if (n === null || n >= all.length) return all;
    if (!this.cfg.infer.rotate) return all.slice(0, n);
    const start = ((idx - 1) * n) % all.length;
    return Array.from({ length: n }, (_, i) => all[(start + i) % all.length]);
  }

  private evalPool(): Problem[] {
    const all = this.splitProblems(this.cfg.evalSplit);
    return this.cfg.evaluate.problems === null ? all : all.slice(0, this.cfg.evaluate.problems);
  }

  private async withPolicy<T>(modelId: number, fn: (p: PolicyHandle) => Promise<T>): Promise<T> {
    const p = await this.ports.openPolicy(modelId);
    try {
      return await fn(p);
    } finally {
      await p.release();
    }
  }

  private async withOrm<T>(fn: (o: OrmHandle) => Promise<T>): Promise<T> {
    const ref = this.cfg.orm ?? this.fail('no ORM configured');
    const o = await this.ports.openOrm(this.store.models.byName(ref).id, this.cfg.reflect.maxNewTokens);
    try {
      return await fn(o);
    } finally {
      await o.release();
    }
  }

  // ---- stages -----------------------------------------------------------------------------

  private async infer(c: CycleRecord): Promise<void> {
    const pool = this.trainPool(c.idx);
    const { samples, temperature, maxNewTokens, seed } = this.cfg.infer;
    const policyId = this.policyOf(c);
    await this.withPolicy(policyId, async (policy) => {
      for (let start = this.cp.cursor; start < pool.length; start += PROBLEM_BATCH) {
        this.ctx.throwIfCancelled();
        const batch = pool.slice(start, start + PROBLEM_BATCH);
        const outs = await policy.generate(
          batch.map((p) => ({ problem: p, prefixSteps: [], reflection: null, n: samples, seedKey: [seed, p.id, c.idx, 1] })),
          { temperature, maxNewTokens },
          this.ctx.signal,
        );
        const rows: NewSolution[] = [];
        batch.forEach((p, i) =>
          outs[i].forEach((o) =>
            rows.push({
              problemId: p.id,
              modelId: policyId,
              origin: 'generate',
              finalAnswer: null,
              verdict: null,
              settings: { temperature, seed, finish: o.finish, tokens: o.tokens },
              provider: policy.provider,
              jobId: this.ctx.job.id,
              cycleId: c.id,
              cycleRole: 'sample',
              steps: o.steps.map((text) => ({ text })),
            }),
          ),
        );
        const done = Math.min(start + batch.length, pool.length);
        this.commitCursor(() => this.store.solutions.insertMany(rows), done, `${done}/${pool.length} problems`);
      }
    });
    const n = this.store.solutions.countForCycle(c.id, 'sample');
    this.finishStage({ problems: pool.length, samples: n }, { policy: label(this.store, policyId), samplesPerProblem: samples, temperature });
  }

  private async verify(c: CycleRecord): Promise<void> {
    const samples = this.store.solutions.forCycle(c.id, 'sample');
    const problems = new Map<number, Problem>();
    const updates = samples.map((s) => {
      const p = problems.get(s.problemId) ?? this.store.problems.get(s.problemId);
      problems.set(p.id, p);
      const r = checked(p, s.steps.map((x) => x.text));
      return { id: s.id, problemId: s.problemId, verdict: r.verdict!, finalAnswer: r.finalAnswer, goldLabels: r.gold, strict: r.gold ? r.goldFirstError === null && r.verdict === 'correct' : null };
    });
    const solved = new Set(updates.filter((u) => u.verdict === 'correct').map((u) => u.problemId));
    const counts = {
      samples: updates.length,
      correct: updates.filter((u) => u.verdict === 'correct').length,
      incorrect: updates.filter((u) => u.verdict === 'incorrect').length,
      unparseable: updates.filter((u) => u.verdict === 'unparseable').length,
      strict_correct: updates.filter((u) => u.strict === true).length,
      problems_solved: solved.size,
      problems: problems.size,
    };
    this.finishStage(counts, {}, () => this.store.solutions.setVerification(updates));
  }

  /** Verified-correct samples, deduplicated per problem and capped. */
  private collected(c: CycleRecord): Solution[] {
    const byProblem = new Map<number, { seen: Set<string>; kept: Solution[] }>();
    for (const s of this.store.solutions.forCycle(c.id, 'sample')) {
      if (!isRight(s)) continue;
      const g = byProblem.get(s.problemId) ?? { seen: new Set<string>(), kept: [] };
      byProblem.set(s.problemId, g);
      const key = norm(s.steps.map((x) => x.text));
      if (g.seen.has(key) || g.kept.length >= this.cfg.collect.maxPerProblem) continue;
      g.seen.add(key);
      g.kept.push(s);
    }
    return [...byProblem.values()].flatMap((g) => g.kept);
  }

  private collect(c: CycleRecord): void {
    const kept = this.collected(c);
    const correct = this.store.solutions.forCycle(c.id, 'sample').filter(isRight).length;
    this.finishStage({ correct_paths: kept.length, duplicates_or_over_cap: correct - kept.length, problems: new Set(kept.map((s) => s.problemId)).size }, { solutionIds: kept.map((s) => s.id) });
  }

  /** Wrong samples the ORM judges: deduplicated per problem and capped, in solution order. */
  private reflectTargets(c: CycleRecord): Solution[] {
    const byProblem = new Map<number, { seen: Set<string>; n: number }>();
    const out: Solution[] = [];
    for (const s of this.store.solutions.forCycle(c.id, 'sample')) {
      if (isRight(s) || s.steps.length === 0) continue;
      const g = byProblem.get(s.problemId) ?? { seen: new Set<string>(), n: 0 };
      byProblem.set(s.problemId, g);
      const key = norm(s.steps.map((x) => x.text));
      if (g.seen.has(key) || g.n >= this.cfg.reflect.maxPerProblem) continue;
      g.seen.add(key);
      g.n++;
      out.push(s);
    }
    return out;
  }

  private async reflect(c: CycleRecord): Promise<void> {
    if (!this.cfg.reflect.enabled) return this.finishStage({}, { reason: 'reflect.enabled is false: correct paths only' }, undefined, 'skipped');
    const targets = this.reflectTargets(c);
    await this.withOrm(async (orm) => {
      for (let start = this.cp.cursor; start < targets.length; start += ORM_BATCH) {
        this.ctx.throwIfCancelled();
        const batch = targets.slice(start, start + ORM_BATCH);
        const verdicts = await orm.judge(
          batch.map((s) => ({ problem: this.store.problems.get(s.problemId), steps: s.steps.map((x) => x.text) })),
          this.ctx.signal,
        );
        const done = Math.min(start + batch.length, targets.length);
        this.commitCursor(() => batch.forEach((s, i) => this.store.solutions.setOrm(s.id, { ...verdicts[i], model: orm.label })), done, `${done}/${targets.length} wrong paths`);
      }
    });
    const judged = targets.map((t) => this.store.solutions.get(t.id));
    const rec = (s: Solution) => s.orm as OrmVerdictRecord;
    const wrong = judged.filter((s) => rec(s).ok && rec(s).status === 'WRONG');
    const goldKnown = wrong.filter((s) => s.steps.some((x) => x.goldLabel !== null));
    const exact = goldKnown.filter((s) => {
      const fe = s.steps.findIndex((x) => x.goldLabel === 0);
      return rec(s).errorStep !== null && fe >= 0 && rec(s).errorStep === fe + 1;
    });
    this.finishStage(
      {
        judged: judged.length,
        diagnosed: wrong.length,
        judged_correct: judged.filter((s) => rec(s).ok && rec(s).status === 'CORRECT').length,
        unparsed: judged.filter((s) => !rec(s).ok).length,
        first_error_known: goldKnown.length,
        first_error_exact: exact.length,
      },
      { orm: this.cfg.orm },
    );
  }

  private diagnosed(c: CycleRecord): Solution[] {
    return this.reflectTargets(c)
      .map((t) => this.store.solutions.get(t.id))
      .filter((s) => {
        const v = s.orm as OrmVerdictRecord | null;
        return Boolean(v?.ok && v.status === 'WRONG');
      });
  }

  private async regenerate(c: CycleRecord): Promise<void> {
    if (!this.cfg.reflect.enabled) return this.finishStage({}, { reason: 'reflect.enabled is false: correct paths only' }, undefined, 'skipped');
    const rg = this.cfg.regenerate;
    const parents = this.diagnosed(c);
    const regenId = rg.regenerator ? this.store.models.byName(rg.regenerator).id : this.policyOf(c);
    await this.withPolicy(regenId, (policy) =>
      this.withOrm(async (orm) => {
        for (let start = this.cp.cursor; start < parents.length; start += PROBLEM_BATCH) {
          this.ctx.throwIfCancelled();
          const batch = parents.slice(start, start + PROBLEM_BATCH);
          const plans = batch.map((s) => {
            const v = s.orm as OrmVerdictRecord;
            const steps = s.steps.map((x) => x.text);
            const prefix = v.errorStep ? steps.slice(0, v.errorStep - 1) : [];
            return { parent: s, problem: this.store.problems.get(s.problemId), prefix, reflection: rg.withReflection ? reflectionText(v) || null : null };
          });
          const outs: GenOutput[][] = await policy.generate(
            plans.map((p) => ({ problem: p.problem, prefixSteps: p.prefix, reflection: p.reflection, n: rg.tries, seedKey: [rg.tries, p.parent.id, c.idx, 2] })),
            { temperature: rg.temperature },
            this.ctx.signal,
          );
          const made = plans.flatMap((p, i) => outs[i].map((o) => ({ plan: p, out: o, check: checked(p.problem, o.steps) })));
          const toRecheck = rg.ormRecheck ? made.filter((m) => m.check.verdict === 'correct') : [];
          const rechecks = toRecheck.length ? await orm.judge(toRecheck.map((m) => ({ problem: m.plan.problem, steps: m.out.steps })), this.ctx.signal) : [];
          const recheckOf = new Map(toRecheck.map((m, i) => [m, { ...rechecks[i], model: orm.label }]));
          const rows: NewSolution[] = made.map((m) => ({
            problemId: m.plan.problem.id,
            modelId: regenId,
            origin: 'regenerate',
            finalAnswer: m.check.finalAnswer,
            verdict: m.check.verdict,
            settings: { prefixSteps: m.plan.prefix.length, reflection: m.plan.reflection, temperature: rg.temperature, finish: m.out.finish, tokens: m.out.tokens },
            provider: policy.provider,
            jobId: this.ctx.job.id,
            cycleId: c.id,
            cycleRole: 'regen',
            parentSolutionId: m.plan.parent.id,
            orm: recheckOf.get(m),
            steps: m.out.steps.map((text, i) => ({ text, goldLabel: m.check.gold ? m.check.gold[i] ?? null : null })),
          }));
          const done = Math.min(start + batch.length, parents.length);
          this.commitCursor(() => this.store.solutions.insertMany(rows), done, `${done}/${parents.length} diagnosed paths`);
        }
      }),
    );
    const regens = this.store.solutions.forCycle(c.id, 'regen');
    const kept = this.corrected(c);
    this.finishStage(
      {
        diagnosed: parents.length,
        regenerated: regens.length,
        verified_correct: regens.filter(isRight).length,
        ...(rg.ormRecheck ? { recheck_passed: regens.filter((s) => isRight(s) && (s.orm as OrmVerdictRecord | null)?.status === 'CORRECT').length } : {}),
        corrected: new Set(kept.map((k) => k.solution.parentSolutionId)).size,
        corrected_paths: kept.length,
      },
      { regenerator: label(this.store, regenId), withReflection: rg.withReflection, ormRecheck: rg.ormRecheck },
    );
  }

  /** Regenerations that join the training set: verified correct, ORM-rechecked when asked, deduplicated, keepPerPath per original. */
  corrected(c: CycleRecord): { solution: Solution; reflection: string | null }[] {
    const rg = this.cfg.regenerate;
    const byParent = new Map<number, { seen: Set<string>; n: number }>();
    const out: { solution: Solution; reflection: string | null }[] = [];
    for (const s of this.store.solutions.forCycle(c.id, 'regen')) {
      if (!isRight(s)) continue;
      if (rg.ormRecheck && (s.orm as OrmVerdictRecord | null)?.status !== 'CORRECT') continue;
      const g = byParent.get(s.parentSolutionId!) ?? { seen: new Set<string>(), n: 0 };
      byParent.set(s.parentSolutionId!, g);
      const key = norm(s.steps.map((x) => x.text));
      if (g.seen.has(key) || g.n >= rg.keepPerPath) continue;
      g.seen.add(key);
      g.n++;
      const r = s.settings.reflection;
      out.push({ solution: s, reflection: typeof r === 'string' ? r : null });
    }
    return out;
  }

  private build(c: CycleRecord): void {
    const b = this.cfg.build;
    const collect = c.stages.find((s) => s.stage === 'collect')!;
    const correctIds = (collect.artifacts.solutionIds as number[] | undefined) ?? this.collected(c).map((s) => s.id);
    const fresh: CycleExample[] = correctIds.map((id) => ({ solutionId: id, source: 'correct', reflection: null }));
    let corrected: CycleExample[] = this.cfg.reflect.enabled
      ? this.corrected(c).map((k) => ({ solutionId: k.solution.id, source: 'corrected', reflection: b.reflectionInTraining === 'prompt' ? k.reflection : null }))
      : [];
    if (b.correctedPerCorrect !== null) corrected = corrected.slice(0, Math.floor(b.correctedPerCorrect * fresh.length));
    const carried: CycleExample[] = [];
    if (b.pool === 'cumulative' && c.idx > 1) {
      const prev = this.store.cycles.byRunIdx(this.cp.runId, c.idx - 1);
      if (prev) carried.push(...this.store.cycles.examples(prev.id));
    }
    const distilled: CycleExample[] = this.distilledRows(c).map((id) => ({ solutionId: id, source: 'distilled', reflection: null }));
    const seen = new Set<number>();
    const rows = [...distilled, ...carried.filter((e) => e.source !== 'distilled'), ...fresh, ...corrected].filter((e) => (seen.has(e.solutionId) ? false : (seen.add(e.solutionId), true)));
    if (rows.length === 0) throw new UserError('no training examples: no sample was verified correct and none was corrected; raise infer.samples or infer.problems');
    const policy = this.store.models.get(this.policyOf(c));
    const manifest = Manifest.parse(policy.manifest);
    const dir = this.workDir(c.idx);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'train.jsonl');
    this.store.transaction(() => {
      this.store.cycles.clearExamples(c.id);
      this.store.cycles.addExamples(c.id, rows);
    });
    const written = writeTrainingSet(this.store, loadExamples(this.store, c.id), file, 'trainer', manifest);
    this.finishStage(
      { train_examples: rows.length, correct: fresh.length, corrected: corrected.length, distilled: distilled.length, carried_over: rows.length - fresh.length - corrected.length - distilled.length },
      { file, trainingDataHash: written.hash, images: written.images, reflectionInTraining: b.reflectionInTraining, pool: b.pool },
    );
  }

  /**
   * The distilled stage-0 rows of this cycle as solutions (role `distilled`): the reference solutions of the
   * last `build.distilled` train-split problems. Stored once per cycle, so a resumed build reuses them.
   */
  private distilledRows(c: CycleRecord): number[] {
    const n = this.cfg.build.distilled;
    if (n === 0) return [];
    const existing = this.store.solutions.forCycle(c.id, 'distilled');
    if (existing.length) return existing.map((s) => s.id);
    const all = this.splitProblems(this.cfg.trainSplit);
    const pick = all.slice(Math.max(0, all.length - n));
    const rows: NewSolution[] = [];
    for (const p of pick) {
      const ref = p.meta.reference_steps;
      if (!Array.isArray(ref) || ref.length === 0) continue;
      const steps = ref.map((r) => (typeof r === 'string' ? r : String((r as { text?: unknown }).text ?? '')));
      rows.push({ problemId: p.id, modelId: null, origin: 'import', finalAnswer: p.answer, verdict: 'correct', settings: { reference: true }, jobId: this.ctx.job.id, cycleId: c.id, cycleRole: 'distilled', steps: steps.map((text) => ({ text, goldLabel: null })) });
    }
    if (rows.length === 0) throw new UserError(`build.distilled is ${n}, but no problem of the "${this.cfg.trainSplit}" split has reference_steps to replay`);
    return this.store.solutions.insertMany(rows);
  }

  private async finetune(c: CycleRecord): Promise<void> {
    const f = this.cfg.finetune;
    const build = c.stages.find((s) => s.stage === 'build')!;
    const file = build.artifacts.file as string;
    if (!file || !existsSync(file)) throw new UserError(`the training set of cycle ${c.idx} is missing (${file ?? 'no file'}); resume rebuilds it only from the build stage`);
    const baseId = f.from === 'base' ? this.baseModelId : this.policyOf(c);
    const base = this.store.models.get(baseId);
    const out = join(this.workDir(c.idx), 'model');
    rmSync(out, { recursive: true, force: true });
    const hp: Record<string, unknown> = { lr: f.lr, epochs: f.epochs, batch_size: f.batchSize, seed: f.seed };
    if (f.maxSteps !== null) hp.max_steps = f.maxSteps;
    const run = await runTrainerInJob({
      store: this.store,
      jobId: this.ctx.job.id,
      throwIfCancelled: () => this.ctx.throwIfCancelled(),
      metric: `loss c${c.idx}`,
      command: f.trainer ?? REFERENCE_TRAINER,
      config: { task: 'sft', base_model: base.path, train_file: file, output_dir: out, name: this.modelName(c), cycle: c.idx, hyperparameters: hp },
      workDir: this.workDir(c.idx),
      report: (m) => this.ctx.progress(this.progress(m)),
    });
    this.finishStage({ steps: run.steps }, { model: run.model, base: `${base.name}@${base.version}`, finalLoss: run.finalLoss, hyperparameters: hp, trainer: (f.trainer ?? REFERENCE_TRAINER).join(' ') });
  }

  private modelName(c: CycleRecord): string {
    return `${this.runName}-c${c.idx}`.slice(0, 100);
  }

  private async register(c: CycleRecord): Promise<void> {
    const ft = c.stages.find((s) => s.stage === 'finetune')!;
    const build = c.stages.find((s) => s.stage === 'build')!;
    // a run killed between the copy and the checkpoint finds its model here instead of registering twice
    const existing = this.store.models.list().find((m) => (m.provenance as { cycleId?: number } | null)?.cycleId === c.id);
    const parentId = this.policyOf(c);
    const rec =
      existing ??
      (await registerModel(this.store, ft.artifacts.model as string, {
        name: this.modelName(c),
        provenance: {
          parent: label(this.store, parentId),
          cycle: c.idx,
          cycleRun: this.runName,
          cycleId: c.id,
          trainingDataHash: build.artifacts.trainingDataHash,
          trainExamples: build.counts.train_examples,
          config: this.cfg,
          job: this.ctx.job.id,
        },
      }));
    if (rec.role !== 'policy') throw new UserError(`the trainer wrote a ${rec.role} model, not a policy`);
    this.finishStage({}, { model: `${rec.name}@${rec.version}`, modelId: rec.id, parent: label(this.store, parentId) }, () => this.store.cycles.setModel(c.id, rec.id));
    rmSync(join(this.workDir(c.idx), 'model'), { recursive: true, force: true });
  }

  private async evaluate(c: CycleRecord, modelId: number): Promise<void> {
    const pool = this.evalPool();
    const e = this.cfg.evaluate;
    await this.withPolicy(modelId, async (policy) => {
      for (let start = this.cp.cursor; start < pool.length; start += PROBLEM_BATCH) {
        this.ctx.throwIfCancelled();
        const batch = pool.slice(start, start + PROBLEM_BATCH);
        const greedy = await policy.generate(batch.map((p) => ({ problem: p, prefixSteps: [], reflection: null, n: 1, seedKey: [e.seed, p.id, 0] })), { temperature: 0 }, this.ctx.signal);
        const sampled = await policy.generate(
          batch.map((p) => ({ problem: p, prefixSteps: [], reflection: null, n: e.samples, seedKey: [e.seed, p.id, 1] })),
          { temperature: e.temperature },
          this.ctx.signal,
        );
        const rows: NewSolution[] = [];
        const add = (p: Problem, o: GenOutput, role: string, temperature: number): void => {
          const r = checked(p, o.steps);
          rows.push({
            problemId: p.id,
            modelId,
            origin: 'generate',
            finalAnswer: r.finalAnswer,
            verdict: r.verdict,
            settings: { temperature, seed: e.seed, finish: o.finish, tokens: o.tokens },
            provider: policy.provider,
            jobId: this.ctx.job.id,
            cycleId: c.id,
            cycleRole: role,
            steps: o.steps.map((text, i) => ({ text, goldLabel: r.gold ? r.gold[i] ?? null : null })),
          });
        };
        batch.forEach((p, i) => {
          add(p, greedy[i][0], 'eval-greedy', 0);
          for (const o of sampled[i]) add(p, o, 'eval-sample', e.temperature);
        });
        const done = Math.min(start + batch.length, pool.length);
        this.commitCursor(() => this.store.solutions.insertMany(rows), done, `${done}/${pool.length} held-out problems`);
      }
    });
    const metrics = this.metricsOf(c, pool);
    this.finishStage(
      { problems: pool.length, greedy_correct: Math.round((metrics.test_accuracy ?? 0) * pool.length) },
      { model: label(this.store, modelId), split: this.cfg.evalSplit, samples: e.samples },
      () => {
        this.store.cycles.finish(c.id, 'done', c.idx === 0 ? modelId : c.modelId, metrics);
      },
    );
  }

  private metricsOf(c: CycleRecord, pool: readonly Problem[]): CycleMetrics {
    const greedy = this.store.solutions.forCycle(c.id, 'eval-greedy');
    const sampled = this.store.solutions.forCycle(c.id, 'eval-sample');
    const diffOf = new Map(pool.map((p) => [p.id, difficulty(p)]));
    const solvedBySample = new Set(sampled.filter(isRight).map((s) => s.problemId));
    const byDifficulty: Record<string, { n: number; accuracy: number }> = {};
    for (const s of greedy) {
      const d = diffOf.get(s.problemId) ?? 'all';
      const b = (byDifficulty[d] ??= { n: 0, accuracy: 0 });
      b.n++;
      if (isRight(s)) b.accuracy++;
    }
    for (const b of Object.values(byDifficulty)) b.accuracy = b.n ? b.accuracy / b.n : 0;
    const strictKnown = greedy.filter((s) => s.steps.some((x) => x.goldLabel !== null));
    const counts = (stage: CycleStage, key: string): number => c.stages.find((s) => s.stage === stage)?.counts[key] ?? 0;
    return {
      test_accuracy: greedy.length ? greedy.filter(isRight).length / greedy.length : null,
      pass_at_k: pool.length ? solvedBySample.size / pool.length : null,
      strict_accuracy: strictKnown.length ? strictKnown.filter((s) => isRight(s) && s.steps.every((x) => x.goldLabel !== 0)).length / strictKnown.length : null,
      by_difficulty: byDifficulty,
      correct_paths: counts('collect', 'correct_paths'),
      diagnosed: counts('reflect', 'diagnosed'),
      corrected: counts('regenerate', 'corrected'),
      train_examples: counts('build', 'train_examples'),
    };
  }

  result(): CycleRunResult {
    const cycles = this.store.cycles.forRun(this.cp.runId);
    const base = cycles.find((c) => c.idx === 0);
    const baseMetrics = (base?.metrics ?? {}) as Partial<CycleMetrics>;
    return {
      runId: this.cp.runId,
      name: this.runName,
      cycles: cycles
        .filter((c) => c.idx > 0 && c.status === 'done')
        .map((c) => ({ cycle: c.idx, policy: c.modelId ? label(this.store, c.modelId) : '', ...(c.metrics as CycleMetrics) })),
      base_test_accuracy: baseMetrics.test_accuracy ?? null,
      base_pass_at_k: baseMetrics.pass_at_k ?? null,
    };
  }
}

/** Runs (or resumes) a cycle run with the given ports. */
export async function runCycles(ctx: Ctx, ports: CyclePorts): Promise<CycleRunResult> {
  let cp = ctx.checkpoint as CycleCheckpoint | null;
  if (!cp) {
    const { datasetId, policyId } = checkCycleRun(ctx.store, ctx.config);
    const name = ctx.config.name ?? runNameFor(ctx.store, ctx.config);
    cp = { runId: 0, cycle: 0, stage: 'evaluate', cursor: 0 };
    const first = cp;
    ctx.commit(
      () => {
        first.runId = ctx.store.cycles.createRun({ name, config: ctx.config as unknown as Record<string, unknown>, datasetId, baseModelId: policyId, jobId: ctx.job.id });
        const c0 = ctx.store.cycles.create({ name, runId: first.runId, idx: 0, parentModelId: null, config: {}, jobId: ctx.job.id });
        for (const s of CYCLE_STAGES) if (s !== 'evaluate') ctx.store.cycles.setStage(c0, s, { status: 'skipped' });
        ctx.store.cycles.setModel(c0, policyId);
      },
      { done: 0, total: 1 + ctx.config.cycles * CYCLE_STAGES.length, message: 'cycle 0 · evaluate the stage-0 policy' },
      first,
    );
  }
  return new CycleRunner(ctx, ports, cp).run();
}

export const cycleJob: JobHandler<CycleConfig, CycleRunResult> = {
  kind: 'cycle',
  configSchema: CycleConfig,
  run(ctx) {
    return runCycles(ctx, enginePorts(ctx.store));
  },
  // no cleanup: a failed or cancelled run keeps every finished stage and resumes where it stopped
};
