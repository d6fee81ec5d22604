// The curation area: annotation sets and their edits (with undo and redo), the disagreement and
// solution-conflict queues, and a problem's solutions with every score they have.
import { modelLabel } from '../../../src-shared/modelLabel';
import { readCurator } from '../curator';
import { splitAnnotationSet } from '../data/labels/split';
import type { AreaHandlers, HandlerContext } from './context';

/** Who a curation record names when the caller does not say: the name set once, else the account running the core. */
function curator(): string {
  return readCurator().name;
}

export function curationHandlers({ store }: HandlerContext) {
  return {
    'annotations.sets': () => store.annotations.sets(),
    'annotations.split': (q) => splitAnnotationSet(store, q),
    'curation.disagreements': ({ prm, limit, stepKind, problemId, minGap }) => {
      const m = store.models.withRole(prm, 'prm');
      const { total, matching, items } = store.scores.disagreements(m.id, limit, { stepKind, problemId, minGap });
      return { prm: modelLabel(m), scoredNodes: total, matching, items };
    },
    'annotations.forSearch': ({ searchId }) => {
      store.trees.getSearch(searchId);
      return store.annotations.forSearch(searchId);
    },
    'annotations.edit': ({ annotationId, author, ...e }) => {
      store.annotations.edit(annotationId, { ...e, author: author ?? curator() });
      return store.annotations.get(annotationId);
    },
    'annotations.editMany': ({ edits, comment, author }) => {
      const { batch, annotationIds } = store.annotations.editMany(edits, { comment, author: author ?? curator() });
      return { batch, annotations: annotationIds.map((id) => store.annotations.get(id)) };
    },
    'annotations.undo': ({ batch }) => ({ batch, annotations: store.annotations.setUndone(batch, true).map((id) => store.annotations.get(id)) }),
    'annotations.redo': ({ batch }) => ({ batch, annotations: store.annotations.setUndone(batch, false).map((id) => store.annotations.get(id)) }),
    'curation.solutionConflicts': ({ prm, limit, aggregate, threshold, lowShare }) => {
      const m = store.models.withRole(prm, 'prm');
      const { total, items } = store.scores.solutionConflicts(m.id, { aggregate, threshold, lowShare, limit });
      return { prm: modelLabel(m), aggregate, scoredSolutions: total, items };
    },
    'solutions.forProblem': ({ problemId, ids }) => {
      store.problems.get(problemId);
      const want = ids ? new Set(ids) : null;
      const label = new Map<number, string>();
      const name = (modelId: number): string => {
        if (!label.has(modelId)) {
          const m = store.models.get(modelId);
          label.set(modelId, modelLabel(m));
        }
        return label.get(modelId)!;
      };
      const solutions = store.solutions.forProblem(problemId).filter((s) => !want || want.has(s.id));
      const mc = store.scores.stepMc(problemId, solutions.map((s) => ({ id: s.id, steps: s.steps.map((st) => st.text) })));
      return solutions
        .map((s) => ({
          id: s.id,
          modelId: s.modelId,
          origin: s.origin,
          verdict: s.verdict,
          finalAnswer: s.finalAnswer,
          steps: s.steps,
          scores: Object.fromEntries([...store.scores.stepScoresOf(s.id)].map(([m, sc]) => [name(m), sc])),
          mc: mc.get(s.id),
        }));
    },
  } satisfies AreaHandlers;
}
