// Publishing one staged unit of an import-labels job: its problem matched or added (the rule below), its
// dataset membership, its tree as a search (nodes, kept rollouts, replay events) and its labelled paths
// as annotations of that search, or, for a file of paths without a tree, each path as a solution
// (origin "import") with its annotation; then its content hash, so the unit is never imported twice.
//
// The problem rule (README "Bring your data"): a unit's problem is looked up among the problems with
// exactly its question (one index look-up). A candidate must have the unit's images when the format
// carries images (the same files, by content, in order), its answer when the format carries an answer
// (compared without surrounding spaces), and its answer type when the format names one; a problem known
// only by its question (added from a file without answers) matches any answer, and takes the answer
// when this unit brings one. Of several candidates the one with the same answer, then one already in
// the dataset, then the oldest is taken. A unit naming Steplab's own fingerprint (steplab-tree) takes
// that problem first. When none matches, the problem is added: the answer "" when the file has none,
// the answer type inferred from the answer as `steplab import` does, no images when the file has none,
// and the fingerprint computed from these exactly as `steplab import` computes it. So re-importing a
// file finds the same problems, and a problem reached from two files is one problem.
import type { AnswerType, ImageRef } from '../../../../src-shared/domain';
import { UserError } from '../../errors';
import type { Store } from '../../store';
import { batchRef, nodeStats, type NewNode } from '../../store/trees';
import { problemFingerprint } from '../fingerprint';
import { inferAnswerType } from '../problemRow';
import type { LabelPath, LabelProblem, LabelTree } from './types';

/** A unit as staged: checked, its images stored, its paths taken from its tree. */
export interface StagedUnit {
  where: string;
  problem: Omit<LabelProblem, 'images' | 'imageField'> & { imageHashes: string[] | null };
  tree: LabelTree | null;
  paths: LabelPath[];
  warnings: string[];
}

export interface PublishContext {
  store: Store;
  jobId: number;
  format: string;
  /** null: every problem must be in the workspace already (import-trees without --dataset) */
  datasetId: number | null;
  split: string | null;
  setName: string;
}

export interface PublishCounts {
  problemAdded: boolean;
  searches: number;
  nodes: number;
  annotations: number;
  labelledSteps: number;
  solutions: number;
  warnings: string[];
}

const trimmed = (s: string): string => s.trim();

/** The problem of a unit: matched by the rule above, or added. */
export function resolveProblem(store: Store, p: StagedUnit['problem'], datasetId: number | null, requireExisting: boolean): { id: number; fingerprint: string } {
  if (p.fingerprint) {
    const id = store.labels.problemByFingerprint(p.fingerprint);
    if (id !== undefined) return { id, fingerprint: p.fingerprint };
  }
  const sameImages = (h: string[]): boolean => p.imageHashes === null || (h.length === p.imageHashes.length && h.every((x, i) => x === p.imageHashes![i]));
  const candidates = store.labels.problemsByQuestion(p.question, datasetId).filter((c) => {
    if (!sameImages(c.imageHashes)) return false;
    if (c.answer === '') return true;
    if (p.answer !== null && trimmed(c.answer) !== trimmed(p.answer)) return false;
    return p.answerType === null || c.answerType === p.answerType;
  });
  const rank = (c: (typeof candidates)[number]): number => (c.answer !== '' ? 0 : 2) + (c.inDataset ? 0 : 1);
  const best = candidates.sort((a, b) => rank(a) - rank(b) || a.id - b.id)[0];
  if (best) {
    if (best.answer === '' && p.answer !== null && trimmed(p.answer) !== '') {
      const answerType = p.answerType ?? inferAnswerType(p.answer);
      const fingerprint = problemFingerprint({ question: p.question, answer: p.answer, answerType, imageHashes: best.imageHashes });
      if (store.labels.problemByFingerprint(fingerprint) === undefined) {
        store.labels.fillAnswer(best.id, p.answer, answerType, fingerprint);
        return { id: best.id, fingerprint };
      }
    }
    return { id: best.id, fingerprint: problemFingerprint({ question: p.question, answer: best.answer, answerType: best.answerType, imageHashes: best.imageHashes }) };
  }
  if (requireExisting) {
    throw new UserError(`problem ${p.extId === null ? JSON.stringify(p.question.slice(0, 60)) : `"${p.extId}"`} is not in this workspace; import its dataset first, or name a --dataset to add it to`);
  }
  const answer = p.answer ?? '';
  const answerType: AnswerType = p.answerType ?? inferAnswerType(answer);
  const imageHashes = p.imageHashes ?? [];
  const { id } = store.problems.upsert({ question: p.question, answer, answerType, source: p.source, tags: [], imageHashes, meta: p.meta });
  return { id, fingerprint: problemFingerprint({ question: p.question, answer, answerType, imageHashes }) };
}

/** Puts the problem in the dataset under the file's id (or one derived from its content). Returns whether it was added. */
function ensureMember(store: Store, datasetId: number, problemId: number, fingerprint: string, p: StagedUnit['problem'], split: string | null, warnings: string[]): boolean {
  if (store.labels.memberExtId(datasetId, problemId) !== undefined) return false;
  const derived = fingerprint.slice(0, 12);
  let extId = p.extId ?? derived;
  if (store.labels.extIdTaken(datasetId, extId)) {
    const alt = `${extId}-${derived.slice(0, 8)}`;
    warnings.push(`id "${extId}" is already another problem's in this dataset; added as "${alt}"`);
    extId = alt;
  }
  store.datasets.addMember(datasetId, problemId, extId, split, p.meta);
  return true;
}

