// Reads behind the Problems view: the filtered table with per-row counts, one problem with its missing
// image files named, and the dataset heatmap (one chosen solution per problem, PRM scores or MC values).
import { existsSync } from 'node:fs';
import type { Output, ParsedInput } from '../../src-shared/api';
import { imagePath } from './data/images';
import { UserError } from './errors';
import type { Store } from './store';

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

const label = (m: { name: string; version: number }): string => `${m.name}@${m.version}`;

export function datasetHeatmap(store: Store, q: ParsedInput<'heatmap.dataset'>): Output<'heatmap.dataset'> {
  const datasetId = store.datasets.requireId(q.dataset);
  const scorers = store.scores.datasetScorers(datasetId, q.split).map((id) => store.models.get(id));
  const where = `dataset "${q.dataset}"${q.split ? ` split "${q.split}"` : ''}`;
  const prm = q.prm ? store.models.withRole(q.prm, 'prm') : scorers.at(-1);
  if (q.prm && prm && !scorers.some((m) => m.id === prm.id)) {
    throw new UserError(
      `heatmap: PRM "${q.prm}" has not scored the solutions of ${where}` +
        (scorers.length ? ` (scored by: ${scorers.map(label).join(', ')})` : `; run a score job: steplab score --prm ${q.prm} --dataset ${q.dataset}`),
    );
  }
  if (!prm && q.source === 'prm') {
    throw new UserError(`heatmap: no PRM has scored the solutions of ${where}; run a score job first: steplab score --prm <model> --dataset ${q.dataset}`);
  }
  const policy = q.policy ? store.models.withRole(q.policy, 'policy') : undefined;
  const pick = prm ? q.pick : 'first';
  const { rows, problems } = store.scores.datasetRows(datasetId, { split: q.split, policyId: policy?.id, prmId: prm?.id ?? null, pick, limit: q.limit });
  if (q.source === 'mc') {
    // MC values replace the scores: per problem, the chosen solution's steps matched against its search trees
    for (const r of rows) {
      const steps = store.solutions.stepTexts(r.solutionId);
      r.scores = store.scores.stepMc(r.problemId, [{ id: r.solutionId, steps }]).get(r.solutionId) ?? steps.map(() => null);
    }
  }
  return {
    dataset: q.dataset,
    split: q.split ?? null,
    source: q.source,
    prm: prm ? label(prm) : null,
    prms: scorers.map(label),
    pick,
    policy: policy ? label(policy) : null,
    problems,
    rows,
  };
}
