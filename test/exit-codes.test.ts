// Exit codes 0, 1, 2 only; one line for every failure a person can act on, no stack trace; an internal
// error names the log file with its trace; refused requests leave no job row; jobs --prune.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../src-main/cli/main';
import { describeSystemError } from '../src-main/core/errors';
import { cli, runCli, startCli } from './helpers/cli';
import { tempDir } from './helpers/tmp';

const ROOT = join(import.meta.dirname, '..');

let tmp: ReturnType<typeof tempDir>;
let ws: string;
beforeEach(() => {
  tmp = tempDir();
  ws = join(tmp.dir, 'ws');
});
afterEach(() => tmp.cleanup());

function writeProblems(file: string, n: number, start = 0): string {
  const lines: string[] = [];
  for (let i = start; i < start + n; i++) lines.push(JSON.stringify({ id: `p${i}`, question: `What is ${i} + 1?`, answer: String(i + 1), split: i % 5 === 0 ? 'test' : 'train' }));
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** Every table's row count, read through a separate connection: "nothing changed" is these being equal. */
function snapshot(dir = ws): Record<string, number> {
  const db = new Database(join(dir, 'steplab.db'), { readonly: true });
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((r) => r.name);
    return Object.fromEntries(tables.map((t) => [t, (db.prepare(`SELECT count(*) AS n FROM "${t}"`).get() as { n: number }).n]));
  } finally {
    db.close();
  }
}

const noTrace = (lines: string[]): void => expect(lines.join('\n')).not.toMatch(/\n\s+at |SqliteError|Error:/);

describe('internal errors', () => {
  it('print one line naming a log file with the trace, exit 2; --debug prints the trace too', async () => {
    const config = join(tmp.dir, 'config');
    const before = process.env.STEPLAB_CONFIG_DIR;
    process.env.STEPLAB_CONFIG_DIR = config;
    try {
      await cli('init', ws);
      const err: string[] = [];
      // a bug in the command's own code: writing its output throws
      const io = { out: () => { throw new TypeError('cannot print'); }, err: (l: string) => err.push(l), tty: false };
      const code = await main(['datasets', '--workspace', ws], io);
      expect(code).toBe(2);
      expect(err).toHaveLength(1);
      const m = /^internal error: cannot print \(trace in (.+\.log); --debug prints it here\)$/.exec(err[0]);
      expect(m, err[0]).not.toBeNull();
      expect(m![1].startsWith(join(config, 'logs'))).toBe(true);
      const log = readFileSync(m![1], 'utf8');
      expect(log).toContain('what: steplab datasets --workspace');
      expect(log).toMatch(/TypeError: cannot print\n\s+at /);
      // --debug: the same one line, and the trace on stderr too
      const traces: string[] = [];
      const write = process.stderr.write;
      process.stderr.write = ((chunk: string | Uint8Array) => (traces.push(String(chunk)), true)) as typeof process.stderr.write;
      const debugErr: string[] = [];
      try {
        expect(await main(['datasets', '--workspace', ws, '--debug'], { ...io, err: (l: string) => debugErr.push(l) })).toBe(2);
      } finally {
        process.stderr.write = write;
        delete process.env.STEPLAB_DEBUG;
      }
      expect(debugErr).toEqual([expect.stringMatching(/^internal error: cannot print \(trace in .+\.log; --debug prints it here\)$/)]);
      expect(traces.join('')).toMatch(/^TypeError: cannot print\n\s+at /);
    } finally {
      if (before === undefined) delete process.env.STEPLAB_CONFIG_DIR;
      else process.env.STEPLAB_CONFIG_DIR = before;
    }
  });
});

