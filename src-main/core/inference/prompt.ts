// Prompt text from a model's manifest template: question, optional image slot, optional reflection
// (MathSE regeneration), then the solution marker after which the model writes its steps.
import type { Manifest } from '../../../src-shared/manifest';

export function renderPrompt(manifest: Manifest, question: string, opts: { hasImage: boolean; reflection?: string; steps?: readonly string[] }): string {
  const t = manifest.promptTemplate;
  let out = t.question.replace('{question}', () => question.replace(/\s*\n\s*/g, ' ').trim());
  if (opts.hasImage && t.image) out += t.image;
  if (opts.reflection && t.reflection) out += t.reflection.replace('{reflection}', () => opts.reflection!.replace(/\s*\n\s*/g, ' ').trim());
  out += t.solution;
  for (const s of opts.steps ?? []) out += s + manifest.stepDelimiter;
  return out;
}

/** A generated solution's text split into steps at the delimiter (a trailing delimiter adds no step). */
export function splitSteps(text: string, delimiter: string): string[] {
  const parts = text.split(delimiter).map((s) => s.trim());
  while (parts.length && parts[parts.length - 1] === '') parts.pop();
  return parts.filter((s, i) => s !== '' || i < parts.length - 1);
}

/**
 * What an ORM reads (manifest.ormTemplate): the prompt with the solution's steps written out, then the
 * verdict marker after which the model writes its JSON verdict.
 */
export function renderOrmPrompt(manifest: Manifest, question: string, opts: { hasImage: boolean; steps: readonly string[] }): string {
  if (!manifest.ormTemplate) throw new Error(`model ${manifest.name} has no ormTemplate`);
  return renderPrompt(manifest, question, { hasImage: opts.hasImage, steps: opts.steps }) + manifest.ormTemplate.verdict;
}
