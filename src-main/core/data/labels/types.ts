// What a label-file reader gives the import: one unit at a time (a tree, or a labelled path), in Steplab's
// terms, with the problem it belongs to as the file names it. Readers are pure: they see parsed JSON and
// return units or throw a FieldError naming the JSON path; the import job resolves images and problems.
import type { AnswerType } from '../../../../src-shared/domain';
import type { ImageSource } from '../problemRow';

/** The problem a unit belongs to, as far as the file says. */
export interface LabelProblem {
  question: string;
  /** null: the format carries no answer (the match rule then looks the problem up by its question) */
  answer: string | null;
  /** null: the format carries no answer type (inferred from the answer, as `steplab import` does) */
  answerType: AnswerType | null;
  /** null: the format carries no images at all; [] a unit without an image */
  images: ImageSource[] | null;
  /** the field the images were read from, for messages */
  imageField?: string;
  /** the problem's id in the file (becomes its ext id in the dataset) */
  extId: string | null;
  source: string | null;
  /** Steplab's own fingerprint, when the file names one (steplab-tree) */
  fingerprint?: string;
  /** fields of the file's problem Steplab does not model, kept with the dataset membership */
  meta: Record<string, unknown>;
}

/** A tree node as read: a step prefix given by its parent and the steps it adds. */
export interface LabelNode {
  /** an id unique within the unit (the file's own, or the reading order) */
  id: number;
  parent: number | null;
  /** the steps this node adds to its parent's prefix (the root has none) */
  steps: string[];
  /** the stored step text when it is not the steps joined by the tree's delimiter */
  text?: string;
  /** steps from the root to the end of this node, when the file says (else counted) */
  depth?: number;
  /** in [0, 1]; null: never estimated */
  mc: number | null;
  visits: number;
  rollouts: number;
  correct: number;
  q: number | null;
  firstError: boolean;
  /** a complete solution */
  terminal: boolean;
  /** what the node carries beside (judge values, the producer's own fields) */
  meta: Record<string, unknown>;
  /** rollout texts its producer kept (each a list of steps) */
  keptRollouts?: { correct: string[][]; incorrect: string[][] };
}

/** A labelled step sequence: an annotation (of the unit's tree when it has one). */
export interface LabelPath {
  steps: string[];
  /** one soft label in [0, 1] per step */
  labels: number[];
  /** per step, the tree node it belongs to (a unit with a tree) */
  nodes?: number[];
  provenance?: Record<string, unknown>;
}

export interface LabelTree {
  /** the algorithm that grew it (omegaprm, mcts, human, ...) */
  algorithm: string;
  config: Record<string, unknown>;
  /** the search's seed, when the file records one */
  seed?: number | null;
  status: string;
  stats: Record<string, unknown>;
  /** parents before children */
  nodes: LabelNode[];
  /** replay events; node ids in `node`, `from`, `parent` are the unit's node ids */
  events: { kind: string; data: Record<string, unknown> }[];
  /** joins a node's steps into its stored text */
  delimiter: string;
}

/** One thing a file holds: a tree (a search) and its labelled paths, or labelled paths alone. */
export interface LabelUnit {
  problem: LabelProblem;
  tree: LabelTree | null;
  /** the file's own paths; null: taken from the tree by MM-PRM's rules (as a Steplab search does) */
  paths: LabelPath[] | null;
  /** counts that do not add up, and such: reported, not refused */
  warnings: string[];
}

/** A problem or a wrong value at a JSON path inside a record. */
export class FieldError extends Error {
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super(path ? `${path}: ${detail}` : detail);
    this.name = 'FieldError';
  }
}

/** A record of a file: one JSON value (a line, an array item, a whole file, a Parquet row). */
export interface LabelRecord {
  value: unknown;
  /** the value's text in the file, hashed as the unit's identity */
  text: string;
}

/** A unit finished by a record, with the text it is hashed by (its records' texts). */
export interface ReadUnit {
  unit: LabelUnit;
  text: string;
}

/** Reads the records of one file into units. Most formats make one unit per record. */
export interface Assembler {
  push(record: LabelRecord): ReadUnit[];
  end(): ReadUnit[];
  /** records held for a unit not finished yet (a resumed import starts again at the first of them) */
  holding(): number;
}

export interface LabelFormat {
  name: string;
  /** one line: what writes it, and what a record is */
  description: string;
  /** why a record is of this format (e.g. `has "steps_with_score"`), or null when it is not */
  looksLike(value: unknown): string | null;
  /** a reader for one file */
  open(): Assembler;
}

/** An assembler for formats with one unit per record; a unit's identity is its format and its record's text. */
export function perRecord(format: string, read: (value: unknown) => LabelUnit): () => Assembler {
  return () => ({
    push: (r) => [{ unit: read(r.value), text: `${format}\u0000${r.text}` }],
    end: () => [],
    holding: () => 0,
  });
}