describe('a command left waiting on nothing', () => {
  it("exits 2 with one line, never Node's own 13 (bin/steplab.js, its main replaced by one that never settles)", async () => {
    // a module hook swaps the CLI's main for a promise that never settles: the real bin/steplab.js runs around it
    writeFileSync(join(tmp.dir, 'hooks.mjs'), "export async function resolve(s, c, next) { return /src-main\\/cli\\/main\\.ts$/.test(s) ? { url: new URL('./never.mjs', import.meta.url).href, shortCircuit: true } : next(s, c); }\n");
    writeFileSync(join(tmp.dir, 'never.mjs'), 'export function main() { return new Promise(() => {}); }\n');
    writeFileSync(join(tmp.dir, 'preload.mjs'), "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n");
    const r = spawnSync(process.execPath, ['--import', join(tmp.dir, 'preload.mjs'), join(ROOT, 'bin', 'steplab.js'), 'datasets'], { encoding: 'utf8' });
    expect(r.stderr).toBe('internal error: the command stopped before it finished (it was left waiting on nothing); run it again, with --debug for details\n');
    expect(r.status).toBe(2);
    // without the wrapper, Node itself ends such a program with 13
    const bare = spawnSync(process.execPath, ['--input-type=module', '-e', 'await new Promise(() => {})'], { encoding: 'utf8' });
    expect(bare.status).toBe(13);
  });
});

/** Makes a file read-only even for root (chattr +i where chmod is not enough); returns the undo, or null when it cannot. */
function makeReadOnly(file: string): (() => void) | null {
  const writable = (): boolean => {
    try {
      writeFileSync(file, '', { flag: 'a' });
      return true;
    } catch {
      return false;
    }
  };
  execFileSync('chmod', ['a-w', file]);
  if (!writable()) return () => execFileSync('chmod', ['u+w', file]);
  try {
    execFileSync('chattr', ['+i', file], { stdio: 'ignore' });
  } catch {
    return null;
  }
  return () => execFileSync('chattr', ['-i', file]);
}

