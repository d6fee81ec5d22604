// The bulk action bar: how many labels (and paths) are selected, and one action for all of them: mark
// good / bad, set a soft label, reject or accept their paths. One action is one batch in the core (one
// transaction) and one step of undo.
import { useState } from 'react';
import { useApp } from '../store';
import { parseLabelKey } from '../store/curation';

export function BulkBar() {
  const selection = useApp((s) => s.selection);
  const bulk = useApp((s) => s.bulk);
  const clear = useApp((s) => s.clearSelection);
  const [soft, setSoft] = useState('');
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
      <form
        className="soft-form"
          noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void bulk({ kind: 'relabel', value: soft.trim() === '' ? Number.NaN : Number(soft) }).then((ok) => ok && setSoft(''));
        }}
      >
        <input type="number" min={0} max={1} step={0.01} placeholder="0..1" aria-label="soft label for the selection" value={soft} onChange={(e) => setSoft(e.target.value)} />
        <button type="submit">Set all</button>
      </form>
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
