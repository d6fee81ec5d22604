// `steplab merge`: copies the work of other workspaces into one. Everything is matched by content, never by
// row id, so merging the same source twice adds nothing the second time:
//   images          by sha256 (the file is copied beside the record)
//   problems        by fingerprint (question, answer, answer type, image hashes)
//   datasets        by name; members by (dataset, problem, ext id); a split or extra fields (meta) missing in
//                   the target are filled in, differing ones are a conflict (the target's kept)
//   models          by name + every recorded field but version, path and provenance (role, family, manifest,
//                   endpoint...) + a hash of the model folder's files; the same name with other content is a
//                   conflict and comes in as the next version of that name (its folder copied into models/)
//   solutions       by problem, model, origin, answer, verdict, settings, provider, ORM verdict, cycle role,
//                   creation time and step texts and gold labels; with their steps and PRM step scores
//   searches        by problem, model, algorithm, seed and a hash of config and tree (every node's stats and
//                   step text, parents by position); with their nodes, event log (node ids remapped) and node scores
//   annotations     by problem, search, solution, set name and steps (text, soft and hard label); provenance's
//                   search, node and model references remapped
//   curation edits  by annotation, step, action, value, comment, text, author and time; batches renumbered
// Rows of one source with equal identity (two identical samples, the same search run twice) stay as many in
// the target; a row two sources both hold comes in once (see SourceMerge.nth).
// Not carried: jobs and their metrics and staging rows (job ids become null), evaluations, cycle runs,
// cycles, their stages and training examples (a solution's cycle id becomes null), and any table this
// version does not know; the report lists those that hold rows.
// One transaction per source: a source that fails leaves the target as it was before that source.
// Its SQL, on both sides (the source's own handle and the target's), is in store/merge.ts.
// This file checks the workspaces and runs one source after another; sourceMerge.ts merges one source,
// with one stage per kind of row in stages/ (content, models, solutions, searches, annotations).
import { existsSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../errors';
import { Store } from '../store';
import { DB_FILE } from '../store/db';
import { checkSourceIntegrity, checkWorkspace, openSource, realWorkspacePath, type CheckedWorkspace } from './source';
import { mergeOne } from './sourceMerge';
import { emptyCounts, MERGE_KINDS, type MergeReport } from './types';

export { emptyCounts, MERGE_KINDS, type MergeConflict, type MergeCounts, type MergeKind, type MergeReport, type SourceReport } from './types';

/**
 * Checks every source and the target before any work (one-line UserError, nothing written), then merges the
 * sources in order into the target (created if missing), one transaction per source.
 */
export function mergeWorkspaces(sources: readonly string[], into: string): MergeReport {
  if (sources.length === 0) throw new UserError('merge: name at least one source workspace');
  const checked: CheckedWorkspace[] = sources.map((s) => checkWorkspace(s, 'source'));
  // every source is checked for damage before the first row is merged
  for (const ws of checked) checkSourceIntegrity(ws);
  const targetReal = realWorkspacePath(into);
  for (const s of checked) {
    if (s.real === targetReal) throw new UserError(`cannot merge ${s.given} into itself (--into ${into} is the same workspace)`);
  }
  const targetDir = resolve(into);
  const created = !existsSync(join(targetDir, DB_FILE));
  const dirExisted = existsSync(targetDir);
  if (!created) checkWorkspace(into, 'target');
  else if (dirExisted && !statSync(targetDir).isDirectory()) throw new UserError(`target ${into} exists and is not a folder`);
  const target = Store.open(targetDir, { create: true });
  const report: MergeReport = { into: target.paths.dir, created, sources: [], totals: emptyCounts(), conflicts: [] };
  try {
    checked.forEach((ws, i) => {
      const src = openSource(ws);
      try {
        const r = mergeOne(target, src);
        report.sources.push(r);
        for (const k of MERGE_KINDS) {
          report.totals[k].added += r.counts[k].added;
          report.totals[k].skipped += r.counts[k].skipped;
        }
        report.conflicts.push(...r.conflicts);
      } catch (e) {
        const before = i > 0 ? ` (the ${i} source${i > 1 ? 's' : ''} before it ${i > 1 ? 'were' : 'was'} merged)` : '';
        if (e instanceof UserError) throw new UserError(`merging ${ws.given}: ${e.message}; nothing from it was merged${before}`);
        throw e;
      } finally {
        src.close();
      }
    });
  } catch (e) {
    target.close();
    // a workspace this merge made and nothing went into is removed again
    if (created && !dirExisted && report.sources.length === 0) rmSync(targetDir, { recursive: true, force: true });
    throw e;
  }
  target.close();
  return report;
}
