// Merge stage: annotations, by problem, search, solution, set name and steps, their provenance's search,
// node and model references remapped; and their curation edits, batches renumbered.
import type { MergeSide } from '../../store/merge';
import { canonicalJson, sha256 } from '../identity';
import type { Row, SourceMerge } from '../sourceMerge';

export function annotationsBySearch(m: SourceMerge): Map<number | null, Row[]> {
  const out = new Map<number | null, Row[]>();
  for (const a of m.s.rows('annotations') as (Row & { search_id: number | null })[]) {
    const list = out.get(a.search_id) ?? [];
    list.push(a);
    out.set(a.search_id, list);
  }
  return out;
}

function annotationKey(problemId: number, searchId: number | null, solutionId: number | null, setName: unknown, steps: readonly Row[]): string {
  return sha256(canonicalJson([problemId, searchId, solutionId, setName, steps.map((s) => [s.text, s.soft_label, s.hard_label])]));
}

/** The provenance with its search, node and model references turned into the target's. */
function annotationProvenance(m: SourceMerge, raw: unknown, nodeMap: Map<number, number> | null): string {
  const prov = typeof raw === 'string' && raw !== '' ? (JSON.parse(raw) as unknown) : {};
  if (!prov || typeof prov !== 'object' || Array.isArray(prov)) return JSON.stringify(prov);
  const p = { ...(prov as Row) };
  if (typeof p.search === 'number') p.search = m.searches.get(p.search) ?? null;
  if (Array.isArray(p.nodes) && nodeMap) p.nodes = p.nodes.map((n) => (typeof n === 'number' ? (nodeMap.get(n) ?? null) : n));
  if (typeof p.model === 'string') p.model = m.modelLabels.get(p.model) ?? p.model;
  return JSON.stringify(p);
}

export function mergeAnnotation(m: SourceMerge, a: Row, searchId: number | null, nodeMap: Map<number, number> | null): void {
  const row = a as Row & { id: number; problem_id: number; solution_id: number | null; set_name: string };
  const problemId = m.problem(row.problem_id);
  const solutionId = row.solution_id === null ? null : (m.solutions.get(row.solution_id) ?? null);
  const stepsOf = (side: MergeSide, id: number): Row[] => side.annotationSteps(id);
  const steps = stepsOf(m.s, row.id);
  const key = annotationKey(problemId, searchId, solutionId, row.set_name, steps);
  const candidates = m.t.annotationCandidates(problemId, row.set_name, searchId, solutionId);
  const match = m.nth('annotation', key, candidates, (c) => annotationKey(problemId, searchId, solutionId, row.set_name, stepsOf(m.t, c.id)));
  let id: number;
  if (match) {
    id = match.id;
    m.count('annotations', 'skipped');
  } else {
    id = m.insert('annotations', { ...row, problem_id: problemId, search_id: searchId, solution_id: solutionId, provenance: annotationProvenance(m, row.provenance, nodeMap) });
    for (const s of steps) m.insert('annotation_steps', { ...s, annotation_id: id }, true);
    m.count('annotations', 'added');
  }
  mergeEdits(m, row.id, id);
}

function mergeEdits(m: SourceMerge, srcAnnotation: number, annotationId: number): void {
  type Edit = Row & { batch: number; undone_at: string | null };
  const key = (e: Row): string => canonicalJson([e.step_idx, e.action, e.value, e.comment ?? null, e.text ?? null, e.author ?? null, e.created_at]);
  const edits = m.s.curationEdits(srcAnnotation) as Edit[];
  if (edits.length === 0) return;
  const existing = m.t.curationEdits(annotationId) as Edit[];
  for (const e of edits) {
    const have = m.nth(`edit ${annotationId}`, key(e), existing, key);
    if (have) {
      if (!m.batches.has(e.batch)) m.batches.set(e.batch, have.batch);
      if ((have.undone_at === null) !== (e.undone_at === null)) {
        m.conflict('curation_edits', `annotation ${annotationId}: a ${String(e.action)} edit is ${have.undone_at === null ? 'in force' : 'undone'} in the target and ${e.undone_at === null ? 'in force' : 'undone'} in the source; the target's state kept`);
      }
      m.count('curation_edits', 'skipped');
      continue;
    }
    let batch = m.batches.get(e.batch);
    if (batch === undefined) {
      batch = m.t.nextCurationBatch();
      m.batches.set(e.batch, batch);
    }
    m.insert('curation_edits', { ...e, annotation_id: annotationId, batch });
    m.count('curation_edits', 'added');
  }
}
