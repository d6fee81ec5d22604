// Math-Shepherd's brute-force Monte-Carlo labelling (Wang et al. 2023): sample solutions, then estimate
// the MC of every step prefix with k completions. The baseline OmegaPRM's binary search is measured against.
import type { MathShepherdConfig } from './config';
import { SearchRun, type SearchOptions } from './searchRun';
import type { SearchPorts, SearchResult } from './types';

/**
 * Samples `samplesPerSolution` solutions from the question (the root's batch, so the root's MC is their
 * pass rate), then gives every distinct step prefix 1..M of every sample k completions, in sample order
 * and then prefix order. Samples sharing a prefix share its node (and pay for it once), so the policy
 * makes 1 + P calls and samplesPerSolution + P·k rollouts for P distinct prefixes: O(kM) per solution.
 * The full solution is a prefix like the others (k completions, marked terminal). Along each sample, the
 * first prefix with MC = 0 after one with MC > 0 is marked `firstError`, the label the binary search
 * would find with monotone MC.
 */
export async function runMathShepherd(config: MathShepherdConfig, ports: SearchPorts, opts: SearchOptions = {}): Promise<SearchResult> {
  const run = new SearchRun(ports, opts);
  const { tree } = run;
  const root = tree.root;
  const samples = await run.rollOut(root, config.samplesPerSolution);

  for (const sample of samples) {
    let before = root.mc ?? 0;
    let marked = false;
    for (let len = 1; len <= sample.steps.length; len++) {
      const prefix = sample.steps.slice(0, len);
      let node = tree.find(prefix);
      if (!node) {
        node = tree.add(prefix, { rollouts: 0, correct: 0, mc: null, terminal: false });
        await run.rollOut(node, config.k);
      }
      if (len === sample.steps.length) node.terminal = true;
      const mc = node.mc ?? 0;
      if (!marked && mc === 0 && before > 0) {
        marked = true;
        if (!node.firstError) {
          node.firstError = true;
          run.emit({ kind: 'first-error', node: node.id, depth: node.depth });
        }
      }
      before = mc;
    }
  }
  return run.finish('done');
}
