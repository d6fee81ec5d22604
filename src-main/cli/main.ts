// The `steplab` command line. Exit codes: 0 ok, 1 a user error (one line on stderr), 2 an internal error.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { ApiError, type Api, type Input } from '../../src-shared/api';
import { BENCH_FORMATS, type BenchFormat } from '../../src-shared/benchmarks';
import { AnswerType, AnnotationExportFormat, ImportLabelsReport, ImportReport, ProblemExportFormat } from '../../src-shared/domain';
import { parseFieldSpecs } from '../core/data/fieldMap';
import { checkImageRoot } from '../core/data/imageRoot';
import { parseJsonLine } from '../core/data/jsonl';
import { detachedApi, openLocalDoor, type LocalDoor } from '../core/door';
import { UserError, asUserFacing, printable } from '../core/errors';
import { debugEnabled, internalErrorLine } from '../core/log';
import type { GenerateResult } from '../core/inference/generateJob';
import { readManifest } from '../core/inference/model';
import { BUNDLED_MODELS_DIR, bundledModelFolders } from '../core/models/bundled';
import { parseShard } from '../core/search/shard';
import { splitSearchConfig, type SearchJobResult } from '../core/jobs/kinds/search';
import { ensureRenderer, rendererDirFor } from '../server/buildRenderer';
import { startHost } from '../server/host';
import { addLimitOptions, limitsFromFlags, type LimitFlags, defaultIO, duration, nonNegative, nonNegativeInt, port, positiveInt, probability, runJobToEnd, runLongJob, table, untilStopped, withApi, type CliIO } from './common';
import type { JobRequest } from '../../src-shared/jobConfigs';
import { addCycleCommands } from './cycle';
import { addEndpointCommands } from './endpoints';
import { judgeFromFlags, judgeJson, judgeLine, judgeModeOption, judgeOption } from './judge';
import type { JudgeMode } from '../../src-shared/jobConfigs';
import { addRewardCommands } from './reward';
import { addBenchCommands } from './bench';
import { addManageCommands } from './manage';
import { allPages } from './pages';
import { modelLabel } from '../../src-shared/modelLabel';

export type { CliIO };

