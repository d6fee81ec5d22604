// Reads behind the Problems view: the filtered table with per-row counts, one problem with its missing
// image files named, and the dataset heatmap (one chosen solution per problem, PRM scores or MC values).
import { existsSync } from 'node:fs';
import type { Output, ParsedInput } from '../../src-shared/api';
import { imagePath } from './data/images';
import { UserError } from './errors';
import type { Store } from './store';
import { modelLabel } from '../../src-shared/modelLabel';

export function listProblems(store: Store, { dataset, ...q }: ParsedInput<'problems.list'>): Output<'problems.list'> {
  const page = store.problems.listInDataset(store.datasets.requireId(dataset), q);
  const stats = store.problems.stats(page.items.map((p) => p.id));
  return { total: page.total, items: page.items.map((p) => ({ ...p, ...stats.get(p.id)! })) };
}

export function problemDetail(store: Store, id: number): Output<'problems.detail'> {
  const problem = store.problems.get(id);
  const missingImages = problem.images.filter((img) => !existsSync(imagePath(store.paths.imagesDir, img))).map((img) => img.hash);
  return { problem, missingImages };
}


export function datasetHeatmap(store: Store, q: ParsedInput<'heatmap.dataset'>): Output<'heatmap.dataset'> {
  const datasetId = store.datasets.requireId(q.dataset);
  const scorers = store.scores.datasetScorers(datasetId, q.split).map((id) => store.models.get(id));
  const where = `dataset "${q.dataset}"${q.split ? ` split "${q.split}"` : ''}`;
  const prm = q.prm ? store.models.withRole(q.prm, 'prm') : scorers.at(-1);
  if (q.prm && prm && !scorers.some((m) => m.id === prm.id)) {
    throw new UserError(
      `heatmap: PRM "${q.prm}" has not scored the solutions of ${where}` +
        (scorers.length ? ` (scored by: ${scorers.map(modelLabel).join(', ')})` : `; run a score job: steplab score --prm ${q.prm} --dataset ${q.dataset}`),
    );
  }
  if (!prm && q.source === 'prm') {
    throw new UserError(`heatmap: no PRM has scored the solutions of ${where}; run a score job first: steplab score --prm <model> --dataset ${q.dataset}`);
  }
  const policy = q.policy ? store.models.withRole(q.policy, 'policy') : undefined;
  const pick = prm ? q.pick : 'first';
  const { rows: solutionRows, problems } = store.scores.datasetRows(datasetId, { split: q.split, policyId: policy?.id, prmId: prm?.id ?? null, pick, limit: q.limit });
  let rows: Output<'heatmap.dataset'>['rows'] = solutionRows;
  let fromSearches: number | undefined;
  if (q.source === 'mc') {
    // a searched problem shows its search-labelled path; another one its chosen solution's steps matched against the trees
    const paths = pickPaths(store.annotations.searchPaths(datasetId, { split: q.split, limit: q.limit }), q.pick);
    const searched = new Set(paths.map((p) => p.problemId));
    const rest = solutionRows.filter((r) => !searched.has(r.problemId));
    for (const r of rest) {
      const steps = store.solutions.stepTexts(r.solutionId);
      r.scores = store.scores.stepMc(r.problemId, [{ id: r.solutionId, steps }]).get(r.solutionId) ?? steps.map(() => null);
    }
    const pos = store.problems.positionsIn(datasetId, rest.map((r) => r.problemId));
    const merged = [
      ...paths.map((p) => ({ position: p.position, row: { problemId: p.problemId, extId: p.extId, solutionId: null, verdict: null, candidates: p.candidates, scores: p.labels, searchId: p.searchId, annotationId: p.annotationId, nodes: p.nodes } })),
      ...rest.map((r) => ({ position: pos.get(r.problemId) ?? Infinity, row: r })),
    ].sort((a, b) => a.position - b.position);
    rows = merged.slice(0, q.limit).map((m) => m.row);
    fromSearches = rows.filter((r) => r.searchId !== undefined).length;
  }
  return {
    dataset: q.dataset,
    split: q.split ?? null,
    source: q.source,
    prm: prm ? modelLabel(prm) : null,
    prms: scorers.map(modelLabel),
    pick,
    policy: policy ? modelLabel(policy) : null,
    problems,
    ...(fromSearches === undefined ? {} : { fromSearches }),
    rows,
  };
}

type SearchPath = ReturnType<Store['annotations']['searchPaths']>[number];

/** One labelled path per problem: best / worst by its lowest label (the longer on a tie), first: the first of the longest. */
function pickPaths(paths: readonly SearchPath[], pick: 'best' | 'worst' | 'first'): (SearchPath & { candidates: number })[] {
  const byProblem = new Map<number, SearchPath[]>();
  for (const p of paths) byProblem.set(p.problemId, [...(byProblem.get(p.problemId) ?? []), p]);
  const out: (SearchPath & { candidates: number })[] = [];
  for (const group of byProblem.values()) {
    const low = (p: SearchPath) => (p.labels.length ? Math.min(...p.labels) : 0);
    let chosen = group[0];
    for (const p of group) {
      const better =
        pick === 'first'
          ? p.labels.length > chosen.labels.length
          : pick === 'best'
            ? low(p) > low(chosen) || (low(p) === low(chosen) && p.labels.length > chosen.labels.length)
            : low(p) < low(chosen) || (low(p) === low(chosen) && p.labels.length > chosen.labels.length);
      if (better) chosen = p;
    }
    out.push({ ...chosen, candidates: group.length });
  }
  return out;
}
