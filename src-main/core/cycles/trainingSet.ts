// A cycle's training set as files: the trainer's own rows (TRL messages with the policy's formatted
// prompt), and the two formats for fine-tuning a real model elsewhere: ShareGPT / LLaMA-Factory
// conversations and TRL SFT messages, each with its images copied beside the JSONL.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Problem } from '../../../src-shared/domain';
import type { Manifest } from '../../../src-shared/manifest';
import { imagePath } from '../data/images';
import { UserError } from '../errors';
import { renderPrompt } from '../inference/prompt';
import type { Store } from '../store';
import type { CycleExample } from '../store/cycles';

export const TRAINING_FORMATS = ['trainer', 'sharegpt', 'trl'] as const;
export type TrainingFormat = (typeof TRAINING_FORMATS)[number];

export interface TrainingExampleRow {
  problem: Problem;
  steps: string[];
  source: CycleExample['source'];
  reflection: string | null;
  solutionId: number;
}

export interface WrittenSet {
  path: string;
  rows: number;
  images: number;
  /** sha256 of the JSONL bytes */
  hash: string;
}

/** The examples of a cycle with their problems and steps, in solution order. */
export function loadExamples(store: Store, cycleId: number): TrainingExampleRow[] {
  const problems = new Map<number, Problem>();
  return store.cycles.examples(cycleId).map((e) => {
    const s = store.solutions.get(e.solutionId);
    let p = problems.get(s.problemId);
    if (!p) {
      p = store.problems.get(s.problemId);
      problems.set(p.id, p);
    }
    return { problem: p, steps: s.steps.map((x) => x.text), source: e.source, reflection: e.reflection, solutionId: s.id };
  });
}

/** Plain text of the question for other trainers: the image placeholder first, the reflection after. */
function plainPrompt(r: TrainingExampleRow): string {
  const img = r.problem.images.length ? '<image>' : '';
  return `${img}${r.problem.question}${r.reflection ? `\n\nReflection on an earlier attempt: ${r.reflection}` : ''}`;
}

/**
 * Writes rows as JSONL in `format`; images are copied to `images/` beside the file and referenced by a
 * relative path. Written to a temporary name first, so a failure leaves no half file.
 */
export function writeTrainingSet(store: Store, rows: readonly TrainingExampleRow[], out: string, format: TrainingFormat, manifest?: Manifest): WrittenSet {
  if (format === 'trainer' && !manifest) throw new Error('the trainer format needs the policy manifest');
  const dir = dirname(out);
  mkdirSync(join(dir, 'images'), { recursive: true });
  const lines: string[] = [];
  let images = 0;
  for (const r of rows) {
    const refs: string[] = [];
    const img = r.problem.images[0];
    if (img) {
      const src = imagePath(store.paths.imagesDir, img);
      if (!existsSync(src)) throw new UserError(`problem ${r.problem.extId}: image ${img.hash.slice(0, 12)} is missing from the workspace (${src})`);
      const rel = join('images', basename(src));
      const dest = join(dir, rel);
      if (!existsSync(dest)) {
        copyFileSync(src, dest);
        images++;
      }
      refs.push(rel);
    }
    const solution = r.steps.join('\n');
    let row: Record<string, unknown>;
    if (format === 'trainer') {
      const prompt = renderPrompt(manifest!, r.problem.question, { hasImage: Boolean(img), reflection: r.reflection ?? undefined });
      row = { messages: [{ role: 'user', content: prompt }, { role: 'assistant', content: solution }], images: refs };
    } else if (format === 'trl') {
      row = { messages: [{ role: 'user', content: plainPrompt(r) }, { role: 'assistant', content: solution }], images: refs, source: r.source, problem_id: r.problem.extId };
    } else {
      row = { conversations: [{ from: 'human', value: plainPrompt(r) }, { from: 'gpt', value: solution }], images: refs, source: r.source, problem_id: r.problem.extId };
    }
    lines.push(JSON.stringify(row));
  }
  const text = lines.join('\n') + (lines.length ? '\n' : '');
  const tmp = `${out}.partial-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, out);
  return { path: out, rows: rows.length, images, hash: 'sha256:' + createHash('sha256').update(text).digest('hex') };
}
