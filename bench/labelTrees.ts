// A tree set at MM-PRM's scale: a folder of per-question trees as MM-PRM's data_pipeline/omegaprm.py
// writes them (outputs/{md5}.json, indent 4; ModalMinds/MM-PRM @ b914fd6), by a seeded simulation of its
// search: 16 rollouts per Monte-Carlo estimate, correct rollouts kept as MC 1 children, binary search on
// the selected wrong rollouts (probes that hold the rollout's first error get MC 0), correct_rollouts /
// incorrect_rollouts as the de-duplicated texts it keeps, and the image path of the cluster it ran on
// (/mnt/petrelfs/...), found with --image-root under a pool of small PNGs. With the defaults, 10,000
// trees give about 700,000 labelled steps (MM-PRM reports 747k), the size `npm run bench` imports and
// the UI issue measures.
//
//   node bin/run-ts.js bench/labelTrees.ts <dir> [--trees N] [--workspace <ws>]
// writes <dir>/outputs and <dir>/images, and with --workspace imports them into <ws> (dataset "k12").
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { createRng, type Rng } from '../src-main/core/rng';

export interface TreeSetOptions {
  trees?: number;
  seed?: number;
  /** distinct images the trees share */
  images?: number;
}

export interface TreeSet {
  outputs: string;
  imageRoot: string;
  trees: number;
  bytes: number;
}

const WORDS = 'the angle triangle side length area so we have then since equals therefore circle radius square sum of is and by which gives this value half twice point line segment parallel perpendicular degrees units figure shows'.split(' ');

interface Node {
  partial_solution: string[];
  mc_value: number;
  visit_count: number;
  correct_rollouts: string[][];
  incorrect_rollouts: string[][];
  children: Node[];
}

function sentence(rng: Rng, i: number): string {
  const n = rng.int(10, 18);
  const w: string[] = [];
  for (let k = 0; k < n; k++) w.push(rng.pick(WORDS));
  return `${w.join(' ')} ${i}.`;
}

/** A rollout: its steps, and the index of its first wrong step (-1: correct). */
function rollout(rng: Rng, p: number, tag: number): { steps: string[]; error: number } {
  const n = rng.int(4, 7);
  const steps = Array.from({ length: n - 1 }, (_, i) => sentence(rng, tag * 10 + i));
  const correct = rng.next() < p;
  steps.push(`Answer: The final answer is ${correct ? 'right' : `wrong ${tag}`}`);
  return { steps, error: correct ? -1 : rng.int(0, n - 1) };
}

const node = (steps: string[]): Node => ({ partial_solution: steps, mc_value: 0, visit_count: 0, correct_rollouts: [], incorrect_rollouts: [], children: [] });

/** monte_carlo_estimation: 16 rollouts, correct ones kept as children (distinct), a few distinct wrong texts kept. */
function estimate(rng: Rng, n: Node, p: number, pool: { node: Node; r: { steps: string[]; error: number } }[], tag: () => number): void {
  let correct = 0;
  for (let k = 0; k < 16; k++) {
    const ok = rng.next() < p;
    if (ok) correct++;
    // most rollouts repeat a text already drawn: the search keeps each text once
    if (ok && n.correct_rollouts.length < 2 && rng.next() < 0.08) {
      const r = rollout(rng, 1, tag());
      n.correct_rollouts.push(r.steps);
      const c = node(r.steps);
      c.mc_value = 1;
      n.children.push(c);
    } else if (!ok && n.incorrect_rollouts.length < 3 && rng.next() < 0.4) {
      const r = rollout(rng, 0, tag());
      n.incorrect_rollouts.push(r.steps);
      pool.push({ node: n, r });
    }
  }
  n.mc_value = correct / 16;
  if (correct > 0 && n.correct_rollouts.length === 0) {
    const r = rollout(rng, 1, tag());
    n.correct_rollouts.push(r.steps);
    const c = node(r.steps);
    c.mc_value = 1;
    n.children.push(c);
  }
  if (correct < 16 && n.incorrect_rollouts.length === 0) {
    const r = rollout(rng, 0, tag());
    n.incorrect_rollouts.push(r.steps);
    pool.push({ node: n, r });
  }
}

