// The rename and delete dialogs every list shares (store/manage.ts holds their state). Delete lists what
// the core says goes with the object, row kind by row kind with counts, what stays and what stops it; the
// Delete button is the only thing that deletes. Rename takes the new name and shows a refusal in place.
import { useEffect, useRef, useState } from 'react';
import { MANAGE_KIND_LABEL, type ManagePlan } from '../../src-shared/manage';
import type { ManageDialog as DialogState, ManageTargetRef } from '../store/manage';
import { useApp } from '../store';

/** The rename and delete buttons of one item of a list. */
export function ManageButtons({ target, after, compact }: { target: ManageTargetRef; after?: () => void; compact?: boolean }) {
  const askRename = useApp((s) => s.askRename);
  const askDelete = useApp((s) => s.askDelete);
  const what = `${MANAGE_KIND_LABEL[target.kind]} ${target.label}`;
  return (
    <span className={compact ? 'manage-buttons compact' : 'manage-buttons'}>
      <button type="button" className="small-button" aria-label={`Rename ${what}`} title={`Rename ${what}`} onClick={() => askRename(target, after)}>
        Rename
      </button>
      <button type="button" className="small-button danger" aria-label={`Delete ${what}`} title={`Delete ${what}`} onClick={() => void askDelete(target, after)}>
        Delete
      </button>
    </span>
  );
}

/** What a delete takes, as the dialog lists it (pure: the renderer test reads it). */
export function DeletePlanBody({ plan }: { plan: ManagePlan }) {
  return (
    <div className="manage-plan">
      {plan.blockers.map((b) => (
        <p key={b} className="error-text small" role="alert">
          Cannot delete now: {b}
        </p>
      ))}
      {plan.objects.length > 0 && (
        <p className="small">
          With it: {plan.objects.map((o) => `${MANAGE_KIND_LABEL[o.kind]} “${o.name}”`).join(', ')}
        </p>
      )}
      {plan.keeps.map((k) => (
        <p key={k} className="muted small">
          Stays: {k}
        </p>
      ))}
      {plan.folders.map((f) => (
        <p key={f} className="muted small">
          Its folder is removed: <span className="mono">{f}</span>
        </p>
      ))}
      {plan.total === 0 ? (
        <p className="muted small">Nothing else goes with it.</p>
      ) : (
        <table className="data-table compact" aria-label="What goes with it">
          <tbody>
            {plan.rows.map((r) => (
              <tr key={r.what}>
                <td className="num">{r.count.toLocaleString()}</td>
                <td>{r.what}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** The dialog's content for a state (pure, so a test can render it without a DOM). */
export function ManageDialogBody({ dialog, onConfirm, onRename, onClose }: { dialog: DialogState; onConfirm(): void; onRename(name: string): void; onClose(): void }) {
  const [name, setName] = useState(dialog.mode === 'rename' ? dialog.target.name : '');
  const input = useRef<HTMLInputElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    // rename: the name, selected; delete: Cancel, so that Enter never deletes by accident
    input.current?.focus();
    input.current?.select();
    cancel.current?.focus();
  }, []);
  const what = `${MANAGE_KIND_LABEL[dialog.target.kind]} ${dialog.target.label}`;
  if (dialog.mode === 'rename') {
    return (
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onRename(name.trim());
        }}
      >
        <h3>Rename {what}</h3>
        {dialog.target.kind === 'model' && <p className="muted small">Every version of the model takes the new name; its folder stays where it is.</p>}
        <input ref={input} type="text" aria-label="New name" value={name} maxLength={200} onChange={(e) => setName(e.target.value)} />
        {dialog.error && (
          <p className="error-text small" role="alert">
            {dialog.error}
          </p>
        )}
        <div className="form-actions">
          <button type="submit" className="primary" disabled={dialog.busy || name.trim() === ''}>
            Rename
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    );
  }
  const plan = dialog.plan;
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        onConfirm();
      }}
    >
      <h3>Delete {what}?</h3>
      {!plan && dialog.busy && <p className="muted small">Counting what goes with it…</p>}
      {plan && <DeletePlanBody plan={plan} />}
      {plan && plan.blockers.length === 0 && <p className="small">This cannot be undone: {plan.total.toLocaleString()} rows go in one transaction.</p>}
      {dialog.error && (
        <p className="error-text small" role="alert">
          {dialog.error}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="danger-primary" disabled={!plan || dialog.busy || plan.blockers.length > 0}>
          Delete
        </button>
        <button ref={cancel} type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function ManageDialog() {
  const dialog = useApp((s) => s.manageDialog);
  const close = useApp((s) => s.closeManage);
  const confirm = useApp((s) => s.confirmDelete);
  const rename = useApp((s) => s.saveRename);
  const busy = dialog?.busy ?? true;
  // Escape closes it wherever the focus is (not while the core is deleting or renaming)
  useEffect(() => {
    if (busy) return;
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') close();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [busy, close]);
  if (!dialog) return null;
  const label = dialog.mode === 'delete' ? `Delete ${MANAGE_KIND_LABEL[dialog.target.kind]}` : `Rename ${MANAGE_KIND_LABEL[dialog.target.kind]}`;
  return (
    <div className="palette-backdrop" onMouseDown={(e) => e.target === e.currentTarget && !dialog.busy && close()}>
      <div className="palette name-dialog manage-dialog" role="dialog" aria-modal="true" aria-label={label}>
        <ManageDialogBody key={`${dialog.mode}-${dialog.target.kind}-${dialog.target.ref}`} dialog={dialog} onConfirm={() => void confirm()} onRename={(n) => void rename(n)} onClose={close} />
      </div>
    </div>
  );
}
