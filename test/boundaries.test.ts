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
});
