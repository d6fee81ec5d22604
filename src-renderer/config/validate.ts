// Checks a JSON config text against a zod schema and says where each problem is: a syntax error at its
// line and column, and each schema issue on the key or value its path names (or, for a missing key, on the
// object that lacks it). The result feeds both Monaco's inline markers and a readable list under the
// editor. Pure: no Monaco, no DOM, so it is tested in plain Node.
import { z } from 'zod';
import type { EditorMarker } from './markers';
import { formatZodIssue } from '../../src-shared/zodMessage';

export interface ConfigIssue {
  /** the offending path, dotted ("config.rolloutBudget", "edits.0.value"); "" for the whole text */
  path: string;
  message: string;
  line: number;
  column: number;
}

export interface ConfigCheck<T> {
  /** the parsed, schema-checked value when there is no issue */
  value: T | null;
  issues: ConfigIssue[];
  markers: EditorMarker[];
}

/** A JSON value with the offsets it spans in the text ([start, end)), and for keys the key's own span. */
interface Node {
  start: number;
  end: number;
  keyStart?: number;
  keyEnd?: number;
  children?: Map<string, Node>;
}

/** The JSON Schema Monaco validates with, made from the zod schema (input side: defaults make keys optional). */
export function jsonSchemaOf(schema: z.ZodType): object {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as object;
}

/** Line and column (1-based) of an offset. */
export function positionAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: Math.min(offset, text.length) - lineStart + 1 };
}

/** Offsets of every value of a text JSON.parse accepted (so the walk can trust its syntax). */
function locate(text: string): Node {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const str = (): void => {
    i++; // opening quote
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
  };
  const value = (): Node => {
    ws();
    const start = i;
    const c = text[i];
    if (c === '{' || c === '[') {
      const children = new Map<string, Node>();
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      let index = 0;
      while (text[i] !== close && i < text.length) {
        if (c === '{') {
          const keyStart = i;
          str();
          const key = JSON.parse(text.slice(keyStart, i)) as string;
          const keyEnd = i;
          ws();
          i++; // colon
          const v = value();
          children.set(key, { ...v, keyStart, keyEnd });
        } else {
          children.set(String(index++), value());
        }
        ws();
        if (text[i] === ',') i++;
        ws();
      }
      i++;
      return { start, end: i, children };
    }
    if (c === '"') str();
    else while (i < text.length && /[^\s,\]}]/.test(text[i])) i++;
    return { start, end: i };
  };
  return value();
}

function syntaxIssue(text: string, err: Error): ConfigIssue {
  const m = /position (\d+)/.exec(err.message);
  const at = m ? Number(m[1]) : text.length;
  const { line, column } = positionAt(text, at);
  const message = err.message.replace(/^JSON\.parse: /, '').replace(/ in JSON at position \d+.*$/, '');
  return { path: '', message: text.trim() === '' ? 'the config is empty: write a JSON object' : `not valid JSON: ${message}`, line, column };
}

/** Checks `text` against `schema`; every problem comes back with its place. */
export function validateConfig<T>(text: string, schema: z.ZodType<T>): ConfigCheck<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const issue = syntaxIssue(text, e as Error);
    return { value: null, issues: [issue], markers: [toMarker(issue, 1)] };
  }
  const r = schema.safeParse(raw);
  if (r.success) return { value: r.data, issues: [], markers: [] };
  const root = locate(text);
  const issues: ConfigIssue[] = [];
  const markers: EditorMarker[] = [];
  for (const issue of r.error.issues) {
    const path = issue.path.map(String);
    // the deepest node the path reaches; a missing key is marked on the object that lacks it
    let node = root;
    let reached = 0;
    for (const seg of path) {
      const next = node.children?.get(seg);
      if (!next) break;
      node = next;
      reached++;
    }
    const onKey = reached === path.length && node.keyStart !== undefined;
    const start = onKey ? node.keyStart! : node.start;
    const end = onKey ? node.keyEnd! : reached === path.length ? node.end : node.start + 1;
    const from = positionAt(text, start);
    const to = positionAt(text, end);
    const dotted = path.join('.');
    const message = formatZodIssue(issue);
    issues.push({ path: dotted, message, line: from.line, column: from.column });
    markers.push({ message, severity: 'error', startLineNumber: from.line, startColumn: from.column, endLineNumber: to.line, endColumn: to.column, source: 'schema' });
  }
  return { value: null, issues, markers };
}

function toMarker(issue: ConfigIssue, length: number): EditorMarker {
  return {
    message: issue.message,
    severity: 'error',
    startLineNumber: issue.line,
    startColumn: issue.column,
    endLineNumber: issue.line,
    endColumn: issue.column + length,
    source: 'schema',
  };
}
