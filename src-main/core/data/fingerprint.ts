// A problem's content identity, computed without a workspace: the store keys problems by it, search
// shards split by it, tree and label imports find their problems by it.
import { createHash } from 'node:crypto';
import type { AnswerType } from '../../../src-shared/domain';

/** Content identity of a problem: the same question, answer and images are the same problem. */
export function problemFingerprint(p: { question: string; answer: string; answerType: AnswerType; imageHashes: readonly string[] }): string {
  return createHash('sha256')
    .update(JSON.stringify([p.question, p.answer, p.answerType, p.imageHashes]))
    .digest('hex');
}
