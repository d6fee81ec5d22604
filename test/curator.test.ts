// Who curation records name: the account running Steplab until a name is set, then that name (kept in
// the config folder beside the recent workspaces), on every record the API writes without an author.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../src-main/core/dispatch';
import { openWorkbench, type Workbench } from '../src-main/core/workbench';
import { tempDir } from './helpers/tmp';

const tmp = tempDir('steplab-curator-');
process.env.STEPLAB_CONFIG_DIR = join(tmp.dir, 'config');
let wb: Workbench;

beforeAll(() => {
  wb = openWorkbench(join(tmp.dir, 'ws'), { create: true });
});
afterAll(async () => {
  await wb?.close();
  tmp.cleanup();
});

describe('curator name', () => {
  it('names the system account until one is set, then the name set, on every record', async () => {
    expect(await dispatch(wb.handlers, 'curator.get', {})).toEqual({ name: userInfo().username, source: 'system' });
    const { id: problemId } = wb.store.problems.upsert({ question: 'q', answer: '1', answerType: 'number', source: null, tags: [], imageHashes: [], meta: {} });
    const [ann] = wb.store.annotations.insertMany([{ problemId, steps: [{ text: 's', softLabel: 0.5 }] }]);
    await dispatch(wb.handlers, 'annotations.edit', { annotationId: ann, stepIdx: 0, action: 'relabel', value: 1 });
    expect(wb.store.annotations.get(ann).history.at(-1)!.author).toBe(userInfo().username);

    expect(await dispatch(wb.handlers, 'curator.set', { name: '  Ada   Lovelace ' })).toEqual({ name: 'Ada Lovelace', source: 'set' });
    expect(JSON.parse(readFileSync(join(tmp.dir, 'config', 'curator.json'), 'utf8'))).toMatchObject({ name: 'Ada Lovelace' });
    expect(await dispatch(wb.handlers, 'curator.get', {})).toEqual({ name: 'Ada Lovelace', source: 'set' });
    await dispatch(wb.handlers, 'annotations.editMany', { edits: [{ annotationId: ann, stepIdx: 0, action: 'relabel', value: 0 }] });
    expect(wb.store.annotations.get(ann).history.at(-1)!.author).toBe('Ada Lovelace');
    // an author given by the caller (the CLI's --author) still wins
    await dispatch(wb.handlers, 'annotations.edit', { annotationId: ann, stepIdx: 0, action: 'comment', comment: 'x', author: 'bob' });
    expect(wb.store.annotations.get(ann).history.at(-1)!.author).toBe('bob');
  });

  it('refuses an empty name and keeps the one set', async () => {
    await expect(dispatch(wb.handlers, 'curator.set', { name: '   ' })).rejects.toMatchObject({ code: 'bad_request' });
    expect(existsSync(join(tmp.dir, 'config', 'curator.json'))).toBe(true);
    expect(await dispatch(wb.handlers, 'curator.get', {})).toMatchObject({ name: 'Ada Lovelace' });
  });
});
