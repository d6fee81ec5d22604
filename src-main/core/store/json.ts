export const toJson = (v: unknown): string => JSON.stringify(v ?? null);
export function fromJson<T>(s: string | null | undefined, fallback: T): T {
  if (s === null || s === undefined || s === '') return fallback;
  return JSON.parse(s) as T;
}
