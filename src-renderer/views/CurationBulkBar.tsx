// The bulk action bar: how many labels (and paths) are selected, and one action for all of them: mark
// good / bad, set a soft label, reject or accept their paths. One action is one batch in the core (one
// transaction) and one step of undo.
import { useApp } from '../store';
import { parseLabelKey } from '../store/curation';
import { SoftLabelForm } from './SoftLabelForm';

export function BulkBar() {
  const selection = useApp((s) => s.selection);
  const bulk = useApp((s) => s.bulk);
  const clear = useApp((s) => s.clearSelection);
  if (selection.length === 0) return null;
  const paths = new Set(selection.map((k) => parseLabelKey(k).annotationId)).size;
  return (
    <div className="bulk-bar" role="toolbar" aria-label="Bulk curation" data-testid="bulk-bar">
      <strong>
        {selection.length} label{selection.length === 1 ? '' : 's'} selected
      </strong>{' '}
      <span className="muted small">
        ({paths} path{paths === 1 ? '' : 's'})
      </span>
      <button type="button" onClick={() => void bulk({ kind: 'relabel', value: 1 })}>
        Mark all good
      </button>
      <button type="button" onClick={() => void bulk({ kind: 'relabel', value: 0 })}>
        Mark all bad
      </button>
      <SoftLabelForm label="soft label for the selection" button="Set all" onSet={(value) => bulk({ kind: 'relabel', value })} />
      <button type="button" onClick={() => void bulk({ kind: 'reject' })}>
        Reject {paths} path{paths === 1 ? '' : 's'}
      </button>
      <button type="button" onClick={() => void bulk({ kind: 'accept' })}>
        Accept {paths} path{paths === 1 ? '' : 's'}
      </button>
      <button type="button" className="link" onClick={clear}>
        Clear selection
      </button>
    </div>
  );
}
