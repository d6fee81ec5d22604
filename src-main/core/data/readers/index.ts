// The problem file readers: the format read from the file itself, and the Source that walks it.
import { closeSync, openSync, readSync } from 'node:fs';
import type { ProblemFormat } from '../../../../src-shared/domain';
import type { Limits } from '../limits';
import { jsonlSource } from './jsonl';
import { seedSource } from './mmprm-seed';
import { parquetSource } from './parquet';
import type { Source } from './source';

/** Picks the format from the extension and the first bytes: `.parquet` / PAR1 magic, `[` (a JSON array), else JSONL. */
export function detectFormat(path: string): ProblemFormat {
  if (/\.parquet$/i.test(path)) return 'parquet';
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4096);
    const n = readSync(fd, head, 0, head.length, 0);
    if (n >= 4 && head.subarray(0, 4).toString('latin1') === 'PAR1') return 'parquet';
    let text = head.subarray(0, n).toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return text.trimStart().startsWith('[') ? 'mmprm-seed' : 'jsonl';
  } finally {
    closeSync(fd);
  }
}

export async function openSource(path: string, format: ProblemFormat, size: number, limits: Limits): Promise<Source> {
  if (format === 'parquet') return parquetSource(path);
  if (format === 'mmprm-seed') return seedSource(path, size, limits);
  return jsonlSource(path, size, limits);
}

