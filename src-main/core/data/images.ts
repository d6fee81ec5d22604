// Image files of a workspace: validated with sharp (header and a full decode, so truncated or corrupt
// files are refused), named by the sha256 of their bytes, stored once as
// images/<first two hex chars>/<hash>.<ext> and written atomically (temporary file + rename).
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp, { type Metadata } from 'sharp';
import type { ImageRef } from '../../../src-shared/domain';
import { UserError } from '../errors';
import type { Store } from '../store';
import { checkImageBytes, checkImageFileSize, checkImagePixels, type Limits } from './limits';

/** sharp's format name -> MIME type and file extension of the formats accepted as problem images */
const FORMATS: Record<string, { mime: string; ext: string }> = {
  png: { mime: 'image/png', ext: 'png' },
  jpeg: { mime: 'image/jpeg', ext: 'jpg' },
  webp: { mime: 'image/webp', ext: 'webp' },
  gif: { mime: 'image/gif', ext: 'gif' },
  tiff: { mime: 'image/tiff', ext: 'tif' },
  avif: { mime: 'image/avif', ext: 'avif' },
  heif: { mime: 'image/heif', ext: 'heic' },
  svg: { mime: 'image/svg+xml', ext: 'svg' },
};

const EXT_BY_MIME: Record<string, string> = Object.fromEntries(Object.values(FORMATS).map((f) => [f.mime, f.ext]));

export const SUPPORTED_IMAGE_TYPES = Object.values(FORMATS).map((f) => f.mime);

export function extForMime(mime: string): string {
  const ext = EXT_BY_MIME[mime];
  if (!ext) throw new Error(`no file extension known for image type ${mime}`);
  return ext;
}

/** Where an image lives in a workspace's images folder. */
export function imagePath(imagesDir: string, ref: Pick<ImageRef, 'hash' | 'mime'>): string {
  return join(imagesDir, ref.hash.slice(0, 2), `${ref.hash}.${extForMime(ref.mime)}`);
}

/**
 * Deletes the files of images a staged import (`import`, `import-labels`) stored that nothing else needs:
 * no images row and no other job's staging row (store/staging.ts, serialised with every other job's
 * commits). With `alsoStaging` the job's staging rows are deleted first (a failed job's cleanup).
 */
export function deleteUnreferencedImageFiles(store: Store, jobId: number, candidates: readonly Pick<ImageRef, 'hash' | 'mime'>[], alsoStaging = false): void {
  store.staging.releaseImages(jobId, candidates, alsoStaging, (c) => {
    const p = imagePath(store.paths.imagesDir, c);
    if (existsSync(p)) unlinkSync(p);
  });
}

/** An image that has been validated and hashed but whose file may not be written yet. */
export interface PreparedImage {
  ref: ImageRef;
  data: Buffer;
}

const imageError = (label: string, what: string): UserError => new UserError(`image "${label}": ${what}`);

/** Strips the library prefix from sharp/libvips messages ("vipspng: libpng read error" -> "libpng read error"). */
function cleanSharpMessage(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg
    .replace(/^Input (buffer|file) (contains|has) /, '')
    .replace(/^vips\w*:\s*/i, '')
    .split('\n')[0]
    .trim();
}

/**
 * Validates an image (its size caps when an import gives them, header and full decode) and hashes it.
 * Throws UserError naming `label`. The pixel cap is checked on the header's width and height, before
 * anything is decoded.
 */
export async function prepareImage(input: Buffer | Uint8Array, label: string, limits?: Limits): Promise<PreparedImage> {
  const data = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (data.length === 0) throw imageError(label, 'empty file');
  if (limits) checkImageBytes(label, data.length, limits);
  let meta: Metadata;
  try {
    // the header only: sharp's own pixel limit would call a large image "not an image"
    meta = await sharp(data, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw imageError(label, `not an image (${cleanSharpMessage(e)})`);
  }
  const fmt = meta.format ? FORMATS[meta.format] : undefined;
  if (!fmt) throw imageError(label, `unsupported image format (${meta.format ?? 'unknown'}; supported: ${Object.keys(FORMATS).join(', ')})`);
  if (!meta.width || !meta.height) throw imageError(label, 'image has no size');
  if (limits) checkImagePixels(label, meta.width, meta.height, limits);
  try {
    // a full decode: headers of truncated or corrupt files often read fine
    await sharp(data, limits ? { limitInputPixels: Math.max(1, Math.ceil(limits.imageMpx * 1_000_000)) } : {}).raw().toBuffer();
  } catch (e) {
    throw imageError(label, `corrupt or truncated image (${cleanSharpMessage(e)})`);
  }
  const hash = createHash('sha256').update(data).digest('hex');
  return { ref: { hash, mime: fmt.mime, width: meta.width, height: meta.height, bytes: data.length }, data };
}

/** Writes `data` to `path` atomically (temporary file in the same folder, then rename). */
export function writeFileAtomic(path: string, data: Buffer | string): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw e;
  }
}

