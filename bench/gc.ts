// V8's garbage collector on the search workload: `steplab search` (OmegaPRM, the recipe's settings) run as
// a user runs it, with node's default flags against node --single-threaded-gc --max-semi-space-size=64 (what
// `npm run reproduce` gives its node children). Alone and two side by side (one per core, the way the
// reproduction runs its stages), each process on a workspace of its own; wall time and CPU time (user +
// system, of the children, from /proc's view of this process). Outputs are the same either way: the flags
// change only when and on which thread V8 collects.
// Run alone: node bin/run-ts.js bench/gc.ts [problems]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fmt, median } from './util';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin', 'steplab.js');
const FLAGS = ['--single-threaded-gc', '--max-semi-space-size=64'];

function init(dir: string): void {
  const r = spawnSync(process.execPath, [CLI, 'init', dir, '--demo'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`steplab init ${dir}: ${r.stderr}`);
}

/** `steplab search` on a fresh workspace; resolves with its wall and CPU seconds */
function search(ws: string, problems: number, flags: string[]): Promise<{ wall: number; cpu: number }> {
  const args = [...flags, CLI, 'search', '--workspace', ws, '--dataset', 'demo', '--model', 'tiny-policy', '--algo', 'omega', '--split', 'train',
    '--limit', String(problems), '--config', join(ROOT, 'models', 'recipes', 'prm-search.json'), '--seed', '1', '--annotation-set', 'bench'];
  // /usr/bin/time's %U and %S are the child's own CPU seconds, its threads included
  const t0 = performance.now();
  return new Promise((done, fail) => {
    const child = spawn('/usr/bin/time', ['-f', 'CPU %U %S', process.execPath, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('close', (code) => {
      const m = /CPU ([\d.]+) ([\d.]+)/.exec(err);
      if (code !== 0 || !m) return fail(new Error(`steplab search exited with ${code}: ${err.slice(-400)}`));
      done({ wall: (performance.now() - t0) / 1000, cpu: Number(m[1]) + Number(m[2]) });
    });
  });
}

export async function benchGc(problems = 12, reps = 3): Promise<string[]> {
  if (spawnSync('/usr/bin/time', ['-f', '', 'true']).status !== 0) return ['gc: skipped (needs /usr/bin/time: apt-get install time)'];
  const dir = mkdtempSync(join(tmpdir(), 'steplab-bench-gc-'));
  const lines: string[] = [];
  try {
    const cases: [string, string[]][] = [['default flags', []], [FLAGS.join(' '), FLAGS]];
    const res = new Map<string, { alone: number[]; aloneCpu: number[]; pair: number[]; pairCpu: number[] }>();
    let n = 0;
    const fresh = (): string => {
      const ws = join(dir, `ws${n++}`);
      init(ws);
      return ws;
    };
    // alternate the two settings, so drift on a shared machine hits both alike
    for (let r = 0; r < reps; r++) {
      for (const [name, flags] of cases) {
        const m = res.get(name) ?? { alone: [], aloneCpu: [], pair: [], pairCpu: [] };
        res.set(name, m);
        const a = await search(fresh(), problems, flags);
        m.alone.push(a.wall);
        m.aloneCpu.push(a.cpu);
        const [w1, w2] = [fresh(), fresh()];
        const t0 = performance.now();
        const pair = await Promise.all([search(w1, problems, flags), search(w2, problems, flags)]);
        m.pair.push((performance.now() - t0) / 1000);
        m.pairCpu.push(pair[0].cpu + pair[1].cpu);
      }
    }
    const [d, f] = cases.map(([name]) => res.get(name)!);
    lines.push(`gc: steplab search, ${problems} problems (OmegaPRM, prm-search.json), medians of ${reps}; wall s / CPU s`);
    for (const [name] of cases) {
      const m = res.get(name)!;
      lines.push(`  ${name.padEnd(52)} alone ${fmt(median(m.alone), 1)} / ${fmt(median(m.aloneCpu), 1)}   two side by side ${fmt(median(m.pair), 1)} / ${fmt(median(m.pairCpu), 1)}`);
    }
    lines.push(`  flags vs default: alone ${fmt(median(d.alone) / median(f.alone), 2)}x faster (CPU ${fmt(median(d.aloneCpu) / median(f.aloneCpu), 2)}x less), ` +
      `two side by side ${fmt(median(d.pair) / median(f.pair), 2)}x faster (CPU ${fmt(median(d.pairCpu) / median(f.pairCpu), 2)}x less)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const line of await benchGc(Number(process.argv[2] ?? 12))) console.log(line);
}
