// A Monaco code editor as a React component, reusable by any view (step texts, job configs). Monaco is a
// big chunk, loaded on first use (see monaco/loadMonaco.ts); until then a placeholder shows. JSON models
// are checked against an optional JSON Schema in Monaco's worker; every marker on the model (the schema
// check's and the caller's `markers`) is reported through onValidate so the caller can disable Save.
// The theme follows the app's (data-theme on <html>, else the system's prefers-color-scheme).
import { useEffect, useRef, useState } from 'react';
import type { EditorMarker, MarkerSeverity } from '../config/markers';
import type * as MonacoModule from './monaco/loadMonaco';
import './MonacoEditor.css';

export type EditorLanguage = 'json' | 'plaintext' | 'markdown';

export interface MonacoEditorProps {
  value: string;
  onChange?(value: string): void;
  language?: EditorLanguage;
  /** a JSON Schema the text is validated against (json only); z.toJSONSchema(schema) makes one from zod */
  schema?: object | null;
  readOnly?: boolean;
  /** CSS height of the editor (default 240px) */
  height?: number | string;
  /** every marker on the text after each check: Monaco's and the caller's */
  onValidate?(markers: EditorMarker[]): void;
  /** markers of the caller's own checks, shown inline beside Monaco's */
  markers?: readonly EditorMarker[];
  ariaLabel?: string;
  testId?: string;
  /** called once the editor is ready (e2e tests and callers that focus it) */
  onReady?(): void;
}

let loading: Promise<typeof MonacoModule> | null = null;
/** Loads the Monaco chunk once; a failed load is retried on the next use. */
function loadMonaco(): Promise<typeof MonacoModule> {
  loading ??= import('./monaco/loadMonaco').catch((e: unknown) => {
    loading = null;
    throw e;
  });
  return loading;
}

let nextModel = 0;
const EXT: Record<EditorLanguage, string> = { json: 'json', plaintext: 'txt', markdown: 'md' };
const SEVERITY: Record<MarkerSeverity, number> = { error: 8, warning: 4, info: 2 };
const severityOf = (n: number): MarkerSeverity => (n >= 8 ? 'error' : n >= 4 ? 'warning' : 'info');

function appTheme(): 'vs' | 'vs-dark' {
  const set = document.documentElement.dataset.theme;
  const dark = set ? set === 'dark' : window.matchMedia('(prefers-color-scheme: dark)').matches;
  return dark ? 'vs-dark' : 'vs';
}

export function MonacoEditor(props: MonacoEditorProps) {
  const { value, language = 'plaintext', schema = null, readOnly = false, height = 240, markers, ariaLabel, testId } = props;
  const host = useRef<HTMLDivElement>(null);
  const [mod, setMod] = useState<typeof MonacoModule | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const editorRef = useRef<MonacoModule.monaco.editor.IStandaloneCodeEditor | null>(null);
  const modelRef = useRef<MonacoModule.monaco.editor.ITextModel | null>(null);
  const callbacks = useRef(props);
  callbacks.current = props;
  // the texts this editor reported that the caller has not yet passed back: a `value` among them is our
  // own echo, maybe of an older keystroke, not a change from outside (setting it would drop newer ones)
  const reported = useRef<string[]>([]);
  /** true while the caller's value is being set: that change is not the researcher's typing */
  const settingValue = useRef(false);

  useEffect(() => {
    let live = true;
    loadMonaco().then(
      (m) => live && setMod(m),
      (e: unknown) => live && setLoadError(`The editor could not be loaded: ${(e as Error).message}`),
    );
    return () => {
      live = false;
    };
  }, []);

  // create the editor and its model once Monaco is here; the language is fixed for the model's life
  useEffect(() => {
    if (!mod || !host.current) return;
    const { monaco } = mod;
    const uri = monaco.Uri.parse(`inmemory://steplab/editor-${++nextModel}.${EXT[language]}`);
    const model = monaco.editor.createModel(callbacks.current.value, language, uri);
    const editor = monaco.editor.create(host.current, {
      model,
      readOnly,
      theme: appTheme(),
      automaticLayout: true,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      wordWrap: language === 'json' ? 'off' : 'on',
      fontSize: 13,
      lineNumbersMinChars: 3,
      fixedOverflowWidgets: true,
      ariaLabel: ariaLabel ?? 'editor',
    });
    editorRef.current = editor;
    modelRef.current = model;
    const report = (): void => {
      const all = monaco.editor.getModelMarkers({ resource: uri }).map(
        (m): EditorMarker => ({
          message: m.message,
          severity: severityOf(m.severity),
          startLineNumber: m.startLineNumber,
          startColumn: m.startColumn,
          endLineNumber: m.endLineNumber,
          endColumn: m.endColumn,
          source: m.owner,
        }),
      );
      callbacks.current.onValidate?.(all);
    };
    const subs = [
      model.onDidChangeContent(() => {
        if (settingValue.current) return;
        const text = model.getValue();
        reported.current = [...reported.current.slice(-200), text];
        callbacks.current.onChange?.(text);
      }),
      monaco.editor.onDidChangeMarkers((uris) => {
        if (uris.some((u) => u.toString() === uri.toString())) report();
      }),
    ];
    // the app's theme can change at any time (the theme menu, the system scheme)
    const observer = new MutationObserver(() => monaco.editor.setTheme(appTheme()));
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    const onMedia = (): void => monaco.editor.setTheme(appTheme());
    media.addEventListener('change', onMedia);
    report();
    callbacks.current.onReady?.();
    return () => {
      observer.disconnect();
      media.removeEventListener('change', onMedia);
      subs.forEach((s) => s.dispose());
      if (language === 'json') mod.setModelSchema(uri.toString(), null);
      editor.dispose();
      model.dispose();
      editorRef.current = null;
      modelRef.current = null;
    };
  }, [mod, language]);

  useEffect(() => {
    const model = modelRef.current;
    if (!model) return;
    const echo = reported.current.lastIndexOf(value);
    if (echo >= 0) {
      reported.current = reported.current.slice(echo + 1);
      return;
    }
    if (model.getValue() === value) return;
    // a change from outside (a form field): what the editor reported before is no longer pending
    reported.current = [];
    settingValue.current = true;
    try {
      model.setValue(value);
    } finally {
      settingValue.current = false;
    }
  }, [value, mod]);

  useEffect(() => {
    editorRef.current?.updateOptions({ readOnly });
  }, [readOnly, mod]);

  useEffect(() => {
    const model = modelRef.current;
    if (!mod || !model || language !== 'json') return;
    mod.setModelSchema(model.uri.toString(), schema);
  }, [schema, mod, language]);

  useEffect(() => {
    const model = modelRef.current;
    if (!mod || !model) return;
    mod.monaco.editor.setModelMarkers(
      model,
      'schema',
      (markers ?? []).map((m) => ({ ...m, severity: SEVERITY[m.severity] })),
    );
  }, [markers, mod]);

  return (
    <div className="monaco-frame" data-testid={testId} data-ready={mod ? 'true' : 'false'} style={{ height }}>
      {!mod && !loadError && <div className="monaco-loading muted small">Loading the editor…</div>}
      {loadError && (
        <div className="error-note" role="alert">
          {loadError}
        </div>
      )}
      <div ref={host} className="monaco-host" />
    </div>
  );
}
