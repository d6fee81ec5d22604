// Writes the problem pool the MathSE cycles of the demo experiment answer: fresh demo problems as the train
// split (MathSE's "remaining data", unseen by the distilled policy and by the bundled searches) plus the
// bundled val and test splits unchanged, so every cycle is measured on the same held-out problems as the rest
// of the demo. Import it as a dataset and name that dataset in the cycle run:
//
//   node bin/run-ts.js models/recipes/make_cycle_pool.ts --out /tmp/pool --seed 99 --problems 12000
//   steplab import /tmp/pool/problems.jsonl --workspace <ws> --dataset demo-pool
//
// Held out: a fresh problem whose canonical form (the math without wording or modality) is a bundled
// problem's (any split) or an earlier fresh one's is dropped, as train_policy.py drops its training rows.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeDemoDataset, type DemoRow } from '../../src-main/core/demo/writeDataset';

const USAGE = 'usage: node bin/run-ts.js models/recipes/make_cycle_pool.ts --out <dir> --problems N [--seed 99] [--demo models/demo-data]';

function fail(message: string): never {
  console.error(`make_cycle_pool: ${message}\n${USAGE}`);
  process.exit(2);
}

let v: { out?: string; problems?: string; seed?: string; demo?: string };
try {
  v = parseArgs({ options: { out: { type: 'string' }, problems: { type: 'string' }, seed: { type: 'string' }, demo: { type: 'string' } }, strict: true }).values;
} catch (err) {
  fail((err as Error).message);
}
if (!v.out) fail('--out is required');
if (!v.problems || !/^[1-9]\d*$/.test(v.problems)) fail(`--problems must be a positive integer, got "${v.problems ?? ''}"`);
if (v.seed !== undefined && !/^\d+$/.test(v.seed)) fail(`--seed must be a non-negative integer, got "${v.seed}"`);
const want = Number(v.problems);
const seed = v.seed === undefined ? 99 : Number(v.seed);
const demo = v.demo ?? join(import.meta.dirname, '..', 'demo-data');
if (!existsSync(join(demo, 'problems.jsonl'))) fail(`${join(demo, 'problems.jsonl')} does not exist: --demo names the bundled demo-data folder`);
if (existsSync(join(v.out, 'problems.jsonl'))) fail(`${join(v.out, 'problems.jsonl')} exists already: choose another --out or remove it`);

const readRows = (file: string): DemoRow[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as DemoRow);
const bundled = readRows(join(demo, 'problems.jsonl'));
const seen = new Set(bundled.map((r) => r.canonical));

mkdirSync(join(v.out, 'images'), { recursive: true });
const scratch = mkdtempSync(join(tmpdir(), 'steplab-pool-'));
try {
  // twice as many as asked for: about one in five is a repeat at 12k (the generator's own uniqueness is off,
  // as it would refuse to go on rather than skip)
  const extra = 2 * want + 1000;
  await writeDemoDataset(scratch, { seed, train: extra, val: 0, test: 0, minSteps: 2, maxSteps: 5, imageShare: 0.4, uniqueWithinSplit: false });
  const fresh: DemoRow[] = [];
  for (const r of readRows(join(scratch, 'problems.jsonl'))) {
    if (fresh.length === want) break;
    if (seen.has(r.canonical)) continue;
    seen.add(r.canonical);
    const id = `pool-train-${String(fresh.length).padStart(6, '0')}`;
    if (r.image) {
      copyFileSync(join(scratch, r.image), join(v.out, 'images', `${id}.png`));
      r.image = `images/${id}.png`;
    }
    fresh.push({ ...r, id });
  }
  if (fresh.length < want) fail(`only ${fresh.length} of ${want} fresh problems are new at seed ${seed}: ask for fewer`);
  const heldOut = bundled.filter((r) => r.split === 'val' || r.split === 'test');
  for (const r of heldOut) if (r.image) copyFileSync(join(demo, r.image), join(v.out, 'images', basename(r.image)));
  // written whole, then renamed: a run cut off leaves no problems.jsonl, so the next one starts over
  writeFileSync(join(v.out, 'problems.jsonl.part'), [...fresh, ...heldOut].map((r) => JSON.stringify(r)).join('\n') + '\n');
  renameSync(join(v.out, 'problems.jsonl.part'), join(v.out, 'problems.jsonl'));
  const count = (split: string) => heldOut.filter((r) => r.split === split).length;
  console.log(`wrote ${fresh.length} fresh train problems (seed ${seed}) and the bundled val (${count('val')}) and test (${count('test')}) to ${v.out}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
