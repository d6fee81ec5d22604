// Layering: core and shared never see Electron; shared and the renderer never see Node built-ins.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const SOURCE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (SOURCE.test(name)) out.push(p);
  }
  return out;
}

/** Every module specifier a file imports, statically or dynamically. */
export function importsOf(src: string): string[] {
  const specs: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)(['"])([^'"]+)\1/g;
  for (const m of src.matchAll(re)) specs.push(m[2]);
  return specs;
}

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const isBuiltin = (s: string): boolean => s.startsWith('node:') || builtins.has(s) || builtins.has(s.split('/')[0]);
const isElectron = (s: string): boolean => s === 'electron' || s.startsWith('electron/');

function violations(dir: string, bad: (spec: string) => boolean): string[] {
  return files(join(root, dir)).flatMap((f) =>
    importsOf(readFileSync(f, 'utf8'))
      .filter(bad)
      .map((s) => `${relative(root, f)} imports "${s}"`),
  );
}

describe('import boundaries', () => {
  it('the checker sees static, dynamic and require imports', () => {
    expect(importsOf(`import a from 'electron';\nimport { b } from "node:fs";\nconst c = await import('fs/promises');\nrequire('path');\nimport 'x';`)).toEqual([
      'electron',
      'node:fs',
      'fs/promises',
      'path',
      'x',
    ]);
    expect(isBuiltin('fs/promises')).toBe(true);
    expect(isBuiltin('zod')).toBe(false);
  });

  it('src-main/core imports nothing from electron', () => {
    expect(violations('src-main/core', isElectron)).toEqual([]);
  });

  it('src-shared imports neither electron nor Node built-ins', () => {
    expect(violations('src-shared', (s) => isElectron(s) || isBuiltin(s))).toEqual([]);
  });

  it('src-renderer imports neither electron nor Node built-ins', () => {
    expect(violations('src-renderer', (s) => isElectron(s) || isBuiltin(s))).toEqual([]);
  });

  it('src-main/core does not import the hosts (server, cli, electron)', () => {
    expect(violations('src-main/core', (s) => /(^|\/)(server|cli|electron)(\/|$)/.test(s) && s.startsWith('.'))).toEqual([]);
  });

  // The design's "never" rules inside the core: which folder may not import which. Algorithms stay pure
  // (search and demo see no store, model or job), the store sees no algorithm or job, the CLI reaches the
  // core only through the contract (src-main/core/door.ts), and only the job runner knows every job kind.
  const coreFolder = (file: string, spec: string): string | null => {
    if (!spec.startsWith('.')) return null;
    const target = relative(join(root, 'src-main', 'core'), join(file, '..', spec));
    return target.startsWith('..') ? null : target.split('/')[0];
  };
  const NEVER: { from: string; to: string[]; except?: string[] }[] = [
    { from: 'src-main/core/search', to: ['store', 'inference', 'jobs', 'reward', 'cycles', 'models', 'merge', 'api.ts', 'handlers', 'workbench.ts'], except: [] },
    { from: 'src-main/core/demo', to: ['store', 'inference', 'jobs', 'reward', 'cycles', 'models', 'merge', 'data', 'search'] },
    { from: 'src-main/core/store', to: ['reward', 'inference', 'jobs', 'search', 'cycles', 'models', 'merge', 'training', 'api.ts', 'handlers', 'workbench.ts'] },
    { from: 'src-main/core/training', to: ['store', 'inference', 'jobs', 'reward', 'cycles', 'search', 'data'] },
  ];
  it.each(NEVER)('$from imports nothing from $to', ({ from, to }) => {
    const bad = files(join(root, from)).flatMap((f) =>
      importsOf(readFileSync(f, 'utf8'))
        .filter((s) => {
          const t = coreFolder(f, s);
          return t !== null && to.includes(t);
        })
        .map((s) => `${relative(root, f)} imports "${s}"`),
    );
    expect(bad).toEqual([]);
  });

  it('src-main/core/store reads src-main/core/data only for the content fingerprint', () => {
    const bad = files(join(root, 'src-main/core/store')).flatMap((f) =>
      importsOf(readFileSync(f, 'utf8'))
        .filter((s) => coreFolder(f, s) === 'data' && !s.endsWith('/data/fingerprint'))
        .map((s) => `${relative(root, f)} imports "${s}"`),
    );
    expect(bad).toEqual([]);
  });

  it('only the job runner (src-main/core/jobs) imports the registry of every job kind', () => {
    const bad = files(join(root, 'src-main')).flatMap((f) =>
      importsOf(readFileSync(f, 'utf8'))
        .filter((s) => s.startsWith('.') && /(^|\/)jobs\/registry$|^\.\/registry$/.test(s) && !relative(root, f).startsWith('src-main/core/jobs/'))
        .map((s) => `${relative(root, f)} imports "${s}"`),
    );
    expect(bad).toEqual([]);
  });

  it('import-labels keeps its SQL in the store (src-main/core/store/labelImports.ts and staging.ts)', () => {
    const sources = [...files(join(root, 'src-main/core/data/labels')), ...files(join(root, 'src-main/core/jobs/kinds')).filter((f) => /\/importLabels\w*\.ts$/.test(f))];
    const bad = sources.flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .map((line, i) => ({ line, i }))
        .filter(({ line }) => /\bdb\.(prepare|exec)\(|\bprep\(|\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b/.test(line))
        .map(({ i }) => `${relative(root, f)}:${i + 1}`),
    );
    expect(bad).toEqual([]);
  });

  // SQL lives in the store (src-main/core/store): no file outside it prepares a statement, runs SQL text or
  // opens a transaction on a better-sqlite3 handle; it calls the store's repositories (store.transaction
  // and a repository's own transaction are store methods). The exceptions, each with its reason, run their
  // statements on a database that is not the open workspace's store.
  const SQL_OUTSIDE_STORE: Record<string, string> = {
    'src-main/core/recover.ts': 'rebuilds a damaged workspace: its statements run on the salvaged scratch database and the new one, never on a Store',
    'src-main/core/workspaceCheck.ts': 'checks a workspace that may be too damaged to open as a Store, on a read-only handle of its own',
  };
  /** The lines (from 1) that call prepare or pragma on a handle, the store's prep(db, sql), exec with SQL text, or a handle's transaction. */
  const sqlCalls = (src: string): number[] =>
    src
      .split('\n')
      .map((line, i) => ({ line, i }))
      .filter(({ line }) => /(?<!\bthis)\.(prepare|pragma)\s*\(|(?<![.\w])prep\(|\.exec\(\s*['"`]|\bdb\.transaction\(/.test(line))
      .map(({ i }) => i + 1);
  it('the SQL checker sees statements on a handle, not a method named prepare or a RegExp', () => {
    expect(sqlCalls("const a = db.prepare('SELECT 1');\nconst b = store.db\n  .prepare(sql);\nthis.s.prepare(x);\ndb.pragma('foreign_keys = ON');\nro.exec(`VACUUM`);\nstore.db.transaction(() => 1);\nprep(this.db, 'SELECT 1');")).toEqual([1, 3, 4, 5, 6, 7, 8]);
    expect(sqlCalls("await this.prepare(rec, cache);\nconst m = /x/.exec(text);\nprepareImage(x);\nstore.transaction(() => 1);\nstore.manage.transaction(() => 1);\nthis.prep(x);")).toEqual([]);
  });
  it('no file outside src-main/core/store runs SQL on a database handle (except the named ones)', () => {
    const bad = files(join(root, 'src-main')).flatMap((f) => {
      const rel = relative(root, f);
      if (rel.startsWith('src-main/core/store/') || rel in SQL_OUTSIDE_STORE) return [];
      return sqlCalls(readFileSync(f, 'utf8')).map((n) => `${rel}:${n}`);
    });
    expect(bad).toEqual([]);
    // an exception that no longer has SQL is taken off the list
    const stale = Object.keys(SQL_OUTSIDE_STORE).filter((rel) => sqlCalls(readFileSync(join(root, rel), 'utf8')).length === 0);
    expect(stale).toEqual([]);
  });

  it('the CLI reaches the core through the contract: no store, job runner or workbench, and no handler map', () => {
    const cli = files(join(root, 'src-main/cli'));
    const imports = cli.flatMap((f) =>
      importsOf(readFileSync(f, 'utf8'))
        .filter((s) => /\/core\/(store|workbench|dispatch|api|handlers)(\/|$)|\/core\/jobs\/(runner|registry|execute|worker)/.test(s))
        .map((s) => `${relative(root, f)} imports "${s}"`),
    );
    expect(imports).toEqual([]);
    const calls = cli.flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .map((line, i) => ({ line, i }))
        .filter(({ line }) => /\b\w+\.(store|runner)\.|\bhandlers\[/.test(line))
        .map(({ i }) => `${relative(root, f)}:${i + 1}`),
    );
    expect(calls).toEqual([]);
  });

  it('src-main/core reads no test hook from the environment: the edge (the CLI) passes it in', () => {
    const reads = files(join(root, 'src-main/core')).flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .map((line, i) => ({ line, i }))
        .filter(({ line }) => /env(\.|\[.)STEPLAB_TEST_/.test(line))
        .map(({ i }) => `${relative(root, f)}:${i + 1}`),
    );
    expect(reads).toEqual([]);
  });
});


// Files split by what they do: no source file in src-main is over 400 lines (the split files are one stage
// or one concern each; see docs/ARCHITECTURE.md).
describe('file size', () => {
  const MAX_LINES = 400;
  const lines = (src: string): number => (src === '' ? 0 : src.split('\n').length - (src.endsWith('\n') ? 1 : 0));
  it('the line counter counts each line once, a last line without a newline too', () => {
    expect([lines('a\nb\n'), lines('a\nb'), lines('')]).toEqual([2, 2, 0]);
  });
  it(`no file in src-main is over ${MAX_LINES} lines`, () => {
    const over = files(join(root, 'src-main'))
      .map((f) => ({ f: relative(root, f), n: lines(readFileSync(f, 'utf8')) }))
      .filter(({ n }) => n > MAX_LINES)
      .map(({ f, n }) => `${f}: ${n} lines`);
    expect(over).toEqual([]);
  });
});
