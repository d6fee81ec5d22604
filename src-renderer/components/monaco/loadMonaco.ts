/// <reference types="vite/client" />
// The Monaco editor, bundled from the monaco-editor package (no CDN: the app is offline). This module is
// the big lazy chunk: MonacoEditor.tsx imports it on first use, so the app's first load stays small. It
// takes only the editor core, the contributions an editing panel needs, JSON (with schema validation in
// its worker) and Markdown; the workers are built by vite (`?worker`) into files served by the app itself,
// so they load under the host's CSP (worker-src 'self'), with no eval and no blob: script.
import * as monaco from 'monaco-editor/editor/editor.api';
import 'monaco-editor/features/codicon/register';
import 'monaco-editor/features/hover/register';
import 'monaco-editor/features/find/register';
import 'monaco-editor/features/folding/register';
import 'monaco-editor/features/bracketMatching/register';
import 'monaco-editor/features/clipboard/register';
import 'monaco-editor/features/contextmenu/register';
import 'monaco-editor/features/gotoError/register';
import 'monaco-editor/features/suggest/register';
import 'monaco-editor/features/wordHighlighter/register';
import 'monaco-editor/features/linesOperations/register';
import 'monaco-editor/features/comment/register';
import { jsonDefaults } from 'monaco-editor/languages/features/json/register';
import 'monaco-editor/languages/definitions/markdown/register';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import JsonWorker from 'monaco-editor/language/json/json.worker?worker';

self.MonacoEnvironment = {
  getWorker(_workerId: string, label: string): Worker {
    return label === 'json' ? new JsonWorker() : new EditorWorker();
  },
};

/** JSON schemas by model URI: Monaco's JSON service holds one list, so every editor's schema is kept here. */
const schemas = new Map<string, unknown>();

function applySchemas(): void {
  jsonDefaults.setDiagnosticsOptions({
    validate: true,
    allowComments: false,
    enableSchemaRequest: false,
    schemaValidation: 'error',
    schemas: [...schemas].map(([uri, schema]) => ({ uri: `${uri}#schema`, fileMatch: [uri], schema })),
  });
}

/** Sets (or with null, clears) the JSON schema the model at `uri` is validated against. */
export function setModelSchema(uri: string, schema: unknown | null): void {
  if (schema === null) schemas.delete(uri);
  else schemas.set(uri, schema);
  applySchemas();
}

applySchemas();

export { monaco };
export type Monaco = typeof monaco;
