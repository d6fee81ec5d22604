// The annotation labels through one tree node, curated in place: relabel a step (good, bad or a typed soft
// value), reject or accept its path, comment, edit the step's text in Monaco (a curated variant; the
// original is kept), select labels (here, the node's subtree, or from the disagreement queue) and apply one
// action to all of them. Every action is one batch of curation records: Undo / Redo (Ctrl+Z /
// Ctrl+Shift+Z in the panel) walk them. Each step's history says who did what, when, and why.
import { lazy, Suspense, useState, type KeyboardEvent } from 'react';
import type { AnnotationRecord, CurationEdit } from '../../src-shared/domain';
import { ErrorNote } from '../components/ErrorNote';
import { useApp } from '../store';
import { labelKey, stepAtNode, subtreeSteps, type LabelKey } from '../store/curation';
import { BulkBar } from './CurationBulkBar';
import { ExportAnnotationsForm } from './ExportAnnotationsForm';
import { SoftLabelForm } from './SoftLabelForm';
import './CurationPanel.css';

// Monaco is loaded only when a step's text is edited
const StepTextEditor = lazy(() => import('./StepTextEditor').then((m) => ({ default: m.StepTextEditor })));

/** Ctrl+Z / Ctrl+Shift+Z (Cmd on a Mac) outside text fields and the editor. */
export function undoKey(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'target'>): 'undo' | 'redo' | null {
  if (!(e.ctrlKey || e.metaKey) || e.key.toLowerCase() !== 'z') return null;
  const t = e.target as HTMLElement | null;
  if (t?.closest?.('input, textarea, select, .monaco-editor')) return null;
  return e.shiftKey ? 'redo' : 'undo';
}

/** What a record did, said so that it cannot be misread (which step, what value, the path or the step). */
export function describeEdit(h: CurationEdit): string {
  const step = h.stepIdx === null ? null : `step ${h.stepIdx + 1}`;
  switch (h.action) {
    case 'relabel':
      return `set ${step}'s label to ${h.value?.toFixed(3)} (${(h.value ?? 0) > 0 ? 'good' : 'bad'})`;
    case 'text':
      return `edited ${step}'s text`;
    case 'comment':
      return step ? `commented on ${step}` : 'commented on the path';
    case 'reject':
      return 'rejected the whole path';
    case 'accept':
      return 'accepted the whole path';
  }
}

function History({ a, stepIdx }: { a: AnnotationRecord; stepIdx: number }) {
  const items = a.history.filter((h) => h.stepIdx === stepIdx || h.stepIdx === null);
  if (items.length === 0) return null;
  return (
    <details className="curation-history">
      <summary className="small">History ({items.length})</summary>
      <ol className="small" data-testid={`history-${a.id}-${stepIdx}`}>
        {items.map((h) => (
          <li key={h.id} className={h.undone ? 'undone' : undefined} title={h.undone ? 'undone' : undefined}>
            <span className="mono">{new Date(h.createdAt).toLocaleString()}</span> · by <strong>{h.author ?? 'unknown'}</strong>: {describeEdit(h)}
            {h.comment && <q className="curation-comment">{h.comment}</q>}
            {h.undone && <span className="muted"> (undone)</span>}
          </li>
        ))}
      </ol>
    </details>
  );
}

function LabelRow({ a, stepIdx, onEditText }: { a: AnnotationRecord; stepIdx: number; onEditText(): void }) {
  const step = a.steps[stepIdx];
  const relabel = useApp((s) => s.relabel);
  const setPathState = useApp((s) => s.setPathState);
  const addComment = useApp((s) => s.addComment);
  const hasComment = useApp((s) => s.curationComment.trim() !== '');
  const key = labelKey(a.id, stepIdx);
  const selected = useApp((s) => s.selection.includes(key));
  const toggle = useApp((s) => s.toggleLabel);
  return (
    <div className={`label-row${a.rejected ? ' rejected' : ''}`} data-testid={`label-${a.id}-${stepIdx}`}>
      <div className="label-line">
        <input type="checkbox" aria-label={`select path ${a.id} step ${stepIdx + 1}`} checked={selected} onChange={() => toggle(key)} />
        <span className="mono small">
          path #{a.id} ({a.setName}), step {stepIdx + 1}:
        </span>{' '}
        <strong data-testid="soft-label">{step.softLabel.toFixed(3)}</strong> ({step.hardLabel ? 'good' : 'bad'})
        {step.edited && <span className="muted small"> · curated, search said {step.originalSoft.toFixed(3)}</span>}
        {a.rejected && <span className="badge warn"> rejected</span>}
        {a.accepted && <span className="badge ok"> accepted</span>}
      </div>
      <div className={`step-text mono small${step.textEdited ? ' curated' : ''}`} data-testid="step-text">
        {step.text}
        {step.textEdited && <span className="muted"> (curated text; the search wrote: {step.originalText})</span>}
      </div>
      {step.comments.length > 0 && (
        <div className="small">
          {step.comments.map((c, i) => (
            <q key={i} className="curation-comment">
              {c}
            </q>
          ))}
        </div>
      )}
      <div className="label-actions">
        <button type="button" onClick={() => void relabel(a.id, stepIdx, 1)}>
          Mark good
        </button>
        <button type="button" onClick={() => void relabel(a.id, stepIdx, 0)}>
          Mark bad
        </button>
        <SoftLabelForm label={`soft label for path ${a.id} step ${stepIdx + 1}`} button="Set" onSet={(value) => relabel(a.id, stepIdx, value)} />
        <button type="button" onClick={() => void setPathState(a.id, a.rejected ? 'accept' : 'reject')}>
          {a.rejected ? 'Accept path' : 'Reject path'}
        </button>
        <button type="button" onClick={onEditText}>
          Edit text
        </button>
        <button type="button" disabled={!hasComment} title={hasComment ? undefined : 'write a comment above first'} onClick={() => void addComment(a.id, stepIdx)}>
          Comment
        </button>
      </div>
      <History a={a} stepIdx={stepIdx} />
    </div>
  );
}

