// The annotation sets' counts (annotations.sets) are kept by the schema (migration 012) instead of counted
// over every annotation and labelled step on each call: they must read exactly what that count read, after
// every kind of write: a search's annotations, a label import, a relabel, a rename, a split, a merge, a
// delete; and a workspace of the version before gets them filled in when it is migrated.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../src-main/core/dispatch';
import { mergeWorkspaces } from '../src-main/core/merge/merge';
import { openWorkbench } from '../src-main/core/workbench';
import type { DB } from '../src-main/core/store/db';
import { searchWorkspace, type SearchWorkspace } from './helpers/searchWorkspace';
import { tempDir } from './helpers/tmp';

const LABELS = join(import.meta.dirname, 'fixtures', 'labels');
let ws: SearchWorkspace;
let tmp: ReturnType<typeof tempDir>;

beforeAll(async () => {
  ws = await searchWorkspace({ count: 2 });
  tmp = tempDir('steplab-set-counts-');
}, 120_000);
afterAll(async () => {
  await ws?.cleanup();
  tmp?.cleanup();
});

/** The sets as annotations.sets counted them before migration 012: over the annotations and their steps. */
function countedSets(db: DB) {
  return db
    .prepare(
      `SELECT a.set_name AS name, count(*) AS annotations, count(DISTINCT a.problem_id) AS problems,
              (SELECT count(*) FROM annotation_steps s JOIN annotations b ON b.id = s.annotation_id WHERE b.set_name = a.set_name) AS steps,
              count(DISTINCT a.search_id) AS searches, min(a.created_at) AS createdAt
       FROM annotations a GROUP BY a.set_name ORDER BY min(a.id) DESC`,
    )
    .all();
}

type SetRow = { name: string; annotations: number; steps: number };
const sets = () => dispatch(ws.wb.handlers, 'annotations.sets', {}) as Promise<SetRow[]>;

async function expectCountsAgree(): Promise<unknown[]> {
  const got = await sets();
  expect(got).toEqual(countedSets(ws.wb.store.db));
  return got;
}

async function importLabels(file: string, dataset: string, setName?: string): Promise<void> {
  const job = await ws.wb.runner.wait(ws.wb.runner.submit('import-labels', { path: file, dataset, ...(setName ? { setName } : {}) }).id);
  expect(job.state, job.error ?? '').toBe('done');
}

describe('annotation set counts kept by the schema', () => {
  it('read what the count over annotations and steps reads, after searches, imports, a relabel, a rename, a split and a delete', async () => {
    expect((await expectCountsAgree()).length).toBeGreaterThan(0);
    await importLabels(join(LABELS, 'openr', 'math-aps-tree.jsonl'), 'openr');
    await importLabels(join(LABELS, 'openr', 'math-aps.jsonl'), 'openr', 'flat');
    const after = (await expectCountsAgree()) as { name: string; steps: number }[];
    expect(after.map((s) => s.name)).toEqual(expect.arrayContaining(['math-aps-tree', 'flat']));
    expect(after.find((s) => s.name === 'math-aps-tree')!.steps).toBe(33);

    const [search] = ws.omega;
    const ann = ws.wb.store.annotations.forSearch(search)[0];
    await dispatch(ws.wb.handlers, 'annotations.edit', { annotationId: ann.id, stepIdx: 0, action: 'relabel', value: 0 });
    await dispatch(ws.wb.handlers, 'annotations.edit', { annotationId: ann.id, action: 'reject' });
    await expectCountsAgree();

    await dispatch(ws.wb.handlers, 'manage.rename', { kind: 'annotationSet', ref: 'flat', newName: 'flat-renamed' });
    expect(((await expectCountsAgree()) as { name: string }[]).map((s) => s.name)).toContain('flat-renamed');

    const searchSet = ws.wb.store.db.prepare('SELECT set_name AS s FROM annotations WHERE search_id = ? LIMIT 1').get(search) as { s: string };
    await dispatch(ws.wb.handlers, 'annotations.split', { set: searchSet.s, val: 0.5, seed: 1 });
    expect(((await expectCountsAgree()) as { name: string }[]).map((s) => s.name)).toEqual(expect.arrayContaining([`${searchSet.s}-train`, `${searchSet.s}-val`]));

    await dispatch(ws.wb.handlers, 'manage.delete', { kind: 'annotationSet', ref: 'flat-renamed', confirm: true });
    expect(((await expectCountsAgree()) as { name: string }[]).map((s) => s.name)).not.toContain('flat-renamed');
  }, 120_000);

  it('follow a merge of another workspace into this one (its sets added, a shared set grown)', async () => {
    const other = join(tmp.dir, 'other');
    const wb = openWorkbench(other, { create: true });
    try {
      const job = await wb.runner.wait(wb.runner.submit('import-labels', { path: join(LABELS, 'openr', 'math-aps.jsonl'), dataset: 'openr', setName: 'math-aps-tree' }).id);
      expect(job.state, job.error ?? '').toBe('done');
    } finally {
      await wb.close();
    }
    const before = (await sets()).find((s) => s.name === 'math-aps-tree')!;
    mergeWorkspaces([other], ws.wb.store.paths.dir);
    const got = ((await expectCountsAgree()) as { name: string; annotations: number }[]).find((s) => s.name === 'math-aps-tree')!;
    expect(got.annotations).toBeGreaterThan(before.annotations);
  }, 120_000);

  it('are filled in when a workspace of schema version 11 is migrated', async () => {
    const dir = join(tmp.dir, 'v11');
    mkdirSync(dir, { recursive: true });
    ws.wb.store.db.exec(`VACUUM INTO '${join(dir, 'steplab.db').replaceAll("'", "''")}'`);
    const want = await sets();
    const raw = new Database(join(dir, 'steplab.db'));
    raw.exec(`DROP TRIGGER annotation_set_counts_insert; DROP TRIGGER annotation_set_counts_step; DROP TRIGGER annotation_set_counts_delete_steps;
      DROP TRIGGER annotation_set_counts_delete; DROP TRIGGER annotation_set_counts_move; DROP INDEX annotations_by_set_time;
      DROP TABLE annotation_set_counts; DROP TABLE annotation_set_problems; DROP TABLE annotation_set_searches;`);
    raw.pragma('user_version = 11');
    raw.close();
    const wb = openWorkbench(dir);
    try {
      expect(await dispatch(wb.handlers, 'annotations.sets', {})).toEqual(want);
    } finally {
      await wb.close();
    }
  });
});
