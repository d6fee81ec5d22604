// Step labels by search on the bundled tiny policy: OmegaPRM against Math-Shepherd MC (k = 16), both
// checked against a high-budget MC reference (k = 64) and against the demo domain's gold step labels.
// Everything goes through the real rollout port (enginePort over Steplab's engine), on the first N test
// problems of the demo data, text and image problems alike, seeds fixed. Reports, per algorithm:
//   - cost: policy tokens and calls, labelled steps (labelledSteps), tokens and calls per labelled step,
//     first errors located and tokens per first error; the OmegaPRM / MC16 ratios, overall and by the
//     problem's number of reference steps;
//   - hard-label agreement (MC > 0) with the k = 64 reference on the prefixes both labelled;
//   - "bad step" labels (MC = 0) against gold "the prefix is still right": precision, recall, FP, FN;
//   - SQLite writes of the trees (storeSearch) in nodes/s, and the share of wall time inside port.rollout.
// Run alone: node bin/run-ts.js bench/search.ts [problems]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Problem } from '../src-shared/domain';
import { labelSolution, type DemoCheckable } from '../src-main/core/demo/check';
import { EmbeddedBackend, type ImageData } from '../src-main/core/inference/backend';
import { loadModel } from '../src-main/core/inference/model';
import { fullPrefixes, labelledSteps } from '../src-main/core/search/annotations';
import { parseSearchConfig, DEMO_SCALE } from '../src-main/core/search/config';
import { enginePort } from '../src-main/core/jobs/kinds/searchPort';
import { runMathShepherd } from '../src-main/core/search/mathShepherd';
import { runOmega } from '../src-main/core/search/omega';
import { storeSearch } from '../src-main/core/jobs/kinds/search';
import { streamKeyOf } from '../src-main/core/search/tree';
import type { SearchNode, SearchPorts, SearchResult } from '../src-main/core/search/types';
import { Store } from '../src-main/core/store';
import { fmt } from './util';

const ROOT = join(import.meta.dirname, '..');
const MODEL = join(ROOT, 'models', 'tiny-policy');
const DATA = join(ROOT, 'models', 'demo-data');

interface Row {
  id: string;
  question: string;
  answer: string;
  split: string;
  image?: string;
  reference_steps: { text: string }[];
  canonical: string;
  image_count?: number | null;
}

interface Case {
  row: Row;
  problem: Problem;
  image?: ImageData;
  gold: DemoCheckable;
  /** reference work steps: the reference solution's lines before its Answer line */
  length: number;
}

type AlgoName = 'omega' | 'mc16' | 'mc64';

interface AlgoSpec {
  name: AlgoName;
  label: string;
  /** k of labelledSteps: the rollouts that make a label */
  k: number;
  seed: number;
  config: unknown;
  run(ports: SearchPorts): Promise<SearchResult>;
}

interface ProblemRun {
  c: Case;
  result: SearchResult;
  inferenceMs: number;
  wallMs: number;
}

/** The labelled prefixes of a tree (rollouts >= k, the root excluded), keyed by their full step prefix. */
function labelledPrefixes(nodes: readonly SearchNode[], k: number): Map<string, { steps: string[]; mc: number; terminal: boolean }> {
  const prefixes = fullPrefixes(nodes);
  const out = new Map<string, { steps: string[]; mc: number; terminal: boolean }>();
  for (const n of nodes) {
    if (n.parentId === null || n.mc === null || n.rollouts < k) continue;
    const steps = prefixes.get(n.id) ?? [];
    out.set(streamKeyOf(steps), { steps, mc: n.mc, terminal: n.terminal });
  }
  return out;
}

const pct = (a: number, b: number): string => (b === 0 ? 'n/a' : `${fmt((100 * a) / b, 1)}%`);
const div = (a: number, b: number, digits = 1): string => (b === 0 ? 'n/a' : fmt(a / b, digits));

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)];
}

export interface SearchBenchOptions {
  /** first N test problems (default 50) */
  problems?: number;
  /** k of OmegaPRM and of the MC baseline (default 16) */
  k?: number;
  /** k of the MC reference (default 64) */
  referenceK?: number;
  samplesPerSolution?: number;
  /** progress lines (default: none) */
  progress?(line: string): void;
}

