// Small helpers for benchmarks: medians of repeated timings and a uniform report line.
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function time<T>(fn: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}

export async function timeAsync<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

export const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export interface BenchResult {
  name: string;
  unit: string;
  value: number;
  baseline: number;
  baselineName: string;
  goal?: string;
}

export function report(r: BenchResult): string {
  const ratio = r.value / r.baseline;
  return `${r.name}: ${fmt(r.value)} ${r.unit} vs ${r.baselineName} ${fmt(r.baseline)} ${r.unit} -> ${fmt(ratio, 1)}x${r.goal ? `  (goal ${r.goal})` : ''}`;
}