describe('user errors: one line, exit 1, nothing changed', () => {
  it('a read-only workspace is read, and a write is refused in one line', async (t) => {
    await cli('init', ws);
    await cli('import', writeProblems(join(tmp.dir, 'p.jsonl'), 3), '--workspace', ws, '--dataset', 'd');
    const before = snapshot();
    const undo = makeReadOnly(join(ws, 'steplab.db'));
    if (!undo) return t.skip('neither chmod nor chattr can make a file read-only here');
    try {
      expect((await runCli(['datasets', '--workspace', ws])).stdout).toMatch(/^d +v1 +3 /m);
      const r = await runCli(['import', writeProblems(join(tmp.dir, 'q.jsonl'), 2, 10), '--workspace', ws, '--dataset', 'e']);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `error: cannot write to the workspace ${ws}: it is read-only (attempt to write a readonly database); give yourself write access to its folder and steplab.db, or copy the workspace to a folder you can write\n`,
      );
    } finally {
      undo();
    }
    expect(snapshot()).toEqual(before);
  });

  it('import refuses a file it cannot read as problems before any job is made', async () => {
    await cli('init', ws);
    const before = snapshot();
    const f = (name: string, data: Buffer | string): string => {
      const p = join(tmp.dir, name);
      writeFileSync(p, data);
      return p;
    };
    const line = '{"id":"a","question":"1+1?","answer":"2"}\n';
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(line, 'utf16le')]);
    const utf16NoBom = Buffer.from(line, 'utf16le');
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x1b, 0x5b, 0x32, 0x4a]), Buffer.alloc(64, 7)]);
    const gz = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03]);
    const latin1 = Buffer.from('{"id":"a","question":"caf\xe9?","answer":"2"}\n', 'latin1');
    mkdirSync(join(tmp.dir, 'folder'));
    const cases: [string, string][] = [
      [f('u16.jsonl', utf16), 'u16.jsonl is UTF-16LE (little-endian) text; Steplab reads UTF-8: convert it (for example: iconv -f UTF-16LE -t UTF-8 u16.jsonl > u16.utf8.jsonl) and import that'],
      [f('nobom.jsonl', utf16NoBom), 'nobom.jsonl is UTF-16LE (little-endian, no byte-order mark) text; Steplab reads UTF-8: convert it (for example: iconv -f UTF-16LE -t UTF-8 nobom.jsonl > nobom.utf8.jsonl) and import that'],
      [f('prog.jsonl', elf), "prog.jsonl is binary, not text (a NUL byte at offset 7; it starts with 7f 45 4c 46 02 01 01 00): Steplab imports JSONL, MM-PRM's seed JSON array or Parquet"],
      [f('p.jsonl.gz', gz), 'p.jsonl.gz is gzip-compressed, not text: unpack it first (gzip -dc p.jsonl.gz > p.jsonl.gz.unpacked) and import the file inside'],
      [f('latin.jsonl', latin1), 'latin.jsonl is not UTF-8 text (byte 0xe9 at offset 25 is not valid UTF-8; Latin-1 or Windows-1252?): convert it (for example: iconv -f WINDOWS-1252 -t UTF-8 latin.jsonl > latin.utf8.jsonl) and import that'],
      [f('empty.jsonl', ''), 'empty.jsonl is empty (0 bytes): there is nothing to import'],
      [f('blank.jsonl', '\n  \n\n'), 'blank.jsonl holds only blank lines: there is nothing to import'],
      [join(tmp.dir, 'folder'), `${join(tmp.dir, 'folder')} is a folder, not a file: give the problems file itself`],
    ];
    for (const [file, message] of cases) {
      const r = await cli('import', file, '--workspace', ws, '--dataset', 'd');
      expect(r.code, file).toBe(1);
      expect(r.err, file).toEqual([`error: ${message}`]);
      expect(r.out).toEqual([]);
    }
    const parquet = await cli('import', f('x.jsonl', line), '--workspace', ws, '--dataset', 'd', '--format', 'parquet');
    expect(parquet.err).toEqual(['error: x.jsonl is not a Parquet file (it does not start with the PAR1 magic bytes): leave out --format, it is read from the content']);
    // a bad line fails the import: nothing is imported and no job row is left either
    const bad = await cli('import', f('bad.jsonl', `${line}{"id":"b","question":"q"}\n`), '--workspace', ws, '--dataset', 'd');
    expect(bad.err).toEqual(['error: bad.jsonl line 2: field "answer": required']);
    expect(snapshot()).toEqual(before);
  });

  it('the format is read from the content, not the extension', async () => {
    await cli('init', ws);
    const file = join(tmp.dir, 'looks.parquet');
    writeFileSync(file, '{"id":"a","question":"1+1?","answer":"2"}\n');
    const r = await cli('import', file, '--workspace', ws, '--dataset', 'd');
    expect(r.err).toEqual([]);
    expect(r.out).toEqual(['imported 1 problems (0 images)']);
  });

  it('control bytes in a message are escaped, never echoed', async () => {
    await cli('init', ws);
    const file = join(tmp.dir, 'ctl.jsonl');
    writeFileSync(file, '{"id":"a","question":"1+1?","answer":"2"}\n\x1b[2J\x07{"id":"b"}\n');
    const r = await cli('import', file, '--workspace', ws, '--dataset', 'd');
    expect(r.code).toBe(1);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/^error: ctl\.jsonl line 2: not valid JSON \(.*\\x1b.*\)$/);
    expect(r.err[0]).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
  });

  it('a search of a split the dataset lacks is refused before a job is made', async () => {
    await cli('init', ws);
    await cli('import', writeProblems(join(tmp.dir, 'p.jsonl'), 10), '--workspace', ws, '--dataset', 'd');
    expect((await cli('models', 'register', join(ROOT, 'models', 'tiny-policy'), '--workspace', ws)).code).toBe(0);
    const before = snapshot();
    const r = await cli('search', '--workspace', ws, '--dataset', 'd', '--model', 'tiny-policy', '--algo', 'omega', '--split', 'nosuch');
    expect(r.code).toBe(1);
    expect(r.err).toEqual(['error: dataset "d" has no split "nosuch" (its splits: test 2, train 8)']);
    expect(snapshot()).toEqual(before);
  });
});

