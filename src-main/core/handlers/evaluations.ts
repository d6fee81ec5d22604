// The evaluations area: Best-of-N and bench-prm evaluations listed, read per problem, charted and exported.
import { benchCsv, benchRowsView, benchSweepChart, isBenchEvaluation } from '../reward/benchEvaluation';
import { compareEvaluations } from '../reward/evaluationCompare';
import { evaluationChart, evaluationCsv, evaluationJson, evaluationRecord } from '../reward/evaluationExport';
import { READS } from '../store/integrity';
import type { AreaHandlers, HandlerContext } from './context';

export function evaluationsHandlers({ store }: HandlerContext) {
  return {
    'evaluations.list': ({ offset, limit }) => ({ total: store.evaluations.count(), items: store.evaluations.list({ offset, limit }) }),
    'evaluations.problems': ({ id }) => {
      store.evaluations.get(id);
      const byProblem = new Map<number, { problemId: number; candidates: number; correct: number; solutionIds: number[] }>();
      for (const it of store.evaluations.items(id)) {
        const p = byProblem.get(it.problemId) ?? { problemId: it.problemId, candidates: 0, correct: 0, solutionIds: [] };
        p.candidates++;
        p.correct += it.scores.correct === 1 ? 1 : 0;
        p.solutionIds.push(it.solutionId);
        byProblem.set(it.problemId, p);
      }
      const refs = store.problems.refs([...byProblem.keys()]);
      return [...byProblem.values()].map((p) => ({ ...p, extId: refs.get(p.problemId)?.extId ?? null }));
    },
    'evaluations.get': ({ id }) => evaluationRecord(store, store.evaluations.get(id)),
    'evaluations.chart': ({ id, split, theme }) => {
      const ev = store.evaluations.get(id);
      return isBenchEvaluation(ev) ? benchSweepChart(ev) : evaluationChart(ev, split, theme);
    },
    'evaluations.compare': (q) => compareEvaluations(store, q),
    'evaluations.benchRows': ({ id, ...q }) => benchRowsView(store, id, q),
    'evaluations.export': async ({ id, format }) => {
      await store.integrity.require(READS['evaluations.export'], 'nothing was exported');
      const ev = store.evaluations.get(id);
      const bench = isBenchEvaluation(ev);
      if (format === 'svg') return { text: (bench ? await benchSweepChart(ev) : await evaluationChart(ev)).svg };
      return { text: format === 'csv' ? (bench ? benchCsv(ev) : evaluationCsv(store, ev)) : JSON.stringify(evaluationJson(store, ev), null, 2) + '\n' };
    },
  } satisfies AreaHandlers;
}
