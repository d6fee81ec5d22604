// Where an image a source file names is on this machine, kept inside the folders the import was given: the
// one rule for `steplab import`, `import-labels` (and `import-trees`, which is import-labels), the
// step-level benchmarks and `score --rollouts`.
//
// A relative path is read against the file's folder (or `--image-root DIR`); an absolute path (or a
// file: URL) of this machine is taken as it is when it lies inside them; an absolute path of another
// machine (MM-PRM's seeds and trees keep the cluster's /mnt/.../x.png) is found under `--image-root` by its
// longest unique trailing path (imageRoot.ts). A path that leaves the imported folder and the image root
// (`..`, an absolute path, a symlink pointing out: checked on the real path) is refused with the hint
// `--image-root <dir>`, unless `--allow-outside`.
import { realpathSync } from 'node:fs';
import { isAbsolute, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors';
import { buildTrailIndex, looksAbsolute, nodeImageRootFs, trailingMatch, type ImageRootFs, type TrailIndex } from './imageRoot';

const real = (p: string): string => {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
};

const inside = (path: string, dir: string): boolean => path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);

export class ImagePaths {
  private index: TrailIndex | null = null;
  private readonly allowed: string[];

  /**
   * @param baseDir the imported folder, or the imported file's folder
   * @param root `--image-root` (an existing folder: checkImageRoot), or null
   * @param allowOutside `--allow-outside`: read a path wherever it points
   */
  constructor(
    readonly baseDir: string,
    readonly root: string | null,
    readonly allowOutside: boolean,
    private readonly fs: ImageRootFs = nodeImageRootFs,
  ) {
    this.allowed = [real(baseDir), ...(root ? [real(root)] : [])];
  }

  /**
   * The file to read for `ref` (a path or a file: URL as the source file gives it), named by a file in
   * `fileDir` (default: baseDir); a UserError (`image "<ref>" ...`) says why not.
   */
  locate(ref: string, fileDir: string = this.baseDir): string {
    let p = ref.trim();
    const shown = JSON.stringify(p);
    if (/^file:/i.test(p)) {
      try {
        p = fileURLToPath(p);
      } catch {
        throw new UserError(`image ${shown}: not a valid file: URL`);
      }
    }
    if (!looksAbsolute(p)) {
      const full = resolve(this.root ?? fileDir, p);
      if (!this.fs.isFile(full)) {
        throw new UserError(this.root === null ? `image ${shown} not found in ${fileDir}; give --image-root <dir> if the images are elsewhere` : `image ${shown} not found under --image-root ${this.root}`);
      }
      return this.confined(full, shown);
    }
    if (isAbsolute(p) && this.fs.isFile(p) && (this.allowOutside || this.isAllowed(p))) return p;
    if (this.root === null) {
      if (isAbsolute(p) && this.fs.isFile(p)) return this.confined(p, shown);
      throw new UserError(`image ${shown} not found on this machine; give --image-root <dir> to look for it under <dir> by its trailing path`);
    }
    const m = trailingMatch(this.trailIndex(), p);
    if (m.kind === 'found') return this.confined(resolve(this.root, m.path), shown);
    if (m.kind === 'ambiguous') {
      const list = m.paths.slice(0, 5).join(', ') + (m.paths.length > 5 ? `, and ${m.paths.length - 5} more` : '');
      throw new UserError(`image ${shown}: ${m.paths.length} files under --image-root ${this.root} end with the same ${m.depth} path component${m.depth === 1 ? '' : 's'} (${list}); point --image-root at a folder that holds only one of them`);
    }
    if (isAbsolute(p) && this.fs.isFile(p)) return this.confined(p, shown);
    throw new UserError(`image ${shown} not found on this machine, and no file under --image-root ${this.root} is named ${p.split(/[\\/]/).pop()}`);
  }

  private isAllowed(path: string): boolean {
    const r = real(path);
    return this.allowed.some((d) => inside(r, d));
  }

  private confined(path: string, shown: string): string {
    if (this.allowOutside || this.isAllowed(path)) return path;
    const where = this.root ? `${this.baseDir} and --image-root ${this.root}` : this.baseDir;
    throw new UserError(`image ${shown} is outside ${where}; give --image-root <dir> (a folder that holds it), or --allow-outside to read it where it is`);
  }

  private trailIndex(): TrailIndex {
    if (this.index === null) {
      try {
        this.index = buildTrailIndex(this.fs.listFiles(this.root!));
      } catch (e) {
        throw new UserError(`--image-root ${this.root}: cannot list its files (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
    }
    return this.index;
  }
}
