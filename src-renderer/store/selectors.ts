// What views read from the store that is derived from its slices. A selector that builds a new array or
// object is memoized on what it reads, so useApp(selector) returns the same value until that changes (a
// fresh value on every call would re-render forever).
import type { CycleRun } from '../../src-shared/cycles';
import type { ModelRecord, ModelRole } from '../../src-shared/domain';
import { modelLabel } from '../../src-shared/modelLabel';
import type { AppState } from '.';

/** Remembers the last input and output of fn: the same input gives the same output object. */
function memo<I, O>(fn: (input: I) => O): (input: I) => O {
  let last: { input: I; output: O } | undefined;
  return (input) => {
    if (!last || last.input !== input) last = { input, output: fn(input) };
    return last.output;
  };
}

const byRole = Object.fromEntries(
  (['policy', 'prm', 'orm', 'judge'] as const).map((role) => [role, memo((models: ModelRecord[]) => models.filter((m) => m.role === role))]),
) as Record<ModelRole, (models: ModelRecord[]) => ModelRecord[]>;

/** The registered models of one role. */
export const modelsOfRole =
  (role: ModelRole) =>
  (s: Pick<AppState, 'models'>): ModelRecord[] =>
    byRole[role](s.models);

const prmLabelsOf = memo((models: ModelRecord[]) => models.filter((m) => m.role === 'prm').map((m) => modelLabel(m)));

/** The PRMs as name@version: the choices where a view picks the PRM whose scores it shows. */
export const prmLabels = (s: Pick<AppState, 'models'>): string[] => prmLabelsOf(s.models);

/** The cycle run that is shown: the one in the route, else the newest. */
export function shownRun(s: Pick<AppState, 'cycleRuns' | 'cycleRun'>): CycleRun | null {
  return s.cycleRuns.find((r) => r.id === s.cycleRun) ?? (s.cycleRun === undefined ? (s.cycleRuns[0] ?? null) : null);
}
