// Typed reads of a parsed JSON record that fail with the JSON path and the field:
// `children[2].children[0]: field "mc_value": required`.
import { FieldError } from './types';

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

/** The path of a key below `path` (`children[2]` . `mc_value`). */
export const keyPath = (path: string, key: string): string => (path ? `${path}.${key}` : key);
/** The path of an item of the list at `path`. */
export const itemPath = (path: string, i: number): string => `${path}[${i}]`;

const shown = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
};

const err = (path: string, key: string, what: string): FieldError => new FieldError(path, `field "${key}": ${what}`);

/** The record at `path` as an object. */
export function asObj(v: unknown, path: string): Obj {
  if (!isObj(v)) throw new FieldError(path, `must be a JSON object (got ${Array.isArray(v) ? 'a list' : shown(v)})`);
  return v;
}

/** The value of a key that must be there (null counts as there: the type check says what is wrong). */
export function need(o: Obj, key: string, path: string): unknown {
  if (!Object.hasOwn(o, key) || o[key] === undefined) throw err(path, key, 'required');
  return o[key];
}

export function str(o: Obj, key: string, path: string, opts: { nonEmpty?: boolean } = {}): string {
  const v = need(o, key, path);
  if (typeof v !== 'string') throw err(path, key, `must be a string (got ${shown(v)})`);
  if (opts.nonEmpty && v.trim() === '') throw err(path, key, 'must not be empty');
  return v;
}

export function optStr(o: Obj, key: string, path: string): string | null {
  if (o[key] === undefined || o[key] === null) return null;
  return str(o, key, path);
}

/** A string or a number, as text (answers and ids are written either way). */
export function scalar(o: Obj, key: string, path: string): string {
  const v = need(o, key, path);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint') return v.toString();
  throw err(path, key, `must be a string or a number (got ${shown(v)})`);
}

export function optScalar(o: Obj, key: string, path: string): string | null {
  if (o[key] === undefined || o[key] === null) return null;
  return scalar(o, key, path);
}

/** A value in [0, 1] (a Monte-Carlo value, a probability, a soft label). */
export function unit(v: unknown, key: string, path: string): number {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw err(path, key, `must be a number in [0, 1] (got ${shown(v)})`);
  if (n < 0 || n > 1) throw err(path, key, `must be in [0, 1] (got ${n})`);
  return n;
}

export function num01(o: Obj, key: string, path: string): number {
  return unit(need(o, key, path), key, path);
}

export function optNum01(o: Obj, key: string, path: string): number | null {
  if (o[key] === undefined || o[key] === null) return null;
  return num01(o, key, path);
}

export function optNum(o: Obj, key: string, path: string): number | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw err(path, key, `must be a number (got ${shown(v)})`);
  return n;
}

export function optInt(o: Obj, key: string, path: string, min = 0): number | null {
  const n = optNum(o, key, path);
  if (n === null) return null;
  if (!Number.isInteger(n) || n < min) throw err(path, key, `must be a whole number >= ${min} (got ${n})`);
  return n;
}

export function list(o: Obj, key: string, path: string): unknown[] {
  const v = need(o, key, path);
  if (!Array.isArray(v)) throw err(path, key, `must be a list (got ${shown(v)})`);
  return v;
}

export function optList(o: Obj, key: string, path: string): unknown[] | null {
  if (o[key] === undefined || o[key] === null) return null;
  return list(o, key, path);
}

export function strList(o: Obj, key: string, path: string): string[] {
  const v = list(o, key, path);
  const bad = v.findIndex((x) => typeof x !== 'string');
  if (bad >= 0) throw new FieldError(keyPath(path, `${key}[${bad}]`), `must be a string (got ${shown(v[bad])})`);
  return v as string[];
}

/** The fields of `o` other than `known`, for meta. */
export function rest(o: Obj, known: readonly string[]): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) if (!known.includes(k)) out[k] = v;
  return out;
}
