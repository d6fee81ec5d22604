// Search settings as the user writes them (a JSON file, CLI flags): the zod schemas and the demo scale (in
// src-shared, with the papers' defaults and validated ranges), and one readable line for the first thing wrong.
import { z } from 'zod';
import { UserError } from '../errors';
import { formatZodIssue } from '../../../src-shared/zodMessage';

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
  throw new UserError(formatZodIssue(r.error.issues[0], { label: 'config', wording: 'plain' }));
}
