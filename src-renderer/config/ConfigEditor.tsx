// A JSON config editor checked against a zod schema: Monaco validates with the schema's JSON Schema as you
// type (completion and hover come with it), the zod check marks every issue inline on its key, and a
// readable list under the editor names each problem with its line; data-valid says whether the text passes.
import { useMemo, useState } from 'react';
import type { z } from 'zod';
import { MonacoEditor } from '../components/MonacoEditor';
import { hasErrors, type EditorMarker } from './markers';
import { jsonSchemaOf, validateConfig } from './validate';
import './ConfigEditor.css';

export interface ConfigEditorProps<T> {
  value: string;
  onChange(text: string): void;
  schema: z.ZodType<T>;
  height?: number | string;
  readOnly?: boolean;
  ariaLabel?: string;
  testId?: string;
}

export function ConfigEditor<T>({ value, onChange, schema, height = 260, readOnly, ariaLabel = 'JSON config', testId = 'config-editor' }: ConfigEditorProps<T>) {
  const jsonSchema = useMemo(() => jsonSchemaOf(schema), [schema]);
  const check = useMemo(() => validateConfig(value, schema), [value, schema]);
  const [monacoMarkers, setMonacoMarkers] = useState<EditorMarker[]>([]);
  // Monaco's own JSON check: kept only where the zod check has nothing to say (they mostly agree)
  const extra = monacoMarkers.filter((m) => m.source !== 'schema' && m.severity === 'error');
  const ok = check.issues.length === 0 && !hasErrors(extra);
  return (
    <div className="config-editor" data-testid={testId} data-valid={ok ? 'true' : 'false'}>
      <MonacoEditor value={value} onChange={onChange} language="json" schema={jsonSchema} markers={check.markers} onValidate={setMonacoMarkers} height={height} readOnly={readOnly} ariaLabel={ariaLabel} />
      {(check.issues.length > 0 || extra.length > 0) && (
        <ul className="config-issues" aria-label="Config problems">
          {check.issues.map((i, k) => (
            <li key={`z${k}`}>
              <span className="mono small">
                line {i.line}:{i.column}
              </span>{' '}
              {i.message}
            </li>
          ))}
          {check.issues.length === 0 &&
            extra.map((m, k) => (
              <li key={`m${k}`}>
                <span className="mono small">
                  line {m.startLineNumber}:{m.startColumn}
                </span>{' '}
                {m.message}
              </li>
            ))}
        </ul>
      )}
    </div>
  );
}
