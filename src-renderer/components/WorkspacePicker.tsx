// The open workspace's path in the header, as a button: it opens a dialog to open another workspace
// folder or create a new one, with the recently opened ones. A refusal (not a workspace, a non-empty
// folder) is shown inline and changes nothing. After a switch, from this window or another one, the
// page reloads: nothing loaded from the old workspace survives, whatever view or slice held it.
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useApp, useConnection } from '../store';
import { ErrorNote } from './ErrorNote';
import './WorkspacePicker.css';

let reloading = false;

/**
 * Starts the app afresh on the Datasets view (the old route may name a dataset the new workspace lacks).
 * Once only: the switch's event and its reply both ask, and a second reload would abort the first.
 */
function reloadApp(): void {
  if (reloading) return;
  reloading = true;
  window.history.replaceState(null, '', '#/datasets');
  window.location.reload();
}

export function WorkspacePicker({ path }: { path: string }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const connection = useConnection();
  const [draft, setDraft] = useState(path);
  const recent = useApp((s) => s.recentWorkspaces);
  const recentError = useApp((s) => s.recentError);
  const error = useApp((s) => s.pickerError);
  const busy = useApp((s) => s.pickerBusy);
  const loadRecent = useApp((s) => s.loadRecentWorkspaces);
  const openWorkspace = useApp((s) => s.openWorkspace);
  const clearError = useApp((s) => s.clearPickerError);
  const titleId = useId();
  const fieldId = useId();

  // every window reloads when the core switched workspaces, whoever asked for it
  useEffect(
    () =>
      connection.subscribe((event) => {
        if (event.type === 'workspace') reloadApp();
      }),
    [connection],
  );

  const show = (): void => {
    setDraft(path);
    clearError();
    void loadRecent();
    dialog.current?.showModal();
  };

  const go = async (target: string, create: boolean): Promise<void> => {
    const info = await openWorkspace(target, create);
    if (!info) return;
    if (info.path !== path) reloadApp();
    else dialog.current?.close();
  };

  // the command palette's "Open or create a workspace…"
  const requested = useApp((s) => s.pickerRequested);
  const requestPicker = useApp((s) => s.requestPicker);
  useEffect(() => {
    if (!requested) return;
    requestPicker(false);
    show();
  });

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    void go(draft, false);
  };

  return (
    <>
      <button type="button" className="workspace-button mono ellipsis" aria-haspopup="dialog" title={`${path}: open or create another workspace`} onClick={show}>
        {path}
      </button>
      <dialog ref={dialog} className="workspace-picker" aria-labelledby={titleId}>
        <form method="dialog" onSubmit={submit}>
          <h2 id={titleId}>Workspace</h2>
          <p className="muted small">
            A workspace is a folder that holds <span className="mono">steplab.db</span> and its images. Open one, or create a new one in a new or
            empty folder.
          </p>
          <label htmlFor={fieldId}>Workspace folder</label>
          <input
            id={fieldId}
            type="text"
            className="mono"
            spellCheck={false}
            autoComplete="off"
            value={draft}
            placeholder="/home/you/steplab-workspace"
            onChange={(e) => setDraft(e.target.value)}
          />
          {error && <ErrorNote message={error} />}
          <div className="picker-actions">
            <button type="submit" className="primary" disabled={busy}>
              Open
            </button>
            <button type="button" disabled={busy} onClick={() => void go(draft, true)}>
              Create workspace
            </button>
            {busy && (
              <span className="muted small" role="status">
                Switching…
              </span>
            )}
            <button type="button" className="picker-close" onClick={() => dialog.current?.close()}>
              Close
            </button>
          </div>
        </form>
        <section aria-label="Recent workspaces">
          <h3 className="small muted">Recent</h3>
          {recentError && <ErrorNote message={recentError} onRetry={() => void loadRecent()} />}
          {recent && recent.length === 0 && <p className="muted small">No workspace opened from here yet.</p>}
          {recent && recent.length > 0 && (
            <ul className="recent-list">
              {recent.map((r) => (
                <li key={r.path} className={r.exists ? undefined : 'missing'}>
                  <button type="button" className="recent-path mono" disabled={!r.exists || busy || r.path === path} onClick={() => void go(r.path, false)} title={r.path}>
                    {r.path}
                  </button>
                  {r.path === path && <span className="tag">open now</span>}
                  {!r.exists && <span className="tag">missing</span>}
                </li>
              ))}
            </ul>
          )}
        </section>
      </dialog>
    </>
  );
}