export async function benchSearch(opts: SearchBenchOptions = {}): Promise<string[]> {
  const N = opts.problems ?? 50;
  const K = opts.k ?? 16;
  const REF_K = opts.referenceK ?? 64;
  const SAMPLES = opts.samplesPerSolution ?? 4;
  const progress = opts.progress ?? (() => {});
  const tStart = performance.now();

  const rows = readFileSync(join(DATA, 'problems.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Row)
    .filter((r) => r.split === 'test')
    .slice(0, N);
  const model = await loadModel(MODEL);
  const backend = new EmbeddedBackend(model);
  const engine = backend.engine;
  const manifest = model.manifest;
  const cases: Case[] = [];
  for (const row of rows) {
    const num = Number(/(\d+)$/.exec(row.id)?.[1] ?? cases.length);
    const problem: Problem = { id: num, extId: row.id, question: row.question, answer: row.answer, answerType: 'number', source: 'steplab-demo', split: row.split, tags: [], images: [], meta: {} };
    const image = row.image && manifest.image ? { key: row.id, mime: 'image/png', bytes: readFileSync(join(DATA, row.image)) } : undefined;
    cases.push({ row, problem, image, gold: { canonical: row.canonical, image_count: row.image_count ?? null }, length: row.reference_steps.length - 1 });
  }
  const sampling = { temperature: 1, topK: 50, topP: 0.9, maxNewTokens: manifest.parameters.maxNewTokens };

  // Three independent seeds: with one seed, the port gives a prefix the same rollout streams whichever
  // algorithm asks, so MC16's labels would be the first 16 of the reference's 64 and OmegaPRM's k = 16
  // estimates would equal MC16's on every shared prefix.
  const omegaConfig = parseSearchConfig('omega', { ...DEMO_SCALE.omega, rolloutsPerState: K });
  const mc16Config = parseSearchConfig('mc', { samplesPerSolution: SAMPLES, k: K });
  const mc64Config = parseSearchConfig('mc', { samplesPerSolution: SAMPLES, k: REF_K });
  const algos: AlgoSpec[] = [
    { name: 'omega', label: `OmegaPRM k=${K}`, k: K, seed: 1, config: omegaConfig, run: (p) => runOmega(omegaConfig, p) },
    { name: 'mc16', label: `MC k=${K}`, k: K, seed: 2, config: mc16Config, run: (p) => runMathShepherd(mc16Config, p) },
    { name: 'mc64', label: `MC k=${REF_K} (ref)`, k: REF_K, seed: 3, config: mc64Config, run: (p) => runMathShepherd(mc64Config, p) },
  ];

  const runs = new Map<AlgoName, ProblemRun[]>();
  for (const a of algos) {
    engine.clearPrefixCache();
    const list: ProblemRun[] = [];
    for (const c of cases) {
      let inferenceMs = 0;
      const port = enginePort({ backend, problem: c.problem, image: c.image, seed: a.seed, sampling });
      const timed: SearchPorts = {
        async rollout(prefix, n, key) {
          const s = performance.now();
          try {
            return await port.rollout(prefix, n, key);
          } finally {
            inferenceMs += performance.now() - s;
          }
        },
      };
      const t0 = performance.now();
      const result = await a.run(timed);
      list.push({ c, result, inferenceMs, wallMs: performance.now() - t0 });
    }
    runs.set(a.name, list);
    const tokens = list.reduce((t, r) => t + r.result.stats.tokens, 0);
    const ms = list.reduce((t, r) => t + r.wallMs, 0);
    progress(`${a.label}: ${cases.length} problems, ${tokens} tokens, ${fmt(ms / 1000, 1)} s`);
  }
  await model.release();

  // SQLite: every tree written with storeSearch into a fresh workspace
  const dir = mkdtempSync(join(tmpdir(), 'steplab-bench-search-'));
  const storeMs = new Map<AlgoName, number>();
  let storedNodes = 0;
  let storeTotalMs = 0;
  try {
    const store = Store.open(dir, { create: true });
    try {
      const problemIds = new Map<string, number>();
      for (const c of cases) {
        problemIds.set(c.row.id, store.problems.upsert({ question: c.row.question, answer: c.row.answer, answerType: 'number', source: 'steplab-demo', tags: [], imageHashes: [], meta: { extId: c.row.id, image: c.row.image ?? null } }).id);
      }
      for (const a of algos) {
        let ms = 0;
        for (const r of runs.get(a.name)!) {
          const t0 = performance.now();
          store.transaction(() =>
            storeSearch(store, { problemId: problemIds.get(r.c.row.id)!, modelId: null, algorithm: a.name === 'omega' ? 'omegaprm' : 'math-shepherd', config: { ...(a.config as object), ...sampling }, seed: a.seed, jobId: null, result: r.result, delimiter: manifest.stepDelimiter, setName: `bench-${a.name}`, annotationMode: 'mmprm', k: a.k, model: 'tiny-policy' }),
          );
          ms += performance.now() - t0;
          storedNodes += r.result.nodes.length;
        }
        storeMs.set(a.name, ms);
        storeTotalMs += ms;
      }
    } finally {
      store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // per algorithm: cost, first errors, agreement with the reference, bad-step labels against gold
  const ref = runs.get('mc64')!;
  const refLabels = new Map(ref.map((r) => [r.c.row.id, labelledPrefixes(r.result.nodes, REF_K)]));
  interface Agg {
    tokens: number;
    calls: number;
    rollouts: number;
    nodes: number;
    labelled: number;
    firstErrors: number;
    firstErrorsGold: number;
    inferenceMs: number;
    wallMs: number;
    agree: number;
    shared: number;
    tp: number;
    fp: number;
    fn: number;
    tn: number;
    fnTerminal: number;
    goldBad: number;
  }
  const zero = (): Agg => ({ tokens: 0, calls: 0, rollouts: 0, nodes: 0, labelled: 0, firstErrors: 0, firstErrorsGold: 0, inferenceMs: 0, wallMs: 0, agree: 0, shared: 0, tp: 0, fp: 0, fn: 0, tn: 0, fnTerminal: 0, goldBad: 0 });
  const total = new Map<AlgoName, Agg>();
  const byLength = new Map<AlgoName, Map<number, Agg>>();
  for (const a of algos) {
    const agg = zero();
    const lens = new Map<number, Agg>();
    for (const r of runs.get(a.name)!) {
      const per = lens.get(r.c.length) ?? zero();
      lens.set(r.c.length, per);
      const labelled = labelledSteps(r.result.nodes, a.k);
      const prefixes = fullPrefixes(r.result.nodes);
      let fe = 0;
      let feGold = 0;
      for (const n of r.result.nodes) {
        if (!n.firstError) continue;
        fe++;
        const steps = prefixes.get(n.id) ?? [];
        if (labelSolution(r.c.gold, steps).firstError === steps.length - 1) feGold++;
      }
      for (const x of [agg, per]) {
        x.tokens += r.result.stats.tokens;
        x.calls += r.result.stats.policyCalls;
        x.rollouts += r.result.stats.rollouts;
        x.nodes += r.result.nodes.length;
        x.labelled += labelled;
        x.firstErrors += fe;
        x.firstErrorsGold += feGold;
        x.inferenceMs += r.inferenceMs;
        x.wallMs += r.wallMs;
      }
      const mine = labelledPrefixes(r.result.nodes, a.k);
      const theirs = refLabels.get(r.c.row.id)!;
      for (const [key, l] of mine) {
        const other = theirs.get(key);
        if (other) {
          agg.shared++;
          if (l.mc > 0 === other.mc > 0) agg.agree++;
        }
        const gf = labelSolution(r.c.gold, l.steps).firstError;
        const goldBad = !(gf === null || gf >= l.steps.length);
        const predBad = l.mc === 0;
        if (goldBad) agg.goldBad++;
        if (predBad && goldBad) agg.tp++;
        else if (predBad) agg.fp++;
        else if (goldBad) {
          agg.fn++;
          if (l.terminal) agg.fnTerminal++;
        } else agg.tn++;
      }
    }
    total.set(a.name, agg);
    byLength.set(a.name, lens);
  }

  const out: string[] = [];
  const images = cases.filter((c) => c.image).length;
  const wallS = (performance.now() - tStart) / 1000;
  out.push(
    `search labels: ${cases.length} demo test problems (${images} with an image), tiny-policy on ${engine.provider}; OmegaPRM ${JSON.stringify({ ...DEMO_SCALE.omega, rolloutsPerState: K })}; MC samplesPerSolution ${SAMPLES}; sampling T=1 topK=50 topP=0.9; seeds omega 1, mc16 2, mc64 3; ${fmt(wallS, 0)} s`,
  );
  const names = algos.map((a) => a.name);
  const lab = (n: AlgoName) => algos.find((a) => a.name === n)!.label;
  out.push('');
  out.push(
    ...table(
      ['cost', 'tokens', 'calls', 'rollouts', 'nodes', 'labelled', 'tok/label', 'calls/label', '1st err', 'gold-exact', 'tok/1st err'],
      names.map((n) => {
        const t = total.get(n)!;
        return [lab(n), fmt(t.tokens), fmt(t.calls), fmt(t.rollouts), fmt(t.nodes), fmt(t.labelled), div(t.tokens, t.labelled), div(t.calls, t.labelled, 2), fmt(t.firstErrors), fmt(t.firstErrorsGold), div(t.tokens, t.firstErrors, 0)];
      }),
    ),
  );
  const o = total.get('omega')!;
  const m = total.get('mc16')!;
  const ratio = (x: Agg, y: Agg, f: (a: Agg) => number) => {
    const a = f(x);
    const b = f(y);
    return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? fmt(a / b, 2) : 'n/a';
  };
  const tpl = (a: Agg) => (a.labelled ? a.tokens / a.labelled : NaN);
  const tpf = (a: Agg) => (a.firstErrors ? a.tokens / a.firstErrors : NaN);
  out.push('');
  const lengths = [...new Set(cases.map((c) => c.length))].sort((a, b) => a - b);
  const lenRows: string[][] = [['all', fmt(cases.length), fmt(o.tokens), fmt(m.tokens), ratio(o, m, tpl), ratio(o, m, tpf), ratio(o, m, (a) => a.tokens)]];
  for (const L of lengths) {
    const x = byLength.get('omega')!.get(L) ?? zero();
    const y = byLength.get('mc16')!.get(L) ?? zero();
    lenRows.push([`${L} work steps`, fmt(cases.filter((c) => c.length === L).length), fmt(x.tokens), fmt(y.tokens), ratio(x, y, tpl), ratio(x, y, tpf), ratio(x, y, (a) => a.tokens)]);
  }
  out.push(...table(['OmegaPRM / MC16', 'problems', 'omega tok', 'mc16 tok', 'tok/label (goal <= 0.20)', 'tok/1st err', 'tokens'], lenRows));
  out.push('');
  out.push(
    ...table(
      ['labels', `agree w/ k=${REF_K}`, 'shared', 'precision(bad)', 'recall(bad)', 'TP', 'FP', 'FN', 'FN terminal', 'TN', 'gold bad'],
      names.map((n) => {
        const t = total.get(n)!;
        return [lab(n), n === 'mc64' ? 'self' : pct(t.agree, t.shared), n === 'mc64' ? '' : `${fmt(t.agree)}/${fmt(t.shared)}`, pct(t.tp, t.tp + t.fp), pct(t.tp, t.tp + t.fn), fmt(t.tp), fmt(t.fp), fmt(t.fn), fmt(t.fnTerminal), fmt(t.tn), fmt(t.goldBad)];
      }),
    ),
  );
  out.push('');
  out.push(
    ...table(
      ['time', 'search s', 'in rollout', 'rest', 'store ms', 'nodes', 'nodes/s stored'],
      names.map((n) => {
        const t = total.get(n)!;
        const s = storeMs.get(n)!;
        const all = t.wallMs + s;
        return [lab(n), fmt(t.wallMs / 1000, 1), pct(t.inferenceMs, all), pct(all - t.inferenceMs, all), fmt(s, 0), fmt(t.nodes), fmt(t.nodes / (s / 1000))];
      }),
    ),
  );
  out.push(`store: ${fmt(storedNodes)} nodes in ${fmt(storeTotalMs, 0)} ms (storeSearch: nodes, events, annotations, one transaction per tree) = ${fmt(storedNodes / (storeTotalMs / 1000))} nodes/s`);
  out.push(
    `notes: labelled = distinct prefixes with >= k rollouts (labelledSteps); agreement and gold columns count those prefixes; bad = MC 0; gold bad = labelSolution(prefix).firstError < prefix length; FN = MC > 0 on a gold-bad prefix (some rollout reached the gold answer), "terminal" = the prefix is a whole sampled solution; gold-exact = first-error nodes whose last step is the gold first error; work steps = reference lines before "Answer:"; "in rollout" = time inside port.rollout over search + store time`,
  );
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = process.argv[2] ? Number(process.argv[2]) : undefined;
  for (const line of await benchSearch({ problems: n, progress: (l) => console.error(l) })) console.log(line);
}
