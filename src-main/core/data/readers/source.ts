// What the problem import reads a file through: a Source walks one file's records from a resumable
// position, one reader per format (jsonl.ts, mmprm-seed.ts, parquet.ts; index.ts picks one).

/**
 * Where to go on from: a byte offset and line number (JSONL), a byte offset and the number of items read
 * (the seed array), or a 0-based row index (Parquet; a seed array's position saved by an earlier version).
 */
export type Position = { offset: number; line: number } | { offset: number; index: number } | { index: number };

export interface SourceRecord {
  /** line, item or row number, counted from 1 */
  no: number;
  row?: unknown;
  /** set when the record could not even be parsed */
  error?: string;
  /** where to resume after this record */
  after: Position;
}

export interface Source {
  /** what a record is called in messages */
  unit: 'line' | 'item' | 'row';
  /** number of items or rows; null for JSONL (lines are not counted ahead) */
  total: number | null;
  records(from: Position): AsyncGenerator<SourceRecord>;
  /** lines, items or rows read up to a position */
  done(pos: Position): number;
  /** where a position is, for progress messages */
  describe(pos: Position): string;
  /** the columns a `--field` mapping may name, and where they were read (null: the file has no rows) */
  columns(): Promise<{ names: string[]; where: string } | null>;
}

/** A JSON object's keys (none for anything else): the columns a `--field` mapping may name. */
export const keysOf = (v: unknown): string[] => (typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.keys(v) : []);
