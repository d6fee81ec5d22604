// Scripted policy and ORM for testing the MathSE cycle's orchestration (the subject is the stages and
// their bookkeeping, not the models). On the demo domain every problem carries its reference steps:
// - a sample is the reference or, by a hash of its seed key, the reference with one step's result off by
//   one (carried into the answer), so verification and the gold labels see a real error;
// - a regeneration with a reflection continues the prefix with the reference; without one, half the time;
// - greedy evaluation is right for a fixed half of the problems;
// - the ORM names the gold first error (labelSolution), except that it writes no JSON for every 5th
//   problem, which the cycle must record as an unparsed verdict.
import type { Problem } from '../../src-shared/domain';
import { ormRecord, type CyclePorts, type GenOutput, type GenRequest, type Sampling } from '../../src-main/core/cycles/ports';
import { labelSolution } from '../../src-main/core/demo/check';
import { demoCheckable } from '../../src-main/core/demo/check';
import { formatOrmTarget } from '../../src-main/core/reward/orm';
import { mixSeed } from '../../src-main/core/rng';

export function reference(p: Problem): string[] {
  return (p.meta.reference_steps as { text: string }[]).map((s) => s.text);
}

/** The reference with step j's result one too high, and the answer too. */
export function broken(p: Problem, j: number): string[] {
  const ref = reference(p);
  return ref.map((s, i) => {
    if (i === j) return s.replace(/=\s*(\d+)$/, (_, v: string) => `= ${Number(v) + 1}`).replace(/^count = (\d+)$/, (_, v: string) => `count = ${Number(v) + 1}`);
    if (i === ref.length - 1) return `Answer: ${Number(p.answer) + 1}`;
    return s;
  });
}

function unit(...key: number[]): number {
  return (mixSeed(...key) >>> 0) / 2 ** 32;
}

export function scriptedPorts(calls: { generate: number; judge: number } = { generate: 0, judge: 0 }): CyclePorts {
  const gen = (r: GenRequest, k: number, s: Sampling): GenOutput => {
    const ref = reference(r.problem);
    let steps: string[];
    if (s.temperature === 0) steps = r.problem.id % 2 === 0 ? ref : broken(r.problem, ref.length - 2);
    else if (r.prefixSteps.length > 0 || r.reflection !== null) {
      const right = r.reflection !== null || unit(...r.seedKey, k) < 0.5;
      const full = right ? ref : broken(r.problem, Math.max(r.prefixSteps.length, 0));
      steps = [...r.prefixSteps, ...full.slice(r.prefixSteps.length)];
    } else {
      const u = unit(...r.seedKey, k);
      steps = u < 0.5 ? ref : broken(r.problem, Math.floor(((u - 0.5) / 0.5) * (ref.length - 1)));
    }
    return { steps, tokens: steps.join('\n').length, finish: 'eos' };
  };
  return {
    async openPolicy(modelId) {
      return {
        modelId,
        label: `scripted-policy-${modelId}`,
        provider: 'scripted',
        async generate(reqs, sampling) {
          calls.generate += reqs.length;
          return reqs.map((r) => Array.from({ length: r.n }, (_, k) => gen(r, k, sampling)));
        },
        async release() {},
      };
    },
    async openOrm(modelId) {
      return {
        modelId,
        label: `scripted-orm-${modelId}`,
        binary: false,
        async judge(items) {
          calls.judge += items.length;
          return items.map(({ problem, steps }) => {
            if (problem.id % 5 === 0) return ormRecord('the solution looks wrong to me', steps.length, false);
            const l = labelSolution(demoCheckable(problem)!, steps);
            const raw =
              l.firstError === null
                ? formatOrmTarget({ status: 'CORRECT', errorStep: null, errorAnalysis: '', improvementSuggestion: '' })
                : formatOrmTarget({ status: 'WRONG', errorStep: l.firstError + 1, errorAnalysis: l.diagnosis, improvementSuggestion: `step ${l.firstError + 1} should be ${reference(problem)[l.firstError] ?? ''}` });
            return ormRecord(raw, steps.length, false);
          });
        },
        async release() {},
      };
    },
  };
}
