// What an annotation is as the store gives it (its steps with their original and effective labels and
// texts, its curation history), what a new one and an edit are, and when an edit cannot apply.


export interface NewAnnotation {
  problemId: number;
  searchId?: number | null;
  solutionId?: number | null;
  setName?: string;
  provenance?: Record<string, unknown>;
  steps: { text: string; softLabel: number }[];
}

export type CurationAction = 'accept' | 'reject' | 'relabel' | 'comment' | 'text';

export interface AnnotationStep {
  idx: number;
  /** the step text after curation */
  text: string;
  /** the text the search produced, never changed */
  originalText: string;
  textEdited: boolean;
  /** the label the search produced, never changed */
  originalSoft: number;
  originalHard: number;
  /** the label after curation */
  softLabel: number;
  hardLabel: number;
  edited: boolean;
  /** comments of the edits in force on this step, oldest first */
  comments: string[];
}

/** One curation record: what was done to which step, by whom, when, in which batch, and whether it was undone. */
export interface CurationEdit {
  id: number;
  batch: number;
  stepIdx: number | null;
  action: CurationAction;
  value: number | null;
  text: string | null;
  comment: string | null;
  author: string | null;
  createdAt: string;
  undone: boolean;
}

export interface Annotation {
  id: number;
  problemId: number;
  searchId: number | null;
  solutionId: number | null;
  setName: string;
  provenance: Record<string, unknown>;
  /** rejected by curation: excluded from exports */
  rejected: boolean;
  accepted: boolean;
  /** at least one curation edit is in force */
  curated: boolean;
  createdAt: string;
  steps: AnnotationStep[];
  /** every curation record of the annotation, undone ones included, oldest first */
  history: CurationEdit[];
}

export interface EditInput {
  stepIdx?: number | null;
  action: CurationAction;
  value?: number | null;
  text?: string | null;
  comment?: string | null;
}

/** Hard label as in MM-PRM / OmegaPRM: a step is good when any rollout from it reached the answer. */
export const hardLabel = (mc: number): number => (mc > 0 ? 1 : 0);

/** The one-line reason an edit cannot apply to an annotation with `steps` steps, or null when it can. */
export function editProblem(annotationId: number, steps: number, e: EditInput): string | null {
  const step = e.stepIdx ?? null;
  if (step !== null && (!Number.isInteger(step) || step < 0 || step >= steps)) return `annotation ${annotationId} has ${steps} steps; there is no step ${step}`;
  switch (e.action) {
    case 'relabel':
      if (step === null) return 'relabel needs a step index';
      if (e.value === null || e.value === undefined || !(e.value >= 0 && e.value <= 1)) return 'relabel needs a value in [0, 1]';
      return null;
    case 'text':
      if (step === null) return 'a text edit needs a step index';
      if (typeof e.text !== 'string' || e.text.trim() === '') return 'a text edit needs a non-empty step text';
      return null;
    case 'comment':
      if (!e.comment || e.comment.trim() === '') return 'a comment edit needs a comment';
      return null;
    case 'accept':
    case 'reject':
      return step === null ? null : `${e.action} applies to a whole path: leave the step index out`;
    default:
      return `unknown curation action "${String(e.action)}"`;
  }
}
