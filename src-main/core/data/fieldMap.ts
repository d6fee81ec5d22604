// `--field <steplab field>=<column>`: which source column a Steplab field is read from, for files whose
// columns have other names than the built-in aliases (Geometry3K's `problem_text`, a private dump's
// `gt`). Shared by `import`, `score --rollouts` and every importer of field data, so the spec syntax, the
// targets and the errors are the same everywhere. Pure: the columns of a file are passed in by the caller.
import { FieldTarget, type FieldMap } from '../../../src-shared/domain';
import { UserError } from '../errors';
import type { ProblemField } from './problemRow';

export const FIELD_TARGETS: readonly FieldTarget[] = FieldTarget.options;

/** The problem field each target names (the CLI spells it as the file column is usually spelled). */
const PROBLEM_FIELD: Record<FieldTarget, ProblemField> = {
  id: 'id',
  question: 'question',
  answer: 'answer',
  answer_type: 'answerType',
  images: 'images',
  split: 'split',
  source: 'source',
  tags: 'tags',
};

/**
 * Parses repeated `target=column` specs into a mapping. `allowed` narrows the targets for a command that
 * reads only some fields (score --rollouts reads the question and the images). The column is everything
 * after the first `=`, so a column name may itself hold `=`.
 */
export function parseFieldSpecs(specs: readonly string[], allowed: readonly FieldTarget[] = FIELD_TARGETS): FieldMap {
  const map: FieldMap = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const target = eq < 0 ? spec.trim() : spec.slice(0, eq).trim();
    const column = eq < 0 ? '' : spec.slice(eq + 1).trim();
    if (eq < 0 || target === '' || column === '') {
      throw new UserError(`--field "${spec}": write <field>=<column>, e.g. --field question=problem_text (fields: ${allowed.join(', ')})`);
    }
    if (!(allowed as readonly string[]).includes(target)) {
      const known = (FIELD_TARGETS as readonly string[]).includes(target);
      throw new UserError(`--field "${spec}": ${known ? `this command does not read field "${target}"` : `unknown field "${target}"`} (fields: ${allowed.join(', ')})`);
    }
    const t = target as FieldTarget;
    if (map[t] !== undefined) throw new UserError(`--field ${t} is given twice ("${map[t]}" and "${column}"): give each field once`);
    map[t] = column;
  }
  return map;
}

/**
 * Checks that every mapped column exists in the file. `columns` are what the caller could see (the
 * first row's keys, a header, a Parquet schema) and `where` says which (`rows.jsonl line 1`), so the
 * one-line error lets the user pick the right name.
 */
export function checkFieldColumns(map: FieldMap, columns: readonly string[], where: string): void {
  for (const [target, column] of Object.entries(map)) {
    if (!columns.includes(column)) {
      throw new UserError(`--field ${target}=${column}: ${where} has no column "${column}" (columns: ${columns.length ? columns.join(', ') : 'none'})`);
    }
  }
}

/** The mapping keyed by problem field, as parseProblemRow takes it. */
export function problemFieldColumns(map: FieldMap): Partial<Record<ProblemField, string>> {
  const out: Partial<Record<ProblemField, string>> = {};
  for (const [t, c] of Object.entries(map) as [FieldTarget, string][]) out[PROBLEM_FIELD[t]] = c;
  return out;
}