export function buildProgram(io: CliIO = defaultIO): Command {
  const program = new Command('steplab')
    .description('Steplab: step-level supervision workbench for multimodal math reasoning')
    .showHelpAfterError('(run with --help for usage)')
    .enablePositionalOptions()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();

  program
    .command('init')
    .description('create a workspace folder (steplab.db, images/); --demo adds the bundled demo dataset and models')
    .argument('<workspace>', 'folder to create or open')
    .option('--demo', 'import the bundled demo dataset as "demo" and register the bundled models')
    .option('--json', 'print JSON')
    .action(async (dir: string, o: { demo?: boolean; json?: boolean }) => {
      await withApi(
        dir,
        async (api, door) => {
          const demo = o.demo ? await installDemo(door, io, Boolean(o.json)) : null;
          const info = await api['workspace.info']({});
          if (o.json) io.out(JSON.stringify({ ...info, ...(demo ? { demo } : {}) }));
          else io.out(`workspace ready at ${info.path} (schema ${info.schemaVersion})`);
        },
        { create: true },
      );
    });

  const importCommand = program
    .command('import')
    .description('import problems (JSONL, MM-PRM seed JSON, or Hugging Face Parquet) into a dataset')
    .argument('<file>', 'problems file')
    .requiredOption('--workspace <dir>', 'workspace folder')
    .requiredOption('--dataset <name>', 'dataset to import into (created if new)')
    .option('--format <fmt>', 'jsonl | mmprm-seed | parquet (default: detected)')
    .option('--skip-bad', 'import the good lines and write a report of the bad ones')
    .option('--field <field=column>', 'read a Steplab field from this column (repeatable; id, question, answer, answer_type, images, split, source, tags)', repeat, [])
    .option('--image-root <dir>', 'read relative image paths against DIR; find absolute paths of another machine under DIR')
    .option('--allow-outside', "read images outside the file's folder and --image-root")
    .option('--json', 'print {"imported":N,"images":M,"skipped":K}');
  // the size caps' flags are shared with import-labels (common.ts)
  addLimitOptions(importCommand).action(async (file: string, o: { workspace: string; dataset: string; format?: string; skipBad?: boolean; field: string[]; imageRoot?: string; allowOutside?: boolean; json?: boolean } & LimitFlags) => {
      const path = resolve(file);
      if (!existsSync(path)) throw new UserError(`file not found: ${file}`);
      if (o.format !== undefined && !['jsonl', 'mmprm-seed', 'parquet'].includes(o.format)) {
        throw new UserError(`--format must be one of jsonl, mmprm-seed, parquet (got "${o.format}")`);
      }
      const fields = parseFieldSpecs(o.field);
      const imageRoot = o.imageRoot === undefined ? undefined : checkImageRoot(o.imageRoot);
      await withApi(o.workspace, async (api, door) => {
        // an import of the same file into the same dataset that was killed half-way resumes from its checkpoint
        const job = await api['import.start']({
          path,
          dataset: o.dataset,
          skipBad: Boolean(o.skipBad),
          ...(o.format ? { format: o.format as 'jsonl' } : {}),
          ...(Object.keys(fields).length ? { fields } : {}),
          ...(imageRoot ? { imageRoot } : {}),
          allowOutside: Boolean(o.allowOutside),
          ...limitsFromFlags(o),
        });
        if (job.resumed && !o.json) io.err(`resuming interrupted import job ${job.id} (${job.progress.done} lines done)`);
        const end = await runJobToEnd(door, job, io, Boolean(o.json));
        if (end.state === 'cancelled') throw new UserError(`import cancelled; the workspace is unchanged`);
        if (end.state !== 'done') throw new UserError(end.error ?? 'import failed');
        const r = ImportReport.parse(end.result);
        if (o.json) {
          io.out(JSON.stringify({ imported: r.imported, images: r.images, skipped: r.skipped }));
        } else {
          io.out(`imported ${r.imported} problems (${r.images} images)`);
          if (r.unchanged > 0) io.out(`${r.unchanged} already in dataset "${o.dataset}", left as they were`);
          if (r.skipped > 0) io.out(`skipped ${r.skipped} bad lines; report: ${r.reportPath}`);
        }
      });
    });

  const exp = program.command('export').description('export problems or step annotations');
  exp
    .command('problems')
    .description('problems as JSONL with images beside it')
    .requiredOption('--workspace <dir>', 'workspace folder')
    .requiredOption('--dataset <name>', 'dataset')
    .option('--format <fmt>', `${ProblemExportFormat.options.join(' | ')} (MM-PRM's seed JSON array, images beside it)`, 'jsonl')
    .requiredOption('--out <file>', 'output file')
    .option('--split <name>', 'only this split')
    .option('--limit <n>', 'at most N problems', positiveInt)
    .option('--json', 'print JSON')
    .action(async (o: { workspace: string; dataset: string; format: string; out: string; split?: string; limit?: number; json?: boolean }) => {
      const fmt = ProblemExportFormat.safeParse(o.format);
      if (!fmt.success) throw new UserError(`export problems: --format must be one of ${ProblemExportFormat.options.join(', ')} (got "${o.format}")`);
      await withApi(o.workspace, async (api) => {
        const r = await api['export.problems']({ dataset: o.dataset, format: fmt.data, out: resolve(o.out), split: o.split, limit: o.limit });
        io.out(o.json ? JSON.stringify(r) : `wrote ${r.written} problems (${r.images} images) to ${r.path}`);
      });
    });
  exp
    .command('annotations')
    .description(`step annotations as PRM training data (${[...AnnotationExportFormat.options, 'mm-prm', 'tree'].join(' | ')})`)
    .requiredOption('--workspace <dir>', 'workspace folder')
    .requiredOption('--dataset <name>', 'dataset')
    .requiredOption('--format <fmt>', `${AnnotationExportFormat.options.join(' | ')} | mm-prm (= mmprm) | tree (search trees, re-importable)`)
    .requiredOption('--out <file>', 'output file')
    .option('--set <name>', 'only this annotation set')
    .option('--split <name>', 'only this split')
    .option('--limit <n>', 'at most N rows (trees: searches)', positiveInt)
    .option('--curation <filter>', 'all (curated labels applied) | curated (only annotations with a curation edit) | uncurated', 'all')
    .option('--original-labels', "the search's own labels and step texts instead of the curated ones")
    .option('--include-rejected', 'keep paths rejected in curation (left out by default)')
    .option('--soft-labels', 'trl, openrlhf: MC floats instead of booleans / reward tokens')
    .option('--label-threshold <x>', 'hard label of a step without a curated label: MC > x, in [0, 1)', nonNegative, 0)
    .option('--per-step', 'mmprm: one <prm> per annotation step instead of one per search-tree node')
    .option('--min-words <n>', "mmprm: drop paths of at most N words (MM-PRM's traverse.py: 10)", nonNegativeInt, 10)
    .option('--seed <n>', 'mmprm: seed of the positive down-sampling', nonNegativeInt, 0)
    .option('--placeholder-token <tok>', "openrlhf: the step placeholder (OpenRLHF's --placeholder_token)", 'ки')
    .option('--reward-tokens <tokens...>', "openrlhf: positive then negative label token (OpenRLHF's --reward_tokens)", ['+', '-'])
    .option('--json', 'print JSON')
    .action(async (o: { workspace: string; dataset: string; format: string; out: string; set?: string; split?: string; limit?: number; curation: string; originalLabels?: boolean; includeRejected?: boolean; softLabels?: boolean; labelThreshold: number; perStep?: boolean; minWords: number; seed: number; placeholderToken: string; rewardTokens: string[]; json?: boolean }) => {
      if (o.format === 'tree') {
        await withApi(o.workspace, async (api) => {
          if (o.set !== undefined && !(await api['annotations.sets']({})).some((x) => x.name === o.set)) throw new UserError(`annotation set "${o.set}" not found (see: steplab annotations --workspace ${o.workspace})`);
          const r = await api['export.trees']({ dataset: o.dataset, split: o.split, limit: o.limit, out: resolve(o.out), ...(o.set ? { setName: o.set } : {}) });
          io.out(o.json ? JSON.stringify(r) : `wrote ${r.written} search trees (${r.nodes} nodes) to ${r.path}`);
        });
        return;
      }
      const fmt = AnnotationExportFormat.safeParse(o.format === 'mm-prm' ? 'mmprm' : o.format);
      if (!fmt.success) throw new UserError(`export annotations: --format must be one of ${AnnotationExportFormat.options.join(', ')}, mm-prm, tree (got "${o.format}")`);
      const curation = o.curation === 'all' || o.curation === 'curated' || o.curation === 'uncurated' ? o.curation : null;
      if (!curation) throw new UserError(`export annotations: --curation must be one of all, curated, uncurated (got "${o.curation}")`);
      if (o.rewardTokens.length !== 2) throw new UserError(`export annotations: --reward-tokens takes two tokens, positive then negative (got ${o.rewardTokens.length})`);
      await withApi(o.workspace, async (api) => {
        if (o.set !== undefined && !(await api['annotations.sets']({})).some((x) => x.name === o.set)) throw new UserError(`annotation set "${o.set}" not found (see: steplab annotations --workspace ${o.workspace})`);
        const r = await api['export.annotations']({ dataset: o.dataset, format: fmt.data, out: resolve(o.out), split: o.split, limit: o.limit, ...(o.set ? { setName: o.set } : {}), curation, labels: o.originalLabels ? 'original' : 'curated', includeRejected: o.includeRejected ?? false, softLabels: o.softLabels ?? false, labelThreshold: o.labelThreshold, perStep: o.perStep ?? false, minWords: o.minWords, seed: o.seed, placeholderToken: o.placeholderToken, rewardTokens: [o.rewardTokens[0], o.rewardTokens[1]] });
        io.out(o.json ? JSON.stringify(r) : `wrote ${r.written} rows to ${r.path}`);
      });
    });

  const importLabelsCommand = program
    .command('import-labels')
    .description("import the field's search trees and step-label sets as searches and annotations (MM-PRM, OpenR, VisualPRM, Math-Shepherd, PRM800K, TRL, llm-reasoners, Steplab trees; see README)")
    .argument('<path>', 'a file, or a folder of files (every .json, .jsonl, .gz and .parquet file under it)')
    .requiredOption('--workspace <dir>', 'workspace folder')
    .requiredOption('--dataset <name>', 'dataset the problems are matched into or added to (created if new)')
    .option('--format <fmt>', 'the file format (default: detected from the content; the formats are listed in README "Bring your data"); processbench, visualprocessbench and prmbench import a step-level benchmark')
    .option('--split <name>', 'split of the problems this import adds to the dataset')
    .option('--image-root <dir>', 'read relative image paths against DIR; find absolute paths of another machine under DIR')
    .option('--set <name>', "annotation set of the labelled paths (default: the file's or folder's name)")
    .option('--skip-bad', 'import the good units and write a report of the bad ones')
    .option('--allow-outside', "read images outside the file's folder and --image-root")
    .option('--json', 'last line: {"problems","searches","nodes","annotations","labelled_steps","annotation_set","skipped"}');
  // the size caps' flags are shared with import (common.ts)
  addLimitOptions(importLabelsCommand).action(async (path: string, o: { workspace: string; dataset: string; format?: string; split?: string; imageRoot?: string; set?: string; skipBad?: boolean; allowOutside?: boolean; json?: boolean } & LimitFlags) => {
      const imageRoot = o.imageRoot === undefined ? undefined : checkImageRoot(o.imageRoot);
      await withApi(o.workspace, async (api, door) => {
        if (o.format !== undefined && (BENCH_FORMATS as readonly string[]).includes(o.format)) {
          // a step-level benchmark: one solution per row with its gold step labels (Field data III)
          if (o.set || o.skipBad) throw new UserError(`--set and --skip-bad do not apply to --format ${o.format}`);
          // a folder: each of its .json / .jsonl files is one split, named after the file (ProcessBench's
          // gsm8k.json, math.json, ...); each file is imported whole or not at all, and a re-run adds nothing twice
          const full = resolve(path);
          const { files: reports } = await api['benchmarks.importPath']({ path: full, dataset: o.dataset, format: o.format as BenchFormat, ...(o.split ? { split: o.split } : {}), ...(imageRoot ? { imageRoot } : {}), allowOutside: Boolean(o.allowOutside), ...limitsFromFlags(o) });
          if (!o.json) for (const r of reports) io.out(`imported ${r.added} ${r.format} rows of ${r.file} into dataset "${r.dataset}" split "${r.split}" (${r.rows} rows read${r.present ? `, ${r.present} imported before` : ''}${r.duplicates ? `, ${r.duplicates} repeated in the file` : ''}); problems: ${r.problems.created} new, ${r.problems.existing} already there; ${r.images} images`);
          const folder = existsSync(full) && statSync(full).isDirectory();
          if (o.json) io.out(JSON.stringify(folder ? { files: reports } : reports[0]));
          return;
        }
        if (o.format !== undefined) {
          const names = (await api['import.labelFormats']({})).map((f) => f.name);
          if (!names.includes(o.format)) throw new UserError(`--format must be one of ${[...names, ...BENCH_FORMATS].join(', ')} (got "${o.format}")`);
        }
        const job = await api['import.labels']({
          path: resolve(path),
          dataset: o.dataset,
          skipBad: Boolean(o.skipBad),
          allowOutside: Boolean(o.allowOutside),
          ...limitsFromFlags(o),
          ...(o.format ? { format: o.format } : {}),
          ...(o.split ? { split: o.split } : {}),
          ...(imageRoot ? { imageRoot } : {}),
          ...(o.set ? { setName: o.set } : {}),
        });
        if (job.resumed) io.err(`resuming interrupted import-labels job ${job.id} (${job.progress.message ?? 'nothing staged yet'})`);
        const end = await runJobToEnd(door, job, io, Boolean(o.json));
        if (end.state === 'cancelled') throw new UserError('import-labels cancelled; the workspace is unchanged');
        if (end.state !== 'done') throw new UserError(end.error ?? 'import-labels failed');
        const r = ImportLabelsReport.parse(end.result);
        io.out(`format ${r.format}${r.detected ? ` (detected: ${r.detected})` : ''}`);
        if (o.json) {
          io.out(JSON.stringify({ problems: r.problems, searches: r.searches, nodes: r.nodes, annotations: r.annotations, labelled_steps: r.labelledSteps, annotation_set: r.annotationSet, skipped: r.skipped }));
          return;
        }
        const what = [r.searches ? `${r.searches} trees (${r.nodes} nodes)` : '', r.solutions ? `${r.solutions} labelled paths` : ''].filter(Boolean).join(' and ') || 'nothing new';
        io.out(`imported ${what}: ${r.annotations} annotations, ${r.labelledSteps} labelled steps in set "${r.annotationSet}"; ${r.problems} problems added to dataset "${o.dataset}"`);
        if (r.unchanged > 0) io.out(`${r.unchanged} imported before, left as they were`);
        if (r.skipped + r.warnings > 0) io.out(`${r.skipped ? `skipped ${r.skipped} bad; ` : ''}${r.warnings} warning${r.warnings === 1 ? '' : 's'}; report: ${r.reportPath}`);
      });
    });

  program
    .command('import-trees')
    .description('re-import search trees exported with `export annotations --format tree` (import-labels --format steplab-tree, into the problems already here)')
    .argument('<file>', 'tree JSONL')
    .requiredOption('--workspace <dir>', 'workspace folder')
    .option('--json', 'print JSON')
    .action(async (file: string, o: { workspace: string; json?: boolean }) => {
      if (!existsSync(file)) throw new UserError(`file not found: ${file}`);
      await withApi(o.workspace, async (api) => {
        const r = await api['import.trees']({ path: resolve(file) });
        io.out(o.json ? JSON.stringify(r) : `imported ${r.searches} search trees (${r.nodes} nodes)${r.skipped ? `; ${r.skipped} already imported` : ''}`);
      });
    });

  program
    .command('merge')
    .description('merge workspaces into one by content: problems, images, datasets, models, search trees, annotations, curation (see README)')
    .argument('<sources...>', 'workspaces to merge from (read, never written)')
    .requiredOption('--into <dir>', 'the workspace to merge into (created if missing)')
    .option('--json', 'print the report as one JSON line')
    .action(async (sources: string[], o: { into: string; json?: boolean }) => {
      const { mergeReportJson, mergeReportLines } = await import('../core/merge');
      const r = await detachedApi()['workspace.merge']({ sources, into: o.into });
      if (o.json) io.out(JSON.stringify(mergeReportJson(r)));
      else for (const line of mergeReportLines(r, table)) io.out(line);
    });

  program
    .command('check')
    .description("check a workspace for damage: steplab.db (quick_check; --full: integrity_check), foreign keys, images against their hashes, model folders against their manifests")
    .requiredOption('--workspace <dir>', 'workspace folder (only read)')
    .option('--full', 'integrity_check (every index against its table) and SHA-256 of every image')
    .option('--json', 'print the report as one JSON object')
    .action(async (o: { workspace: string; full?: boolean; json?: boolean }) => {
      const { checkReportLines } = await import('../core/workspaceCheck');
      const r = await detachedApi()['workspace.check']({ path: o.workspace, full: Boolean(o.full) });
      if (o.json) io.out(JSON.stringify(r));
      else for (const line of checkReportLines(r)) io.out(line);
      if (!r.ok) {
        const what = [
          ...(r.database.ok ? [] : ['steplab.db']),
          ...(r.foreignKeys && !r.foreignKeys.ok ? ['its foreign keys'] : []),
          ...(r.images && !r.images.ok ? [`${r.images.missingCount + r.images.mismatchedCount} image files`] : []),
          ...(r.models && !r.models.ok ? [`${r.models.problems.length} model folder problems`] : []),
        ];
        throw new UserError(`the workspace ${r.path} is damaged (${what.join(', ')})${r.database.ok ? '' : `; salvage what can be read with: steplab recover ${o.workspace} --into <new folder>`}`);
      }
    });

  program
    .command('recover')
    .description('salvage what can be read of a damaged workspace into a new one, and report what was lost (the damaged one is only read)')
    .argument('<workspace>', 'the damaged workspace')
    .requiredOption('--into <dir>', 'a new (or empty) folder for the recovered workspace')
    .option('--json', 'print the report as one JSON object')
    .action(async (dir: string, o: { into: string; json?: boolean }) => {
      const { recoverReportLines } = await import('../core/recover');
      const r = await detachedApi()['workspace.recover']({ path: dir, into: o.into });
      if (o.json) io.out(JSON.stringify(r));
      else for (const line of recoverReportLines(r)) io.out(line);
    });

  program
    .command('generate')
    .description('sample k solutions per problem with a policy, verify and store them')
    .requiredOption('--workspace <dir>', 'workspace folder')
    .requiredOption('--dataset <name>', 'dataset')
    .requiredOption('--model <name>', 'policy model (name or name@version)')
    .requiredOption('--n <k>', 'samples per problem', positiveInt)
    .option('--split <name>', 'only this split')
    .option('--limit <n>', 'at most N problems', positiveInt)
    .option('--temperature <t>', 'sampling temperature (0 = greedy; default: the model manifest)', nonNegative)
    .option('--top-k <k>', 'top-k (0 = off)', nonNegativeInt)
    .option('--top-p <p>', 'top-p (1 = off)', probability)
    .option('--max-new-tokens <n>', 'token limit per solution', positiveInt)
    .option('--seed <s>', 'random seed', nonNegativeInt, 0)
    .addOption(judgeOption())
    .addOption(judgeModeOption())
    .option('--restart', 'start over instead of resuming the unfinished job of the same settings (its solutions removed first)')
    .option('--json', 'print the summary as JSON')
    .action(async (o: { workspace: string; dataset: string; model: string; n: number; split?: string; limit?: number; temperature?: number; topK?: number; topP?: number; maxNewTokens?: number; seed: number; judge?: string; judgeMode?: JudgeMode; restart?: boolean; json?: boolean }) => {
      await withApi(o.workspace, async (api, door) => {
        await api['models.get']({ name: o.model });
        await api['datasets.get']({ name: o.dataset });
        const judge = judgeFromFlags(o); // the judge model itself is checked when the job is started
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
        if (end.state === 'cancelled') throw new UserError('generate cancelled; the solutions of finished problems are kept');
        if (end.state !== 'done') throw new UserError(end.error ?? 'generate failed');
        const r = end.result as GenerateResult;
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

  program
    .command('search')
    .description('label every step by searching: OmegaPRM (omega) or the Math-Shepherd Monte-Carlo baseline (mc)')
    .requiredOption('--workspace <dir>', 'workspace folder')
    .requiredOption('--dataset <name>', 'dataset')
    .requiredOption('--model <name>', 'policy model (name or name@version)')
    .requiredOption('--algo <algo>', 'omega | mc')
    .option('--split <name>', 'only this split')
    .option('--limit <n>', 'at most N problems', positiveInt)
    .option('--shard <i/n>', 'search only shard i of n (a stable 1/n of the problems by content, taken after --split and --limit)')
    .option('--config <file.json>', 'algorithm and sampling settings (see README)')
    .option('--seed <s>', 'random seed', nonNegativeInt, 0)
    .option('--annotation-set <name>', 'name of the annotation set (default: <algo>-<job id>)')
    .option('--all-paths', 'annotate every root-to-node path instead of MM-PRM\'s rules')
    .addOption(judgeOption())
    .addOption(judgeModeOption())
    .option('--restart', 'start over instead of resuming the unfinished search of the same settings (its trees and annotations removed first)')
    .option('--json', 'print the summary as JSON')
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
        await api['models.get']({ name: o.model, role: 'policy' });
        await api['datasets.get']({ name: o.dataset });
        const judge = judgeFromFlags(o); // the judge model itself is checked when the job is started
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
        if (end.state === 'cancelled') throw new UserError('search cancelled; the trees of finished problems are kept');
        if (end.state !== 'done') throw new UserError(end.error ?? 'search failed');
        const r = end.result as SearchJobResult;
        if (o.json) {
          io.out(JSON.stringify({ search_id: r.searchIds[0] ?? null, search_ids: r.searchIds, annotation_set: r.annotationSet, problems: r.problems, nodes: r.nodes, labelled_steps: r.labelledSteps, policy_tokens: r.policyTokens, tokens_per_labelled_step: r.tokensPerLabelledStep, ...(r.judge ? { judge: judgeJson(r.judge) } : {}) }));
        } else {
          io.out(`searched ${r.problems} problems${shard ? ` (shard ${shard.index}/${shard.count})` : ''}${r.skipped ? ` (${r.skipped} skipped by the question filter)` : ''}: ${r.nodes} nodes, ${r.labelledSteps} labelled steps, ${r.annotations} annotations in set "${r.annotationSet}"`);
          io.out(`${r.policyTokens} policy tokens in ${r.policyCalls} calls, ${r.tokensPerLabelledStep === null ? 'no labelled steps' : `${r.tokensPerLabelledStep.toFixed(1)} tokens per labelled step`}; ${Math.round((100 * r.inferenceMs) / Math.max(r.totalMs, 1))}% of the time in inference`);
          if (r.judge) io.out(judgeLine(r.judge));
        }
      });
    });

  const annotations = program
    .command('annotations')
    .description('list annotation sets; `annotations split` cuts one by problem into -train and -val')
    // options after `split` belong to it, not to `annotations`
    .enablePositionalOptions()
    .option('--workspace <dir>', 'workspace folder (required)')
    .option('--json', 'print JSON')
    .action(async (o: { workspace?: string; json?: boolean }) => {
      if (!o.workspace) throw new UserError("annotations: required option '--workspace <dir>' not specified");
      await withApi(o.workspace, async (api) => {
        const sets = await api['annotations.sets']({});
        if (o.json) return io.out(JSON.stringify(sets));
        if (sets.length === 0) return io.out('no annotation sets; make one with: steplab search --workspace <dir> --dataset <name> --model <policy> --algo omega');
        io.out(table(['set', 'annotations', 'problems', 'steps', 'searches', 'created'], sets.map((x) => [x.name, String(x.annotations), String(x.problems), String(x.steps), String(x.searches), x.createdAt])));
      });
    });
  annotations
    .command('split')
    .description('split an annotation set by problem into <set>-train and <set>-val (for train-prm --val-annotations); no problem on both sides')
    .requiredOption('--workspace <dir>', 'workspace folder')
    .requiredOption('--set <name>', 'the annotation set to split')
    .requiredOption('--val <share>', 'share of the problems held out, in (0, 1)', fraction)
    .option('--seed <s>', 'seed of the choice', nonNegativeInt, 0)
    .option('--json', 'print JSON')
    .action(async (o: { workspace: string; set: string; val: number; seed: number; json?: boolean }) => {
      await withApi(o.workspace, async (api) => {
        const r = await api['annotations.split']({ set: o.set, val: o.val, seed: o.seed });
        if (o.json) return io.out(JSON.stringify(r));
        const n = (k: number, one: string): string => `${k} ${one}${k === 1 ? '' : 's'}`;
        io.out(`split "${o.set}" by problem: ${n(r.train.problems, 'problem')} (${n(r.train.annotations, 'annotation')}) in "${r.train.name}", ${n(r.val.problems, 'problem')} (${n(r.val.annotations, 'annotation')}) in "${r.val.name}"`);
      });
    });

  const models = program
    .command('models')
    .description('list registered models and the execution providers available')
    // options after `register` belong to it, not to `models`
    .enablePositionalOptions()
    .option('--workspace <dir>', 'workspace folder (required)')
    .option('--json', 'print JSON')
    .action(async (o: { workspace?: string; json?: boolean }) => {
      if (!o.workspace) throw new UserError("models: required option '--workspace <dir>' not specified");
      await withApi(o.workspace, async (api) => {
        const list = await api['models.list']({});
        const providers = await api['models.providers']({});
        // endpoints are asked whether they are up (a few seconds at most, all at once)
        const health = new Map(await Promise.all(list.filter((m) => m.endpoint).map(async (m) => [m.id, await api['models.health']({ id: m.id })] as const)));
        if (o.json) return io.out(JSON.stringify({ providers, models: list.map((m) => (health.has(m.id) ? { ...m, health: health.get(m.id) } : m)) }));
        io.out(`execution providers available: ${providers.map((p) => p.toUpperCase()).join(', ')}`);
        if (list.length === 0) return io.out('no models; register one with: steplab models register <folder> --workspace <dir>');
        const where = (m: (typeof list)[number]): string =>
          m.endpoint ? health.get(m.id)!.map((h) => `${h.url} (${m.endpoint!.servedModel}): ${h.detail}`).join('; ') : m.path;
        io.out(
          table(
            ['name', 'version', 'role', 'family', 'provider', 'path'],
            list.map((m) => [m.name, `v${m.version}`, m.role, m.family ?? '', String((m.provenance as { validatedWith?: string } | null)?.validatedWith ?? '').toUpperCase(), where(m)]),
          ),
        );
      });
    });
  models
    .command('register')
    .description('validate a model folder and register it (copied into the workspace)')
    .argument('<folder>', 'model folder with manifest.json')
    .requiredOption('--workspace <dir>', 'workspace folder')
    .option('--name <name>', 'register under this name instead of the manifest\'s')
    .option('--json', 'print JSON')
    .action(async (folder: string, o: { workspace: string; name?: string; json?: boolean }) => {
      await withApi(o.workspace, async (api) => {
        const rec = await api['models.register']({ folder, ...(o.name ? { name: o.name } : {}) });
        if (o.json) io.out(JSON.stringify(rec));
        else io.out(`registered ${modelLabel(rec)} (${rec.role}, validated on ${String((rec.provenance as { validatedWith?: string }).validatedWith).toUpperCase()}) at ${rec.path}`);
      });
    });

  program
    .command('datasets')
    .description('list datasets')
    .requiredOption('--workspace <dir>', 'workspace folder')
    .option('--json', 'print JSON')
    .action(async (o: { workspace: string; json?: boolean }) => {
      await withApi(o.workspace, async (api) => {
        const list = await allPages((q) => api['datasets.list'](q));
        if (o.json) return io.out(JSON.stringify(list));
        if (list.length === 0) return io.out('no datasets; import one with: steplab import <file.jsonl> --workspace <dir> --dataset <name>');
        io.out(table(['name', 'version', 'problems', 'images', 'splits'], list.map((d) => [d.name, `v${d.version}`, String(d.problemCount), String(d.imageCount), Object.entries(d.splits).map(([k, v]) => `${k}:${v}`).join(' ')])));
      });
    });

  program
    .command('jobs')
    .description('list jobs; --resume runs interrupted jobs to their end')
    .requiredOption('--workspace <dir>', 'workspace folder')
    .option('--resume', 'resume every queued or interrupted job and wait for them')
    .option('--cancel <id>', 'cancel a job', positiveInt)
    .option('--prune', 'remove failed and cancelled jobs from the list (never a running, interrupted or done one)')
    .option('--older-than <age>', 'with --prune: only jobs that ended longer ago than this (30m, 12h, 7d, 2w)', duration)
    .option('--limit <n>', 'at most N jobs', positiveInt)
    .option('--json', 'print JSON')
    .action(async (o: { workspace: string; resume?: boolean; cancel?: number; prune?: boolean; olderThan?: number; limit?: number; json?: boolean }) => {
      if (o.olderThan !== undefined && !o.prune) throw new UserError('jobs: --older-than goes with --prune');
      await withApi(o.workspace, async (api, door) => {
        if (o.cancel !== undefined) {
          const j = await api['jobs.cancel']({ id: o.cancel });
          if (!o.json) io.out(`job ${j.id}: ${j.state === 'running' ? 'cancel requested' : j.state}`);
        }
        if (o.prune) {
          const r = await api['jobs.prune']({ ...(o.olderThan !== undefined ? { olderThanMs: o.olderThan } : {}) });
          if (o.json) return io.out(JSON.stringify(r));
          io.out(r.removed.length ? `removed ${r.removed.length} job(s): ${r.removed.join(', ')}` : 'no failed or cancelled jobs to remove');
          for (const k of r.kept) io.out(`kept job ${k.id}: ${k.reason}`);
        }
        if (o.resume) {
          const { ids } = await api['jobs.resumeAll']({});
          if (!o.json) io.out(ids.length ? `resuming ${ids.length} job(s): ${ids.join(', ')}` : 'nothing to resume');
          for (const id of ids) await runJobToEnd(door, await api['jobs.get']({ id }), io, Boolean(o.json));
        }
        const jobs = await api['jobs.list']({ limit: o.limit ?? 100 });
        if (o.json) return io.out(JSON.stringify(jobs));
        if (jobs.length === 0) return io.out('no jobs');
        io.out(
          table(
            ['id', 'kind', 'state', 'progress', 'message'],
            jobs.map((j) => [String(j.id), j.kind, j.state, j.progress.total ? `${j.progress.done}/${j.progress.total}` : String(j.progress.done), printable(j.error ?? j.progress.message ?? '')]),
          ),
        );
      });
    });

  program
    .command('serve')
    .description('serve the workbench over HTTP + WebSocket on 127.0.0.1 (prints the URL with its token)')
    .requiredOption('--workspace <dir>', 'workspace folder')
    .option('--port <p>', 'port (default: a free one)', port, 0)
    .option('--json', 'print {"url","port"} as JSON')
    .action(async (o: { workspace: string; port: number; json?: boolean }) => {
      const door = openLocalDoor(o.workspace);
      const { ids: resumed } = await door.api['jobs.resumeAll']({});
      const { path } = await door.api['workspace.info']({});
      // a fresh install has no built web UI yet: build it once (the line goes to stderr, so --json stays one JSON line)
      const rendererDir = rendererDirFor();
      const built = ensureRenderer(rendererDir, (line) => io.err(line));
      if (built.state === 'failed') io.err(`warning: ${built.reason}; the API is served, the page is not`);
      const host = await startHost({ workbench: door.workbench, port: o.port, rendererDir });
      if (o.json) io.out(JSON.stringify({ url: host.url, port: host.port }));
      else {
        io.out(`Steplab is serving ${path}`);
        io.out(`open ${host.url}`);
        if (resumed.length) io.out(`resumed ${resumed.length} interrupted job(s)`);
        io.out('press Ctrl-C to stop');
      }
      await untilStopped();
      await host.close();
      await door.close();
    });

  program
    .command('verify')
    .description('check answers: each line {"answer": gold, "prediction": text, "answer_type"?}')
    .argument('<file>', 'JSONL file')
    .option('--json', 'one JSON object per line, then a summary object')
    .action(async (file: string, o: { json?: boolean }) => {
      if (!existsSync(file)) throw new UserError(`file not found: ${file}`);
      const counts = { total: 0, correct: 0, incorrect: 0, unparseable: 0 };
      let n = 0;
      const api = detachedApi();
      const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
      for await (const raw of lines) {
        n++;
        const text = n === 1 ? raw.replace(/^\uFEFF/, '') : raw;
        if (text.trim() === '') continue;
        const row = parseVerifyLine(text, n);
        const r = await api['verify.check'](row);
        counts.total++;
        counts[r.verdict]++;
        if (o.json) io.out(JSON.stringify({ line: n, verdict: r.verdict, extracted: r.extracted }));
        else io.out(`line ${n}: ${r.verdict}${r.extracted === null ? ' (no answer found)' : ` (extracted ${JSON.stringify(r.extracted)})`}`);
      }
      if (o.json) io.out(JSON.stringify(counts));
      else {
        const pct = counts.total ? ((100 * counts.correct) / counts.total).toFixed(1) : '0.0';
        io.out(`${counts.total} lines: ${counts.correct} correct (${pct}%), ${counts.incorrect} incorrect, ${counts.unparseable} unparseable`);
      }
    });

  addRewardCommands(program, io);
  addEndpointCommands(program, models, io);
  addCycleCommands(program, io);
  addBenchCommands(program, io);
  addManageCommands(program, io);
  return program;
}

