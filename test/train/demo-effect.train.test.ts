// The direction of the demo's PRM effect, on a small split (issue "A demo that demonstrates", Tests): the
// bundled tiny-policy writes 8 candidates for each of the first 100 val problems, the bundled tiny-prm scores
// them through Steplab's own Best-of-N job (onnxruntime-node), and within a problem a correct candidate's
// min step score must beat an incorrect one's at least 5 points above chance. The full reproduction and
// its tables are `npm run reproduce`, not a test; the cycle that trains and registers is cycle.train.test.ts.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { tempDir } from '../helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let ws: string;

beforeAll(async () => {
  tmp = tempDir();
  ws = join(tmp.dir, 'ws');
  expect((await cli('init', ws, '--demo')).code).toBe(0);
});
afterAll(() => tmp?.cleanup());

describe('the bundled PRM on 100 val problems', () => {
  it('ranks a correct candidate above an incorrect one of the same problem at least 5 points above chance', async () => {
    const r = await cli('bon', '--workspace', ws, '--dataset', 'demo', '--split', 'val', '--policy', 'tiny-policy', '--prm', 'tiny-prm', '--n', '8', '--limit', '100', '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    const res = JSON.parse(r.out.at(-1)!) as { splits: Record<string, { pairwise: { accuracy: number; pairs: number; problems: number; interval: [number, number] } }> };
    const pw = res.splits.val.pairwise;
    // enough pairs for the number to mean something: problems with both a right and a wrong candidate
    expect(pw.problems).toBeGreaterThanOrEqual(40);
    expect(pw.accuracy, `pairwise ${(100 * pw.accuracy).toFixed(1)}% over ${pw.pairs} pairs, 95% interval ${pw.interval.map((x) => (100 * x).toFixed(1)).join('–')}`).toBeGreaterThanOrEqual(0.55);
  });
});
