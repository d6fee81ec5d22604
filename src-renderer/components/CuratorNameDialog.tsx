// The name curation records carry ("by <name>" in every history): set once, from the command palette or
// the curation panel, and kept by the core beside the recent workspaces (the system account until then).
import { useEffect, useRef, useState } from 'react';
import { describeError } from '../errors';
import { useApp } from '../store';

export function CuratorNameDialog() {
  const open = useApp((s) => s.nameRequested);
  const request = useApp((s) => s.requestName);
  const curator = useApp((s) => s.curator);
  const save = useApp((s) => s.setCurator);
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (!open) return;
    setName(curator?.source === 'set' ? curator.name : '');
    setError(null);
    input.current?.focus();
  }, [open, curator]);
  if (!open) return null;
  const submit = async (): Promise<void> => {
    try {
      await save(name);
      request(false);
    } catch (e) {
      setError(describeError(e));
    }
  };
  return (
    <div className="palette-backdrop" onMouseDown={(e) => e.target === e.currentTarget && request(false)}>
      <div className="palette name-dialog" role="dialog" aria-modal="true" aria-label="Your name for curation records">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
          onKeyDown={(e) => e.key === 'Escape' && request(false)}
        >
          <h3>Your name for curation records</h3>
          <p className="muted small">
            Every relabel, rejection, comment and text edit is recorded with it (“by {name.trim() || curator?.name || '…'}”). It is kept on this machine beside the recent workspaces
            {curator?.source === 'system' ? `; until you set one, records name the system account (${curator.name})` : ''}.
          </p>
          <input ref={input} type="text" aria-label="Your name" value={name} maxLength={100} placeholder="e.g. Ada Lovelace" onChange={(e) => setName(e.target.value)} />
          {error && (
            <p className="error-text small" role="alert">
              {error}
            </p>
          )}
          <div className="form-actions">
            <button type="submit" className="primary" disabled={name.trim() === ''}>
              Save
            </button>
            <button type="button" onClick={() => request(false)}>
              Cancel
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
