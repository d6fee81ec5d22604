// The `steplab` command: shapes of output, --json, exit codes and one-line errors.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { latestSchemaVersion } from '../src-main/core/store/db';
import { cli, startCli } from './helpers/cli';
import { tempDir } from './helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
let ws: string;
beforeEach(() => {
  tmp = tempDir();
  ws = join(tmp.dir, 'ws');
});
afterEach(() => tmp.cleanup());

function problemsFile(name = 'p.jsonl', lines?: string[]): string {
  const f = join(tmp.dir, name);
  writeFileSync(f, (lines ?? ['{"id":"a","question":"1+1?","answer":"2","split":"train"}', '{"id":"b","question":"2+2?","answer":"4","split":"test","reference_steps":[{"text":"2 + 2 = 4","value":4}]}']).join('\n') + '\n');
  return f;
}

describe('steplab CLI', () => {
  it('init, import, datasets, export round trip with --json', async () => {
    expect((await cli('init', ws)).out[0]).toMatch(/^workspace ready at .* \(schema \d+\)$/);
    const imp = await cli('import', problemsFile(), '--workspace', ws, '--dataset', 'd', '--json');
    expect(imp.code).toBe(0);
    expect(JSON.parse(imp.out[0])).toEqual({ imported: 2, images: 0, skipped: 0 });
    const text = await cli('import', problemsFile('q.jsonl', ['{"id":"c","question":"3+3?","answer":"6"}']), '--workspace', ws, '--dataset', 'd');
    expect(text.out).toEqual(['imported 1 problems (0 images)']);
    const ds = JSON.parse((await cli('datasets', '--workspace', ws, '--json')).out[0]);
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ name: 'd', problemCount: 3, version: 2, splits: { train: 1, test: 1, '(none)': 1 } });
    const table = (await cli('datasets', '--workspace', ws)).out[0];
    expect(table).toMatch(/name +version +problems +images +splits/);
    expect(table).toMatch(/d +v2 +3 +0/);
    const out = join(tmp.dir, 'export', 'test.jsonl');
    const ex = await cli('export', 'problems', '--workspace', ws, '--dataset', 'd', '--format', 'jsonl', '--out', out, '--split', 'test', '--json');
    expect(JSON.parse(ex.out[0])).toMatchObject({ written: 1, images: 0 });
    const row = JSON.parse(readFileSync(out, 'utf8').trim());
    expect(row).toMatchObject({ id: 'b', question: '2+2?', answer: '4', split: 'test', reference_steps: [{ text: '2 + 2 = 4', value: 4 }] });
    const lim = await cli('export', 'problems', '--workspace', ws, '--dataset', 'd', '--out', out, '--limit', '2', '--json');
    expect(JSON.parse(lim.out[0]).written).toBe(2);
    const ann = await cli('export', 'annotations', '--workspace', ws, '--dataset', 'd', '--format', 'trl', '--out', join(tmp.dir, 'a.jsonl'), '--json');
    expect(JSON.parse(ann.out[0])).toMatchObject({ written: 0 });
    const jobs = JSON.parse((await cli('jobs', '--workspace', ws, '--json')).out[0]);
    expect(jobs.map((j: { kind: string; state: string }) => `${j.kind}:${j.state}`)).toEqual(['import:done', 'import:done']);
  });

  it('user errors exit 1 with one line and no stack trace', async () => {
    const cases: [string[], RegExp][] = [
      [['datasets', '--workspace', join(tmp.dir, 'none')], /^error: .*none is not a Steplab workspace \(no steplab.db\); create one with: steplab init/],
      [['datasets', '--workspace', problemsFile('plain.jsonl')], /^error: .*plain\.jsonl is a file, not a workspace folder: give the folder that holds steplab\.db$/],
      [['init', problemsFile('plain2.jsonl')], /^error: .*plain2\.jsonl is a file, not a workspace folder: give the folder that holds steplab\.db, or a new folder to create one in$/],
      [['import', join(tmp.dir, 'missing.jsonl'), '--workspace', ws, '--dataset', 'd'], /^error: file not found: /],
      [['import', problemsFile('bad.jsonl', ['{"id":"a","question":"q","answer":"1"}', '{nope']), '--workspace', ws, '--dataset', 'd'], /^error: bad\.jsonl line 2: not valid JSON \(/],
      [['export', 'problems', '--workspace', ws, '--dataset', 'ghost', '--out', join(tmp.dir, 'x.jsonl')], /^error: dataset "ghost" not found/],
      [['export', 'annotations', '--workspace', ws, '--dataset', 'd', '--format', 'csv', '--out', join(tmp.dir, 'x.jsonl')], /^error: export annotations: --format must be one of trl, mmprm, math-shepherd, prm800k/],
      [['export', 'problems', '--workspace', ws, '--dataset', 'd', '--out', join(tmp.dir, 'x.jsonl'), '--limit', '0'], /--limit.*must be a positive integer/],
      [['import', problemsFile(), '--workspace', ws], /required option '--dataset <name>' not specified/],
      [['frobnicate'], /unknown command 'frobnicate'/],
    ];
    await cli('init', ws);
    for (const [args, msg] of cases) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err[0], args.join(' ')).toMatch(msg);
      expect(r.err.join('\n')).not.toMatch(/\n\s+at /);
    }
    // the failed import changed nothing
    expect(JSON.parse((await cli('datasets', '--workspace', ws, '--json')).out[0])).toEqual([]);
  });

  it('import --field and --image-root: rows read as mapped; a bad spec, column or folder is one line and writes nothing', async () => {
    await cli('init', ws);
    const f = problemsFile('geo.jsonl', ['{"id":1,"problem_text":"Find x.","gt":"3","img":""}', '{"id":2,"problem_text":"Find y.","gt":"4","img":null}']);
    const cases: [string[], string][] = [
      [['--field', 'prompt=problem_text'], 'error: --field "prompt=problem_text": unknown field "prompt" (fields: id, question, answer, answer_type, images, split, source, tags)'],
      [['--field', 'question=problem_txt'], 'error: --field question=problem_txt: geo.jsonl line 1 has no column "problem_txt" (columns: id, problem_text, gt, img)'],
      [['--field', 'question'], 'error: --field "question": write <field>=<column>, e.g. --field question=problem_text (fields: id, question, answer, answer_type, images, split, source, tags)'],
      [['--image-root', join(tmp.dir, 'nope')], `error: --image-root ${join(tmp.dir, 'nope')}: no such folder`],
    ];
    for (const [args, line] of cases) {
      const r = await cli('import', f, '--workspace', ws, '--dataset', 'g', ...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err, args.join(' ')).toEqual([line]);
    }
    expect(JSON.parse((await cli('datasets', '--workspace', ws, '--json')).out[0])).toEqual([]);
    const ok = await cli('import', f, '--workspace', ws, '--dataset', 'g', '--field', 'question=problem_text', '--field', 'answer=gt', '--field', 'images=img', '--image-root', tmp.dir, '--json');
    expect(ok.code, ok.err.join('\n')).toBe(0);
    expect(JSON.parse(ok.out[0])).toEqual({ imported: 2, images: 0, skipped: 0 });
  });

  it('--skip-bad imports the good lines and reports the bad ones', async () => {
    await cli('init', ws);
    const f = problemsFile('mixed.jsonl', ['{"id":"a","question":"q","answer":"1"}', '{"id":"b","question":"q2"}', 'oops', '{"id":"c","question":"q3","answer":"3"}']);
    const r = await cli('import', f, '--workspace', ws, '--dataset', 'd', '--skip-bad');
    expect(r.out[0]).toBe('imported 2 problems (0 images)');
    expect(r.out[1]).toMatch(/^skipped 2 bad lines; report: .*mixed\.jsonl\.import-errors\.jsonl$/);
    const report = readFileSync(r.out[1].split('report: ')[1], 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(report).toEqual([
      { line: 2, message: 'mixed.jsonl line 2: field "answer": required' },
      { line: 3, message: expect.stringMatching(/^mixed\.jsonl line 3: not valid JSON/) },
    ]);
  });

  it('verify prints a verdict per line and a summary; --json as objects', async () => {
    const f = join(tmp.dir, 'v.jsonl');
    writeFileSync(
      f,
      [
        { answer: '12', prediction: '7 + 5 = 12\nAnswer: 12' },
        { answer: '1/2', prediction: 'so \\boxed{0.5}' },
        { answer: 'B', prediction: 'The answer is (C).', answer_type: 'choice' },
        { answer: '3', prediction: 'I am not sure about this one.\nLet me think again.' },
        { answer: 7, prediction: '7' },
      ]
        .map((x) => JSON.stringify(x))
        .join('\n') + '\n\n',
    );
    const r = await cli('verify', f, '--json');
    expect(r.code).toBe(0);
    expect(r.out.map((l) => JSON.parse(l))).toEqual([
      { line: 1, verdict: 'correct', extracted: '12' },
      { line: 2, verdict: 'correct', extracted: '0.5' },
      { line: 3, verdict: 'incorrect', extracted: '(C)' },
      { line: 4, verdict: 'unparseable', extracted: null },
      { line: 5, verdict: 'correct', extracted: '7' },
      { total: 5, correct: 3, incorrect: 1, unparseable: 1 },
    ]);
    const plain = await cli('verify', f);
    expect(plain.out[0]).toBe('line 1: correct (extracted "12")');
    expect(plain.out[3]).toBe('line 4: unparseable (no answer found)');
    expect(plain.out.at(-1)).toBe('5 lines: 3 correct (60.0%), 1 incorrect, 1 unparseable');
    writeFileSync(f, '{"answer":"1","prediction":"1"}\n{"answer":"1"}\n');
    const bad = await cli('verify', f);
    expect(bad.code).toBe(1);
    expect(bad.err).toEqual(['error: line 2: field "prediction": required']);
    writeFileSync(f, '{"answer":"1","prediction":"1","answer_type":"vector"}\n');
    expect((await cli('verify', f)).err[0]).toBe('error: line 1: field "answer_type": must be one of number, fraction, choice, expression, text (or MathVista\'s integer, float, list)');
  });

  it('verify reads a row\'s choices, MathVista precision and answer types, and ordered', async () => {
    const f = join(tmp.dir, 'mv.jsonl');
    const rows = [
      // MathVista: a float gold with precision 1, the model wrote two places
      { answer: '1.2', prediction: 'So the distance is 1.23 m. The answer is 1.23', answer_type: 'float', precision: 1 },
      // the same without precision is wrong
      { answer: '1.2', prediction: 'The answer is 1.23', answer_type: 'float' },
      // a choice's value for its letter, when the row lists the choices
      { answer: 'B', prediction: 'The answer is 45', choices: ['30', '45', '60'] },
      // an integer gold
      { answer: '7', prediction: 'there are 7 apples', answer_type: 'integer' },
      // an unbracketed gold list is ordered unless the row says it is a set
      { answer: '10, 4, -2', prediction: 'The answer is 4, 10, -2' },
      { answer: '10, 4, -2', prediction: 'The answer is 4, 10, -2', ordered: false },
    ];
    writeFileSync(f, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const r = await cli('verify', f, '--json');
    expect(r.code).toBe(0);
    expect(r.out.slice(0, 6).map((l) => JSON.parse(l).verdict)).toEqual(['correct', 'incorrect', 'correct', 'correct', 'incorrect', 'correct']);
    writeFileSync(f, '{"answer":"1.2","prediction":"1.2","precision":1.5}\n');
    const bad = await cli('verify', f);
    expect(bad.code).toBe(1);
    expect(bad.err).toEqual(['error: line 1: field "precision": must be a whole number of decimal places (0-12)']);
  });

  it('serve prints a loopback URL with a token and stops on SIGTERM', async () => {
    await cli('init', ws);
    // a built renderer of its own (the build itself is serve-build.test.ts's)
    const rendererDir = join(tmp.dir, 'renderer');
    mkdirSync(rendererDir);
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>t</title>');
    const { child, done } = startCli(['serve', '--workspace', ws], { STEPLAB_RENDERER_DIR: rendererDir });
    const url = await new Promise<string>((resolve, reject) => {
      let buf = '';
      child.stdout!.on('data', (d) => {
        buf += d;
        const m = buf.match(/open (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/);
        if (m) resolve(m[1]);
      });
      child.on('exit', () => reject(new Error(`serve exited: ${buf}`)));
    });
    const u = new URL(url);
    const ok = await fetch(`${u.origin}/api/workspace.info`, { method: 'POST', headers: { authorization: `Bearer ${u.searchParams.get('token')}`, 'content-type': 'application/json' }, body: '{}' });
    expect(ok.status).toBe(200);
    expect((await ok.json()).schemaVersion).toBe(latestSchemaVersion());
    const no = await fetch(`${u.origin}/api/workspace.info`, { method: 'POST', body: '{}' });
    expect(no.status).toBe(401);
    child.kill('SIGTERM');
    expect((await done).code).toBe(0);
  });
});
