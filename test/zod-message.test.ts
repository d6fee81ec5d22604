// One zod issue as one line (src-shared/zodMessage.ts), and the door's refusal of a bad job config in the
// words the CLI prints: the path inside the job's config, a search's algorithm settings under `config: `.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiError, parseInput } from '../src-shared/api';
import { formatZodIssue } from '../src-shared/zodMessage';

const firstIssue = (schema: z.ZodType, v: unknown): z.core.$ZodIssue => {
  const r = schema.safeParse(v);
  if (r.success) throw new Error('parsed');
  return r.error.issues[0];
};

const refusal = (method: 'jobs.start' | 'jobs.startOrResume', params: unknown): { message: string; path?: string } => {
  try {
    parseInput(method, params);
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    return { message: (e as ApiError).message, path: (e as ApiError).path };
  }
  throw new Error('no refusal');
};

describe('formatZodIssue', () => {
  const schema = z.object({ a: z.object({ b: z.number().min(1, 'b must be at least 1') }).strict() }).strict();
  it('says the path and the message, the context deciding the frame', () => {
    expect(formatZodIssue(firstIssue(schema, { a: { b: 0 } }))).toBe('a.b: b must be at least 1');
    expect(formatZodIssue(firstIssue(schema, { a: { b: 0 } }), { root: 'params' })).toBe('params.a.b: b must be at least 1');
    expect(formatZodIssue(firstIssue(schema, { a: { b: 0 } }), { drop: 1, label: 'config' })).toBe('config: b: b must be at least 1');
    expect(formatZodIssue(firstIssue(schema, { a: { b: 0 } }), { label: 'm.json', field: true })).toBe('m.json: field "a.b": b must be at least 1');
    expect(formatZodIssue(firstIssue(schema, 3))).toMatch(/^Invalid input: expected object/);
    expect(formatZodIssue(firstIssue(schema, 3), { empty: '(root)' })).toMatch(/^\(root\): Invalid input/);
    expect(formatZodIssue(firstIssue(schema, { a: { b: 1, c: 1 } }), { drop: 1, label: 'config', wording: 'plain' })).toBe('config: unknown field "c"');
    expect(formatZodIssue(firstIssue(z.object({ x: z.number().min(0) }), { x: -1 }), { wording: 'plain' })).toBe('x: must be >= 0');
  });
});

describe("the door's refusal of a bad job config", () => {
  const search = { dataset: 'd', model: 'm', algo: 'omega' };
  it('is the line the CLI prints, the path still the request\'s', () => {
    expect(refusal('jobs.start', { kind: 'search', config: { ...search, config: { cPuct: -1 } } })).toEqual({ message: 'config: cPuct: must be >= 0', path: 'params.config.config.cPuct' });
    expect(refusal('jobs.startOrResume', { request: { kind: 'search', config: { ...search, algo: 'mc', config: { k: 0 } } } }).message).toBe('config: k: must be >= 1');
    expect(refusal('jobs.startOrResume', { request: { kind: 'cycle', config: { dataset: 'd', policy: 'p', cycles: 1, infer: { samples: 0 } } } })).toEqual({
      message: 'infer.samples: Too small: expected number to be >=1',
      path: 'params.request.config.infer.samples',
    });
    expect(refusal('jobs.start', { kind: 'bon', config: { dataset: 'd', split: 's', policy: 'p', prm: 'q', n: 0 } }).message).toBe('n: N must be at least 1');
  });
  it('outside a job config keeps the method and the request path', () => {
    expect(refusal('jobs.start', { kind: 'nope', config: {} }).message).toMatch(/^jobs\.start: params\.kind: /);
  });
});
