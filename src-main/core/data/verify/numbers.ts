// Two numbers are equal within tolerance: |a - b| <= 1e-9 (absolute) or a relative error strictly below
// 1e-6, with a 1e-8 fraction of the tolerance shaved off so floating-point noise cannot decide the
// boundary (compare.ts says more).
export const ABS_TOLERANCE = 1e-9;
export const REL_TOLERANCE = 1e-6;


export function numbersClose(a: number, b: number): boolean {
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  const diff = Math.abs(a - b);
  if (diff <= ABS_TOLERANCE) return true;
  return diff < REL_TOLERANCE * (1 - 1e-8) * Math.max(Math.abs(a), Math.abs(b));
}
