// import-labels and export annotations at MM-PRM's scale (bench/labelTrees.ts: 10,000 omegaprm.py trees,
// about 700,000 labelled steps): trees/s and steps/s of `steplab import-labels` and `steplab export
// annotations` (the real commands, each in its own process, its peak memory read from /proc), against a
// naive baseline in the same run: a script that reads each file whole and writes each tree in a
// transaction of its own, one statement per node, checking "imported already?" as import-trees did (by
// json_extract over every stored search), and an export that reads each tree's annotations and appends
// each row to the file. Goals (issue "Field data II"): the import in <= 10 minutes with <= 600 MB.
import { spawn } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Store } from '../src-main/core/store';
import { extractAnnotations } from '../src-main/core/search/annotations';
import type { SearchNode } from '../src-main/core/search/types';
import { inferAnswerType } from '../src-main/core/data/problemRow';
import { tempDir } from '../test/helpers/tmp';
import { writeMmprmTreeSet } from './labelTrees';
import { fmt, report } from './util';

const BIN = join(import.meta.dirname, '..', 'bin', 'steplab.js');

/** Runs the steplab command in a child process; its wall time, peak resident memory and output. */
function steplab(args: string[]): Promise<{ ms: number; peakMb: number; stdout: string; code: number | null }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let peak = 0;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]) / 1024);
      } catch {
        // the process has ended
      }
    }, 100);
    child.on('close', (code) => {
      clearInterval(poll);
      if (code !== 0) process.stderr.write(stderr);
      resolve({ ms: performance.now() - t0, peakMb: peak, stdout, code });
    });
  });
}

interface OmegaJson {
  question?: string;
  answer?: string;
  partial_solution?: string[];
  mc_value: number;
  visit_count: number;
  correct_rollouts: string[][];
  incorrect_rollouts: string[][];
  children: OmegaJson[];
}

