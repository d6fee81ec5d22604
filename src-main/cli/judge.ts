// The --judge / --judge-mode flags of `steplab search` and `steplab generate`: checked before any work,
// turned into the job's `judge` config, and the judge's counts printed after the summary.
import { Option } from 'commander';
import { JUDGE_MODES, type JudgeConfig, type JudgeMode } from '../../src-shared/jobConfigs';
import type { JudgeStats } from '../core/data/verify/judge';
import { UserError } from '../core/errors';

export const judgeOption = (): Option => new Option('--judge <model>', 'LLM judge (a registered endpoint model of role judge) asked where the rule verifier cannot decide');
export const judgeModeOption = (): Option =>
  new Option('--judge-mode <mode>', 'undecided: where the rules give unparseable (default); incorrect: also where they give incorrect; all: every answer').choices(JUDGE_MODES);

/** The job's judge config from the flags; jobs.start checks the model in the workspace (one line before any work). */
export function judgeFromFlags(o: { judge?: string; judgeMode?: JudgeMode }): JudgeConfig | undefined {
  if (o.judgeMode !== undefined && o.judge === undefined) throw new UserError('--judge-mode needs --judge <model>');
  if (o.judge === undefined) return undefined;
  return { model: o.judge, mode: o.judgeMode ?? 'undecided' };
}

/** One line: what the judge did and how often it agreed with the rules. */
export function judgeLine(j: JudgeStats): string {
  const both = j.agree + j.disagree;
  const agreement = j.agreement === null ? 'agreement with the rules: nothing decided by both' : `agreement with the rules ${(100 * j.agreement).toFixed(1)}% (${j.agree} of ${both})`;
  return `judge ${j.model} (${j.mode}): ${j.judged} judged, ${j.cacheHits} cache hits, ${j.ruleDecided} decided by the rules, ${j.judgeUnparsed} judge answers unparsed; ${agreement}`;
}

/** The --json form. */
export function judgeJson(j: JudgeStats): Record<string, unknown> {
  return { model: j.model, mode: j.mode, judged: j.judged, cache_hits: j.cacheHits, rule_decided: j.ruleDecided, judge_unparsed: j.judgeUnparsed, agree: j.agree, disagree: j.disagree, agreement: j.agreement };
}