/** Imports the bundled demo dataset and registers every bundled model folder not registered yet. */
async function installDemo(door: LocalDoor, io: CliIO, json: boolean): Promise<{ dataset: string; problems: number; models: string[] }> {
  const api: Api = door.api;
  const file = join(BUNDLED_MODELS_DIR, 'demo-data', 'problems.jsonl');
  if (!existsSync(file)) throw new UserError(`the bundled demo dataset is missing (${file}); is this a complete checkout?`);
  const job = await api['import.start']({ path: file, dataset: 'demo', skipBad: false });
  const end = await runJobToEnd(door, job, io, json);
  if (end.state !== 'done') throw new UserError(`importing the demo dataset failed: ${end.error ?? end.state}`);
  const models: string[] = [];
  for (const folder of bundledModelFolders()) {
    const name = readManifest(folder).name;
    if ((await api['models.list']({})).some((m) => m.name === name)) continue;
    const rec = await api['models.register']({ folder });
    models.push(modelLabel(rec));
    if (!json) io.out(`registered ${rec.name} (${rec.role}) from ${folder}`);
  }
  const problems = (await api['datasets.get']({ name: 'demo' })).problemCount;
  if (!json) io.out(`dataset "demo": ${problems} problems`);
  return { dataset: 'demo', problems, models };
}

