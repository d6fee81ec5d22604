// A model as people and job configs name it: `name@version` (the CLI, the forms, stored results, messages).

/** `tiny-prm@2`: a model's name and version, the label every door shows and every `--model` flag reads. */
export function modelLabel(m: { name: string; version: number }): string {
  return `${m.name}@${m.version}`;
}
