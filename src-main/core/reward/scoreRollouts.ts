// `score --rollouts`: an MM-PRM rollout file scored by a registered PRM's ONNX folder into a scored copy.
import type { FieldMap, RolloutShape } from '../../../src-shared/domain';
import type { ImportLimits } from '../../../src-shared/jobConfigs';
import { limitsOf } from '../data/limits';
import { UserError } from '../errors';
import type { Store } from '../store';
import { scoreRolloutsFile } from './rollouts';
import { openPrm } from './scoreJob';
import { PrmScorer } from './scorer';

export interface ScoreRolloutsResult {
  prm: string;
  shape: RolloutShape | null;
  shapeFrom: string;
  items: number;
  solutions: number;
  steps: number;
  path: string;
  /** wall time of the scoring, rounded to 10 ms */
  seconds: number;
}

export async function scoreRollouts(store: Store, o: { prm: string; rollouts: string; out: string; shape?: RolloutShape; fields?: FieldMap; imageRoot?: string; allowOutside?: boolean; limits?: ImportLimits }): Promise<ScoreRolloutsResult> {
  const prm = await openPrm(store, o.prm);
  try {
    if (!(prm.scorer instanceof PrmScorer)) throw new UserError(`--rollouts scores with a PRM's ONNX folder; "${o.prm}" is an endpoint (score stored solutions or searches with it instead)`);
    const t0 = performance.now();
    const r = await scoreRolloutsFile(prm.scorer, o.rollouts, o.out, { shape: o.shape, fields: o.fields, imageRoot: o.imageRoot, allowOutside: o.allowOutside, limits: limitsOf(o.limits) });
    const seconds = (performance.now() - t0) / 1000;
    return { prm: prm.label, shape: r.shape, shapeFrom: r.shapeFrom, items: r.items, solutions: r.solutions, steps: r.steps, path: r.path, seconds: Number(seconds.toFixed(2)) };
  } finally {
    await prm.release();
  }
}