/** MathVista's answer types, read as the verifier's: integer and float are numbers, a list's kind is inferred. */
const MATHVISTA_TYPES: Record<string, AnswerType | null> = { integer: 'number', float: 'number', list: null };

function parseVerifyLine(text: string, n: number): { answer: string; prediction: string; answerType?: AnswerType; choices?: string[]; precision?: number; ordered?: boolean } {
  const row = parseJsonLine(text, n);
  if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new UserError(`line ${n}: must be a JSON object`);
  const r = row as Record<string, unknown>;
  const str = (k: string): string => {
    const v = r[k];
    if (v === undefined || v === null) throw new UserError(`line ${n}: field "${k}": required`);
    if (typeof v === 'number') return String(v);
    if (typeof v !== 'string') throw new UserError(`line ${n}: field "${k}": must be a string`);
    return v;
  };
  const out: ReturnType<typeof parseVerifyLine> = { answer: str('answer'), prediction: str('prediction') };
  if (r.answer_type !== undefined && r.answer_type !== null) {
    const t = AnswerType.safeParse(r.answer_type);
    const mv = typeof r.answer_type === 'string' ? MATHVISTA_TYPES[r.answer_type] : undefined;
    if (t.success) out.answerType = t.data;
    else if (mv) out.answerType = mv;
    else if (mv === undefined) throw new UserError(`line ${n}: field "answer_type": must be one of ${AnswerType.options.join(', ')} (or MathVista's integer, float, list)`);
  }
  if (r.choices !== undefined && r.choices !== null) {
    if (!Array.isArray(r.choices) || !r.choices.every((c) => typeof c === 'string' || typeof c === 'number')) throw new UserError(`line ${n}: field "choices": must be a list of strings`);
    if (r.choices.length > 0) out.choices = r.choices.map(String);
  }
  if (r.precision !== undefined && r.precision !== null) {
    const p = Number(r.precision);
    if (!Number.isInteger(p) || p < 0 || p > 12) throw new UserError(`line ${n}: field "precision": must be a whole number of decimal places (0-12)`);
    out.precision = p;
  }
  if (r.ordered !== undefined) {
    if (typeof r.ordered !== 'boolean') throw new UserError(`line ${n}: field "ordered": must be true or false`);
    out.ordered = r.ordered;
  }
  return out;
}

