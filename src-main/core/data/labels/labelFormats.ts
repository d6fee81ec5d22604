// The label formats `import-labels` reads, by name. A format is one entry here: its name, a line on what
// writes it, how to tell a record of it, and its reader (types.ts). Detection tries the entries in this
// order and takes the first whose `looksLike` accepts the first record of a file, so a format whose
// records also fit a looser one comes before it.
import { UserError } from '../../errors';
import { mmprmTreeFormat } from './formats/mmprmTree';
import { openrOmegaFormat } from './formats/openr';
import { mathShepherdFormat, mmprmPathsFormat, mmprmRowsFormat, trlFormat, visualPrmFormat } from './formats/paths';
import { prm800kFormat } from './formats/prm800k';
import { reasonersTreeFormat } from './formats/reasoners';
import { steplabTreeFormat } from './formats/steplabTree';
import type { LabelFormat } from './types';

const FORMATS: LabelFormat[] = [
  steplabTreeFormat,
  mmprmTreeFormat,
  openrOmegaFormat,
  reasonersTreeFormat,
  prm800kFormat,
  visualPrmFormat,
  mmprmPathsFormat,
  mmprmRowsFormat,
  mathShepherdFormat,
  trlFormat,
];

export const LABEL_FORMATS: ReadonlyMap<string, LabelFormat> = new Map(FORMATS.map((f) => [f.name, f]));

/** The format names, in detection order. */
export const labelFormatNames = (): string[] => [...LABEL_FORMATS.keys()];

export function labelFormat(name: string): LabelFormat {
  const f = LABEL_FORMATS.get(name);
  if (!f) throw new UserError(`unknown label format "${name}" (have: ${labelFormatNames().join(', ')})`);
  return f;
}

/** The first format a record fits, with why; null when none does. */
export function detectLabelFormat(value: unknown): { format: LabelFormat; why: string } | null {
  for (const format of FORMATS) {
    const why = format.looksLike(value);
    if (why !== null) return { format, why };
  }
  return null;
}
