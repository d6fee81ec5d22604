/**
 * An LLM judge for answer verification, as MM-PRM's pipeline uses one: a model of role `judge`, served
 * over an OpenAI-compatible endpoint, is asked whether a solution's final answer matches the gold answer.
 *
 * The rule verifier (./index.ts) runs first; the judge is asked only where the mode says so:
 *   - `undecided` (default): where the rules give `unparseable`;
 *   - `incorrect`: also where the rules give `incorrect` (catches formatting mismatches the rules miss);
 *   - `all`: for every answer (what measuring the agreement between rules and judge needs).
 * Where the judge answers YES or NO its answer is the verdict; an answer that is neither is recorded as
 * `unparsed` and the rule verdict stands.
 *
 * Answers are cached in the workspace (table judge_verdicts, migration 007) by judge model id, prompt
 * version, answer type, gold answer and the answer shown to the judge (whitespace collapsed): a pair is
 * never asked twice of the same judge, within a job (concurrent asks share one request) or across jobs.
 * Each answer is written as its own small transaction as soon as it arrives, not with the job's commit:
 * it is a memo of the endpoint, so it is right whatever happens to the job, and a job paused by an
 * outage or killed half-way does not ask again on resume what it was already told.
 */
import type { Problem } from '../../../../src-shared/domain';
import { EndpointConfig, type ModelRecord } from '../../../../src-shared/domain';
import type { JudgeConfig, JudgeMode } from '../../../../src-shared/jobConfigs';
import { UserError } from '../../errors';
import { ChatResponse, EndpointClient } from '../../inference/remote';
import type { Store } from '../../store';
import type { JudgeVerdictsRepo } from '../../store/judgeVerdicts';
import { verify, verifyProblem, type AnswerType, type Verdict } from './index';
import { modelLabel } from '../../../../src-shared/modelLabel';

export type { JudgeMode } from '../../../../src-shared/jobConfigs';

/** Bumped whenever judgePrompt changes, so cached answers to another prompt are not reused. */
export const JUDGE_PROMPT_VERSION = 1;
/** The judge answers one word; a few tokens leave room for "Yes." or a leading space. */
export const JUDGE_MAX_TOKENS = 8;
/** Lines of the solution shown when no final answer could be extracted, and their length limit. */
const TAIL_LINES = 3;
const TAIL_MAX_CHARS = 600;

export type JudgeAnswer = 'YES' | 'NO' | 'unparsed';

