// Small text helpers for the views.

/** "1 image", "3 images", "1,024 problems" */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? singular : plural}`;
}

/** The text cut to n characters, with an ellipsis when something was cut. */
export function clip(text: string, n: number): string {
  return text.length > n ? `${text.slice(0, n)}…` : text;
}
