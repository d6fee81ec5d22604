// A small workspace written through the store for the Problems-view reads: a dataset with problems in
// two splits (some with images), solutions of two policies with verdicts, one PRM's step scores, a
// search tree whose nodes share step prefixes with some solutions, and an annotation with a curation edit.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { imagePath } from '../../src-main/core/data/images';
import { openWorkbench, type Workbench } from '../../src-main/core/workbench';
import type { AnswerType } from '../../src-shared/domain';

export interface BrowseFixture {
  wb: Workbench;
  ids: Record<string, number>;
  solutions: Record<string, number>;
  /** an image registered but whose file was never written */
  missingHash: string;
  presentHash: string;
}

const img = (hash: string) => ({ hash, mime: 'image/png', width: 4, height: 4, bytes: 10 });

export function browseFixture(dir: string): BrowseFixture {
  const wb = openWorkbench(join(dir, 'ws'), { create: true });
  const { store } = wb;
  const presentHash = 'a'.repeat(64);
  const missingHash = 'b'.repeat(64);
  store.images.insert(img(presentHash));
  store.images.insert(img(missingHash));
  const file = imagePath(store.paths.imagesDir, img(presentHash));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, 'not really a png');

  const ds = store.datasets.getOrCreate('d');
  const ids: Record<string, number> = {};
  const add = (ext: string, split: string, answerType: AnswerType, images: string[] = []) => {
    const p = store.problems.upsert({ question: `question ${ext}`, answer: '1', answerType, source: null, tags: [], imageHashes: images, meta: {} });
    store.datasets.addMember(ds, p.id, ext, split);
    ids[ext] = p.id;
  };
  add('solved', 'train', 'number', [presentHash, missingHash]);
  add('unsolved', 'train', 'fraction');
  add('nosol', 'test', 'number', [presentHash]);
  add('searched', 'test', 'choice');
  add('curated', 'test', 'number');

  const policy = store.models.register({ name: 'pol', role: 'policy', family: null, path: '/x', manifest: {} });
  const other = store.models.register({ name: 'pol2', role: 'policy', family: null, path: '/x', manifest: {} });
  const prm = store.models.register({ name: 'prm', role: 'prm', family: null, path: '/x', manifest: {} });
  store.models.register({ name: 'prm-unused', role: 'prm', family: null, path: '/x', manifest: {} });

  const [s1, s2, s3, s4, s5] = store.solutions.insertMany([
    { problemId: ids.solved, modelId: policy.id, finalAnswer: '2', verdict: 'incorrect', steps: [{ text: 'a' }, { text: 'b' }] },
    { problemId: ids.solved, modelId: policy.id, finalAnswer: '1', verdict: 'correct', steps: [{ text: 'a' }, { text: 'c' }, { text: 'd' }] },
    { problemId: ids.unsolved, modelId: policy.id, finalAnswer: '3', verdict: 'incorrect', steps: [{ text: 'x' }] },
    { problemId: ids.unsolved, modelId: other.id, finalAnswer: null, verdict: 'unparseable', steps: [{ text: 'y' }, { text: 'z' }] },
    { problemId: ids.searched, modelId: policy.id, finalAnswer: '1', verdict: 'correct', steps: [{ text: 'p' }, { text: 'q' }] },
  ]);
  store.scores.setStepScores(prm.id, [
    { solutionId: s1, scores: [0.9, 0.2] },
    { solutionId: s2, scores: [0.8, 0.7, 0.6] },
    { solutionId: s3, scores: [0.4] },
    { solutionId: s5, scores: [0.5, 0.95] },
  ]);

  // a search on "searched": root, then step p (MC 0.75), then q (MC 1) — the prefixes of solution s5
  const searchId = store.trees.createSearch({ problemId: ids.searched, modelId: policy.id, algorithm: 'omegaprm', config: {}, seed: 0 });
  const [root] = store.trees.insertNodes(searchId, [{ parent: null, depth: 0, stepText: '', mc: 0.5, rollouts: 8 }]);
  const [np] = store.trees.insertNodes(searchId, [{ parent: root, depth: 1, stepText: 'p', mc: 0.75, rollouts: 8, meta: { steps: ['p'] } }]);
  store.trees.insertNodes(searchId, [{ parent: np, depth: 2, stepText: 'q', mc: 1, rollouts: 4, meta: { steps: ['q'] } }]);
  store.annotations.insertMany([{ problemId: ids.searched, searchId, steps: [{ text: 'p', softLabel: 0.75 }] }]);

  // "curated": an annotation of its own with a relabel in force
  const [ann] = store.annotations.insertMany([{ problemId: ids.curated, steps: [{ text: 'k', softLabel: 0.2 }] }]);
  store.annotations.edit(ann, { stepIdx: 0, action: 'relabel', value: 0.9 });
  return { wb, ids, solutions: { s1, s2, s3, s4, s5 }, missingHash, presentHash };
}
