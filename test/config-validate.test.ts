// The JSON config check behind ConfigEditor: syntax errors at their line and column, zod issues on the key
// or value their path names (a missing key on the object lacking it), markers for Monaco, and the JSON
// Schema Monaco validates with made from the same zod schema.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { jsonSchemaOf, positionAt, validateConfig } from '../src-renderer/config/validate';
import { hasErrors } from '../src-renderer/config/markers';

const Search = z
  .object({
    dataset: z.string().min(1),
    model: z.string().min(1),
    limit: z.number().int().min(1).default(10),
    config: z.object({ rolloutBudget: z.number().int().min(1), alpha: z.number().min(0).max(1).optional() }).strict(),
    splits: z.array(z.enum(['train', 'val', 'test'])).optional(),
  })
  .strict();

describe('validateConfig', () => {
  it('accepts a valid config and returns the parsed value with defaults', () => {
    const r = validateConfig('{"dataset": "demo", "model": "tiny-policy", "config": {"rolloutBudget": 8}}', Search);
    expect(r.issues).toEqual([]);
    expect(r.markers).toEqual([]);
    expect(r.value).toEqual({ dataset: 'demo', model: 'tiny-policy', limit: 10, config: { rolloutBudget: 8 } });
  });

  it('puts a syntax error at its line and column', () => {
    const text = '{\n  "dataset": "demo",\n  "model": "x",\n}';
    const r = validateConfig(text, Search);
    expect(r.value).toBeNull();
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0].message).toMatch(/^not valid JSON: /);
    expect(r.issues[0]).toMatchObject({ path: '', line: 4, column: 1 });
    expect(hasErrors(r.markers)).toBe(true);
    expect(validateConfig('  ', Search).issues[0].message).toBe('the config is empty: write a JSON object');
  });

  it('marks a wrong value on its key, inside nested objects and arrays', () => {
    const text = ['{', '  "dataset": "demo",', '  "model": "tiny-policy",', '  "config": {', '    "rolloutBudget": 0,', '    "alpha": 2', '  },', '  "splits": ["train", "dev"]', '}'].join('\n');
    const r = validateConfig(text, Search);
    expect(r.issues.map((i) => [i.path, i.line, i.column])).toEqual([
      ['config.rolloutBudget', 5, 5],
      ['config.alpha', 6, 5],
      ['splits.1', 8, 23],
    ]);
    expect(r.issues[0].message).toMatch(/^config\.rolloutBudget: .*>=1/);
    expect(r.markers[0]).toMatchObject({ severity: 'error', startLineNumber: 5, startColumn: 5, endLineNumber: 5, endColumn: 20, source: 'schema' });
    // an array item has no key: the marker spans its value
    expect(r.markers[2]).toMatchObject({ startLineNumber: 8, startColumn: 23, endColumn: 28 });
  });

  it('marks a missing key on the object that lacks it, and an unknown key on itself', () => {
    const text = '{\n  "dataset": "demo",\n  "config": {"rolloutBudget": 4, "beta": 1}\n}';
    const r = validateConfig(text, Search);
    const byPath = Object.fromEntries(r.issues.map((i) => [i.path, i]));
    expect(byPath.model).toMatchObject({ line: 1, column: 1 });
    expect(byPath.model.message).toMatch(/^model: /);
    // zod names an unknown key on its object with the key in the message
    expect(byPath.config).toMatchObject({ line: 3, column: 3 });
    expect(byPath.config.message).toMatch(/beta/);
  });

  it('locates keys with escapes and strings holding brackets', () => {
    const text = '{"dataset": "a}]\\"b", "model": "m", "config": {"rolloutBudget": "8"}}';
    const r = validateConfig(text, Search);
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatchObject({ path: 'config.rolloutBudget', line: 1, column: text.indexOf('"rolloutBudget"') + 1 });
  });
});

describe('jsonSchemaOf and positionAt', () => {
  it('makes an input JSON Schema (defaulted keys optional, strict objects closed)', () => {
    const s = jsonSchemaOf(Search) as { required: string[]; additionalProperties: boolean; properties: Record<string, { type?: string }> };
    expect(s.required.sort()).toEqual(['config', 'dataset', 'model']);
    expect(s.additionalProperties).toBe(false);
    expect(s.properties.limit.type).toBe('integer');
  });

  it('counts lines and columns from 1', () => {
    expect(positionAt('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(positionAt('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });
});