/** Writes a prepared image's file unless it is already there. Returns whether it wrote the file. */
export function writeImageFile(imagesDir: string, img: PreparedImage): boolean {
  const path = imagePath(imagesDir, img.ref);
  if (existsSync(path)) return false;
  mkdirSync(join(imagesDir, img.ref.hash.slice(0, 2)), { recursive: true });
  writeFileAtomic(path, img.data);
  return true;
}

/** Validates, hashes and stores an image in `imagesDir` (once per content). */
export async function storeImage(imagesDir: string, input: Buffer | Uint8Array, label: string): Promise<ImageRef> {
  const img = await prepareImage(input, label);
  writeImageFile(imagesDir, img);
  return img.ref;
}

const DATA_URL = /^data:(image\/[a-z0-9.+-]+)?((?:;[a-z0-9-]+=[^;,]*)*)(;base64)?,/i;

/** A short form of a reference for messages (data URLs are long). */
export function imageLabel(ref: string): string {
  return ref.length > 60 ? `${ref.slice(0, 40)}…` : ref;
}

/**
 * Reads an image reference as a source file gives it: a path (relative ones against `baseDir`, the folder
 * of the file that names it), a file: URL, or a `data:image/...;base64,` URL. `locate` replaces the rule
 * for paths and file: URLs (the import's folders, `--image-root` and `--allow-outside`: imagePaths.ts); its
 * UserError names the image itself. With `limits`, a file or data URL over the image-size cap is refused
 * before it is read.
 */
export function readImageRef(ref: string, baseDir: string, locate?: (path: string) => string, limits?: Limits): Buffer {
  const label = imageLabel(ref);
  const trimmed = ref.trim();
  if (trimmed === '') throw imageError(label, 'empty path');
  if (/^data:/i.test(trimmed)) {
    const m = DATA_URL.exec(trimmed);
    if (!m || !m[1]) throw imageError(label, 'not a data:image/... URL');
    if (!m[3]) throw imageError(label, 'data URL is not base64-encoded');
    const body = trimmed.slice(m[0].length).replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(body)) throw imageError(label, 'data URL has invalid base64');
    if (limits) checkImageBytes(label, Math.floor((body.replace(/=+$/, '').length * 3) / 4), limits);
    return Buffer.from(body, 'base64');
  }
  if (/^https?:\/\//i.test(trimmed)) throw imageError(label, 'remote images are not supported (download it and give a path)');
  let path: string;
  if (locate) {
    // the locator names the image in its messages
    path = locate(trimmed);
  } else if (/^file:/i.test(trimmed)) {
    try {
      path = fileURLToPath(trimmed);
    } catch {
      throw imageError(label, 'not a valid file: URL');
    }
  } else {
    path = isAbsolute(trimmed) ? trimmed : resolve(baseDir, trimmed);
  }
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw imageError(label, 'not found');
  }
  if (!isFile) throw imageError(label, 'not a file');
  if (limits) checkImageFileSize(path, label, limits);
  return readFileSync(path);
}

/**
 * Copies a stored image next to an exported file, as <outDir>/images/<hash>.<ext> (once), and returns the
 * path to write in the export: relative to outDir, with forward slashes.
 */
export async function exportImage(imagesDir: string, ref: Pick<ImageRef, 'hash' | 'mime'>, outDir: string): Promise<string> {
  const name = `${ref.hash}.${extForMime(ref.mime)}`;
  const target = join(outDir, 'images', name);
  if (!existsSync(target)) {
    const src = imagePath(imagesDir, ref);
    if (!existsSync(src)) throw new UserError(`image ${ref.hash}: its file is missing from the workspace (${src})`);
    mkdirSync(join(outDir, 'images'), { recursive: true });
    const tmp = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await copyFile(src, tmp);
      renameSync(tmp, target);
    } catch (e) {
      if (existsSync(tmp)) unlinkSync(tmp);
      throw e;
    }
  }
  return `images/${name}`;
}

/** Copies images beside an export, each once, and gives their paths relative to the export file. */
export class ImageExporter {
  private readonly copied = new Map<string, string>();
  constructor(
    private readonly imagesDir: string,
    private readonly outDir: string,
  ) {}

  async paths(images: readonly Pick<ImageRef, 'hash' | 'mime'>[]): Promise<string[]> {
    const out: string[] = [];
    for (const img of images) {
      let rel = this.copied.get(img.hash);
      if (rel === undefined) {
        rel = await exportImage(this.imagesDir, img, this.outDir);
        this.copied.set(img.hash, rel);
      }
      out.push(rel);
    }
    return out;
  }

  /** distinct images copied so far */
  get count(): number {
    return this.copied.size;
  }
}
