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
import { copyFileSync, cpSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { imagePath } from '../data/images';
import { UserError } from '../errors';
import { MERGE_KINDS } from '../../../src-shared/api';
import { Store } from '../store';
import { DB_FILE } from '../store/db';
import { DERIVED_TABLES } from '../store/derived';
import { MergeSide, mergeTransaction, type MemberRow } from '../store/merge';
import { batchRef, type NewNode } from '../store/trees';
import { canonicalJson, canonicalValue, folderHash, sha256, treeHash, type TreeNodeRow } from './identity';
import { checkSourceIntegrity, checkWorkspace, openSource, realWorkspacePath, type CheckedWorkspace, type OpenSource } from './source';
import { modelLabel } from '../../../src-shared/modelLabel';

export { MERGE_KINDS };
export type MergeKind = (typeof MERGE_KINDS)[number];
export type MergeCounts = Record<MergeKind, { added: number; skipped: number }>;

/** Tables a merge carries (with the kind they are counted under, or the row they belong to). */
const CARRIED = new Set([
  'images',
  'problems',
  'problem_images',
  'datasets',
  'dataset_problems',
  'models',
  'solutions',
  'steps',
  'step_scores',
  'searches',
  'tree_nodes',
  'search_events',
  'node_scores',
  'annotations',
  'annotation_steps',
  'curation_edits',
  // import-labels (migration 009): the kept rollout texts go with their nodes, the imported-unit hashes
  // with their problems and searches, so a merged workspace knows what it imported
  'node_rollouts',
  'label_imports',
]);

export interface MergeConflict {
  source: string;
  kind: MergeKind;
  message: string;
}

export interface SourceReport {
  source: string;
  schemaVersion: number;
  counts: MergeCounts;
  conflicts: MergeConflict[];
  /** tables with rows that the merge does not carry */
  notMerged: { table: string; rows: number }[];
}

export interface MergeReport {
  into: string;
  /** the target workspace was created by this merge */
  created: boolean;
  sources: SourceReport[];
  totals: MergeCounts;
  conflicts: MergeConflict[];
}

export const emptyCounts = (): MergeCounts => Object.fromEntries(MERGE_KINDS.map((k) => [k, { added: 0, skipped: 0 }])) as MergeCounts;

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

type Row = Record<string, unknown>;

/** Merges one source into the target in one transaction; files it copied are removed if that fails. */
function mergeOne(target: Store, src: OpenSource): SourceReport {
  const m = new SourceMerge(target, src);
  try {
    m.inTransaction(() => m.run()); // the source read as one consistent snapshot
  } catch (e) {
    m.removeCopiedFiles();
    throw e;
  }
  return m.report;
}

class SourceMerge {
  readonly report: SourceReport;
  private readonly t: MergeSide;
  private readonly s: MergeSide;
  private readonly copied: string[] = [];
  private readonly problems = new Map<number, number>();
  private readonly models = new Map<number, number>();
  /** source `name@version` -> target `name@version` */
  private readonly modelLabels = new Map<string, string>();
  private readonly solutions = new Map<number, number>();
  private readonly searches = new Map<number, number>();
  /** source curation batch -> target batch */
  private readonly batches = new Map<number, number>();
  private readonly folderHashes = new Map<string, string | null>();
  /** how many source rows of each identity were met so far (see nth) */
  private readonly occurrences = new Map<string, number>();

  constructor(
    private readonly target: Store,
    private readonly src: OpenSource,
  ) {
    this.t = new MergeSide(target.db);
    this.s = new MergeSide(src.db);
    this.report = { source: src.ws.dir, schemaVersion: src.ws.schemaVersion, counts: emptyCounts(), conflicts: [], notMerged: [] };
  }

  inTransaction(fn: () => void): void {
    mergeTransaction(this.t, this.s, fn);
  }

  run(): void {
    this.listNotMerged();
    this.mergeImages();
    this.mergeProblems();
    this.mergeDatasets();
    this.mergeModels();
    this.mergeSolutions();
    const annotations = this.annotationsBySearch();
    this.mergeSearches(annotations);
    for (const a of annotations.get(null) ?? []) this.mergeAnnotation(a, null, null);
    this.mergeLabelImports();
  }

  private sourceHas(table: string): boolean {
    return this.s.hasTable(table);
  }

  /** The rollout texts kept with the nodes of a search copied into the target. */
  private mergeRollouts(srcSearch: number, nodeMap: Map<number, number>): void {
    if (!this.sourceHas('node_rollouts')) return;
    const rows = this.s.rolloutsOfSearch(srcSearch);
    for (const r of rows) this.t.insertRollout(nodeMap.get(r.node_id)!, r.correct, r.incorrect);
  }

  /** What the source imported with import-labels, so re-importing those files into the target adds nothing. */
  private mergeLabelImports(): void {
    if (!this.sourceHas('label_imports')) return;
    const rows = this.s.labelImports();
    for (const r of rows) this.t.insertLabelImport(r.hash, r.format, this.problem(r.problem_id), r.search_id === null ? null : (this.searches.get(r.search_id) ?? null), r.created_at);
  }

  removeCopiedFiles(): void {
    for (const p of this.copied.reverse()) rmSync(p, { recursive: true, force: true });
    this.copied.length = 0;
  }

  // ---- helpers ----

  /**
   * The target row that a source row with identity `key` is: the k-th target candidate with that identity
   * when this is the k-th source row with it (in id order). Equal rows in one source (two identical samples
   * drawn in the same millisecond, the same search run twice) so stay as many in the target, while a row
   * that two sources both hold comes in once: the target holds each identity as often as the source that
   * holds it most often (or the target itself).
   */
  private nth<T>(scope: string, key: string, candidates: readonly T[], keyOf: (c: T) => string): T | undefined {
    const k = `${scope}\0${key}`;
    const seen = this.occurrences.get(k) ?? 0;
    this.occurrences.set(k, seen + 1);
    return candidates.filter((c) => keyOf(c) === key)[seen];
  }

  private count(kind: MergeKind, what: 'added' | 'skipped', n = 1): void {
    this.report.counts[kind][what] += n;
  }

  private conflict(kind: MergeKind, message: string): void {
    this.report.conflicts.push({ source: this.src.ws.dir, kind, message });
  }

  /** Inserts a source row into the target's table: every column the target has, `id` left to the target. Returns the new rowid. */
  private insert(table: string, row: Row, keepId = false): number {
    return this.t.insert(table, row, keepId);
  }

  private listNotMerged(): void {
    for (const table of this.s.tables()) {
      if (CARRIED.has(table) || DERIVED_TABLES.has(table)) continue;
      const rows = this.s.rowCount(table);
      if (rows > 0) this.report.notMerged.push({ table, rows });
    }
  }

  /** A copy made next to its destination and renamed into place, remembered for a rollback. */
  private copyInto(from: string, to: string, folder: boolean): void {
    const tmp = `${to}.merge-${process.pid}`;
    this.copied.push(tmp);
    if (folder) cpSync(from, tmp, { recursive: true, filter: (p) => !p.includes('__pycache__') });
    else copyFileSync(from, tmp);
    renameSync(tmp, to);
    this.copied[this.copied.length - 1] = to;
  }

  // ---- images and problems ----

  private mergeImages(): void {
    const srcImages = join(this.src.ws.dir, 'images');
    for (const row of this.s.rows('images') as (Row & { hash: string; mime: string })[]) {
      if (this.t.hasImage(row.hash)) {
        this.count('images', 'skipped');
        continue;
      }
      this.insert('images', row);
      this.count('images', 'added');
      const from = imagePath(srcImages, row);
      const to = imagePath(this.target.paths.imagesDir, row);
      if (existsSync(to)) continue;
      if (!existsSync(from)) {
        this.conflict('images', `image ${row.hash} has a record but no file in the source; its record was merged without the file`);
        continue;
      }
      mkdirSync(join(to, '..'), { recursive: true });
      this.copyInto(from, to, false);
    }
  }

  private mergeProblems(): void {
    for (const row of this.s.rows('problems') as (Row & { id: number; fingerprint: string })[]) {
      const found = this.t.problemByFingerprint(row.fingerprint);
      if (found !== undefined) {
        this.problems.set(row.id, found);
        this.count('problems', 'skipped');
        continue;
      }
      const id = this.insert('problems', row);
      this.problems.set(row.id, id);
      for (const pi of this.s.problemImages(row.id)) {
        this.insert('problem_images', { ...pi, problem_id: id }, true);
      }
      this.count('problems', 'added');
    }
  }

  private problem(srcId: number): number {
    const id = this.problems.get(srcId);
    if (id === undefined) throw new UserError(`the source refers to problem ${srcId}, which it does not hold`);
    return id;
  }

  // ---- datasets ----

  private mergeDatasets(): void {
    type Member = MemberRow & { problem_id: number; position: number };
    for (const ds of this.s.rows('datasets') as (Row & { id: number; name: string })[]) {
      const found = this.t.datasetByName(ds.name);
      const isNew = found === undefined;
      const datasetId = found !== undefined ? found : this.insert('datasets', ds);
      this.count('datasets', isNew ? 'added' : 'skipped');
      let changed = false;
      for (const mem of this.s.members(ds.id) as (Row & Member)[]) {
        const problemId = this.problem(mem.problem_id);
        const byProblem = this.t.member(datasetId, problemId);
        const byExt = this.t.memberByExtId(datasetId, mem.ext_id) !== undefined;
        if (byProblem && byProblem.ext_id === mem.ext_id) {
          let filled = false;
          if ((byProblem.split ?? null) === (mem.split ?? null) || mem.split === null) {
            // nothing to do
          } else if (byProblem.split === null) {
            this.t.setMemberSplit(datasetId, problemId, mem.split);
            filled = true;
          } else {
            this.conflict('dataset_members', `dataset "${ds.name}": problem "${mem.ext_id}" is in split "${byProblem.split}" in the target and "${mem.split}" in the source; kept "${byProblem.split}"`);
          }
          // the member's extra fields, as the split: filled in where the target has none, else the target's kept
          const targetMeta = canonicalValue(byProblem.meta);
          const sourceMeta = canonicalValue(mem.meta);
          if (targetMeta === sourceMeta || sourceMeta === '{}') {
            // nothing to do
          } else if (targetMeta === '{}') {
            this.t.setMemberMeta(datasetId, problemId, mem.meta);
            filled = true;
          } else {
            this.conflict('dataset_members', `dataset "${ds.name}": problem "${mem.ext_id}" has other extra fields in the source than in the target; kept the target's`);
          }
          this.count('dataset_members', filled ? 'added' : 'skipped');
          if (filled) changed = true;
        } else if (byExt) {
          this.conflict('dataset_members', `dataset "${ds.name}": id "${mem.ext_id}" names another problem in the target; the source's problem "${mem.ext_id}" was not added to the dataset`);
          this.count('dataset_members', 'skipped');
        } else if (byProblem) {
          this.conflict('dataset_members', `dataset "${ds.name}": the source's problem "${mem.ext_id}" is already in the dataset as "${byProblem.ext_id}"; kept "${byProblem.ext_id}"`);
          this.count('dataset_members', 'skipped');
        } else {
          const pos = this.t.nextMemberPosition(datasetId);
          this.insert('dataset_problems', { ...mem, dataset_id: datasetId, problem_id: problemId, position: pos }, true);
          this.count('dataset_members', 'added');
          changed = true;
        }
      }
      if (changed && !isNew) this.target.datasets.bumpVersion(datasetId);
    }
  }

  // ---- models ----

  private folderHashOf(path: unknown): string | null {
    if (typeof path !== 'string' || path === '') return null;
    if (!this.folderHashes.has(path)) this.folderHashes.set(path, folderHash(path));
    return this.folderHashes.get(path)!;
  }

  /** The fields that differ between two model rows, [] when they are the same model. */
  private modelDifferences(a: Row, b: Row): string[] {
    const skip = new Set(['id', 'name', 'version', 'path', 'provenance', 'created_at']);
    const diff = this.t.columns('models').filter((c) => !skip.has(c) && canonicalValue(a[c] ?? null) !== canonicalValue(b[c] ?? null));
    if (this.folderHashOf(a.path) !== this.folderHashOf(b.path)) diff.push('files');
    return diff;
  }

  private mergeModels(): void {
    type ModelRow = Row & { id: number; name: string; version: number; path: string; provenance: string | null; endpoint?: string | null };
    for (const row of this.s.rows('models') as ModelRow[]) {
      const sameName = this.t.modelsNamed(row.name) as ModelRow[];
      const differences = sameName.map((c) => this.modelDifferences(row, c));
      const match = sameName.find((_, i) => differences[i].length === 0);
      if (match) {
        this.models.set(row.id, match.id);
        this.modelLabels.set(modelLabel(row), modelLabel(match));
        this.count('models', 'skipped');
        continue;
      }
      const version = this.t.nextModelVersion(row.name);
      let path = row.path;
      const isFolder = this.folderHashOf(row.path) !== null;
      if (isFolder) {
        const base = join(this.target.paths.modelsDir, `${row.name}-v${version}`);
        let dest = base;
        for (let n = 2; existsSync(dest); n++) dest = `${base}-merged${n === 2 ? '' : n}`;
        mkdirSync(this.target.paths.modelsDir, { recursive: true });
        this.copyInto(row.path, dest, true);
        path = dest;
      } else if (!row.endpoint) {
        this.conflict('models', `model "${modelLabel(row)}": its folder ${row.path} is missing; merged with that path, it cannot run until the folder is back`);
      }
      const id = this.insert('models', { ...row, version, path, provenance: this.modelProvenance(row) });
      this.models.set(row.id, id);
      this.modelLabels.set(modelLabel(row), modelLabel({ name: row.name, version }));
      this.count('models', 'added');
      if (sameName.length > 0) {
        const what = [...new Set(differences.flat())].join(', ');
        this.conflict('models', `model "${modelLabel(row)}" differs from the target's "${row.name}" (${what}); added as "${modelLabel({ name: row.name, version })}"`);
      }
    }
  }

  /** The source's provenance, its workspace-local ids (job, cycle) moved under mergedFrom so they cannot be read as the target's. */
  private modelProvenance(row: { name: string; version: number; provenance: string | null }): string {
    const prov = row.provenance ? (JSON.parse(row.provenance) as unknown) : null;
    const base: Row = prov && typeof prov === 'object' && !Array.isArray(prov) ? { ...(prov as Row) } : prov === null ? {} : { original: prov };
    const local: Row = {};
    for (const k of ['job', 'cycleId']) {
      if (k in base) {
        local[k] = base[k];
        delete base[k];
      }
    }
    return JSON.stringify({ ...base, mergedFrom: { workspace: this.src.ws.dir, model: modelLabel(row), ...local } });
  }

  private model(srcId: number | null): number | null {
    if (srcId === null) return null;
    const id = this.models.get(srcId);
    if (id === undefined) throw new UserError(`the source refers to model ${srcId}, which it does not hold`);
    return id;
  }

  // ---- solutions ----

  private solutionKey(row: Row, problemId: number, modelId: number | null, steps: readonly Row[]): string {
    return sha256(
      canonicalJson([
        problemId,
        modelId,
        row.origin,
        row.final_answer,
        row.verdict,
        canonicalValue(row.settings),
        row.provider,
        canonicalValue(row.orm ?? null),
        row.cycle_role ?? null,
        row.created_at,
        steps.map((s) => [s.text, s.gold_label ?? null]),
      ]),
    );
  }

  private mergeSolutions(): void {
    const stepsOf = (side: MergeSide, id: number): Row[] => side.stepKeys(id);
    for (const row of this.s.rows('solutions') as (Row & { id: number; problem_id: number; model_id: number | null; parent_solution_id: number | null; created_at: string })[]) {
      const problemId = this.problem(row.problem_id);
      const modelId = this.model(row.model_id);
      const steps = stepsOf(this.s, row.id);
      const key = this.solutionKey(row, problemId, modelId, steps);
      const candidates = this.t.solutionsAt(problemId, row.created_at) as (Row & { id: number; model_id: number | null })[];
      const match = this.nth('solution', key, candidates, (c) => this.solutionKey(c, problemId, c.model_id, stepsOf(this.t, c.id)));
      let id: number;
      if (match) {
        id = match.id;
        this.count('solutions', 'skipped');
      } else {
        const parent = row.parent_solution_id === null ? null : (this.solutions.get(row.parent_solution_id) ?? null);
        id = this.insert('solutions', { ...row, problem_id: problemId, model_id: modelId, job_id: null, cycle_id: null, parent_solution_id: parent });
        for (const s of this.s.steps(row.id)) this.insert('steps', { ...s, solution_id: id }, true);
        this.count('solutions', 'added');
      }
      this.solutions.set(row.id, id);
      for (const sc of this.s.stepScores(row.id)) {
        const modelOfScore = this.model(sc.model_id)!;
        const have = this.t.stepScore(modelOfScore, id, sc.idx);
        if (!have) {
          this.t.insertStepScore(id, modelOfScore, sc.idx, sc.score);
          this.count('step_scores', 'added');
        } else {
          if (have.score !== sc.score) this.conflict('step_scores', `solution ${id} step ${sc.idx}: the target's score ${have.score} by model ${modelOfScore} kept (source: ${sc.score})`);
          this.count('step_scores', 'skipped');
        }
      }
    }
  }

  // ---- searches, their trees, events, node scores and annotations ----

  private annotationsBySearch(): Map<number | null, Row[]> {
    const out = new Map<number | null, Row[]>();
    for (const a of this.s.rows('annotations') as (Row & { search_id: number | null })[]) {
      const list = out.get(a.search_id) ?? [];
      list.push(a);
      out.set(a.search_id, list);
    }
    return out;
  }

  private nodesOf(side: MergeSide, searchId: number): TreeNodeRow[] {
    return side.treeNodes(searchId) as unknown as TreeNodeRow[];
  }

  private mergeSearches(annotations: Map<number | null, Row[]>): void {
    type SearchRow = Row & { id: number; problem_id: number; model_id: number | null; algorithm: string; config: string; seed: number | null; stats: string };
    const targetHashes = new Map<number, string>();
    for (const row of this.s.rows('searches') as SearchRow[]) {
      const problemId = this.problem(row.problem_id);
      const modelId = this.model(row.model_id);
      const nodes = this.nodesOf(this.s, row.id);
      let tree: ReturnType<typeof treeHash>;
      try {
        tree = treeHash(row, nodes);
      } catch (e) {
        throw new UserError(`search ${row.id}: ${(e as Error).message}`);
      }
      const candidates = this.t.searchCandidates(problemId, row.algorithm, row.seed, modelId) as SearchRow[];
      const match = this.nth(`search ${problemId} ${modelId}`, tree.hash, candidates, (c) => {
        if (!targetHashes.has(c.id)) targetHashes.set(c.id, treeHash(c, this.nodesOf(this.t, c.id)).hash);
        return targetHashes.get(c.id)!;
      });
      const nodeMap = new Map<number, number>();
      const events = this.s.searchEvents(row.id);
      let searchId: number;
      if (match) {
        searchId = match.id;
        const ids = this.nodesOf(this.t, match.id).map((n) => n.id);
        nodes.forEach((n, i) => nodeMap.set(n.id, ids[i]));
        this.count('searches', 'skipped');
        this.count('tree_nodes', 'skipped', nodes.length);
        this.count('search_events', 'skipped', events.length);
      } else {
        const stats = { ...(JSON.parse(row.stats || '{}') as Row), mergedFrom: { workspace: this.src.ws.dir, search: row.id } };
        searchId = this.insert('searches', { ...row, problem_id: problemId, model_id: modelId, job_id: null, stats: JSON.stringify(stats) });
        const rows: NewNode[] = nodes.map((n, i) => ({
          parent: tree.parents[i] === null ? null : batchRef(tree.parents[i]!),
          depth: n.depth,
          stepText: n.step_text,
          visits: n.visits,
          rollouts: n.rollouts,
          correct: n.correct,
          mc: n.mc,
          q: n.q,
          firstError: n.first_error === 1,
          meta: n.meta === null ? undefined : (JSON.parse(n.meta) as unknown),
        }));
        const ids = this.target.trees.insertNodes(searchId, rows);
        nodes.forEach((n, i) => nodeMap.set(n.id, ids[i]));
        const remap = (v: unknown): unknown => (typeof v === 'number' ? (nodeMap.get(v) ?? v) : v);
        for (const e of events) {
          const d = JSON.parse(e.data) as unknown;
          if (d && typeof d === 'object' && !Array.isArray(d)) {
            const o = d as Row;
            for (const k of ['node', 'from', 'parent']) if (k in o) o[k] = remap(o[k]);
          }
          this.t.insertSearchEvent(searchId, e.seq, e.kind, JSON.stringify(d));
        }
        this.count('searches', 'added');
        this.count('tree_nodes', 'added', nodes.length);
        this.count('search_events', 'added', events.length);
        this.mergeRollouts(row.id, nodeMap);
      }
      this.searches.set(row.id, searchId);
      this.mergeNodeScores(row.id, nodeMap);
      for (const a of annotations.get(row.id) ?? []) this.mergeAnnotation(a, searchId, nodeMap);
    }
  }

  private mergeNodeScores(srcSearch: number, nodeMap: Map<number, number>): void {
    const scores = this.s.nodeScoresOfSearch(srcSearch);
    for (const sc of scores) {
      const node = nodeMap.get(sc.node_id)!;
      const modelId = this.model(sc.model_id)!;
      const have = this.t.nodeScore(modelId, node);
      if (!have) {
        this.t.insertNodeScore(node, modelId, sc.score);
        this.count('node_scores', 'added');
      } else {
        if (have.score !== sc.score) this.conflict('node_scores', `tree node ${node}: the target's score ${have.score} by model ${modelId} kept (source: ${sc.score})`);
        this.count('node_scores', 'skipped');
      }
    }
  }

  private annotationKey(problemId: number, searchId: number | null, solutionId: number | null, setName: unknown, steps: readonly Row[]): string {
    return sha256(canonicalJson([problemId, searchId, solutionId, setName, steps.map((s) => [s.text, s.soft_label, s.hard_label])]));
  }

  /** The provenance with its search, node and model references turned into the target's. */
  private annotationProvenance(raw: unknown, nodeMap: Map<number, number> | null): string {
    const prov = typeof raw === 'string' && raw !== '' ? (JSON.parse(raw) as unknown) : {};
    if (!prov || typeof prov !== 'object' || Array.isArray(prov)) return JSON.stringify(prov);
    const p = { ...(prov as Row) };
    if (typeof p.search === 'number') p.search = this.searches.get(p.search) ?? null;
    if (Array.isArray(p.nodes) && nodeMap) p.nodes = p.nodes.map((n) => (typeof n === 'number' ? (nodeMap.get(n) ?? null) : n));
    if (typeof p.model === 'string') p.model = this.modelLabels.get(p.model) ?? p.model;
    return JSON.stringify(p);
  }

  private mergeAnnotation(a: Row, searchId: number | null, nodeMap: Map<number, number> | null): void {
    const row = a as Row & { id: number; problem_id: number; solution_id: number | null; set_name: string };
    const problemId = this.problem(row.problem_id);
    const solutionId = row.solution_id === null ? null : (this.solutions.get(row.solution_id) ?? null);
    const stepsOf = (side: MergeSide, id: number): Row[] => side.annotationSteps(id);
    const steps = stepsOf(this.s, row.id);
    const key = this.annotationKey(problemId, searchId, solutionId, row.set_name, steps);
    const candidates = this.t.annotationCandidates(problemId, row.set_name, searchId, solutionId);
    const match = this.nth('annotation', key, candidates, (c) => this.annotationKey(problemId, searchId, solutionId, row.set_name, stepsOf(this.t, c.id)));
    let id: number;
    if (match) {
      id = match.id;
      this.count('annotations', 'skipped');
    } else {
      id = this.insert('annotations', { ...row, problem_id: problemId, search_id: searchId, solution_id: solutionId, provenance: this.annotationProvenance(row.provenance, nodeMap) });
      for (const s of steps) this.insert('annotation_steps', { ...s, annotation_id: id }, true);
      this.count('annotations', 'added');
    }
    this.mergeEdits(row.id, id);
  }

  private mergeEdits(srcAnnotation: number, annotationId: number): void {
    type Edit = Row & { batch: number; undone_at: string | null };
    const key = (e: Row): string => canonicalJson([e.step_idx, e.action, e.value, e.comment ?? null, e.text ?? null, e.author ?? null, e.created_at]);
    const edits = this.s.curationEdits(srcAnnotation) as Edit[];
    if (edits.length === 0) return;
    const existing = this.t.curationEdits(annotationId) as Edit[];
    for (const e of edits) {
      const have = this.nth(`edit ${annotationId}`, key(e), existing, key);
      if (have) {
        if (!this.batches.has(e.batch)) this.batches.set(e.batch, have.batch);
        if ((have.undone_at === null) !== (e.undone_at === null)) {
          this.conflict('curation_edits', `annotation ${annotationId}: a ${String(e.action)} edit is ${have.undone_at === null ? 'in force' : 'undone'} in the target and ${e.undone_at === null ? 'in force' : 'undone'} in the source; the target's state kept`);
        }
        this.count('curation_edits', 'skipped');
        continue;
      }
      let batch = this.batches.get(e.batch);
      if (batch === undefined) {
        batch = this.t.nextCurationBatch();
        this.batches.set(e.batch, batch);
      }
      this.insert('curation_edits', { ...e, annotation_id: annotationId, batch });
      this.count('curation_edits', 'added');
    }
  }
}
