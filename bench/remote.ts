// Rollouts through an OpenAI-compatible endpoint against the engine in process: the same seeded requests
// (search-style: k rollouts per prefix) sent to 1, 2 and 4 `steplab serve-model` processes on this
// machine, and decoded by the embedded engine in this process. Prints useful tokens per second, the
// ratio to in-process decoding, the client's own CPU time as a share of the wall time, and whether the
// tokens are the same. On a 2-core machine more server processes than cores only share the two cores:
// the endpoint's value is on machines with GPUs, where each server is its own accelerator.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main as cliMain } from '../src-main/cli/main';
import { EmbeddedBackend, problemImageData, type Completion, type CompletionRequest } from '../src-main/core/inference/backend';
import { loadModel } from '../src-main/core/inference/model';
import { RemoteBackend } from '../src-main/core/inference/remote';
import { openWorkbench } from '../src-main/core/workbench';
import { fmt } from './util';

const ROOT = join(import.meta.dirname, '..');
const TOKEN = 'bench-token-0123456789abcdef';

interface Server {
  child: ChildProcess;
  url: string;
}

function serve(ws: string): Promise<Server> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'steplab.js'), 'serve-model', '--workspace', ws, '--model', 'tiny-policy', '--token-env', 'BENCH_TOKEN', '--json'], {
    env: { ...process.env, BENCH_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += String(d);
      const line = buf.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, url: (JSON.parse(line) as { url: string }).url });
    });
    child.once('exit', (code) => reject(new Error(`serve-model exited ${code}`)));
  });
}

export interface RemoteBenchOptions {
  problems?: number;
  k?: number;
  servers?: number[];
  progress?(line: string): void;
}

/** Tokens per second of the same rollouts in process and through 1, 2, 4 local servers. */
export async function benchRemote(opts: RemoteBenchOptions = {}): Promise<{ lines: string[] }> {
  const P = opts.problems ?? 12;
  const K = opts.k ?? 16;
  const counts = opts.servers ?? [1, 2, 4];
  const progress = opts.progress ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'steplab-bench-remote-'));
  const ws = join(dir, 'ws');
  const lines: string[] = [];
  const servers: Server[] = [];
  try {
    const code = await cliMain(['init', ws, '--demo'], { out: () => {}, err: (l) => progress(l), tty: false });
    if (code !== 0) throw new Error('init --demo failed');
    const wb = openWorkbench(ws);
    const policy = wb.store.models.byName('tiny-policy');
    const local = new EmbeddedBackend(await loadModel(policy.path));
    const problems = [...wb.store.problems.iterateDataset(wb.store.datasets.requireId('demo'), { split: 'test', limit: P })];
    // search-style requests: k rollouts from each problem's prompt, one request per prefix
    const reqs: CompletionRequest[] = problems.map((p, i) => ({ question: p.question, continuation: '', image: problemImageData(wb.store, p, local), n: K, seed: 1000 + i }));
    const sampling = { temperature: 1, topK: 0, topP: 1, maxNewTokens: local.manifest.parameters.maxNewTokens, stopAtStep: false };
    const useful = (out: Completion[][]): number => out.flat().reduce((a, c) => a + c.tokens, 0);
    const run = async (label: string, fn: () => Promise<Completion[][]>): Promise<{ tps: number; clientShare: number; out: Completion[][] }> => {
      await fn(); // warm-up: sessions, caches, connections
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const out = await fn();
      const wall = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const tps = useful(out) / wall;
      progress(`${label}: ${fmt(tps)} tokens/s`);
      return { tps, clientShare: (cpu.user + cpu.system) / 1e6 / wall, out };
    };
    const base = await run('in process', () => local.complete(reqs, sampling));
    await local.release();
    const rows: string[][] = [['in process (embedded engine)', fmt(base.tps), '1.0x', fmt(100 * base.clientShare) + ' %', '-']];
    for (const n of counts) {
      while (servers.length < n) servers.push(await serve(ws));
      const rec = { name: 'bench', version: 1, manifest: policy.manifest, endpoint: { urls: servers.slice(0, n).map((s) => s.url), servedModel: 'tiny-policy', apiKeyEnv: 'BENCH_TOKEN', concurrency: 2, vision: true } };
      process.env.BENCH_TOKEN = TOKEN;
      const remote = RemoteBackend.open(rec as never);
      const r = await run(`${n} server(s)`, () => remote.complete(reqs, sampling));
      const same = JSON.stringify(r.out) === JSON.stringify(base.out);
      rows.push([`endpoint, ${n} serve-model process${n > 1 ? 'es' : ''}`, fmt(r.tps), `${fmt(r.tps / base.tps, 2)}x`, fmt(100 * r.clientShare) + ' %', same ? 'yes' : 'NO']);
    }
    await wb.close();
    const width = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    lines.push(`endpoint rollouts: ${P} demo test problems x ${K} rollouts at T 1 (tiny-policy, CPU); useful tokens/s, ratio to in process, client CPU / wall, same tokens as in process`);
    for (const r of rows) lines.push('  ' + r.map((c, i) => c.padEnd(width[i])).join('  '));
    return { lines };
  } finally {
    for (const s of servers) s.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchRemote({ progress: (l) => process.stderr.write(l + '\n') });
  for (const l of r.lines) console.log(l);
}
