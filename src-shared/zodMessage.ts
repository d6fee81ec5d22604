// One zod issue as the one line a user reads: the place it names (a dotted path) and what is wrong there.
// Every reader of a config or a request words its first issue through here: the dispatcher's refusal, the
// CLI, the launch forms and the config readers.
import type { z } from 'zod';

/** A zod issue as every reader needs it (the path and zod's or the schema's own message). */
export type ZodIssueLike = Pick<z.core.$ZodIssue, 'path' | 'message'> & Partial<z.core.$ZodIssue>;

/** Where an issue is reported and how it is worded. */
export interface IssueContext {
  /** how many segments of the issue's path to leave out, from the front (an envelope the reader names itself) */
  drop?: number;
  /** a segment put before the path: 'params' → `params.limit` */
  root?: string;
  /** the line's opening, before the path: 'config' → `config: cPuct: must be >= 0` */
  label?: string;
  /** the path where it is empty ('(root)'); by default the path and its `: ` are left out */
  empty?: string;
  /** `field "x": ...`: the path quoted as a field, even where it is empty */
  field?: boolean;
  /** 'plain': zod's own wording said as the CLI says it (`must be >= 0`, `unknown field "x"`); by default the message as it is */
  wording?: 'message' | 'plain';
}

/** The issue's path as the context reports it (dotted, `root` first, `drop` segments left out). */
export function issuePath(issue: Pick<ZodIssueLike, 'path'>, context: Pick<IssueContext, 'drop' | 'root'> = {}): string {
  const rest = issue.path.slice(context.drop ?? 0).map(String);
  return [context.root ?? '', ...rest].filter((p) => p !== '').join('.');
}

/** One issue as one line: `[label: ]path: message` (see IssueContext). */
export function formatZodIssue(issue: ZodIssueLike | undefined, context: IssueContext = {}): string {
  const path = issuePath(issue ?? { path: [] }, context);
  const message = issue === undefined ? 'invalid' : context.wording === 'plain' ? plainWording(issue) : issue.message;
  const where = context.field ? `field "${path}": ` : path !== '' ? `${path}: ` : context.empty !== undefined ? `${context.empty}: ` : '';
  return `${context.label !== undefined ? `${context.label}: ` : ''}${where}${message}`;
}

function plainWording(issue: ZodIssueLike): string {
  const i = issue as z.core.$ZodIssue;
  switch (i.code) {
    case 'too_small':
      return `must be ${i.inclusive ? '>=' : '>'} ${String(i.minimum)}`;
    case 'too_big':
      return `must be ${i.inclusive ? '<=' : '<'} ${String(i.maximum)}`;
    case 'invalid_type':
      if (i.expected === 'int') return 'must be an integer';
      if (i.expected === 'number') return 'must be a finite number';
      if (i.expected === 'boolean') return 'must be true or false';
      if (i.expected === 'object') return 'must be an object';
      return `must be ${i.expected}`;
    case 'unrecognized_keys':
      return `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
    default:
      return i.message;
  }
}