describe('a reader that stops early', () => {
  it('a closed stdout pipe (`steplab models --json | head`) ends the command quietly with 0, no stack trace', async () => {
    const { dir, cleanup } = tempDir();
    const ws = join(dir, 'ws');
    expect((await cli('init', ws)).code).toBe(0);
    const { child, done } = startCli(['models', '--workspace', ws, '--json']);
    child.stdout!.destroy(); // the reader is gone before the command writes
    const r = await done;
    expect(r.stderr).not.toMatch(/EPIPE|at |Error/);
    expect(r.code).toBe(0);
    cleanup();
  });
});

describe('the machine refusing: one line for a person', () => {
  it('a full disk, SQLite\'s and the file system\'s, is told in one line; other errors stay bugs', async () => {
    const full = new Database(join(tmp.dir, 'full.db'));
    full.exec('CREATE TABLE t (x BLOB)');
    full.pragma(`max_page_count = ${full.pragma('page_count', { simple: true })}`);
    const sqliteFull = (() => {
      try {
        full.prepare('INSERT INTO t VALUES (zeroblob(100000))').run();
      } catch (e) {
        return e;
      }
    })();
    full.close();
    expect(describeSystemError(sqliteFull, '/w')).toBe('the disk holding the workspace /w is full (database or disk is full): free some space and run the command again; work committed so far is kept');
    const enospc = (() => {
      try {
        writeFileSync('/dev/full', 'x');
      } catch (e) {
        return e;
      }
    })();
    expect(describeSystemError(enospc)).toBe('the disk is full: free some space and run the command again; work committed so far is kept');
    const notDir = (() => {
      try {
        writeFileSync(join(tmp.dir, 'nope', 'x'), 'x');
      } catch (e) {
        return e;
      }
    })();
    expect(describeSystemError(notDir)).toBeNull(); // ENOENT: a bug of the caller's, not the machine's
    expect(describeSystemError(new TypeError('x'))).toBeNull();
  });
});

describe('jobs --prune', () => {
  it('removes failed and cancelled jobs older than the age given, never running, interrupted or done ones, nor one whose work is kept', async () => {
    await cli('init', ws);
    const db = new Database(join(ws, 'steplab.db'));
    const old = '2020-01-01T00:00:00.000Z';
    const now = new Date().toISOString();
    const add = (state: string, finished: string | null): number =>
      Number(db.prepare("INSERT INTO jobs (kind, config, state, error, created_at, updated_at, finished_at) VALUES ('search', '{}', ?, ?, ?, ?, ?)").run(state, state === 'failed' ? 'boom' : null, old, finished ?? old, finished).lastInsertRowid);
    const failedOld = add('failed', old);
    const cancelledOld = add('cancelled', old);
    const failedNew = add('failed', now);
    const running = add('running', null);
    const interrupted = add('interrupted', null);
    const done = add('done', old);
    const keptWork = add('cancelled', old);
    db.prepare("INSERT INTO problems (id, fingerprint, question, answer, answer_type, created_at) VALUES (1, 'h', 'q', '1', 'number', ?)").run(old);
    db.prepare('INSERT INTO searches (problem_id, algorithm, job_id, created_at) VALUES (1, ?, ?, ?)').run('omegaprm', keptWork, old);
    db.close();
    const r = await cli('jobs', '--workspace', ws, '--prune', '--older-than', '7d', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out[0])).toEqual({ removed: [failedOld, cancelledOld], kept: [{ id: keptWork, reason: 'its search trees are in the workspace' }] });
    const left = JSON.parse((await cli('jobs', '--workspace', ws, '--json')).out[0]).map((j: { id: number }) => j.id);
    expect(left.sort()).toEqual([failedNew, running, interrupted, done, keptWork].sort());
    const all = await cli('jobs', '--workspace', ws, '--prune');
    expect(all.out.slice(0, 2)).toEqual([`removed 1 job(s): ${failedNew}`, `kept job ${keptWork}: its search trees are in the workspace`]);
    expect((await cli('jobs', '--workspace', ws, '--older-than', '7d')).err).toEqual(['error: jobs: --older-than goes with --prune']);
    expect((await cli('jobs', '--workspace', ws, '--prune', '--older-than', 'soon')).err[0]).toMatch(/--older-than <age>' argument 'soon' is invalid. must be a number and a unit/);
  });
});
