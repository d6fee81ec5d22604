// The workspace test/manage.test.ts and test/manage-cli.test.ts manage: rows of every kind, written
// through the store's repositories (no model is run), so that every count a delete reports is known.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Workbench } from '../../src-main/core/workbench';

const now = new Date().toISOString();

export type ManageFixture = ReturnType<typeof buildManageFixture>;

/**
 * Two datasets sharing one problem; a search job's two searches (one on the shared problem) with their
 * trees, events, node scores, kept rollouts, annotations (sets setA, setB), a curation edit and a
 * label-import record; a generated solution scored by two models; a Best-of-N evaluation on demo with its
 * own candidates; a cycle run on demo with two cycles, its solutions, a training row and the model it
 * registered; a judge model with a verdict.
 */
export function buildManageFixture(wb: Workbench, tmpDir: string) {
  const s = wb.store;
  const db = s.db;
  const job = (kind: string, config: unknown = {}, state = 'done'): number =>
    Number(db.prepare('INSERT INTO jobs (kind, config, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(kind, JSON.stringify(config), state, now, now).lastInsertRowid);
  const demo = s.datasets.getOrCreate('demo');
  const other = s.datasets.getOrCreate('other');
  const p = [0, 1, 2, 3, 4].map((i) => s.problems.upsert({ question: `What is ${i} + ${i}?`, answer: String(2 * i), answerType: 'number', source: null, tags: [], imageHashes: [], meta: {} }).id);
  for (let i = 0; i < 4; i++) s.datasets.addMember(demo, p[i], `d-${i}`, i < 3 ? 'train' : 'test');
  s.datasets.addMember(other, p[0], 'o-0', 'train');
  s.datasets.addMember(other, p[4], 'o-4', 'train');
  const model = (name: string, role: 'policy' | 'prm' | 'judge', inWorkspace = true): { id: number; path: string } => {
    const path = inWorkspace ? join(s.paths.modelsDir, `${name}-v1`) : join(tmpDir, 'elsewhere', name);
    mkdirSync(path, { recursive: true });
    writeFileSync(join(path, 'manifest.json'), '{}');
    return { id: s.models.register({ name, role, family: null, path, manifest: {} }).id, path };
  };
  const pol = model('pol', 'policy');
  const prm = model('prm1', 'prm');
  const polC1 = model('pol-c1', 'policy');
  const judge = model('judge1', 'judge');
  const outside = model('outside', 'prm', false);

  const sol = (problemId: number, steps: number, extra: { jobId?: number; cycleId?: number; parent?: number; modelId?: number } = {}): number =>
    s.solutions.insertMany([
      {
        problemId,
        modelId: extra.modelId ?? pol.id,
        finalAnswer: '0',
        verdict: 'correct',
        jobId: extra.jobId ?? null,
        cycleId: extra.cycleId ?? null,
        parentSolutionId: extra.parent ?? null,
        steps: Array.from({ length: steps }, (_, k) => ({ text: `step ${k}` })),
      },
    ])[0];

  // searches
  const jSearch = job('search', { dataset: 'demo', model: 'pol', algo: 'omega' });
  const search = (problemId: number, nodes: number): { id: number; nodes: number[] } => {
    const id = s.trees.createSearch({ problemId, modelId: pol.id, algorithm: 'omegaprm', config: {}, seed: 0, jobId: jSearch });
    const ids: number[] = [];
    for (let k = 0; k < nodes; k++) {
      ids.push(Number(db.prepare('INSERT INTO tree_nodes (search_id, parent_id, depth, step_text) VALUES (?, ?, ?, ?)').run(id, k ? ids[k - 1] : null, k, `n${k}`).lastInsertRowid));
    }
    return { id, nodes: ids };
  };
  const s1 = search(p[1], 3);
  const s2 = search(p[0], 2);
  db.prepare("INSERT INTO search_events (search_id, seq, kind, data) VALUES (?, 0, 'select', '{}'), (?, 1, 'rollout', '{}')").run(s1.id, s1.id);
  s.scores.setNodeScores(prm.id, [[s1.nodes[0], 0.5], [s1.nodes[1], 0.4]]);
  s.scores.setNodeScores(judge.id, [[s1.nodes[2], 0.9]]);
  db.prepare("INSERT INTO node_rollouts (node_id, correct, incorrect) VALUES (?, '[]', '[]')").run(s1.nodes[1]);
  db.prepare("INSERT INTO label_imports (hash, format, problem_id, search_id, job_id, created_at) VALUES ('h1', 'steplab-tree', ?, ?, NULL, ?)").run(p[1], s1.id, now);
  const ann = (problemId: number, searchId: number, set: string): number =>
    s.annotations.insertMany([{ problemId, searchId, setName: set, steps: [{ text: 'a', softLabel: 1 }, { text: 'b', softLabel: 0 }] }])[0];
  const a1 = ann(p[1], s1.id, 'setA');
  ann(p[1], s1.id, 'setA');
  ann(p[0], s2.id, 'setB');
  s.annotations.edit(a1, { stepIdx: 0, action: 'relabel', value: 0.5, text: null, comment: 'c', author: 'ada' });

  // a generated solution, scored by the PRM and the judge model
  const jGen = job('generate', { dataset: 'demo', model: 'pol' });
  const gen = sol(p[1], 2, { jobId: jGen });
  s.scores.setStepScores(prm.id, [{ solutionId: gen, scores: [0.1, 0.2] }]);
  s.scores.setStepScores(judge.id, [{ solutionId: gen, scores: [0.3] }]);
  db.prepare("INSERT INTO judge_verdicts (model_id, prompt_version, answer_type, gold, source, answer, verdict, raw, created_at) VALUES (?, 1, 'number', '2', 'extracted', '2', 'YES', 'YES', ?)").run(judge.id, now);

  // a Best-of-N evaluation with its own two candidates
  const jBon = job('bon', { dataset: 'demo', split: 'test', policy: 'pol', prm: 'prm1', n: 2 });
  const ev = s.evaluations.create({ name: 'bon-1', datasetId: demo, policyId: pol.id, rewardId: prm.id, config: {}, jobId: jBon });
  const c1 = sol(p[3], 2, { jobId: jBon });
  const c2 = sol(p[3], 2, { jobId: jBon });
  s.scores.setStepScores(prm.id, [{ solutionId: c1, scores: [0.1, 0.2] }, { solutionId: c2, scores: [0.3, 0.4] }]);
  s.evaluations.addItems(ev, [{ problemId: p[3], solutionId: c1, scores: {} }, { problemId: p[3], solutionId: c2, scores: {} }]);

  // a cycle run with two cycles; cycle 1 registered pol-c1
  const jCyc = job('cycle', { name: 'run-1', dataset: 'demo', policy: 'pol' });
  const run = s.cycles.createRun({ name: 'run-1', config: {}, datasetId: demo, baseModelId: pol.id, jobId: jCyc });
  const cy0 = s.cycles.create({ name: 'run-1', runId: run, idx: 0, parentModelId: pol.id, config: {}, jobId: jCyc });
  const cy1 = s.cycles.create({ name: 'run-1', runId: run, idx: 1, parentModelId: pol.id, config: {}, jobId: jCyc });
  db.prepare('UPDATE cycles SET model_id = ? WHERE id = ?').run(polC1.id, cy1);
  db.prepare('DELETE FROM cycle_stages WHERE cycle_id IN (?, ?)').run(cy0, cy1);
  db.prepare("INSERT INTO cycle_stages (cycle_id, stage) VALUES (?, 'infer'), (?, 'evaluate'), (?, 'infer'), (?, 'evaluate')").run(cy0, cy0, cy1, cy1);
  const sample = sol(p[2], 1, { jobId: jCyc, cycleId: cy1 });
  const regen = sol(p[2], 1, { jobId: jCyc, cycleId: cy1, parent: sample });
  db.prepare("INSERT INTO cycle_examples (cycle_id, solution_id, source) VALUES (?, ?, 'corrected')").run(cy1, regen);
  return { p, demo, other, pol, prm, polC1, judge, outside, s1, s2, jSearch, jGen, jBon, jCyc, ev, run, gen };
}

