// An editor marker as the renderer passes it around: a message on a range of 1-based lines and columns.
// Monaco's own marker type lives in the lazy Monaco chunk; this one keeps callers (and tests) free of it.
export type MarkerSeverity = 'error' | 'warning' | 'info';

export interface EditorMarker {
  message: string;
  severity: MarkerSeverity;
  startLineNumber: number;
  startColumn: number;
  endLineNumber: number;
  endColumn: number;
  /** who found it: "json" (Monaco's JSON schema check), "schema" (the zod check) */
  source?: string;
}

/** Whether any marker blocks a save. */
export const hasErrors = (markers: readonly EditorMarker[]): boolean => markers.some((m) => m.severity === 'error');
