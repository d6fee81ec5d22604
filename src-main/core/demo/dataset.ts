/**
 * The demo dataset with train / val / test splits that share no canonical form, so a held-out
 * score measures solving, not recall of a memorised problem (a picture version of a text
 * problem counts as the same problem).
 */
import {
  type DemoProblem,
  type DemoSplit,
  balancedSlots,
  buildProblem,
  drawPlan,
  drawSurface,
  padWidth,
  resolveShape,
} from './generate';
import { canonicalOf } from './plan';
import { createRng } from '../rng';

export const DEMO_SPLITS: readonly DemoSplit[] = ['train', 'val', 'test'];

export interface BuildDemoOptions {
  seed: number;
  train: number;
  val: number;
  test: number;
  minSteps?: number;
  maxSteps?: number;
  imageShare?: number;
  /**
   * Default true: no canonical form twice within a split. Set false for large training sets
   * (the 2-step space holds only a few thousand forms); splits still never share one.
   */
  uniqueWithinSplit?: boolean;
}

export interface SplitStats {
  count: number;
  images: number;
  imageShare: number;
  /** difficulty (arithmetic steps) -> problems */
  byDifficulty: Record<string, number>;
  /** image count 1..9 -> image problems */
  byImageCount: Record<string, number>;
  /** event kind (add, sub, mul, div, bags) -> occurrences */
  byEvent: Record<string, number>;
  distinctCanonical: number;
  duplicateCanonical: number;
  meanQuestionChars: number;
  meanSolutionChars: number;
  maxValue: number;
}

export interface DemoDatasetStats {
  seed: number;
  source: string;
  options: { minSteps: number; maxSteps: number; imageShare: number; uniqueWithinSplit: boolean };
  total: number;
  splits: Record<DemoSplit, SplitStats>;
  /** canonical forms found in both splits of each pair; always 0 */
  canonicalOverlap: { train_val: number; train_test: number; val_test: number };
}

export interface DemoDataset {
  problems: DemoProblem[];
  stats: DemoDatasetStats;
}

export const DEMO_SOURCE = 'steplab-demo';

/** Draws per slot before giving up on finding an unused canonical form. */
const MAX_TRIES = 5000;

function eventKind(token: string): string {
  if (token.includes('x')) return 'bags';
  return ({ '+': 'add', '-': 'sub', '*': 'mul', '/': 'div' } as Record<string, string>)[token[0]] ?? 'other';
}

function bump(rec: Record<string, number>, key: string | number): void {
  rec[key] = (rec[key] ?? 0) + 1;
}

export function splitStats(problems: readonly DemoProblem[]): SplitStats {
  const byDifficulty: Record<string, number> = {};
  const byImageCount: Record<string, number> = {};
  const byEvent: Record<string, number> = {};
  const canon = new Set<string>();
  let images = 0;
  let q = 0;
  let s = 0;
  let maxValue = 0;
  for (const p of problems) {
    bump(byDifficulty, p.difficulty);
    if (p.image_count !== undefined) {
      images++;
      bump(byImageCount, p.image_count);
    }
    for (const tok of p.canonical.split(' ').slice(1)) bump(byEvent, eventKind(tok));
    canon.add(p.canonical);
    q += p.question.length;
    s += p.steps.reduce((n, line) => n + line.length + 1, 0);
    for (const r of p.reference_steps) maxValue = Math.max(maxValue, r.value);
  }
  const n = problems.length;
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    count: n,
    images,
    imageShare: n ? round(images / n) : 0,
    byDifficulty,
    byImageCount,
    byEvent,
    distinctCanonical: canon.size,
    duplicateCanonical: n - canon.size,
    meanQuestionChars: n ? round(q / n) : 0,
    meanSolutionChars: n ? round(s / n) : 0,
    maxValue,
  };
}

function overlap(a: readonly DemoProblem[], b: readonly DemoProblem[]): number {
  const sa = new Set(a.map((p) => p.canonical));
  return new Set(b.map((p) => p.canonical).filter((c) => sa.has(c))).size;
}

/**
 * Problems for all three splits from one seed. The test split is drawn first, then val, then
 * train, so the held-out splits are as balanced as the options ask and train takes what is left.
 * Throws when a split asks for more unique problems of some difficulty than exist.
 */
export function buildDemoDataset(opts: BuildDemoOptions): DemoDataset {
  const shape = resolveShape(opts);
  const unique = opts.uniqueWithinSplit ?? true;
  for (const split of DEMO_SPLITS) {
    const n = opts[split];
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`${split} must be a non-negative integer, got ${n}`);
  }
  const rng = createRng(opts.seed);
  /** canonical -> split that owns it */
  const owner = new Map<string, DemoSplit>();
  const bySplit: Record<DemoSplit, DemoProblem[]> = { train: [], val: [], test: [] };

  for (const split of ['test', 'val', 'train'] as const) {
    const count = opts[split];
    const width = padWidth(count);
    balancedSlots(rng, count, shape).forEach((slot, i) => {
      for (let tries = 0; tries < MAX_TRIES; tries++) {
        const plan = drawPlan(rng, slot.difficulty, slot.hasImage);
        const canonical = canonicalOf(plan);
        const taken = owner.get(canonical);
        if (taken !== undefined && (taken !== split || unique)) continue;
        owner.set(canonical, split);
        const surface = drawSurface(rng, plan, slot.hasImage);
        const image = slot.hasImage ? { seed: rng.uint32() } : null;
        const problem = buildProblem(`demo-${split}-${String(i).padStart(width, '0')}`, plan, surface, image);
        problem.split = split;
        bySplit[split].push(problem);
        return;
      }
      throw new Error(
        `demo dataset: found no unused ${slot.difficulty}-step problem for ${split} after ${MAX_TRIES} draws; ` +
          'ask for fewer problems' +
          (unique ? ' or allow repeats within a split' : ''),
      );
    });
  }

  const problems = [...bySplit.train, ...bySplit.val, ...bySplit.test];
  const stats: DemoDatasetStats = {
    seed: opts.seed,
    source: DEMO_SOURCE,
    options: { ...shape, uniqueWithinSplit: unique },
    total: problems.length,
    splits: { train: splitStats(bySplit.train), val: splitStats(bySplit.val), test: splitStats(bySplit.test) },
    canonicalOverlap: {
      train_val: overlap(bySplit.train, bySplit.val),
      train_test: overlap(bySplit.train, bySplit.test),
      val_test: overlap(bySplit.val, bySplit.test),
    },
  };
  return { problems, stats };
}
