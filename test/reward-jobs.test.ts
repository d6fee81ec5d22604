// The PRM's jobs with the bundled models on real demo problems: Best-of-N end to end (selection on
// val, candidates reused, evaluation stored and exported), scoring stored solutions, search trees and
// an MM-PRM rollout file, and the one-line errors that come before any work.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImagePaths } from '../src-main/core/data/imagePaths';
import { ROLLOUT_SHAPES, rolloutInput, type RolloutShape } from '../src-main/core/reward/rollouts';
import { dispatch } from '../src-main/core/dispatch';
import { Store } from '../src-main/core/store';
import { openWorkbench } from '../src-main/core/workbench';
import { tempDir } from './helpers/tmp';
import { cli } from './helpers/cli';

const ROOT = join(import.meta.dirname, '..');
let tmp: ReturnType<typeof tempDir>;
let ws: string;

const lastJson = (r: { out: string[] }): Record<string, any> => JSON.parse(r.out.at(-1)!);

beforeAll(async () => {
  tmp = tempDir();
  ws = join(tmp.dir, 'ws');
  const init = await cli('init', ws, '--demo', '--json');
  expect(init.code, init.err.join('\n')).toBe(0);
  expect(lastJson(init).demo.models).toEqual(expect.arrayContaining(['tiny-policy@1', 'tiny-prm@1']));
});
afterAll(() => tmp?.cleanup());

