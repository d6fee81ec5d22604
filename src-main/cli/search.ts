// `steplab generate` and `search`: solutions sampled from a policy, and step-level searches (OmegaPRM,
// Math-Shepherd MC) over a dataset.
import { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { UserError } from '../core/errors';
import type { GenerateResult } from '../core/inference/generateJob';
import { parseShard } from '../core/search/shard';
import { splitSearchConfig, type SearchJobResult } from '../core/jobs/kinds/search';
import { nonNegative, nonNegativeInt, positiveInt, probability, jobResult, runLongJob, withApi, type CliIO } from './common';
import type { JobRequest } from '../../src-shared/jobConfigs';
import { judgeFromFlags, judgeJson, judgeLine, judgeModeOption, judgeOption } from './judge';
import type { JudgeConfig, JudgeMode } from '../../src-shared/jobConfigs';
import type { Api, Input } from '../../src-shared/api';

/**
 * What generate and search check before the job is made: the policy (as `model` asks for it) and the
 * dataset exist; the judge of --judge/--judge-mode (its model itself is checked when the job is started).
 */
async function checkPolicyRun(api: Api, o: { dataset: string; judge?: string; judgeMode?: JudgeMode }, model: Input<'models.get'>): Promise<JudgeConfig | undefined> {
  await api['models.get'](model);
  await api['datasets.get']({ name: o.dataset });
  return judgeFromFlags(o);
}

export function addSearchCommands(program: Command, io: CliIO): void {
  /** generate's and search's first options: the workspace, the dataset and the policy */
  const policyCommand = (name: string, description: string): Command =>
    program
      .command(name)
      .description(description)
      .requiredOption('--workspace <dir>', 'workspace folder')
      .requiredOption('--dataset <name>', 'dataset')
      .requiredOption('--model <name>', 'policy model (name or name@version)');
  /** and their last: the judge, --restart (saying what starting over removes) and --json */
  const judgeRestartJson = (cmd: Command, restart: string): Command =>
    cmd.addOption(judgeOption()).addOption(judgeModeOption()).option('--restart', restart).option('--json', 'print the summary as JSON');

  judgeRestartJson(
    policyCommand('generate', 'sample k solutions per problem with a policy, verify and store them')
      .requiredOption('--n <k>', 'samples per problem', positiveInt)
      .option('--split <name>', 'only this split')
      .option('--limit <n>', 'at most N problems', positiveInt)
      .option('--temperature <t>', 'sampling temperature (0 = greedy; default: the model manifest)', nonNegative)
      .option('--top-k <k>', 'top-k (0 = off)', nonNegativeInt)
      .option('--top-p <p>', 'top-p (1 = off)', probability)
      .option('--max-new-tokens <n>', 'token limit per solution', positiveInt)
      .option('--seed <s>', 'random seed', nonNegativeInt, 0),
    'start over instead of resuming the unfinished job of the same settings (its solutions removed first)',
  )
    .action(async (o: { workspace: string; dataset: string; model: string; n: number; split?: string; limit?: number; temperature?: number; topK?: number; topP?: number; maxNewTokens?: number; seed: number; judge?: string; judgeMode?: JudgeMode; restart?: boolean; json?: boolean }) => {
      await withApi(o.workspace, async (api, door) => {
        const judge = await checkPolicyRun(api, o, { name: o.model });
        const config = {
          dataset: o.dataset,
          model: o.model,
          n: o.n,
          seed: o.seed,
          ...(o.split ? { split: o.split } : {}),
          ...(o.limit ? { limit: o.limit } : {}),
          ...(o.temperature !== undefined ? { temperature: o.temperature } : {}),
          ...(o.topK !== undefined ? { topK: o.topK } : {}),
          ...(o.topP !== undefined ? { topP: o.topP } : {}),
          ...(o.maxNewTokens !== undefined ? { maxNewTokens: o.maxNewTokens } : {}),
          ...(judge ? { judge } : {}),
        };
        const end = await runLongJob(door, { kind: 'generate', config } as JobRequest, o, io);
        const r = jobResult<GenerateResult>(end, 'generate cancelled; the solutions of finished problems are kept', 'generate failed');
        if (o.json) {
          io.out(JSON.stringify({ problems: r.problems, samples: r.samples, accuracy: r.accuracy, pass_at_k: r.pass_at_k, strict_accuracy: r.strict_accuracy, tokens_per_s: r.tokens_per_s, provider: r.provider, ...(r.judge ? { judge: judgeJson(r.judge) } : {}) }));
        } else {
          const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
          io.out(`${r.model}: ${r.problems} problems x ${o.n} samples`);
          io.out(`accuracy ${pct(r.accuracy)}, pass@${o.n} ${pct(r.pass_at_k)}${r.strict_accuracy === null ? '' : `, strict (every step right) ${pct(r.strict_accuracy)}`}`);
          io.out(`${Math.round(r.tokens_per_s)} tokens/s on ${r.provider.startsWith('endpoint ') ? r.provider : r.provider.toUpperCase()}`);
          if (r.judge) io.out(judgeLine(r.judge));
        }
      });
    });

  judgeRestartJson(
    policyCommand('search', 'label every step by searching: OmegaPRM (omega) or the Math-Shepherd Monte-Carlo baseline (mc)')
      .requiredOption('--algo <algo>', 'omega | mc')
      .option('--split <name>', 'only this split')
      .option('--limit <n>', 'at most N problems', positiveInt)
      .option('--shard <i/n>', 'search only shard i of n (a stable 1/n of the problems by content, taken after --split and --limit)')
      .option('--config <file.json>', 'algorithm and sampling settings (see README)')
      .option('--seed <s>', 'random seed', nonNegativeInt, 0)
      .option('--annotation-set <name>', 'name of the annotation set (default: <algo>-<job id>)')
      .option('--all-paths', 'annotate every root-to-node path instead of MM-PRM\'s rules'),
    'start over instead of resuming the unfinished search of the same settings (its trees and annotations removed first)',
  )
    .action(async (o: { workspace: string; dataset: string; model: string; algo: string; split?: string; limit?: number; shard?: string; config?: string; seed: number; annotationSet?: string; allPaths?: boolean; judge?: string; judgeMode?: JudgeMode; restart?: boolean; json?: boolean }) => {
      const shard = o.shard === undefined ? undefined : parseShard(o.shard);
      if (o.algo !== 'omega' && o.algo !== 'mc') throw new UserError(`unknown algorithm "${o.algo}" (omega or mc)`);
      let raw: Record<string, unknown> = {};
      if (o.config) {
        if (!existsSync(o.config)) throw new UserError(`file not found: ${o.config}`);
        try {
          raw = JSON.parse(readFileSync(o.config, 'utf8')) as Record<string, unknown>;
        } catch (e) {
          throw new UserError(`${o.config}: not valid JSON (${(e as Error).message})`);
        }
      }
      const { sampling, algorithm } = splitSearchConfig(raw);
      await withApi(o.workspace, async (api, door) => {
        const judge = await checkPolicyRun(api, o, { name: o.model, role: 'policy' });
        const config = {
          dataset: o.dataset,
          model: o.model,
          algo: o.algo,
          config: algorithm,
          seed: o.seed,
          ...sampling,
          ...(o.split ? { split: o.split } : {}),
          ...(o.limit ? { limit: o.limit } : {}),
          ...(shard ? { shard } : {}),
          ...(o.annotationSet ? { annotationSet: o.annotationSet } : {}),
          ...(o.allPaths ? { annotationMode: 'all-paths' as const } : {}),
          ...(judge ? { judge } : {}),
        };
        // the --config file (algorithm and sampling settings) is checked at the door with the rest of the request
        const end = await runLongJob(door, { kind: 'search', config } as JobRequest, o, io);
        const r = jobResult<SearchJobResult>(end, 'search cancelled; the trees of finished problems are kept', 'search failed');
        if (o.json) {
          io.out(JSON.stringify({ search_id: r.searchIds[0] ?? null, search_ids: r.searchIds, annotation_set: r.annotationSet, problems: r.problems, nodes: r.nodes, labelled_steps: r.labelledSteps, policy_tokens: r.policyTokens, tokens_per_labelled_step: r.tokensPerLabelledStep, ...(r.judge ? { judge: judgeJson(r.judge) } : {}) }));
        } else {
          io.out(`searched ${r.problems} problems${shard ? ` (shard ${shard.index}/${shard.count})` : ''}${r.skipped ? ` (${r.skipped} skipped by the question filter)` : ''}: ${r.nodes} nodes, ${r.labelledSteps} labelled steps, ${r.annotations} annotations in set "${r.annotationSet}"`);
          io.out(`${r.policyTokens} policy tokens in ${r.policyCalls} calls, ${r.tokensPerLabelledStep === null ? 'no labelled steps' : `${r.tokensPerLabelledStep.toFixed(1)} tokens per labelled step`}; ${Math.round((100 * r.inferenceMs) / Math.max(r.totalMs, 1))}% of the time in inference`);
          if (r.judge) io.out(judgeLine(r.judge));
        }
      });
    });
}