/** A unit's stored images: each image row published from staging (or found published). */
function publishImages(store: Store, jobId: number, hashes: readonly string[]): void {
  for (const h of hashes) {
    const img: ImageRef | undefined = store.staging.stagedImage(jobId, h) ?? store.images.get(h);
    if (!img) throw new Error(`import-labels job ${jobId}: staged image ${h} is missing`);
    store.images.insert(img);
  }
}

/** Writes one unit (inside the publishing transaction). */
export function publishUnit(ctx: PublishContext, unit: StagedUnit, hash: string): PublishCounts {
  const { store } = ctx;
  const warnings: string[] = [];
  publishImages(store, ctx.jobId, unit.problem.imageHashes ?? []);
  const { id: problemId, fingerprint } = resolveProblem(store, unit.problem, ctx.datasetId, ctx.datasetId === null);
  const problemAdded = ctx.datasetId !== null && ensureMember(store, ctx.datasetId, problemId, fingerprint, unit.problem, ctx.split, warnings);
  const provenance = `imported from ${ctx.format} \`${unit.where}\``;
  const counts: PublishCounts = { problemAdded, searches: 0, nodes: 0, annotations: 0, labelledSteps: 0, solutions: 0, warnings };
  let searchId: number | null = null;
  if (unit.tree) {
    const t = unit.tree;
    searchId = store.trees.createSearch({ problemId, modelId: null, algorithm: t.algorithm, config: t.config, seed: t.seed ?? null, jobId: ctx.jobId });
    const index = new Map<number, number>();
    const depthOf = new Map<number, number>();
    const rows: NewNode[] = t.nodes.map((n, i) => {
      const parentDepth = n.parent === null ? 0 : depthOf.get(n.parent)!;
      const depth = n.depth ?? parentDepth + n.steps.length;
      index.set(n.id, i);
      depthOf.set(n.id, depth);
      return {
        parent: n.parent === null ? null : batchRef(index.get(n.parent)!),
        depth,
        stepText: n.text ?? n.steps.join(t.delimiter),
        ...nodeStats(n),
        meta: { searchNode: n.id, terminal: n.terminal, ...n.meta },
      };
    });
    const ids = store.trees.insertNodes(searchId, rows);
    const dbId = (local: unknown): unknown => (typeof local === 'number' && index.has(local) ? ids[index.get(local)!] : local);
    store.labels.insertRollouts(
      t.nodes.flatMap((n, i) => (n.keptRollouts ? [{ nodeId: ids[i], correct: JSON.stringify(n.keptRollouts.correct), incorrect: JSON.stringify(n.keptRollouts.incorrect) }] : [])),
    );
    store.trees.appendEvents(
      searchId,
      t.events.map((e) => {
        const d = { ...e.data };
        for (const k of ['node', 'from', 'parent']) if (k in d) d[k] = dbId(d[k]);
        return { kind: e.kind, data: d };
      }),
    );
    store.annotations.insertMany(
      unit.paths.map((p) => ({
        problemId,
        searchId,
        setName: ctx.setName,
        provenance: { imported: provenance, format: ctx.format, file: unit.where, search: searchId, algorithm: t.algorithm, nodes: (p.nodes ?? []).map(dbId), firstError: firstError(p), ...(p.provenance ?? {}) },
        steps: p.steps.map((text, i) => ({ text, softLabel: p.labels[i] })),
      })),
    );
    const labelled = unit.paths.reduce((s, p) => s + p.steps.length, 0);
    store.trees.finishSearch(searchId, t.status, { ...t.stats, provenance, imported: { format: ctx.format, file: unit.where }, nodes: ids.length, annotations: unit.paths.length, labelledSteps: labelled });
    Object.assign(counts, { searches: 1, nodes: ids.length, annotations: unit.paths.length, labelledSteps: labelled });
  } else {
    for (const p of unit.paths) {
      const [solutionId] = store.solutions.insertMany([
        { problemId, modelId: null, origin: 'import', finalAnswer: null, verdict: null, settings: { imported: provenance }, jobId: ctx.jobId, steps: p.steps.map((text) => ({ text })) },
      ]);
      store.annotations.insertMany([
        { problemId, solutionId, setName: ctx.setName, provenance: { imported: provenance, format: ctx.format, file: unit.where, firstError: firstError(p), ...(p.provenance ?? {}) }, steps: p.steps.map((text, i) => ({ text, softLabel: p.labels[i] })) },
      ]);
      counts.solutions += 1;
      counts.annotations += 1;
      counts.labelledSteps += p.steps.length;
    }
  }
  store.labels.record({ hash, format: ctx.format, problemId, searchId, jobId: ctx.jobId });
  return counts;
}

/** The first step labelled bad (MC 0), or null. */
const firstError = (p: LabelPath): number | null => {
  const i = p.labels.findIndex((l) => l <= 0);
  return i < 0 ? null : i;
};

/** A re-imported unit's problem joins the dataset too (nothing else is written). Returns whether it was added. */
export function memberOfImported(ctx: PublishContext, problemId: number, p: StagedUnit['problem']): boolean {
  if (ctx.datasetId === null) return false;
  const fingerprint = problemFingerprint({ question: p.question, answer: p.answer ?? '', answerType: p.answerType ?? inferAnswerType(p.answer ?? ''), imageHashes: p.imageHashes ?? [] });
  return ensureMember(ctx.store, ctx.datasetId, problemId, fingerprint, p, ctx.split, []);
}
