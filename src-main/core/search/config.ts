// Search settings as the user writes them (a JSON file, CLI flags): the zod schemas and the demo scale (in
// src-shared, with the papers' defaults and validated ranges), and one readable line for the first thing wrong.
import { z } from 'zod';
import { UserError } from '../errors';

export { DEMO_SCALE, MathShepherdConfig, OmegaConfig, rootBatch, type MathShepherdConfigInput, type OmegaConfigInput } from '../../../src-shared/jobConfigs';
import { MathShepherdConfig, OmegaConfig } from '../../../src-shared/jobConfigs';

export const SEARCH_ALGORITHMS = ['omega', 'mc'] as const;
export type SearchAlgorithm = (typeof SEARCH_ALGORITHMS)[number];

/**
 * Validates a user's search config for an algorithm (a missing config means all defaults). Throws
 * UserError with one line: `config: cPuct: must be >= 0`, or `unknown algorithm "x" (omega or mc)`.
 */
export function parseSearchConfig(algo: 'omega', raw: unknown): OmegaConfig;
export function parseSearchConfig(algo: 'mc', raw: unknown): MathShepherdConfig;
export function parseSearchConfig(algo: string, raw: unknown): OmegaConfig | MathShepherdConfig;
export function parseSearchConfig(algo: string, raw: unknown): OmegaConfig | MathShepherdConfig {
  const input = raw === undefined ? {} : raw;
  if (algo === 'omega') return parseOrThrow(OmegaConfig, input);
  if (algo === 'mc') return parseOrThrow(MathShepherdConfig, input);
  throw new UserError(`unknown algorithm "${algo}" (${SEARCH_ALGORITHMS.join(' or ')})`);
}

function parseOrThrow<T>(schema: z.ZodType<T>, raw: unknown): T {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue.path.map(String).join('.');
  throw new UserError(`config: ${path === '' ? '' : `${path}: `}${describeIssue(issue)}`);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_small':
      return `must be ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
    case 'too_big':
      return `must be ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`;
    case 'invalid_type':
      if (issue.expected === 'int') return 'must be an integer';
      if (issue.expected === 'number') return 'must be a finite number';
      if (issue.expected === 'boolean') return 'must be true or false';
      if (issue.expected === 'object') return 'must be an object';
      return `must be ${issue.expected}`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    default:
      return issue.message;
  }
}
