// The PRM's input layout (MM-PRM's): `{image}Question: {q}\nProcess: {step1}<prm>\n\n{step2}<prm>...`.
// One score per tag: softmax over the Yes/No logits at the tag's position.
import { MMPRM_TEMPLATE, type Manifest, type PrmTemplate } from '../../../src-shared/manifest';
import { UserError } from '../errors';

export interface PrmSpec {
  template: PrmTemplate;
  tag: string;
  yes: string;
  no: string;
}

/** What a model needs to score steps; a clear error for a model that cannot. */
export function prmSpec(manifest: Manifest): PrmSpec {
  if (manifest.role !== 'prm') throw new UserError(`model "${manifest.name}" is a ${manifest.role} model, not a PRM (manifest role "prm")`);
  const st = manifest.specialTokens;
  const missing = (['prm', 'yes', 'no'] as const).filter((k) => !st[k]);
  if (missing.length) {
    throw new UserError(
      `model "${manifest.name}" cannot score steps: its manifest has no ${missing.map((k) => `specialTokens.${k}`).join(', ')} (a PRM needs the step tag and the Yes/No tokens)`,
    );
  }
  return { template: manifest.prmTemplate ?? MMPRM_TEMPLATE, tag: st.prm!, yes: st.yes!, no: st.no! };
}

/** The text a PRM reads for a question and its steps (steps trimmed; tag strings inside a step removed). */
export function renderPrmInput(spec: PrmSpec, question: string, steps: readonly string[], hasImage: boolean): string {
  const t = spec.template;
  let out = hasImage && t.image ? t.image : '';
  out += t.question.replace('{question}', () => question);
  out += t.process;
  out += steps.map((s) => s.split(spec.tag).join('').trim() + spec.tag).join(t.stepSeparator);
  return out;
}

/** P(good) from the Yes and No logits: softmax([yes, no])[0], computed stably. */
export function stepScore(yesLogit: number, noLogit: number): number {
  const d = noLogit - yesLogit;
  return d > 0 ? Math.exp(-d) / (1 + Math.exp(-d)) : 1 / (1 + Math.exp(d));
}
