// `steplab init`, `import` and `export problems|annotations`: workspaces made, problems in, problems and
// annotations out.
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Api } from '../../src-shared/api';
import { AnnotationExportFormat, ImportReport, ProblemExportFormat } from '../../src-shared/domain';
import { parseFieldSpecs } from '../core/data/fieldMap';
import { checkImageRoot } from '../core/data/imageRoot';
import { type LocalDoor } from '../core/door';
import { UserError } from '../core/errors';
import { readManifest } from '../core/inference/model';
import { BUNDLED_MODELS_DIR, bundledModelFolders } from '../core/models/bundled';
import { addLimitOptions, limitsFromFlags, type LimitFlags, nonNegative, nonNegativeInt, positiveInt, jobResult, runJobToEnd, withApi, type CliIO } from './common';
import { modelLabel } from '../../src-shared/modelLabel';

export function addDataCommands(program: Command, io: CliIO): void {
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
        const r = ImportReport.parse(jobResult(end, `import cancelled; the workspace is unchanged`, 'import failed'));
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

/** Commander's collector for a repeatable option. */
const repeat = (v: string, prev: string[]): string[] => [...prev, v];
