// The curation filter of annotation exports, through the API and the CLI on a real workspace: all
// (curated labels and texts applied), curated-only, uncurated-only, the search's original labels and
// texts instead, rejected paths left out unless asked, and undone edits counting as no edit.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../src-main/core/dispatch';
import { openWorkbench, type Workbench } from '../src-main/core/workbench';
import { cli } from './helpers/cli';
import { tempDir } from './helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let ws: string;
let wb: Workbench;
let questions: string[];
let ids: number[];

const readJsonl = (p: string): Record<string, any>[] => readFileSync(p, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

async function exportTrl(name: string, opts: Record<string, unknown> = {}): Promise<{ written: number; rows: Record<string, any>[] }> {
  // soft labels: these tests are about which labels curation puts in force, read as numbers
  const r = (await dispatch(wb.handlers, 'export.annotations', { dataset: 'demo', format: 'trl', setName: 'cur', softLabels: true, out: join(tmp.dir, name), ...opts })) as { written: number; path: string };
  // some demo problems have a picture: the rows are compared without the image paths
  return { written: r.written, rows: r.written ? readJsonl(r.path).map(({ images: _images, ...row }) => row) : [] };
}

beforeAll(async () => {
  tmp = tempDir();
  ws = join(tmp.dir, 'ws');
  const init = await cli('init', ws, '--demo', '--json');
  expect(init.code, init.err.join('\n')).toBe(0);
  wb = openWorkbench(ws);
  const problems = wb.store.problems.listInDataset(wb.store.datasets.requireId('demo'), { limit: 5 }).items;
  questions = problems.map((p) => p.question);
  // a0 relabelled, a1 text-edited, a2 rejected, a3 untouched, a4 relabelled then undone
  ids = wb.store.annotations.insertMany(
    problems.map((p, i) => ({ problemId: p.id, setName: 'cur', steps: [{ text: `a${i} first`, softLabel: 0.5 }, { text: `a${i} second`, softLabel: 0 }] })),
  );
  wb.store.annotations.edit(ids[0], { stepIdx: 1, action: 'relabel', value: 0.75, comment: 'right after all' });
  wb.store.annotations.edit(ids[1], { stepIdx: 0, action: 'text', text: 'a1 first, curated' });
  wb.store.annotations.edit(ids[2], { action: 'reject' });
  const { batch } = wb.store.annotations.editMany([{ annotationId: ids[4], stepIdx: 0, action: 'relabel', value: 1 }]);
  wb.store.annotations.setUndone(batch, true);
});
afterAll(async () => {
  await wb?.close();
  tmp?.cleanup();
});

describe('export.annotations: curation filter', () => {
  it('all (default): curated labels and texts, rejected left out', async () => {
    const { written, rows } = await exportTrl('all.jsonl');
    expect(written).toBe(4);
    expect(rows).toEqual([
      { prompt: questions[0], completions: ['a0 first', 'a0 second'], labels: [0.5, 0.75] },
      { prompt: questions[1], completions: ['a1 first, curated', 'a1 second'], labels: [0.5, 0] },
      { prompt: questions[3], completions: ['a3 first', 'a3 second'], labels: [0.5, 0] },
      { prompt: questions[4], completions: ['a4 first', 'a4 second'], labels: [0.5, 0] },
    ]);
  });

  it('curated-only and uncurated-only split the kept annotations (an undone edit is no edit)', async () => {
    const cur = await exportTrl('cur.jsonl', { curation: 'curated' });
    expect(cur.rows.map((r) => r.completions[1])).toEqual(['a0 second', 'a1 second']);
    const un = await exportTrl('un.jsonl', { curation: 'uncurated' });
    expect(un.rows.map((r) => r.completions[0])).toEqual(['a3 first', 'a4 first']);
  });

  it('original labels and texts instead of the curated ones', async () => {
    const { rows } = await exportTrl('orig.jsonl', { labels: 'original', curation: 'curated' });
    expect(rows).toEqual([
      { prompt: questions[0], completions: ['a0 first', 'a0 second'], labels: [0.5, 0] },
      { prompt: questions[1], completions: ['a1 first', 'a1 second'], labels: [0.5, 0] },
    ]);
  });

  it('rejected paths only when asked', async () => {
    const { rows } = await exportTrl('rej.jsonl', { includeRejected: true, curation: 'curated' });
    expect(rows.map((r) => r.completions[0])).toEqual(['a0 first', 'a1 first, curated', 'a2 first']);
  });

  it('math-shepherd writes the curated hard labels', async () => {
    const r = (await dispatch(wb.handlers, 'export.annotations', { dataset: 'demo', format: 'math-shepherd', setName: 'cur', curation: 'curated', out: join(tmp.dir, 'ms.jsonl') })) as { path: string };
    expect(readJsonl(r.path)[0].label).toBe(`${questions[0]} Step 1: a0 first +\nStep 2: a0 second +`);
  });

  it('refuses an unknown filter with the allowed values', async () => {
    await expect(dispatch(wb.handlers, 'export.annotations', { dataset: 'demo', format: 'trl', out: join(tmp.dir, 'x.jsonl'), curation: 'some' })).rejects.toMatchObject({
      code: 'bad_request',
      path: 'params.curation',
    });
  });
});

describe('steplab export annotations: curation options', () => {
  it('--curation curated --original-labels --include-rejected', async () => {
    await wb.close();
    try {
      const out = join(tmp.dir, 'cli.jsonl');
      const r = await cli('export', 'annotations', '--workspace', ws, '--dataset', 'demo', '--set', 'cur', '--format', 'trl', '--out', out, '--curation', 'curated', '--original-labels', '--include-rejected', '--json');
      expect(r.code, r.err.join('\n')).toBe(0);
      expect(JSON.parse(r.out.at(-1)!).written).toBe(3);
      // booleans by default: the original labels (0.5, 0) are good then bad
      expect(readJsonl(out).map((x) => [x.completions[0], x.labels])).toEqual([
        ['a0 first', [true, false]],
        ['a1 first', [true, false]],
        ['a2 first', [true, false]],
      ]);
      const bad = await cli('export', 'annotations', '--workspace', ws, '--dataset', 'demo', '--format', 'trl', '--out', out, '--curation', 'edited');
      expect(bad.code).not.toBe(0);
      expect(bad.err.join('\n')).toContain('export annotations: --curation must be one of all, curated, uncurated (got "edited")');
    } finally {
      wb = openWorkbench(ws);
    }
  });
});