/** Whitespace runs collapsed to one space, trimmed: the cache's notion of "the same answer". */
export function normalizeWhitespace(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** The last non-empty lines of a solution (what the judge sees when nothing was extracted). */
export function solutionTail(prediction: string): string {
  const lines = prediction.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const tail = lines.slice(-TAIL_LINES).join('\n');
  return tail.length > TAIL_MAX_CHARS ? tail.slice(-TAIL_MAX_CHARS) : tail;
}

/**
 * The fixed prompt (version JUDGE_PROMPT_VERSION), sent as the one user message of a chat request:
 *
 *     You are checking the final answer of a solution to a math problem against the reference answer.
 *
 *     Problem:
 *     <question>
 *
 *     Reference answer: <gold>
 *     Final answer of the solution: <extracted>          (when one was extracted)
 *   or
 *     The solution states no clear final answer. Its last lines are:     (when none was)
 *     <the solution's last 3 non-empty lines>
 *
 *     Does the final answer of the solution mean the same as the reference answer (the same value,
 *     an equivalent expression or the same choice; ignore formatting and units)? Answer YES or NO.
 */
export function judgePrompt(p: { question: string; gold: string; extracted: string | null; tail: string }): string {
  const answer = p.extracted !== null ? `Final answer of the solution: ${p.extracted}` : `The solution states no clear final answer. Its last lines are:\n${p.tail || '(empty)'}`;
  return [
    'You are checking the final answer of a solution to a math problem against the reference answer.',
    '',
    'Problem:',
    p.question.trim(),
    '',
    `Reference answer: ${p.gold.trim()}`,
    answer,
    '',
    'Does the final answer of the solution mean the same as the reference answer (the same value, an equivalent expression or the same choice; ignore formatting and units)? Answer YES or NO.',
  ].join('\n');
}

/** YES or NO from the judge's first word (case-insensitive, leading quotes or markup skipped), else unparsed. */
export function parseJudgeAnswer(text: string): JudgeAnswer {
  const m = /^[\s*_"'`([{<>#:.-]*([A-Za-z]+)/.exec(text);
  const word = m?.[1].toUpperCase();
  return word === 'YES' ? 'YES' : word === 'NO' ? 'NO' : 'unparsed';
}

/** The judge model a reference names, checked: registered, of role judge, served over an endpoint (one line otherwise). */
export function judgeModel(store: Store, ref: string): ModelRecord {
  const rec = store.models.byName(ref);
  if (rec.role !== 'judge') throw new UserError(`judge "${ref}" is a ${rec.role} model, not a judge (register one with: steplab models add-endpoint <name> --role judge ...)`);
  if (!rec.endpoint) throw new UserError(`judge "${ref}" is not an endpoint model: a judge is asked over an OpenAI-compatible API (register it with: steplab models add-endpoint <name> --url <base> --served-model <id> --role judge --manifest <file>)`);
  return rec;
}

/** A judge model over its endpoint: one chat request per question, temperature 0. */
export class Judge {
  readonly client: EndpointClient;
  readonly config: EndpointConfig;

  private constructor(readonly model: ModelRecord) {
    this.config = EndpointConfig.parse(model.endpoint);
    const label = `judge model "${modelLabel(model)}" (${this.config.servedModel})`;
    this.client = new EndpointClient(this.config, label, EndpointClient.apiKeyFor(this.config, label));
  }

  static open(store: Store, ref: string): Judge {
    return new Judge(judgeModel(store, ref));
  }

  get name(): string {
    return modelLabel(this.model);
  }

  /** Asks the judge; an outage (after the endpoint's retries) throws OutageError, which pauses a job. */
  async ask(prompt: string, signal?: AbortSignal): Promise<{ answer: JudgeAnswer; raw: string }> {
    const body = { model: this.config.servedModel, messages: [{ role: 'user', content: prompt }], temperature: 0, max_tokens: JUDGE_MAX_TOKENS, n: 1 };
    const res = await this.client.request('POST', '/chat/completions', body, ChatResponse, { signal });
    const raw = res.choices[0]?.message.content ?? '';
    return { answer: parseJudgeAnswer(raw), raw };
  }
}

export interface JudgeKey {
  answerType: AnswerType;
  gold: string;
  source: 'extracted' | 'tail';
  answer: string;
}

/** The judge's cached answers in the workspace (table judge_verdicts). */
export class JudgeCache {
  constructor(
    private readonly verdicts: JudgeVerdictsRepo,
    private readonly modelId: number,
  ) {}

  get(k: JudgeKey): { verdict: JudgeAnswer; raw: string } | null {
    return this.verdicts.get<JudgeAnswer>({ modelId: this.modelId, promptVersion: JUDGE_PROMPT_VERSION, ...k }) ?? null;
  }

  /** One small transaction of its own (an autocommitted insert); a pair already cached is kept. */
  put(k: JudgeKey, verdict: JudgeAnswer, raw: string): void {
    if (!this.verdicts.open) return;
    this.verdicts.put({ modelId: this.modelId, promptVersion: JUDGE_PROMPT_VERSION, ...k }, verdict, raw);
  }

  count(): number {
    return this.verdicts.count(this.modelId);
  }
}

/** Counts of one verifier (or one problem, or a whole job). */
export interface JudgeCounts {
  /** verdicts the rules gave without asking the judge */
  ruleDecided: number;
  /** verdicts the judge was asked for and answered by a request to the endpoint */
  judged: number;
  /** verdicts the judge was asked for and answered from the cache (this job's or the workspace's) */
  cacheHits: number;
  /** judge answers (fresh or cached) that were neither YES nor NO: the rule verdict stood */
  judgeUnparsed: number;
  /** rule verdict correct/incorrect and judge YES/NO both known: the same verdict */
  agree: number;
  /** ... different verdicts */
  disagree: number;
}

/** What a job reports: the counts, the judge, the mode and the agreement rate (null where nothing was decided by both). */
export interface JudgeStats extends JudgeCounts {
  model: string;
  mode: JudgeMode;
  agreement: number | null;
}

export const emptyJudgeCounts = (): JudgeCounts => ({ ruleDecided: 0, judged: 0, cacheHits: 0, judgeUnparsed: 0, agree: 0, disagree: 0 });

const COUNT_KEYS = ['ruleDecided', 'judged', 'cacheHits', 'judgeUnparsed', 'agree', 'disagree'] as const;

export function addJudgeCounts(a: JudgeCounts, b: JudgeCounts): JudgeCounts {
  const out = emptyJudgeCounts();
  for (const k of COUNT_KEYS) out[k] = a[k] + b[k];
  return out;
}

export function subJudgeCounts(a: JudgeCounts, b: JudgeCounts): JudgeCounts {
  const out = emptyJudgeCounts();
  for (const k of COUNT_KEYS) out[k] = a[k] - b[k];
  return out;
}

export function judgeStats(counts: JudgeCounts, model: string, mode: JudgeMode): JudgeStats {
  const both = counts.agree + counts.disagree;
  return { model, mode, ...counts, agreement: both ? counts.agree / both : null };
}

export interface JudgedVerdict {
  verdict: Verdict;
  extracted: string | null;
  answerType: AnswerType;
  /** the rule verifier's verdict */
  rule: Verdict;
  /** who gave `verdict`: the rules, the judge by a request, or the judge's cached answer */
  by: 'rules' | 'judge' | 'cache';
  /** the judge's answer, when it was asked */
  judge?: JudgeAnswer;
}

/** The rule verifier, then the judge where the mode says, with the cache and the counts. */
export class JudgedVerifier {
  readonly counts: JudgeCounts = emptyJudgeCounts();
  readonly cache: JudgeCache;
  /** answers asked or read in this verifier: concurrent asks of one pair share one request */
  private readonly memo = new Map<string, Promise<{ verdict: JudgeAnswer; raw: string }>>();

  constructor(
    readonly judge: Judge,
    store: Store,
    readonly mode: JudgeMode = 'undecided',
    private readonly signal?: AbortSignal,
  ) {
    this.cache = new JudgeCache(store.judgeVerdicts, judge.model.id);
  }

  /** Opens the judge a job config names (one line if it is not a registered endpoint judge). */
  static open(store: Store, config: JudgeConfig, signal?: AbortSignal): JudgedVerifier {
    return new JudgedVerifier(Judge.open(store, config.model), store, config.mode, signal);
  }

  stats(): JudgeStats {
    return judgeStats(this.counts, this.judge.name, this.mode);
  }

  /** A copy of the counts so far (subtract it later for the counts of one problem). */
  snapshot(): JudgeCounts {
    return { ...this.counts };
  }

  private shouldAsk(rule: Verdict): boolean {
    return this.mode === 'all' || rule === 'unparseable' || (this.mode === 'incorrect' && rule === 'incorrect');
  }

  async verify(problem: Pick<Problem, 'question' | 'answer' | 'answerType'> & { meta?: Record<string, unknown> }, prediction: string): Promise<JudgedVerdict> {
    const r = verifyProblem(problem, prediction);
    const base = { extracted: r.extracted, answerType: r.answerType, rule: r.verdict };
    if (!this.shouldAsk(r.verdict)) {
      this.counts.ruleDecided++;
      return { ...base, verdict: r.verdict, by: 'rules' };
    }
    const tail = r.extracted === null ? solutionTail(prediction) : '';
    const key: JudgeKey = { answerType: r.answerType, gold: normalizeWhitespace(problem.answer), source: r.extracted === null ? 'tail' : 'extracted', answer: normalizeWhitespace(r.extracted ?? tail) };
    const { answer, fresh } = await this.lookup(key, () => judgePrompt({ question: problem.question, gold: problem.answer, extracted: r.extracted, tail }));
    if (fresh) this.counts.judged++;
    else this.counts.cacheHits++;
    if (answer === 'unparsed') {
      this.counts.judgeUnparsed++;
      return { ...base, verdict: r.verdict, by: 'rules', judge: answer };
    }
    if (r.verdict !== 'unparseable') {
      if ((answer === 'YES') === (r.verdict === 'correct')) this.counts.agree++;
      else this.counts.disagree++;
    }
    return { ...base, verdict: answer === 'YES' ? 'correct' : 'incorrect', by: fresh ? 'judge' : 'cache', judge: answer };
  }

  /** The judge's answer for a key: from this verifier's memo, the workspace's cache, or one request (then cached). */
  private async lookup(key: JudgeKey, prompt: () => string): Promise<{ answer: JudgeAnswer; fresh: boolean }> {
    const id = JSON.stringify([key.answerType, key.gold, key.source, key.answer]);
    const pending = this.memo.get(id);
    if (pending) return { answer: (await pending).verdict, fresh: false };
    const cached = this.cache.get(key);
    if (cached) {
      this.memo.set(id, Promise.resolve(cached));
      return { answer: cached.verdict, fresh: false };
    }
    const asked = this.judge.ask(prompt(), this.signal).then(({ answer, raw }) => {
      this.cache.put(key, answer, raw);
      return { verdict: answer, raw };
    });
    this.memo.set(id, asked);
    try {
      return { answer: (await asked).verdict, fresh: true };
    } catch (e) {
      // a failed ask is not remembered: the next one (or the resumed job) asks again
      this.memo.delete(id);
      throw e;
    }
  }
}