export function CurationPanel({ node }: { node: number }) {
  const annotations = useApp((s) => s.annotations);
  const undo = useApp((s) => s.undo);
  const redo = useApp((s) => s.redo);
  const undoCount = useApp((s) => s.undoStack.length);
  const redoCount = useApp((s) => s.redoStack.length);
  const curationError = useApp((s) => s.curationError);
  const comment = useApp((s) => s.curationComment);
  const setComment = useApp((s) => s.setCurationComment);
  const selectLabels = useApp((s) => s.selectLabels);
  const editText = useApp((s) => s.editText);
  const [editing, setEditing] = useState<{ annotationId: number; stepIdx: number } | null>(null);
  const curator = useApp((s) => s.curator);
  const requestName = useApp((s) => s.requestName);

  // the annotations whose path runs through the node, and the step of theirs it holds (its last)
  const labels = annotations.flatMap((a) => {
    const idx = stepAtNode(a, node);
    return idx >= 0 ? [{ a, idx }] : [];
  });
  const here: LabelKey[] = labels.map(({ a, idx }) => labelKey(a.id, idx));
  const subtree: LabelKey[] = annotations.flatMap((a) => subtreeSteps(a, node).map((i) => labelKey(a.id, i)));
  const editingAnn = editing ? annotations.find((a) => a.id === editing.annotationId) : undefined;

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    const what = undoKey(e);
    if (!what) return;
    e.preventDefault();
    void (what === 'undo' ? undo() : redo());
  };

  return (
    <div className="curation" data-testid="curation" tabIndex={-1} onKeyDown={onKeyDown}>
      <h4>
        Labels through node #{node}{' '}
        <button type="button" disabled={undoCount === 0} onClick={() => void undo()} title="Ctrl+Z">
          Undo
        </button>{' '}
        <button type="button" disabled={redoCount === 0} onClick={() => void redo()} title="Ctrl+Shift+Z">
          Redo
        </button>{' '}
        <span className="muted small curation-who">
          edits by{' '}
          <button type="button" className="link" onClick={() => requestName(true)} title="Set your name for curation records" data-testid="curator-name">
            {curator?.name ?? '…'}
          </button>
        </span>
      </h4>
      <label className="curation-comment-field">
        Comment for the next edit{' '}
        <input type="text" value={comment} placeholder="why (optional; saved with the edit)" onChange={(e) => setComment(e.target.value)} aria-label="Comment for the next edit" />
      </label>
      <div className="curation-select small">
        Select:{' '}
        <button type="button" className="link" disabled={here.length === 0} onClick={() => selectLabels(here, true)}>
          labels here ({here.length})
        </button>{' '}
        ·{' '}
        <button type="button" className="link" disabled={subtree.length === 0} onClick={() => selectLabels(subtree, true)}>
          all labels in this subtree ({subtree.length})
        </button>
      </div>
      <BulkBar />
      {curationError && <ErrorNote message={curationError} />}
      {labels.length === 0 && <p className="muted small">No annotation path runs through this node (MM-PRM's rules keep only some paths; search with --all-paths to label every node).</p>}
      {labels.map(({ a, idx }) => (
        <LabelRow key={a.id} a={a} stepIdx={idx} onEditText={() => setEditing({ annotationId: a.id, stepIdx: idx })} />
      ))}
      {editing && editingAnn && (
        <Suspense fallback={<p className="muted small">Loading the editor…</p>}>
          <StepTextEditor
            title={`Path #${editing.annotationId}, step ${editing.stepIdx + 1}`}
            text={editingAnn.steps[editing.stepIdx].text}
            original={editingAnn.steps[editing.stepIdx].originalText}
            onCancel={() => setEditing(null)}
            onSave={async (text) => {
              if (await editText(editing.annotationId, editing.stepIdx, text)) setEditing(null);
            }}
          />
        </Suspense>
      )}
      <ExportAnnotationsForm />
    </div>
  );
}
