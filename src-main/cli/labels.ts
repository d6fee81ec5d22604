// `steplab import-labels` and `import-trees`: step labels and search trees from files in the field's
// formats, onto problems (or, for import-labels, problems made from the file).
import { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { BENCH_FORMATS, type BenchFormat } from '../../src-shared/benchmarks';
import { ImportLabelsReport } from '../../src-shared/domain';
import { checkImageRoot } from '../core/data/imageRoot';
import { UserError } from '../core/errors';
import { addLimitOptions, limitsFromFlags, type LimitFlags, jobResult, runJobToEnd, withApi, type CliIO } from './common';

export function addLabelImportCommands(program: Command, io: CliIO): void {
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
        const r = ImportLabelsReport.parse(jobResult(end, 'import-labels cancelled; the workspace is unchanged', 'import-labels failed'));
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
}
