// Scores an MM-PRM-style rollout file: each item has a question (`query`, `question` or `query_cot`), an
// optional image (`image` or `image_path`, a path relative to the file, or a list whose first entry is
// used) and `solutions_splits` (a list of solutions, each a list of steps). The output is the same items
// with `prm_scores` (a list of step-score lists, one per solution) added. JSONL in, JSONL out; a file
// holding one JSON array (as MM-PRM's evaluators write them) gives a JSON array back. The output is
// written to a temporary file and renamed, so a failure leaves no partial file.
import { readFileSync } from 'node:fs';
import { writeFile, rename, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { JsonlWriter, parseJsonLine, readLines } from '../data/jsonl';
import { UserError } from '../errors';
import { preprocessImage } from '../inference/image';
import type { PrmScorer, ScoreItem } from './scorer';

export interface RolloutScoreResult {
  items: number;
  solutions: number;
  steps: number;
  path: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses one rollout item; `where` names it in errors ("line 3", "item 3"). */
export function parseRolloutItem(v: unknown, where: string): { question: string; image: string | null; solutions: string[][] } {
  if (!isObj(v)) throw new UserError(`${where}: not a JSON object`);
  const q = [v.query, v.question, v.query_cot].find((x) => typeof x === 'string' && x.trim() !== '');
  if (typeof q !== 'string') throw new UserError(`${where}: field "query": a question is required (query, question or query_cot)`);
  const rawImage = v.image ?? v.image_path;
  let image: string | null = null;
  if (typeof rawImage === 'string' && rawImage !== '') image = rawImage;
  else if (Array.isArray(rawImage) && typeof rawImage[0] === 'string') image = rawImage[0];
  else if (rawImage !== undefined && rawImage !== null && rawImage !== '') throw new UserError(`${where}: field "image": must be a path or a list of paths`);
  const sols = v.solutions_splits;
  if (!Array.isArray(sols) || !sols.every((s) => Array.isArray(s) && s.every((t) => typeof t === 'string'))) {
    throw new UserError(`${where}: field "solutions_splits": must be a list of solutions, each a list of step strings`);
  }
  return { question: q, image, solutions: sols as string[][] };
}

export async function scoreRolloutsFile(scorer: PrmScorer, input: string, output: string, onItem?: (done: number) => void): Promise<RolloutScoreResult> {
  const inPath = resolve(input);
  const outPath = resolve(output);
  if (inPath === outPath) throw new UserError('--out must be another file than --rollouts (the input is kept as it is)');
  let head: string;
  try {
    head = readFileSync(inPath, { encoding: 'utf8' }).slice(0, 4096).trimStart();
  } catch (e) {
    throw new UserError(`${input}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const base = dirname(inPath);
  const imageCache = new Map<string, Float32Array>();
  const loadImage = async (ref: string, where: string): Promise<ScoreItem['image']> => {
    if (!scorer.model.manifest.image || !scorer.model.vision) throw new UserError(`${where}: the item has an image but PRM "${scorer.model.manifest.name}" has no vision encoder`);
    const file = isAbsolute(ref) ? ref : join(base, ref);
    let pixels = imageCache.get(file);
    if (!pixels) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch {
        throw new UserError(`${where}: field "image": file not found: ${file}`);
      }
      pixels = await preprocessImage(bytes, scorer.model.manifest.image, `${where}: image ${ref}`);
      imageCache.set(file, pixels);
    }
    return { key: file, pixels };
  };
  const scoreItem = async (v: unknown, where: string): Promise<Obj> => {
    const it = parseRolloutItem(v, where);
    const image = it.image ? await loadImage(it.image, where) : undefined;
    const scores = await scorer.score(it.solutions.map((steps) => ({ question: it.question, steps, image })));
    return { ...(v as Obj), prm_scores: scores };
  };
  const res = { items: 0, solutions: 0, steps: 0, path: outPath };
  const count = (o: Obj): void => {
    const s = o.prm_scores as number[][];
    res.items++;
    res.solutions += s.length;
    res.steps += s.reduce((a, x) => a + x.length, 0);
    onItem?.(res.items);
  };
  if (head.startsWith('[')) {
    let arr: unknown;
    try {
      arr = JSON.parse(readFileSync(inPath, 'utf8'));
    } catch (e) {
      throw new UserError(`${input}: not valid JSON (${(e as Error).message})`);
    }
    const out: Obj[] = [];
    for (const [i, v] of (arr as unknown[]).entries()) {
      const o = await scoreItem(v, `item ${i + 1}`);
      out.push(o);
      count(o);
    }
    const tmp = `${outPath}.tmp-${process.pid}`;
    try {
      await writeFile(tmp, JSON.stringify(out, null, 1));
      await rename(tmp, outPath);
    } catch (e) {
      await rm(tmp, { force: true });
      throw new UserError(`cannot write ${output}: ${(e as Error).message}`);
    }
    return res;
  }
  const writer = await JsonlWriter.create(outPath);
  try {
    for await (const line of readLines(inPath)) {
      const o = await scoreItem(parseJsonLine(line.text, line.line), `line ${line.line}`);
      await writer.write(o);
      count(o);
    }
    await writer.close();
  } catch (e) {
    await writer.abort();
    throw e;
  }
  return res;
}
