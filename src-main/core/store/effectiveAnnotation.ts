// The effective annotation: the originals as written once, with the curation records in force applied in
// order (store/annotations.ts reads the rows; this turns them into what every reader sees).
import { fromJson } from './json';
import { hardLabel, type Annotation, type AnnotationStep, type CurationAction } from './annotationTypes';

export type StepRow = { idx: number; text: string; soft_label: number; hard_label: number };

export interface EditRow {
  id: number;
  batch: number;
  step_idx: number | null;
  action: CurationAction;
  value: number | null;
  text: string | null;
  comment: string | null;
  author: string | null;
  created_at: string;
  undone_at: string | null;
}

export interface AnnRow {
  id: number;
  problem_id: number;
  search_id: number | null;
  solution_id: number | null;
  set_name: string;
  provenance: string;
  created_at: string;
}

/**
 * An annotation as read: its original steps with the curation records in force applied in order (a
 * relabel sets the step's label, a text edit its text, a path's accept or reject its state), and every
 * record, undone ones included, as its history.
 */
export function effectiveAnnotation(r: AnnRow, steps: readonly StepRow[], edits: readonly EditRow[]): Annotation {
  let rejected = false;
  let accepted = false;
  const out: AnnotationStep[] = steps.map((s) => ({
    idx: s.idx,
    text: s.text,
    originalText: s.text,
    textEdited: false,
    originalSoft: s.soft_label,
    originalHard: s.hard_label,
    softLabel: s.soft_label,
    hardLabel: s.hard_label,
    edited: false,
    comments: [],
  }));
  const live = edits.filter((e) => e.undone_at === null);
  for (const e of live) {
    const step = e.step_idx === null ? undefined : out[e.step_idx];
    if (e.comment && step) step.comments.push(e.comment);
    if (e.action === 'relabel' && step && e.value !== null) {
      step.softLabel = e.value;
      step.hardLabel = hardLabel(e.value);
      step.edited = true;
    }
    if (e.action === 'text' && step && e.text !== null) {
      step.text = e.text;
      step.textEdited = true;
    }
    if (e.step_idx === null && e.action === 'reject') [rejected, accepted] = [true, false];
    if (e.step_idx === null && e.action === 'accept') [rejected, accepted] = [false, true];
  }
  return {
    id: r.id,
    problemId: r.problem_id,
    searchId: r.search_id,
    solutionId: r.solution_id,
    setName: r.set_name,
    provenance: fromJson(r.provenance, {}),
    rejected,
    accepted,
    curated: live.length > 0,
    createdAt: r.created_at,
    steps: out,
    history: edits.map((e) => ({
      id: e.id,
      batch: e.batch,
      stepIdx: e.step_idx,
      action: e.action,
      value: e.value,
      text: e.text,
      comment: e.comment,
      author: e.author,
      createdAt: e.created_at,
      undone: e.undone_at !== null,
    })),
  };
}
