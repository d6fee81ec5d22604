// Step scores a PRM produced elsewhere (`steplab bench-prm --scores <file>`): the parser is shared with the
// renderer's launch form (src-shared/benchScores.ts); here the file's text is hashed and a refusal becomes
// the one-line user error every door shows.
import { createHash } from 'node:crypto';
import { parseScoresText, ScoresFileError, type ScoresFile } from '../../../src-shared/benchScores';
import { UserError } from '../errors';

export type { ScoresFile, ScoresLine } from '../../../src-shared/benchScores';

/** Parses a scores file's text; a one-line error names the file and line of the first problem. */
export function parseScoresFile(text: string, file: string): ScoresFile {
  const sha256 = createHash('sha256').update(text).digest('hex');
  try {
    return { ...parseScoresText(text, file), sha256 };
  } catch (e) {
    if (e instanceof ScoresFileError) throw new UserError(e.message);
    throw e;
  }
}
