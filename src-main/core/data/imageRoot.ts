// `--image-root DIR`: where the pictures of a file are, when its paths do not say it on this machine.
// Relative paths are read against DIR (instead of the file's folder), as MM-PRM's evaluators read theirs
// under `--root`. An absolute path that does not exist here was written on another machine (MM-PRM's
// seeds and trees keep the cluster's `/mnt/.../images/x.png`): it is looked up under DIR by its longest
// trailing run of path components that exactly one file under DIR ends with, so `images/x.png` beats
// `other/x.png` for `/mnt/cluster/mmk12/images/x.png`. Two files that end equally well are refused with
// both named, never guessed. The files under DIR are listed once per import. Which of the paths found may
// be read (the import's folders, `--allow-outside`) is imagePaths.ts's rule.
import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { UserError } from '../errors';

/** The file system as the resolver sees it (a test passes its own). */
export interface ImageRootFs {
  isFile(path: string): boolean;
  /** every file under dir, as paths relative to it with '/' between components */
  listFiles(dir: string): string[];
}

export const nodeImageRootFs: ImageRootFs = {
  isFile(path) {
    try {
      return statSync(path).isFile();
    } catch {
      return false;
    }
  },
  listFiles(dir) {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'));
  },
};

/** Files under a root, by file name: each entry is a file's path components. */
export type TrailIndex = Map<string, string[][]>;

export function buildTrailIndex(files: readonly string[]): TrailIndex {
  const index: TrailIndex = new Map();
  for (const f of files) {
    const parts = f.split('/').filter(Boolean);
    const name = parts.at(-1);
    if (name === undefined) continue;
    const list = index.get(name);
    if (list) list.push(parts);
    else index.set(name, [parts]);
  }
  return index;
}

/** Path components of a path written on any machine (POSIX or Windows separators, a drive letter dropped). */
export function pathComponents(path: string): string[] {
  return path.replace(/^[A-Za-z]:(?=[\\/])/, '').split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
}

/** A path written on another machine: POSIX absolute, a Windows drive path or a UNC path. */
export function looksAbsolute(path: string): boolean {
  return isAbsolute(path) || /^[A-Za-z]:[\\/]/.test(path) || /^\\\\/.test(path);
}

export type TrailMatch = { kind: 'found'; path: string; depth: number } | { kind: 'ambiguous'; paths: string[]; depth: number } | { kind: 'none' };

/** The file under the root whose path ends with the longest run of `foreign`'s trailing components; pure. */
export function trailingMatch(index: TrailIndex, foreign: string): TrailMatch {
  const want = pathComponents(foreign);
  const name = want.at(-1);
  const candidates = name === undefined ? undefined : index.get(name);
  if (!candidates?.length) return { kind: 'none' };
  let best = 0;
  let at: string[][] = [];
  for (const c of candidates) {
    let n = 0;
    while (n < c.length && n < want.length && c[c.length - 1 - n] === want[want.length - 1 - n]) n += 1;
    if (n > best) {
      best = n;
      at = [c];
    } else if (n === best) {
      at.push(c);
    }
  }
  const paths = at.map((c) => c.join('/'));
  return paths.length === 1 ? { kind: 'found', path: paths[0], depth: best } : { kind: 'ambiguous', paths: paths.sort(), depth: best };
}

/** Refuses an `--image-root` that is not a folder, before any work. */
export function checkImageRoot(dir: string): string {
  const abs = resolve(dir);
  let ok = false;
  try {
    ok = statSync(abs).isDirectory();
  } catch {
    throw new UserError(`--image-root ${dir}: no such folder`);
  }
  if (!ok) throw new UserError(`--image-root ${dir}: not a folder`);
  return abs;
}
