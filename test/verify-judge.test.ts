// The LLM judge for answer verification (issue #10 item 3). No language model can run here, so the judge
// is a scripted HTTP server on 127.0.0.1 that stands in for an LLM behind an OpenAI-compatible endpoint:
// it reads the reference answer and the solution's final answer (or its last lines) out of the prompt,
// compares the numbers in them and says YES or NO; it counts its calls, answers "Maybe so" when the gold
// contains 777 (an answer that is neither YES nor NO), and answers HTTP 503 while it is "down".
// Proved: the rules decide first (no call where they can in `undecided` mode), the judge decides an
// unparseable case, the cache (one call per (gold, answer) pair, within a job and across jobs), the
// `incorrect` and `all` modes, the agreement counts, an unparsed judge answer keeping the rule verdict,
// an outage pausing a job that then resumes, and `--judge` refusing bad models in one line before any work.
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JudgedVerifier, parseJudgeAnswer, type JudgeStats } from '../src-main/core/data/verify/judge';
import { registerModel } from '../src-main/core/models/registry';
import { openWorkbench, type Workbench } from '../src-main/core/workbench';
import { cli } from './helpers/cli';
import { tempDir } from './helpers/tmp';

const ROOT = join(import.meta.dirname, '..');
const MANIFEST = join(ROOT, 'models', 'tiny-policy', 'manifest.json');

/** The stand-in for an LLM judge. */
interface ScriptedJudge {
  url: string;
  calls: number;
  prompts: string[];
  bodies: Record<string, unknown>[];
  down: boolean;
  /** answer 503 once this many calls were answered (null: never) */
  downAfter: number | null;
  server: Server;
}

const numbers = (s: string): number[] => (s.match(/-?\d+(?:\.\d+)?/g) ?? []).map(Number);

/** YES when the first number of the reference equals the first number of the final answer (or the last number of the last lines). */
function decide(prompt: string): string {
  const gold = /^Reference answer: (.*)$/m.exec(prompt)![1];
  if (gold.includes('777')) return 'Maybe so';
  const final = /^Final answer of the solution: (.*)$/m.exec(prompt);
  const tail = /Its last lines are:\n([\s\S]*?)\n\nDoes/.exec(prompt);
  const student = final ? numbers(final[1])[0] : numbers(tail![1]).at(-1);
  const g = numbers(gold)[0];
  return g !== undefined && student !== undefined && g === student ? 'YES' : 'NO';
}

async function scriptedJudge(): Promise<ScriptedJudge> {
  const j = { url: '', calls: 0, prompts: [] as string[], bodies: [] as Record<string, unknown>[], down: false, downAfter: null } as ScriptedJudge;
  j.server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const send = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'GET' && req.url === '/v1/models') return send(200, { object: 'list', data: [{ id: 'judge-llm', object: 'model' }] });
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return send(404, { error: { message: 'no such route' } });
      if (j.down || (j.downAfter !== null && j.calls >= j.downAfter)) return send(503, { error: { message: 'overloaded' } });
      const body = JSON.parse(raw) as { messages: { role: string; content: string }[] };
      j.calls++;
      j.bodies.push(body);
      const prompt = body.messages[0].content;
      j.prompts.push(prompt);
      send(200, { choices: [{ index: 0, message: { role: 'assistant', content: decide(prompt) }, finish_reason: 'stop' }], usage: { prompt_tokens: 50, completion_tokens: 1 } });
    });
  });
  await new Promise<void>((r) => j.server.listen(0, '127.0.0.1', r));
  j.url = `http://127.0.0.1:${(j.server.address() as AddressInfo).port}/v1`;
  return j;
}

const tmp = tempDir('steplab-judge-');
const ws = join(tmp.dir, 'ws');
let wb: Workbench;
let judge: ScriptedJudge;