/** A share strictly between 0 and 1. */
function fraction(v: string): number {
  const n = Number(v);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError('must be a number between 0 and 1');
  return n;
}

/** Commander's collector for a repeatable option. */
const repeat = (v: string, prev: string[]): string[] => [...prev, v];

/**
 * Runs the CLI; returns the exit code: 0 ok, 1 a user error (one line: bad input, a read-only or damaged
 * workspace, a full disk), 2 an internal error (one line naming the log file with its trace). `--debug`
 * anywhere in argv (or STEPLAB_DEBUG=1) prints traces to stderr as well.
 */
export async function main(argv: string[], io: CliIO = defaultIO): Promise<number> {
  const end = argv.indexOf('--');
  const head = end < 0 ? argv : argv.slice(0, end);
  if (head.includes('--debug')) {
    process.env.STEPLAB_DEBUG = '1';
    argv = [...head.filter((a) => a !== '--debug'), ...(end < 0 ? [] : argv.slice(end))];
  }
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (raw) {
    if (raw instanceof CommanderError) {
      // help and version exit 0; usage errors were already printed by commander
      return raw.exitCode === 0 ? 0 : 1;
    }
    const e = asUserFacing(raw);
    if (e instanceof UserError || (e instanceof ApiError && e.code !== 'internal')) {
      if (debugEnabled() && e.stack) process.stderr.write(`${e.stack}\n`);
      io.err(`error: ${printable(e.message)}`);
      return 1;
    }
    io.err(printable(internalErrorLine(raw, `steplab ${argv.join(' ')}`)));
    return 2;
  }
}