/** The naive import: file by file, a transaction per tree, a statement per node. Returns steps written. */
function naiveImport(store: Store, files: string[]): number {
  const ds = store.datasets.getOrCreate('naive');
  const insertNode = store.db.prepare('INSERT INTO tree_nodes (search_id, parent_id, depth, step_text, visits, rollouts, correct, mc, q, first_error, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const seen = store.db.prepare("SELECT 1 FROM searches WHERE json_extract(stats, '$.importHash') = ?");
  let steps = 0;
  files.forEach((f) => {
    const text = readFileSync(f, 'utf8');
    const root = JSON.parse(text) as OmegaJson;
    store.transaction(() => {
      if (seen.get(f)) return;
      const { id: problemId } = store.problems.upsert({ question: root.question!, answer: root.answer!, answerType: inferAnswerType(root.answer!), source: null, tags: [], imageHashes: [], meta: {} });
      store.datasets.addMember(ds, problemId, basename(f), null);
      const searchId = store.trees.createSearch({ problemId, modelId: null, algorithm: 'omegaprm', config: {}, seed: null });
      const nodes: SearchNode[] = [];
      const walk = (n: OmegaJson, parentId: number | null, depth: number): void => {
        const own = n.partial_solution ?? [];
        const d = depth + own.length;
        const id = Number(insertNode.run(searchId, parentId, d, own.join('\n\n'), n.visit_count, n.correct_rollouts.length + n.incorrect_rollouts.length, n.correct_rollouts.length, n.mc_value, null, 0, JSON.stringify({ steps: own })).lastInsertRowid);
        nodes.push({ id, parentId, steps: own, depth: d, visits: n.visit_count, rollouts: 0, correct: 0, mc: n.mc_value, q: null, firstError: false, terminal: false });
        for (const c of n.children) walk(c, id, d);
      };
      walk(root, null, 0);
      const anns = extractAnnotations(nodes, { mode: 'mmprm' });
      store.annotations.insertMany(anns.map((a) => ({ problemId, searchId, setName: 'naive', provenance: {}, steps: a.steps.map((t, k) => ({ text: t, softLabel: a.labels[k] })) })));
      store.trees.finishSearch(searchId, 'imported', { importHash: f });
      steps += anns.reduce((s, a) => s + a.steps.length, 0);
    });
  });
  return steps;
}

/** The naive export: per tree, its annotations read and each row appended to the file. Returns steps written. */
function naiveExport(store: Store, searchIds: number[], out: string): number {
  let steps = 0;
  for (const id of searchIds) {
    for (const a of store.transaction(() => store.annotations.forSearch(id))) {
      appendFileSync(out, JSON.stringify({ prompt: '', completions: a.steps.map((s) => s.text), labels: a.steps.map((s) => s.softLabel > 0) }) + '\n');
      steps += a.steps.length;
    }
  }
  return steps;
}

export async function benchLabels(opts: { trees?: number; naiveTrees?: number } = {}): Promise<string[]> {
  const trees = opts.trees ?? 10_000;
  // the naive script on the same trees: its 'imported already?' scan grows with every tree it stores
  const naiveTrees = opts.naiveTrees ?? trees;
  const tmp = tempDir('steplab-bench-labels-');
  const lines: string[] = [];
  try {
    const set = await writeMmprmTreeSet(join(tmp.dir, 'set'), { trees });
    lines.push(`label trees: ${fmt(trees)} MM-PRM omegaprm.py trees, ${fmt(set.bytes / 1e6)} MB of JSON (bench/labelTrees.ts)`);
    const ws = join(tmp.dir, 'ws');
    await steplab(['init', ws]);
    const imp = await steplab(['import-labels', set.outputs, '--workspace', ws, '--dataset', 'k12', '--image-root', set.imageRoot, '--json']);
    if (imp.code !== 0) throw new Error('bench import-labels failed');
    const r = JSON.parse(imp.stdout.trim().split('\n').at(-1)!) as { searches: number; labelled_steps: number; annotations: number };
    const again = await steplab(['import-labels', set.outputs, '--workspace', ws, '--dataset', 'k12', '--image-root', set.imageRoot, '--json']);
    const out = join(tmp.dir, 'trl.jsonl');
    const exp = await steplab(['export', 'annotations', '--workspace', ws, '--dataset', 'k12', '--format', 'trl', '--out', out, '--json']);
    const exportedSteps = readFileSync(out, 'utf8')
      .split('\n')
      .filter(Boolean)
      .reduce((s, l) => s + (JSON.parse(l) as { completions: string[] }).completions.length, 0);

    // the naive baseline on the first trees, in a workspace of its own
    const naiveWs = Store.open(join(tmp.dir, 'naive'), { create: true });
    const files = readdirSync(set.outputs).sort().slice(0, naiveTrees).map((f) => join(set.outputs, f));
    let t0 = performance.now();
    const naiveSteps = naiveImport(naiveWs, files);
    const naiveImportS = (performance.now() - t0) / 1000;
    const ids = naiveWs.trees.listSearches({}).items.map((s) => s.id);
    t0 = performance.now();
    const naiveExportSteps = naiveExport(naiveWs, ids, join(tmp.dir, 'naive-trl.jsonl'));
    const naiveExportS = (performance.now() - t0) / 1000;
    naiveWs.close();

    const s = (ms: number): number => ms / 1000;
    const base = `naive (${fmt(naiveTrees)} trees, a transaction per tree, a statement per node)`;
    lines.push(report({ name: `import-labels (${fmt(r.searches)} trees, ${fmt(r.labelled_steps)} labelled steps, staged and published)`, unit: 'trees/s', value: r.searches / s(imp.ms), baseline: files.length / naiveImportS, baselineName: base }));
    lines.push(report({ name: 'import-labels', unit: 'steps/s', value: r.labelled_steps / s(imp.ms), baseline: naiveSteps / naiveImportS, baselineName: base }));
    lines.push(`import-labels: ${fmt(s(imp.ms), 1)} s, peak memory ${fmt(imp.peakMb)} MB  (goal <= 600 s and <= 600 MB); re-import of the same folder: ${fmt(s(again.ms), 1)} s, ${again.stdout.trim().split('\n').at(-1)}`);
    const ebase = `naive (${fmt(naiveTrees)} trees, each tree's annotations read, a row appended at a time)`;
    lines.push(report({ name: `export annotations --format trl (${fmt(r.annotations)} paths)`, unit: 'trees/s', value: r.searches / s(exp.ms), baseline: ids.length / naiveExportS, baselineName: ebase }));
    lines.push(report({ name: 'export annotations --format trl', unit: 'steps/s', value: exportedSteps / s(exp.ms), baseline: naiveExportSteps / naiveExportS, baselineName: ebase }));
    lines.push(`export annotations: ${fmt(s(exp.ms), 1)} s, peak memory ${fmt(exp.peakMb)} MB`);
    return lines;
  } finally {
    tmp.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2] ?? 10_000);
  for (const line of await benchLabels({ trees: n })) console.log(line);
}