beforeAll(async () => {
  judge = await scriptedJudge();
  // a small demo workspace: the first text-only demo problems and the bundled tiny policy
  const lines = readFileSync(join(ROOT, 'models', 'demo-data', 'problems.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l && !JSON.parse(l).image)
    .slice(0, 4);
  const file = join(tmp.dir, 'demo.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  wb = openWorkbench(ws, { create: true });
  const imp = await wb.runner.wait(wb.runner.submit('import', { path: file, dataset: 'demo', skipBad: false }).id);
  expect(imp.state).toBe('done');
  await registerModel(wb.store, join(ROOT, 'models', 'tiny-policy'));
  // the judge as the README says to register one: any valid manifest will do
  const add = await cli('models', 'add-endpoint', 'judge', '--url', judge.url, '--served-model', 'judge-llm', '--role', 'judge', '--manifest', MANIFEST, '--retries', '1', '--workspace', ws);
  expect(add.err).toEqual([]);
  expect(add.out[0]).toMatch(/^registered judge@1 \(judge\) served as "judge-llm"/);
  // a judge of role judge that is not an endpoint (an ONNX folder)
  wb.store.models.register({ name: 'onnx-judge', role: 'judge', family: 'steplab-demo', path: join(ROOT, 'models', 'tiny-policy'), manifest: JSON.parse(readFileSync(MANIFEST, 'utf8')) });
}, 120_000);

afterAll(async () => {
  await wb?.close();
  await new Promise<void>((r) => (judge ? judge.server.close(() => r()) : r()));
  tmp.cleanup();
});

const LEO = { question: 'Leo owns 7 stickers. He sells 1 of them. Leo buys 6 bags of 3 stickers. He gives 7 away. How many does Leo have now?', answer: '17', answerType: 'number' as const };
const verifier = (mode: 'undecided' | 'incorrect' | 'all'): JudgedVerifier => JudgedVerifier.open(wb.store, { model: 'judge', mode });
const clearCache = (): void => void wb.store.db.prepare('DELETE FROM judge_verdicts').run();

describe('the judge as a verifier', () => {
  it('reads YES or NO from the first word of the answer', () => {
    expect(['YES', 'Yes.', ' no', '**YES**', 'No, the answers differ', '"yes"'].map(parseJudgeAnswer)).toEqual(['YES', 'YES', 'NO', 'YES', 'NO', 'YES']);
    expect(['Maybe', 'Yesterday', '', 'The answer is YES', '1'].map(parseJudgeAnswer)).toEqual(['unparsed', 'unparsed', 'unparsed', 'unparsed', 'unparsed']);
  });

  it('lets the rules decide first: no call to the judge where they can (undecided mode)', async () => {
    const v = verifier('undecided');
    const calls = judge.calls;
    const right = await v.verify(LEO, '7 - 1 = 6\n6 * 3 = 18\n24 - 7 = 17\nAnswer: 17');
    const wrong = await v.verify(LEO, '7 - 1 = 6\nAnswer: 16');
    const formatted = await v.verify(LEO, 'Answer: 17 (since 24 - 7)');
    expect(right).toEqual({ verdict: 'correct', extracted: '17', answerType: 'number', rule: 'correct', by: 'rules' });
    expect(wrong).toMatchObject({ verdict: 'incorrect', by: 'rules' });
    expect(formatted).toMatchObject({ verdict: 'incorrect', rule: 'incorrect', by: 'rules' });
    expect(judge.calls).toBe(calls);
    expect(v.stats()).toEqual({ model: 'judge@1', mode: 'undecided', ruleDecided: 3, judged: 0, cacheHits: 0, judgeUnparsed: 0, agree: 0, disagree: 0, agreement: null });
  });

  it('decides an unparseable case, asked with the question, the reference and the last lines, at temperature 0', async () => {
    clearCache();
    const v = verifier('undecided');
    const calls = judge.calls;
    const noMarker = await v.verify(LEO, '7 - 1 = 6\n6 * 3 = 18\n6 + 18 = 24\n24 - 7 = 17');
    expect(noMarker).toEqual({ verdict: 'correct', extracted: null, answerType: 'number', rule: 'unparseable', by: 'judge', judge: 'YES' });
    const garbled = await v.verify(LEO, '7 - 1 = 6\nAnswer: }{');
    expect(garbled).toMatchObject({ verdict: 'incorrect', extracted: '}{', rule: 'unparseable', by: 'judge', judge: 'NO' });
    expect(judge.calls).toBe(calls + 2);
    const [first, second] = judge.prompts.slice(-2);
    expect(first).toContain(LEO.question);
    expect(first).toContain('Reference answer: 17\nThe solution states no clear final answer. Its last lines are:\n6 * 3 = 18\n6 + 18 = 24\n24 - 7 = 17\n');
    expect(first).not.toContain('7 - 1 = 6');
    expect(first.trimEnd()).toMatch(/Answer YES or NO\.$/);
    expect(second).toContain('Reference answer: 17\nFinal answer of the solution: }{\n');
    expect(judge.bodies.at(-1)).toMatchObject({ model: 'judge-llm', temperature: 0, max_tokens: 8, n: 1 });
    // rule unparseable: nothing to agree or disagree with
    expect(v.stats()).toMatchObject({ ruleDecided: 0, judged: 2, cacheHits: 0, agree: 0, disagree: 0, agreement: null });
  });

  it('asks once per (gold, answer) pair: repeats, concurrent asks and whitespace variants hit the cache, and a second job makes no call', async () => {
    clearCache();
    const calls = judge.calls;
    const v = verifier('undecided');
    const pred = '6 * 3 = 18\n24 - 7 = 17';
    const [a, b] = await Promise.all([v.verify(LEO, pred), v.verify(LEO, pred)]);
    const c = await v.verify(LEO, '6 *  3 = 18\n\n  24 - 7 =   17  ');
    expect(judge.calls).toBe(calls + 1);
    expect([a.by, b.by].sort()).toEqual(['cache', 'judge']);
    expect(c).toMatchObject({ verdict: 'correct', by: 'cache', judge: 'YES' });
    expect(v.stats()).toMatchObject({ judged: 1, cacheHits: 2 });
    const rows = wb.store.db.prepare('SELECT model_id, prompt_version, answer_type, gold, source, answer, verdict, raw FROM judge_verdicts').all();
    expect(rows).toEqual([{ model_id: wb.store.models.byName('judge').id, prompt_version: 1, answer_type: 'number', gold: '17', source: 'tail', answer: '6 * 3 = 18 24 - 7 = 17', verdict: 'YES', raw: 'YES' }]);
    // another verifier (another job) reads the workspace's cache
    const again = verifier('all');
    expect(await again.verify(LEO, pred)).toMatchObject({ verdict: 'correct', by: 'cache' });
    expect(judge.calls).toBe(calls + 1);
    expect(again.stats()).toMatchObject({ judged: 0, cacheHits: 1 });
  });

  it('incorrect mode re-judges rule-incorrect answers: a formatting mismatch becomes correct, a wrong answer stays wrong', async () => {
    clearCache();
    const calls = judge.calls;
    const v = verifier('incorrect');
    expect(await v.verify(LEO, 'Answer: 17 (since 24 - 7)')).toMatchObject({ verdict: 'correct', rule: 'incorrect', by: 'judge', judge: 'YES' });
    expect(await v.verify(LEO, 'Answer: 16')).toMatchObject({ verdict: 'incorrect', rule: 'incorrect', by: 'judge', judge: 'NO' });
    expect(await v.verify(LEO, 'Answer: 17')).toMatchObject({ verdict: 'correct', by: 'rules' });
    expect(judge.calls).toBe(calls + 2);
    expect(v.stats()).toEqual({ model: 'judge@1', mode: 'incorrect', ruleDecided: 1, judged: 2, cacheHits: 0, judgeUnparsed: 0, agree: 1, disagree: 1, agreement: 0.5 });
  });

  it('all mode judges every answer and counts the agreement with the rules where both decided', async () => {
    clearCache();
    const calls = judge.calls;
    const v = verifier('all');
    const half = { question: 'What is half of one?', answer: '0.5', answerType: 'number' as const };
    const out = [
      await v.verify(LEO, 'Answer: 17'), // rules correct, judge YES: agree
      await v.verify(LEO, 'Answer: 16'), // rules incorrect, judge NO: agree
      await v.verify(half, 'Answer: 1/2'), // rules correct, the (number-comparing) judge NO: disagree, the judge decides
      await v.verify(LEO, '6 + 18 = 24\n24 - 7 = 17'), // rules unparseable: the judge decides, no agreement counted
    ];
    expect(out.map((o) => [o.rule, o.judge, o.verdict])).toEqual([
      ['correct', 'YES', 'correct'],
      ['incorrect', 'NO', 'incorrect'],
      ['correct', 'NO', 'incorrect'],
      ['unparseable', 'YES', 'correct'],
    ]);
    expect(judge.calls).toBe(calls + 4);
    expect(v.stats()).toEqual({ model: 'judge@1', mode: 'all', ruleDecided: 0, judged: 4, cacheHits: 0, judgeUnparsed: 0, agree: 2, disagree: 1, agreement: 2 / 3 });
  });

  it('an answer that is neither YES nor NO is recorded and counted, and the rule verdict stands', async () => {
    clearCache();
    const v = verifier('all');
    const p = { question: 'How many?', answer: '777', answerType: 'number' as const };
    expect(await v.verify(p, 'Answer: 777')).toEqual({ verdict: 'correct', extracted: '777', answerType: 'number', rule: 'correct', by: 'rules', judge: 'unparsed' });
    expect(await v.verify(p, 'Answer: }{')).toMatchObject({ verdict: 'unparseable', by: 'rules', judge: 'unparsed' });
    expect(await v.verify(p, 'Answer:  777')).toMatchObject({ verdict: 'correct', by: 'rules', judge: 'unparsed' });
    expect(v.stats()).toMatchObject({ judged: 2, cacheHits: 1, judgeUnparsed: 3, agree: 0, disagree: 0, agreement: null });
    expect(wb.store.db.prepare("SELECT verdict, raw FROM judge_verdicts WHERE gold = '777' AND answer = '777'").get()).toEqual({ verdict: 'unparsed', raw: 'Maybe so' });
  });
});

const count = (table: string): number => (wb.store.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

describe('the judge in jobs and on the command line', () => {
  const SEARCH = { maxSearchCount: 2, rolloutBudget: 16, rolloutsPerState: 4, lengthScale: 50 };

  it('search --judge: every rollout judged (all mode), stats in the searches and the summary, and a second search makes no call', async () => {
    clearCache();
    const cfg = join(tmp.dir, 'search.json');
    writeFileSync(cfg, JSON.stringify({ ...SEARCH, maxNewTokens: 48 }));
    const calls = judge.calls;
    const r = await cli('search', '--workspace', ws, '--dataset', 'demo', '--model', 'tiny-policy', '--algo', 'omega', '--limit', '2', '--config', cfg, '--seed', '5', '--judge', 'judge', '--judge-mode', 'all', '--json');
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out.at(-1)!) as { search_ids: number[]; judge: Record<string, number | string | null> };
    const rollouts = summary.search_ids.reduce((t, id) => t + (wb.store.trees.getSearch(id).stats.rollouts as number), 0);
    expect(rollouts).toBeGreaterThan(0);
    expect(summary.judge).toMatchObject({ model: 'judge@1', mode: 'all', rule_decided: 0, judged: judge.calls - calls, judge_unparsed: 0 });
    expect((summary.judge.judged as number) + (summary.judge.cache_hits as number)).toBe(rollouts);
    expect(summary.judge.judged).toBeGreaterThan(0);
    expect(summary.judge.judged).toBe(count('judge_verdicts'));
    const agree = summary.judge.agree as number;
    const disagree = summary.judge.disagree as number;
    expect(summary.judge.agreement).toBe(agree + disagree ? agree / (agree + disagree) : null);
    // the search's own stats carry its share
    const per = summary.search_ids.map((id) => wb.store.trees.getSearch(id).stats.judge as JudgeStats);
    expect(per.reduce((t, s) => t + s.judged + s.cacheHits, 0)).toBe(rollouts);
    expect(per[0]).toMatchObject({ model: 'judge@1', mode: 'all' });

    const before = judge.calls;
    // the same command again is the finished job, told again: nothing runs, no call
    const told = await cli('search', '--workspace', ws, '--dataset', 'demo', '--model', 'tiny-policy', '--algo', 'omega', '--limit', '2', '--config', cfg, '--seed', '5', '--judge', 'judge', '--judge-mode', 'all');
    expect(told.code, told.err.join('\n')).toBe(0);
    expect(judge.calls).toBe(before);
    // a new search (another set) draws the same rollouts: every verdict comes from the cache
    const again = await cli('search', '--workspace', ws, '--dataset', 'demo', '--model', 'tiny-policy', '--algo', 'omega', '--limit', '2', '--config', cfg, '--seed', '5', '--judge', 'judge', '--judge-mode', 'all', '--annotation-set', 'judged-again');
    expect(again.code, again.err.join('\n')).toBe(0);
    expect(judge.calls).toBe(before);
    expect(again.out.at(-1)).toBe(`judge judge@1 (all): 0 judged, ${rollouts} cache hits, 0 decided by the rules, 0 judge answers unparsed; agreement with the rules ${(100 * (summary.judge.agreement as number)).toFixed(1)}% (${agree} of ${agree + disagree})`);
  }, 120_000);

  it('generate --judge records who decided each verdict; without --judge the output has no judge', async () => {
    const plain = await cli('generate', '--workspace', ws, '--dataset', 'demo', '--model', 'tiny-policy', '--n', '2', '--limit', '2', '--seed', '1', '--json');
    expect(plain.code, plain.err.join('\n')).toBe(0);
    expect(Object.keys(JSON.parse(plain.out.at(-1)!))).toEqual(['problems', 'samples', 'accuracy', 'pass_at_k', 'strict_accuracy', 'tokens_per_s', 'provider']);
    const r = await cli('generate', '--workspace', ws, '--dataset', 'demo', '--model', 'tiny-policy', '--n', '2', '--limit', '2', '--seed', '1', '--judge', 'judge', '--judge-mode', 'incorrect', '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    const out = JSON.parse(r.out.at(-1)!) as { samples: number; judge: Record<string, unknown> };
    expect(out.samples).toBe(4);
    expect(out.judge).toMatchObject({ model: 'judge@1', mode: 'incorrect' });
    const j = out.judge as { rule_decided: number; judged: number; cache_hits: number };
    expect(j.rule_decided + j.judged + j.cache_hits).toBe(4);
    const job = wb.store.jobs.list(1)[0];
    const rows = wb.store.db.prepare('SELECT verdict, settings FROM solutions WHERE job_id = ?').all(job.id) as { verdict: string; settings: string }[];
    expect(rows.length).toBe(4);
    for (const row of rows) {
      const s = JSON.parse(row.settings) as { verifiedBy: string; judge?: string };
      expect(['rules', 'judge', 'cache']).toContain(s.verifiedBy);
      if (s.verifiedBy === 'rules') expect(row.verdict).not.toBe('incorrect');
      else expect(row.verdict).toBe(s.judge === 'YES' ? 'correct' : 'incorrect');
    }
  }, 120_000);

  it('a judge that goes down pauses the job with the reason, and it resumes where it stopped', async () => {
    clearCache();
    const config = { dataset: 'demo', limit: 3, model: 'tiny-policy', n: 2, seed: 7, problemsPerBatch: 1, judge: { model: 'judge', mode: 'all' } };
    const calls = judge.calls;
    // one answer, then 503s: the outage comes in problem 1 (two distinct answers) or problem 2
    judge.downAfter = calls + 1;
    const job = wb.runner.submit('generate', config);
    const paused = await wb.runner.wait(job.id);
    expect(paused.state).toBe('interrupted');
    expect(paused.error).toMatch(/^judge model "judge@1" \(judge-llm\) at http:\/\/127\.0\.0\.1:\d+\/v1 answered HTTP 503: overloaded \(2 attempts\); the job is paused with its work saved/);
    expect(judge.calls).toBe(calls + 1);
    // what was committed is whole problems; the answer given before the outage is in the cache
    expect([0, 2]).toContain(count(`solutions WHERE job_id = ${job.id}`));
    expect(count('judge_verdicts')).toBe(1);
    judge.downAfter = null;
    wb.runner.resume(job.id);
    const end = await wb.runner.wait(job.id);
    expect(end.state, end.error ?? '').toBe('done');
    const rows = wb.store.db.prepare('SELECT problem_id AS p, count(*) AS n FROM solutions WHERE job_id = ? GROUP BY problem_id').all(job.id) as { p: number; n: number }[];
    expect(rows.map((x) => x.n)).toEqual([2, 2, 2]);
    const stats = (end.result as { judge: JudgeStats }).judge;
    expect(stats.judged + stats.cacheHits).toBe(6);
    expect(stats.cacheHits).toBeGreaterThanOrEqual(1);
    // every request was answered once and cached once; none was asked twice
    expect(count('judge_verdicts')).toBe(judge.calls - calls);
    expect(new Set(judge.prompts.slice(calls)).size).toBe(judge.calls - calls);
  }, 120_000);

  it('refuses a bad --judge in one line before any work, the workspace unchanged', async () => {
    const tables = ['jobs', 'solutions', 'searches', 'judge_verdicts', 'models'];
    const before = tables.map(count);
    const calls = judge.calls;
    const cases: [string[], RegExp][] = [
      [['--judge', 'tiny-policy'], /^error: judge "tiny-policy" is a policy model, not a judge \(register one with: steplab models add-endpoint <name> --role judge \.\.\.\)$/],
      [['--judge', 'onnx-judge'], /^error: judge "onnx-judge" is not an endpoint model: a judge is asked over an OpenAI-compatible API/],
      [['--judge', 'nope'], /^error: model "nope" is not registered$/],
      [['--judge-mode', 'all'], /^error: --judge-mode needs --judge <model>$/],
    ];
    const commands = [
      ['search', '--workspace', ws, '--dataset', 'demo', '--model', 'tiny-policy', '--algo', 'mc', '--limit', '1'],
      ['generate', '--workspace', ws, '--dataset', 'demo', '--model', 'tiny-policy', '--n', '1', '--limit', '1'],
    ];
    for (const command of commands) {
      for (const [args, msg] of cases) {
        const r = await cli(...command, ...args);
        expect(r.code, `${command[0]} ${args.join(' ')}`).toBe(1);
        expect(r.err, `${command[0]} ${args.join(' ')}`).toHaveLength(1);
        expect(r.err[0]).toMatch(msg);
        expect(r.out).toEqual([]);
      }
      const mode = await cli(...command, '--judge', 'judge', '--judge-mode', 'sometimes');
      expect(mode.code).toBe(1);
      expect(mode.err[0]).toMatch(/--judge-mode.*sometimes.*(invalid|Allowed choices)/);
    }
    expect(tables.map(count)).toEqual(before);
    expect(judge.calls).toBe(calls);
    // a job submitted with a policy as its judge fails before any search
    const job = await wb.runner.wait(wb.runner.submit('search', { dataset: 'demo', model: 'tiny-policy', algo: 'mc', limit: 1, judge: { model: 'tiny-policy' } }).id);
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/^judge "tiny-policy" is a policy model, not a judge/);
    expect(count('searches')).toBe(before[2]);
  }, 120_000);
});
