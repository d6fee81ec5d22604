// The MM-PRM-scale workspace the UI-at-scale bench opens: bench/labelTrees.ts's tree set (10,000 omegaprm.py
// trees by default, about 1,000,000 nodes and 700,000 labelled steps) imported with `steplab import-labels`
// (the real command, in its own process, through the core door). Built once and kept under os.tmpdir(),
// keyed by the generator's parameters and a hash of the generator's source, so a second run reuses it.
//
//   node bin/run-ts.js bench/scaleWorkspace.ts [--trees N]   prints the workspace folder (building it if needed)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeMmprmTreeSet, type TreeSetOptions } from './labelTrees';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'steplab.js');

export interface ScaleWorkspace {
  /** the workspace folder */
  dir: string;
  /** import-labels' summary line (problems, searches, nodes, annotations, labelled_steps) */
  imported: { problems: number; searches: number; nodes: number; annotations: number; labelled_steps: number };
  /** whether this run built it (false: reused from the cache) */
  built: boolean;
  buildMs: number;
}

/** The cache folder's name for these generator parameters: they and the generator's source, hashed. */
export function scaleCacheKey(opts: Required<TreeSetOptions>, generatorSource: string): string {
  const h = createHash('sha256').update(JSON.stringify({ trees: opts.trees, seed: opts.seed, images: opts.images })).update(generatorSource).digest('hex').slice(0, 12);
  return `steplab-bench-scale-${opts.trees}t-${opts.seed}s-${opts.images}i-${h}`;
}

/** The scale workspace for these parameters: reused when a finished one is cached, else built (minutes). */
export async function scaleWorkspace(opts: TreeSetOptions = {}, log: (s: string) => void = () => {}): Promise<ScaleWorkspace> {
  const params = { trees: opts.trees ?? 10_000, seed: opts.seed ?? 2505, images: opts.images ?? 100 };
  const key = scaleCacheKey(params, readFileSync(join(ROOT, 'bench', 'labelTrees.ts'), 'utf8'));
  const base = join(tmpdir(), key);
  const dir = join(base, 'ws');
  const done = join(base, 'imported.json');
  if (existsSync(done)) return { dir, imported: JSON.parse(readFileSync(done, 'utf8')), built: false, buildMs: 0 };
  rmSync(base, { recursive: true, force: true });
  const t0 = performance.now();
  log(`scale workspace: writing ${params.trees} trees (bench/labelTrees.ts) under ${base}`);
  const set = await writeMmprmTreeSet(join(base, 'set'), params);
  const run = (args: string[]): string => {
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`steplab ${args[0]} failed (${r.status}): ${r.stderr.slice(-2000)}`);
    return r.stdout;
  };
  run(['init', dir]);
  log('scale workspace: steplab import-labels (a few minutes)');
  const out = run(['import-labels', set.outputs, '--workspace', dir, '--dataset', 'k12', '--image-root', set.imageRoot, '--json']);
  const imported = JSON.parse(out.trim().split('\n').at(-1)!) as ScaleWorkspace['imported'];
  // the trees' JSON is not needed again: only the workspace is kept
  rmSync(join(base, 'set'), { recursive: true, force: true });
  writeFileSync(done, JSON.stringify(imported));
  return { dir, imported, built: true, buildMs: performance.now() - t0 };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--trees');
  const ws = await scaleWorkspace(i > 0 ? { trees: Number(process.argv[i + 1]) } : {}, (s) => console.error(s));
  console.log(JSON.stringify({ dir: ws.dir, ...ws.imported, built: ws.built, buildS: Math.round(ws.buildMs / 1000) }));
}