describe('steplab bon', () => {
  let first: Record<string, any>;
  let byMinId: number;

  it('reports every method for N = 1, 2, 4 with the aggregation chosen on val', async () => {
    const r = await cli('bon', '--workspace', ws, '--dataset', 'demo', '--split', 'test', '--select-on', 'val', '--policy', 'tiny-policy', '--prm', 'tiny-prm', '--n', '4', '--limit', '6', '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    first = lastJson(r);
    expect(first).toMatchObject({ n: 4, problems: 6, chosen_on: 'val' });
    const keys = ['random', 'greedy', 'majority', 'prm_min', 'prm_last', 'prm_product', 'prm_mean', 'prm_max', 'prm_sum_log_odds', 'prm_mean_odds', 'prm_weighted_vote', 'pass_at_n'];
    expect(Object.keys(first.accuracy).sort()).toEqual([...keys].sort());
    for (const k of keys) expect(first.accuracy[k]).toBeGreaterThanOrEqual(0), expect(first.accuracy[k]).toBeLessThanOrEqual(1);
    expect(Object.keys(first.by_n)).toEqual(['1', '2', '4']);
    expect(first.chosen).toMatch(/^prm_/);
    // every method picks one of the candidates, so none beats the oracle
    for (const k of keys) if (k !== 'greedy' && k !== 'pass_at_n') expect(first.accuracy[k]).toBeLessThanOrEqual(first.accuracy.pass_at_n + 1e-12);
    // at N = 1 every selection rule is the single candidate
    const one = first.by_n['1'];
    for (const k of keys) if (k !== 'greedy') expect(one[k]).toBeCloseTo(one.random, 12);
  });

  it('computes the random pick and pass@N from the stored, verified candidates', () => {
    const store = Store.open(ws);
    try {
      const ev = store.evaluations.get(first.evaluation);
      const items = store.evaluations.items(ev.id);
      expect(items).toHaveLength(6 * 4);
      const byProblem = new Map<number, number[]>();
      for (const i of items) byProblem.set(i.problemId, [...(byProblem.get(i.problemId) ?? []), i.scores.correct]);
      const random = [...byProblem.values()].reduce((a, c) => a + c.reduce((x, y) => x + y, 0) / c.length, 0) / byProblem.size;
      const pass = [...byProblem.values()].filter((c) => c.some((x) => x === 1)).length / byProblem.size;
      expect(first.accuracy.random).toBeCloseTo(random, 12);
      expect(first.accuracy.pass_at_n).toBeCloseTo(pass, 12);
      // the pairwise accuracy, recomputed from the stored items' min scores
      let wins = 0;
      let pairs = 0;
      const mins = new Map<number, { correct: number; min: number }[]>();
      for (const i of items) mins.set(i.problemId, [...(mins.get(i.problemId) ?? []), { correct: i.scores.correct, min: i.scores.min }]);
      for (const c of mins.values()) {
        for (const r of c.filter((x) => x.correct === 1)) for (const w of c.filter((x) => x.correct === 0)) [wins, pairs] = [wins + (r.min > w.min ? 1 : r.min === w.min ? 0.5 : 0), pairs + 1];
      }
      const pw = (ev.metrics as { splits: Record<string, { pairwise: { accuracy: number; pairs: number } }> }).splits.test.pairwise;
      expect(pw.pairs).toBe(pairs);
      if (pairs) expect(pw.accuracy).toBeCloseTo(wins / pairs, 12);
      // the chosen rule against majority, greedy and random: the mean of paired differences is the difference of the accuracies
      const diffs = (ev.metrics as { splits: Record<string, { differences: { a: string; b: string; n: number; diff: number; interval: [number, number] }[] }> }).splits.test.differences;
      expect(diffs.map((d) => d.b)).toEqual(['majority', 'greedy', 'random']);
      for (const d of diffs) {
        expect(d).toMatchObject({ a: first.chosen, n: 4 });
        expect(d.diff).toBeCloseTo(first.accuracy[d.a] - first.accuracy[d.b], 12);
        expect(d.interval[0]).toBeLessThanOrEqual(d.diff + 1e-12);
        expect(d.interval[1]).toBeGreaterThanOrEqual(d.diff - 1e-12);
      }
      // each candidate's step scores are stored under the PRM
      const prm = store.models.byName('tiny-prm');
      const scores = store.scores.stepScores(prm.id, items.map((i) => i.solutionId));
      expect(scores.size).toBe(items.length);
      for (const i of items) expect(store.solutions.get(i.solutionId).steps.length).toBe(scores.get(i.solutionId)!.length);
    } finally {
      store.close();
    }
  });

  it("models/recipes/bon_rows.ts exports the candidates and, given the PRM's stored step scores, tables what steplab bon stored", () => {
    const rowsFile = join(tmp.dir, 'bon-rows.jsonl');
    const run = (...args: string[]) => execFileSync(process.execPath, [join(ROOT, 'bin', 'run-ts.js'), join(ROOT, 'models', 'recipes', 'bon_rows.ts'), ...args], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    run('export', '--workspace', ws, '--evaluation', String(first.evaluation), '--out', rowsFile);
    const rows = readFileSync(rowsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { solution: number; completions: string[]; labels: (number | null)[] });
    expect(rows).toHaveLength(6 * 4);
    const store = Store.open(ws);
    let metrics: { splits: Record<string, { byN: Record<string, Record<string, number>>; pairwise: { accuracy: number; pairs: number }; differences: { a: string; b: string; diff: number; interval: number[] }[] }> };
    try {
      metrics = store.evaluations.get(first.evaluation).metrics as typeof metrics;
      const stored = store.scores.stepScores(store.models.byName('tiny-prm').id, rows.map((r) => r.solution));
      for (const r of rows) expect(r.labels).toEqual(store.solutions.get(r.solution).steps.map((s) => s.goldLabel));
      writeFileSync(join(tmp.dir, 'bon-scores.json'), JSON.stringify(rows.map((r) => ({ scores: stored.get(r.solution) }))));
    } finally {
      store.close();
    }
    run('table', '--workspace', ws, '--evaluation', String(first.evaluation), '--scores', join(tmp.dir, 'bon-scores.json'), '--json', join(tmp.dir, 'bon-table.json'));
    const table = JSON.parse(readFileSync(join(tmp.dir, 'bon-table.json'), 'utf8')) as {
      byN: Record<string, Record<string, number>>;
      pairwise: { min: { accuracy: number; pairs: number } };
      differences: Record<string, { b: string; diff: number; interval: number[] }[]>;
    };
    const test = metrics.splits.test;
    expect(Object.keys(table.byN)).toEqual(Object.keys(test.byN));
    for (const [n, row] of Object.entries(test.byN)) for (const [m, v] of Object.entries(row)) expect(table.byN[n][m], `${m} at N=${n}`).toBeCloseTo(v, 12);
    expect(table.pairwise.min.pairs).toBe(test.pairwise.pairs);
    if (test.pairwise.pairs) expect(table.pairwise.min.accuracy).toBeCloseTo(test.pairwise.accuracy, 12);
    expect(table.differences[first.chosen].map(({ b, diff, interval }) => ({ b, diff, interval }))).toEqual(test.differences.map(({ b, diff, interval }) => ({ b, diff, interval })));
    // a scores file that does not fit the rows is one line, no table
    writeFileSync(join(tmp.dir, 'bon-short.json'), JSON.stringify([{ scores: [0.5] }]));
    let err = '';
    try {
      run('table', '--workspace', ws, '--evaluation', String(first.evaluation), '--scores', join(tmp.dir, 'bon-short.json'));
    } catch (e) {
      err = String((e as { stderr: string }).stderr);
    }
    expect(err.trim()).toBe(`bon_rows: ${join(tmp.dir, 'bon-short.json')}: expected 24 entries (one per exported row), got 1`);
  });

  it('reuses the stored candidates on a second run and gives the same numbers', async () => {
    // another name: the same settings would find the first run done and tell its result without running
    const r = await cli('bon', '--workspace', ws, '--dataset', 'demo', '--split', 'test', '--select-on', 'val', '--policy', 'tiny-policy', '--prm', 'tiny-prm', '--n', '4', '--limit', '6', '--name', 'second run', '--json');
    expect(r.code).toBe(0);
    const again = lastJson(r);
    expect(again.accuracy).toEqual(first.accuracy);
    const store = Store.open(ws);
    try {
      const job = store.jobs.list().find((j) => j.kind === 'bon' && (j.result as { evaluation: number }).evaluation === again.evaluation)!;
      expect(job.result).toMatchObject({ generated: 0, scored: 0, reused: 2 * 6 * 4 });
    } finally {
      store.close();
    }
  });

  it('prints the table and exports the evaluation as JSON and CSV', async () => {
    const show = await cli('evaluations', '--workspace', ws, '--id', String(first.evaluation));
    expect(show.out.join('\n')).toMatch(/prm_mean_odds/);
    expect(show.out.join('\n')).toMatch(/ProcessBench F1/);
    const json = join(tmp.dir, 'ev.json');
    const csv = join(tmp.dir, 'ev.csv');
    expect((await cli('evaluations', '--workspace', ws, '--id', String(first.evaluation), '--out', json)).code).toBe(0);
    expect((await cli('evaluations', '--workspace', ws, '--id', String(first.evaluation), '--format', 'csv', '--out', csv)).code).toBe(0);
    const j = JSON.parse(readFileSync(json, 'utf8'));
    expect(j).toMatchObject({ id: first.evaluation, policy: 'tiny-policy@1', prm: 'tiny-prm@1', dataset: 'demo' });
    expect(j.items).toHaveLength(24);
    expect(j.metrics.accuracy).toEqual(first.accuracy);
    const wb = openWorkbench(ws);
    try {
      const list = ((await dispatch(wb.handlers, 'evaluations.list', {})) as { items: { id: number }[] }).items;
      expect(list.map((e) => e.id)).toContain(first.evaluation);
      const ev = (await dispatch(wb.handlers, 'evaluations.get', { id: first.evaluation })) as { prm: string; metrics: { accuracy: unknown } };
      expect(ev).toMatchObject({ prm: 'tiny-prm@1', metrics: { accuracy: first.accuracy } });
    } finally {
      wb.close();
    }
    const svg = join(tmp.dir, 'ev.svg');
    expect((await cli('evaluations', '--workspace', ws, '--id', String(first.evaluation), '--format', 'svg', '--out', svg)).code).toBe(0);
    const chart = readFileSync(svg, 'utf8');
    expect(chart).toMatch(/^<svg/);
    expect(chart).toContain('N (candidates per problem)');
    expect(chart).toContain('majority');
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('split,n,method,accuracy,chosen');
    expect(lines).toHaveLength(1 + 2 * 3 * 12); // two splits, three N, twelve methods
    expect(lines).toContain(`test,4,random,${first.accuracy.random},0`);
  });

  it('compares two evaluations of the same candidates problem by problem: a minus b at each N, as a hand count of the stored rows gives', async () => {
    const r = await cli('bon', '--workspace', ws, '--dataset', 'demo', '--split', 'test', '--select-on', 'val', '--policy', 'tiny-policy', '--prm', 'tiny-prm', '--n', '4', '--limit', '6', '--vote-weight', 'min', '--name', 'vote by min', '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    const byMin = lastJson(r).evaluation as number;
    byMinId = byMin;
    // the hand count: per problem, the candidates' verdicts, answers and min step scores, in k order
    const store = Store.open(ws);
    let problems: { correct: boolean; answer: string | null; min: number; product: number }[][];
    try {
      const byProblem = new Map<number, { k: number; correct: boolean; answer: string | null; min: number; product: number }[]>();
      for (const it of store.evaluations.items(first.evaluation)) {
        const s = store.solutions.get(it.solutionId);
        const k = (s.settings as { bon: { k: number } }).bon.k;
        const answer = s.finalAnswer === null ? null : s.finalAnswer.trim().toLowerCase().replace(/\s+/g, '');
        byProblem.set(it.problemId, [...(byProblem.get(it.problemId) ?? []), { k, correct: it.scores.correct === 1, answer: answer || null, min: it.scores.min, product: it.scores.product }]);
      }
      problems = [...byProblem.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c.sort((a, b) => a.k - b.k));
    } finally {
      store.close();
    }
    // best by min score (ties: the expected pick), and the answer vote weighted by min or by product, over the first n candidates
    const best = (c: typeof problems[0]) => { const top = Math.max(...c.map((x) => x.min)); const tied = c.filter((x) => x.min === top); return tied.filter((x) => x.correct).length / tied.length; };
    const vote = (c: typeof problems[0], w: (x: typeof c[0]) => number) => {
      const g = new Map<string, { total: number; correct: boolean }>();
      for (const x of c) if (x.answer !== null) g.set(x.answer, { total: (g.get(x.answer)?.total ?? 0) + Math.max(0, w(x)), correct: g.get(x.answer)?.correct ?? x.correct });
      if (!g.size) return 0;
      const top = Math.max(...[...g.values()].map((v) => v.total));
      const win = [...g.values()].filter((v) => v.total === top);
      return win.filter((v) => v.correct).length / win.length;
    };
    const mean = (f: (c: typeof problems[0]) => number) => problems.reduce((a, c) => a + f(c.slice(0, 4)), 0) / problems.length;

    const same = await cli('evaluations', '--workspace', ws, '--id', String(byMin), '--against', String(first.evaluation), '--method', 'prm_min', '--json');
    expect(same.code, same.err.join('\n')).toBe(0);
    const s1 = lastJson(same);
    expect(s1).toMatchObject({ dataset: 'demo', split: 'test', problems: 6, sameCandidates: true, a: { id: byMin, method: 'prm_min', chosenOn: null, prm: 'tiny-prm@1' }, b: { id: first.evaluation, method: 'prm_min' } });
    expect(s1.rows.map((x: { n: number }) => x.n)).toEqual([1, 2, 4]);
    const at4 = s1.rows.at(-1);
    expect(at4.a).toBeCloseTo(mean(best), 12);
    expect(at4).toMatchObject({ diff: 0, interval: [0, 0] }); // one PRM, one method: no difference at all

    const votes = await cli('evaluations', '--workspace', ws, '--id', String(byMin), '--against', String(first.evaluation), '--method', 'prm_weighted_vote', '--json');
    const v = lastJson(votes).rows.at(-1);
    expect(v.a).toBeCloseTo(mean((c) => vote(c, (x) => x.min)), 12);
    expect(v.b).toBeCloseTo(mean((c) => vote(c, (x) => x.product)), 12);
    expect(v.diff).toBeCloseTo(v.a - v.b, 12);
    expect(v.interval[0]).toBeLessThanOrEqual(v.diff + 1e-12);
    expect(v.interval[1]).toBeGreaterThanOrEqual(v.diff - 1e-12);

    // each side's own chosen method by default, and the table a person reads
    const text = await cli('evaluations', '--workspace', ws, '--id', String(byMin), '--against', String(first.evaluation));
    const out = text.out.join('\n');
    expect(out).toContain('demo/test, 6 problems, the same candidates');
    expect(out).toContain(`a: evaluation ${byMin} (vote by min; PRM tiny-prm@1, policy tiny-policy@1): ${lastJson(r).chosen} (chosen on val)`);
    expect(out).toMatch(/\n4 +[\d.]+ +[\d.]+ +[+\u2212][\d.]+ +\[[+\u2212][\d.]+, [+\u2212][\d.]+\]/);
  });

  it('refuses to compare an evaluation with itself, with other problems or beyond its N, in one line each, and changes nothing', async () => {
    const few = await cli('bon', '--workspace', ws, '--dataset', 'demo', '--split', 'test', '--policy', 'tiny-policy', '--prm', 'tiny-prm', '--n', '2', '--limit', '3', '--name', 'three problems', '--json');
    expect(few.code, few.err.join('\n')).toBe(0);
    const three = lastJson(few).evaluation as number;
    const count = () => { const st = Store.open(ws); try { return st.evaluations.count(); } finally { st.close(); } };
    const before = count();
    const id = String(first.evaluation);
    const cases: [string[], string][] = [
      [['--id', id, '--against', id], `error: evaluation ${id} compared with itself; name two evaluations`],
      [['--id', id, '--against', String(three)], `error: evaluations ${id} and ${three} hold different problems of demo/test (6 and 3); run steplab bon with the same --limit for both`],
      [['--id', id, '--against', '999'], 'error: evaluation 999 not found'],
      [['--id', id, '--against', String(byMinId), '--n', '8'], 'error: N 8 is more than the 4 candidates per problem both evaluations have; give --n 4 or less'],
      [['--id', id, '--against', String(byMinId), '--method', 'best'], `error: --method: unknown method "best" (random, greedy, majority, prm_min, prm_last, prm_product, prm_mean, prm_max, prm_sum_log_odds, prm_mean_odds, prm_weighted_vote, pass_at_n)`],
      [['--id', id, '--n', '2'], 'error: --n and --method go with --against'],
    ];
    for (const [args, msg] of cases) {
      const res = await cli('evaluations', '--workspace', ws, ...args);
      expect(res.code, args.join(' ')).toBe(1);
      expect(res.err, args.join(' ')).toEqual([msg]);
    }
    expect(count()).toBe(before);
  });

  it('refuses N < 1, a policy given as PRM and an unknown split before any work', async () => {
    const base = ['bon', '--workspace', ws, '--dataset', 'demo', '--split', 'test', '--policy', 'tiny-policy'];
    const n0 = await cli(...base, '--prm', 'tiny-prm', '--n', '0');
    expect(n0.code).toBe(1);
    expect(n0.err.join('\n')).toMatch(/N must be an integer >= 1/);
    const wrong = await cli(...base, '--prm', 'tiny-policy', '--n', '2');
    expect(wrong.err).toEqual(['error: --prm: model "tiny-policy" is a policy model, not a PRM']);
    const split = await cli('bon', '--workspace', ws, '--dataset', 'demo', '--split', 'nope', '--policy', 'tiny-policy', '--prm', 'tiny-prm', '--n', '2');
    expect(split.err).toEqual(['error: dataset "demo" has no split "nope" (its splits: test 500, train 2000, val 300)']);
  });
});

describe('steplab score', () => {
  it('scores stored solutions once and skips them the next time', async () => {
    expect((await cli('generate', '--workspace', ws, '--dataset', 'demo', '--model', 'tiny-policy', '--n', '2', '--split', 'train', '--limit', '3')).code).toBe(0);
    const r = await cli('score', '--workspace', ws, '--prm', 'tiny-prm', '--dataset', 'demo', '--split', 'train', '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    const s = lastJson(r);
    expect(s.solutions).toBe(6);
    expect(s.steps).toBeGreaterThanOrEqual(6);
    expect(s.gold.steps.steps).toBe(s.steps);
    // another threshold: the same settings would find the first run done and tell its result without running
    const again = lastJson(await cli('score', '--workspace', ws, '--prm', 'tiny-prm', '--dataset', 'demo', '--split', 'train', '--threshold', '0.4', '--json'));
    expect(again).toMatchObject({ solutions: 0, skipped: 6 });
  });

  it('scores every node of a search tree from its path, beside MC', async () => {
    const cfg = join(tmp.dir, 'small.json');
    writeFileSync(cfg, JSON.stringify({ maxSearchCount: 3, rolloutBudget: 24, rolloutsPerState: 4, lengthScale: 50 }));
    const search = await cli('search', '--workspace', ws, '--dataset', 'demo', '--model', 'tiny-policy', '--algo', 'omega', '--split', 'val', '--limit', '2', '--config', cfg, '--all-paths', '--json');
    expect(search.code, search.err.join('\n')).toBe(0);
    const ids: number[] = lastJson(search).search_ids;
    const r = await cli('score', '--workspace', ws, '--prm', 'tiny-prm', '--search', ids.join(','), '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    const s = lastJson(r);
    const store = Store.open(ws);
    try {
      const prm = store.models.byName('tiny-prm');
      let nonRoot = 0;
      for (const id of ids) {
        const nodes = store.trees.nodes(id);
        const scores = store.scores.nodeScores(prm.id, id);
        for (const n of nodes) {
          if (n.parentId === null) expect(scores.has(n.id)).toBe(false);
          else {
            nonRoot++;
            expect(scores.get(n.id)).toBeGreaterThan(0);
          }
        }
      }
      expect(s.nodes).toBe(nonRoot);
      expect(s.mc.steps).toBeGreaterThan(0);
    } finally {
      store.close();
    }
    // the API shows them beside each node's MC
    const wb = openWorkbench(ws);
    try {
      const tree = (await dispatch(wb.handlers, 'searches.tree', { id: ids[0] })) as { nodes: { id: number; parentId: number | null; mc: number | null }[]; prm: { model: string; scores: Record<string, number> }[] };
      expect(tree.prm.map((p) => p.model)).toEqual(['tiny-prm@1']);
      for (const n of tree.nodes) if (n.parentId !== null) expect(tree.prm[0].scores[String(n.id)]).toBeGreaterThan(0);
      // curation through the API: an edit over the original label, and a clear error for a step that does not exist
      const anns = (await dispatch(wb.handlers, 'annotations.forSearch', { searchId: ids[0] })) as { id: number; steps: { softLabel: number }[] }[];
      const a = anns[0];
      const edited = (await dispatch(wb.handlers, 'annotations.edit', { annotationId: a.id, stepIdx: 0, action: 'relabel', value: 0.25 })) as { steps: { softLabel: number; originalSoft: number; edited: boolean }[] };
      expect(edited.steps[0]).toMatchObject({ softLabel: 0.25, originalSoft: a.steps[0].softLabel, edited: true });
      await expect(dispatch(wb.handlers, 'annotations.edit', { annotationId: a.id, stepIdx: 99, action: 'relabel', value: 1 })).rejects.toThrow(`annotation ${a.id} has ${a.steps.length} steps; there is no step 99`);
    } finally {
      wb.close();
    }
  });

  it('writes prm_scores into an MM-PRM rollout file, and a bad line stops it with nothing written', async () => {
    const demo = join(import.meta.dirname, '..', 'models', 'demo-data');
    const picture = readFileSync(join(demo, 'problems.jsonl'), 'utf8').split('\n').map((l) => (l ? JSON.parse(l) : null)).find((r) => r?.image);
    // the image path is relative to the rollout file, as in MM-PRM's files
    mkdirSync(join(tmp.dir, 'pics'), { recursive: true });
    copyFileSync(join(demo, picture.image), join(tmp.dir, 'pics', 'p.png'));
    const rollouts = join(tmp.dir, 'rollouts.jsonl');
    const out = join(tmp.dir, 'scored.jsonl');
    // MM-K12's shape (question, image_path), one text-only item
    const rows = [
      { question: 'Tom has 7 apples. He buys 3 more. How many apples now?', solutions_splits: [['7 + 3 = 10', 'Answer: 10'], ['7 + 3 = 11', 'Answer: 11']] },
      { question: picture.question, image_path: 'pics/p.png', solutions_splits: [picture.reference_steps.map((s: { text: string }) => s.text)] },
    ];
    writeFileSync(rollouts, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    {
      const r = await cli('score', '--workspace', ws, '--prm', 'tiny-prm', '--rollouts', rollouts, '--out', out, '--json');
      expect(r.code, r.err.join('\n')).toBe(0);
      expect(lastJson(r)).toMatchObject({ shape: 'k12', items: 2, solutions: 3 });
      const scored = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(scored[0].question).toBe(rows[0].question);
      expect(scored[0].prm_scores.map((s: number[]) => s.length)).toEqual([2, 2]);
      expect(scored[1].prm_scores[0]).toHaveLength(picture.reference_steps.length);

      const bad = join(tmp.dir, 'bad.jsonl');
      const out2 = join(tmp.dir, 'scored2.jsonl');
      writeFileSync(bad, JSON.stringify(rows[0]) + '\n' + JSON.stringify({ question: 'q', solutions_splits: 'x' }) + '\n');
      const b = await cli('score', '--workspace', ws, '--prm', 'tiny-prm', '--rollouts', bad, '--out', out2);
      expect(b.code).toBe(1);
      expect(b.err).toEqual(['error: line 2: field "solutions_splits": must be a list of solutions, each a list of step strings']);
      expect(existsSync(out2)).toBe(false);
      expect(readdirSync(tmp.dir).filter((f) => f.startsWith('scored2'))).toEqual([]);
    }
  });

  describe('--rollouts in each MM-PRM evaluator\'s shape', () => {
    const fixture = (shape: RolloutShape): Record<string, any>[] => JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'rollouts', `${shape}.json`), 'utf8'));
    let root: string;
    const scoreFile = async (file: string, out: string, ...extra: string[]) => cli('score', '--workspace', ws, '--prm', 'tiny-prm', '--rollouts', file, '--out', out, ...extra);

    beforeAll(() => {
      const demo = join(import.meta.dirname, '..', 'models', 'demo-data');
      const picture = readFileSync(join(demo, 'problems.jsonl'), 'utf8').split('\n').map((l) => (l ? JSON.parse(l) : null)).find((r) => r?.image);
      // every picture the fixtures name, laid out as the evaluators look for them under their --root
      root = join(tmp.dir, 'bench-root');
      const names = ['images/k12_0001.png', 'images/k12_0002.png', '12.png', '27.png', 'images_version_1-4/image_1.png', '4.png', '7.png', '39.png', 'images/OlympiadBench_2231_1.png', 'images/OlympiadBench_2240_1.png', 'images/OlympiadBench_2240_2.png'];
      for (const n of names) {
        mkdirSync(dirname(join(root, n)), { recursive: true });
        copyFileSync(join(demo, picture.image), join(root, n));
      }
    });

    it('reads question, options and pictures as the evaluator does: the same scores as those texts and pictures given plainly', async () => {
      const resolver = new ImagePaths(tmp.dir, root, false);
      for (const shape of ROLLOUT_SHAPES) {
        // one picture per input (the engine's limit): OlympiadBench's two-picture item is tested below
        const rows = fixture(shape).filter((r) => rolloutInput(r, shape, '').images.length <= 1);
        const file = join(tmp.dir, `${shape}.json`);
        writeFileSync(file, JSON.stringify(rows));
        const r = await scoreFile(file, join(tmp.dir, `${shape}-scored.json`), '--image-root', root, '--json');
        expect(r.code, r.err.join('\n')).toBe(0);
        expect(lastJson(r)).toMatchObject({ shape, items: rows.length });
        // the same items as plain rows: the composed question, the picture's path on this machine
        const plain = rows.map((row) => {
          const it = rolloutInput(row, shape, '');
          return { question: it.question, image_path: it.images.length ? resolver.locate(it.images[0].path) : null, solutions_splits: it.solutions };
        });
        const plainFile = join(tmp.dir, `${shape}-plain.json`);
        writeFileSync(plainFile, JSON.stringify(plain));
        const p = await scoreFile(plainFile, join(tmp.dir, `${shape}-plain-scored.json`), '--shape', 'k12', '--json');
        expect(p.code, p.err.join('\n')).toBe(0);
        const got = JSON.parse(readFileSync(join(tmp.dir, `${shape}-scored.json`), 'utf8')).map((x: { prm_scores: number[][] }) => x.prm_scores);
        const want = JSON.parse(readFileSync(join(tmp.dir, `${shape}-plain-scored.json`), 'utf8')).map((x: { prm_scores: number[][] }) => x.prm_scores);
        expect(got.flat(2).length, shape).toBe(rows.reduce((a, x) => a + x.solutions_splits.flat().length, 0));
        got.flat(2).forEach((v: number, i: number) => expect(v, `${shape} step ${i}`).toBeCloseTo(want.flat(2)[i], 5));
      }
    });

    it('prints the shape it detected', async () => {
      const file = join(tmp.dir, 'mathvista.json');
      const r = await scoreFile(file, join(tmp.dir, 'vista-text.json'), '--image-root', root);
      expect(r.code, r.err.join('\n')).toBe(0);
      expect(r.out[0]).toBe('shape mathvista (detected: item 1 has "query"; --shape chooses another)');
    });

    it('refuses a shape that does not fit, a missing --field column, an unread field and two pictures, with nothing written', async () => {
      const vista = join(tmp.dir, 'mathvista.json');
      const out = join(tmp.dir, 'refused.json');
      const cases: [string[], string][] = [
        [['--rollouts', vista, '--shape', 'mathverse'], `error: item 1: --shape mathverse reads field "query_cot" (as MM-PRM's MathVerse evaluator does), which this item does not have (its fields: ${Object.keys(fixture('mathvista')[0]).join(', ')})`],
        [['--rollouts', vista, '--field', 'question=problem'], `error: --field question=problem: ${vista} item 1 has no column "problem" (columns: ${Object.keys(fixture('mathvista')[0]).join(', ')})`],
        [['--rollouts', vista, '--field', 'answer=answer'], 'error: --field "answer=answer": this command does not read field "answer" (fields: question, images)'],
        [['--dataset', 'demo', '--shape', 'k12'], 'error: --shape, --field, --image-root and --allow-outside go with --rollouts'],
      ];
      for (const [args, line] of cases) {
        const r = await cli('score', '--workspace', ws, '--prm', 'tiny-prm', '--out', out, '--image-root', root, ...args);
        expect(r.code, args.join(' ')).toBe(1);
        expect(r.err, args.join(' ')).toEqual([line]);
      }
      const olympiad = join(tmp.dir, 'olympiad-all.json');
      writeFileSync(olympiad, JSON.stringify(fixture('olympiadbench')));
      const two = await scoreFile(olympiad, out, '--image-root', root);
      expect(two.err).toEqual(['error: item 2: 2 pictures (image_1, image_2), but PRM "tiny-prm" reads one picture per input']);
      const noRoot = await scoreFile(join(tmp.dir, 'k12.json'), out);
      expect(noRoot.err).toEqual([`error: item 1: field "image_path": image "images/k12_0001.png" not found in ${tmp.dir}; give --image-root <dir> if the images are elsewhere`]);
      expect(readdirSync(tmp.dir).filter((f) => f.startsWith('refused'))).toEqual([]);
    });
  });

  it('refuses a model that is not a PRM and an ambiguous target', async () => {
    const r = await cli('score', '--workspace', ws, '--prm', 'tiny-policy', '--dataset', 'demo');
    expect(r.err).toEqual(['error: model "tiny-policy" is a policy model, not a PRM']);
    const both = await cli('score', '--workspace', ws, '--prm', 'tiny-prm', '--dataset', 'demo', '--search', '1');
    expect(both.err).toEqual(['error: give exactly one of --dataset, --search or --rollouts']);
  });
});

describe('steplab train-prm (errors; the real trainer runs in npm run test:train)', () => {
  let set: string;
  beforeAll(() => {
    const store = Store.open(ws);
    try {
      set = store.annotations.sets()[0]?.name;
    } finally {
      store.close();
    }
    expect(set).toBeTruthy(); // made by the search test above
  });

  const models = async (): Promise<string[]> => (JSON.parse((await cli('models', '--workspace', ws, '--json')).out.at(-1)!) as { models: { name: string; version: number }[] }).models.map((m) => `${m.name}@${m.version}`);

  it('refuses an unknown set and annotations of another tokenizer family before any work', async () => {
    const r = await cli('train-prm', '--workspace', ws, '--annotations', 'nope');
    expect(r.err[0]).toMatch(/^error: annotation set "nope" not found \(have: /);
    // a policy of another family
    const other = join(tmp.dir, 'other-policy');
    (await import('node:fs')).cpSync(join(import.meta.dirname, '..', 'models', 'tiny-policy'), other, { recursive: true });
    const m = JSON.parse(readFileSync(join(other, 'manifest.json'), 'utf8'));
    writeFileSync(join(other, 'manifest.json'), JSON.stringify({ ...m, name: 'other-policy', family: 'qwen2-vl' }));
    expect((await cli('models', 'register', other, '--workspace', ws)).code).toBe(0);
    const f = await cli('train-prm', '--workspace', ws, '--annotations', set, '--base', 'other-policy');
    expect(f.err).toEqual([
      `error: annotation set "${set}" comes from tiny-policy@1 (family steplab-demo), but base model "other-policy" is family qwen2-vl: a PRM must share the tokenizer family of the policy whose steps it learns`,
    ]);
  });

  it('fails with the trainer\'s last stderr lines when it crashes, and registers nothing', async () => {
    const before = await models();
    const crash = join(tmp.dir, 'crash.mjs');
    writeFileSync(
      crash,
      [
        "import { readFileSync } from 'node:fs';",
        "const cfg = JSON.parse(readFileSync(process.argv[process.argv.indexOf('--config') + 1], 'utf8'));",
        "if (cfg.task !== 'prm' || !readFileSync(cfg.train_file, 'utf8').includes('\"labels\"')) process.exit(3);",
        "console.log(JSON.stringify({ event: 'progress', step: 1, total: 10, loss: 0.69 }));",
        "console.error('Traceback (most recent call last):');",
        "console.error('RuntimeError: out of memory at step 2');",
        'process.exit(1);',
      ].join('\n'),
    );
    const r = await cli('train-prm', '--workspace', ws, '--annotations', set, '--trainer', process.execPath, crash);
    expect(r.code).toBe(1);
    const msg = r.err.join('\n');
    expect(msg).toMatch(/^error: trainer failed: exit 1\nlast lines of stderr:\nTraceback \(most recent call last\):\nRuntimeError: out of memory at step 2/);
    expect(await models()).toEqual(before);
    expect(existsSync(join(ws, 'tmp')) ? readdirSync(join(ws, 'tmp')) : []).toEqual([]);
    const store = Store.open(ws);
    try {
      const job = store.jobs.list().find((j) => j.kind === 'train-prm')!;
      expect(job.state).toBe('failed');
      expect(store.jobs.metrics(job.id)).toEqual({ loss: [[1, 0.69]] }); // the curve streamed before the crash is kept
    } finally {
      store.close();
    }
  });

  it('registers nothing when the trainer reports a folder that is not a model', async () => {
    const before = await models();
    const liar = join(tmp.dir, 'liar.mjs');
    const fake = join(tmp.dir, 'not-a-model');
    writeFileSync(liar, `import { mkdirSync } from 'node:fs'; mkdirSync(${JSON.stringify(fake)}, { recursive: true }); console.log(JSON.stringify({ event: 'done', model: ${JSON.stringify(fake)} }));\n`);
    const r = await cli('train-prm', '--workspace', ws, '--annotations', set, '--trainer', process.execPath, liar);
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/manifest\.json: file not found/);
    expect(await models()).toEqual(before);
  });
});
