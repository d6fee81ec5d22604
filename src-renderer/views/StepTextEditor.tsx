// Edits one step's text in Monaco (Markdown: steps mix prose and LaTeX). Save stores a curated variant as
// a curation record; the search's original text stays and is shown beside it.
import { useState } from 'react';
import { MonacoEditor } from '../components/MonacoEditor';

export interface StepTextEditorProps {
  title: string;
  text: string;
  original: string;
  onSave(text: string): void | Promise<void>;
  onCancel(): void;
}

export function StepTextEditor({ title, text, original, onSave, onCancel }: StepTextEditorProps) {
  const [draft, setDraft] = useState(text);
  const [saving, setSaving] = useState(false);
  const empty = draft.trim() === '';
  return (
    <div className="step-editor" role="dialog" aria-label={`Edit the text of ${title}`} data-testid="step-editor">
      <h5>Edit the text of {title}</h5>
      <MonacoEditor value={draft} onChange={setDraft} language="markdown" height={160} ariaLabel="step text" testId="step-monaco" />
      {original !== draft && <p className="muted small">The search wrote: <span className="mono">{original}</span> (kept; exports can use either)</p>}
      <div className="label-actions">
        <button
          type="button"
          className="primary"
          disabled={empty || draft === text || saving}
          title={empty ? 'a step text cannot be empty' : undefined}
          onClick={() => {
            setSaving(true);
            void Promise.resolve(onSave(draft)).finally(() => setSaving(false));
          }}
        >
          Save curated text
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
