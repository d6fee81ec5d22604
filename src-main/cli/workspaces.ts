// `steplab merge`, `check` and `recover`: workspaces merged by content, checked for damage, rebuilt.
import { Command } from 'commander';
import { detachedApi } from '../core/door';
import { UserError } from '../core/errors';
import { table, type CliIO } from './common';

export function addWorkspaceCommands(program: Command, io: CliIO): void {
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
}