/** binary_search_phase over one selected wrong rollout. */
function binarySearch(rng: Rng, from: Node, r: { steps: string[]; error: number }, left: number, right: number, p: number, pool: { node: Node; r: { steps: string[]; error: number } }[], tag: () => number): void {
  if (left > right) return;
  const mid = (left + right) >> 1;
  const b = node(r.steps.slice(left, mid + 1));
  from.children.push(b);
  if (left === right && left === r.steps.length - 1) {
    b.mc_value = r.error < 0 ? 1 : 0;
    return;
  }
  // a prefix that holds the rollout's first error is never solved from
  estimate(rng, b, mid >= r.error ? 0 : Math.min(0.95, p + 0.1), mid >= r.error ? [] : pool, tag);
  if (b.mc_value === 0) binarySearch(rng, from, r, left, mid - 1, p, pool, tag);
  else binarySearch(rng, b, r, mid + 1, right, p, pool, tag);
}

function tree(rng: Rng, i: number): Node & { question: string; answer: string } {
  let t = 0;
  const tag = (): number => ++t;
  const root = node([]);
  const pool: { node: Node; r: { steps: string[]; error: number } }[] = [];
  // a tenth of MM-K12's questions are always or never solved: their trees hold no labelled path
  const p = rng.next() < 0.1 ? rng.pick([0, 1]) : 0.15 + 0.7 * rng.next();
  estimate(rng, root, p, pool, tag);
  const selections = rng.int(3, 5);
  for (let s = 0; s < selections && pool.length > 0; s++) {
    const { node: from, r } = pool.splice(rng.int(0, pool.length - 1), 1)[0];
    if (from.mc_value === 0) continue;
    binarySearch(rng, from, r, 0, r.steps.length - 1, from.mc_value, pool, tag);
    from.visit_count += 1;
  }
  const { partial_solution: _drop, ...data } = root;
  return { question: `Question ${i}: ${sentence(rng, i)} What is the value?`, answer: String(i), ...data } as Node & { question: string; answer: string };
}

/** Writes the tree set (and its image pool) under `dir`. */
export async function writeMmprmTreeSet(dir: string, opts: TreeSetOptions = {}): Promise<TreeSet> {
  const trees = opts.trees ?? 10_000;
  const images = opts.images ?? 100;
  const rng = createRng(opts.seed ?? 2505);
  const outputs = join(dir, 'outputs');
  const imageRoot = join(dir, 'images');
  mkdirSync(outputs, { recursive: true });
  mkdirSync(join(imageRoot, 'k12'), { recursive: true });
  for (let k = 0; k < images; k++) {
    const png = await sharp({ create: { width: 32, height: 24, channels: 3, background: { r: (k * 37) % 256, g: (k * 91) % 256, b: (k * 53) % 256 } } }).png().toBuffer();
    writeFileSync(join(imageRoot, 'k12', `img_${String(k).padStart(4, '0')}.png`), png);
  }
  let bytes = 0;
  for (let i = 0; i < trees; i++) {
    const t = tree(rng, i);
    const seed = { id: `k12-${i}`, question: t.question, correct_answer: t.answer, image_path: `/mnt/petrelfs/share/mmk12/images/k12/img_${String(i % images).padStart(4, '0')}.png` };
    const data = { question: t.question, answer: t.answer, image_path: seed.image_path, mc_value: t.mc_value, visit_count: t.visit_count, correct_rollouts: t.correct_rollouts, incorrect_rollouts: t.incorrect_rollouts, children: t.children, id: seed.id };
    const text = JSON.stringify(data, null, 4);
    bytes += text.length;
    writeFileSync(join(outputs, `${createHash('md5').update(JSON.stringify(seed)).digest('hex')}.json`), text);
  }
  return { outputs, imageRoot, trees, bytes };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const dir = args[0];
  if (!dir) {
    console.error('usage: node bin/run-ts.js bench/labelTrees.ts <dir> [--trees N] [--workspace <ws>]');
    process.exit(1);
  }
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const set = await writeMmprmTreeSet(resolve(dir), { trees: Number(flag('--trees') ?? 10_000) });
  console.log(`wrote ${set.trees} trees (${(set.bytes / 1e6).toFixed(0)} MB) to ${set.outputs}, images under ${set.imageRoot}`);
  const ws = flag('--workspace');
  if (ws) {
    const { main } = await import('../src-main/cli/main');
    if ((await main(['init', ws])) !== 0) process.exit(1);
    process.exitCode = await main(['import-labels', set.outputs, '--workspace', ws, '--dataset', 'k12', '--image-root', set.imageRoot]);
  }
}
