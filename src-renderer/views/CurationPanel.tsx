// The annotation labels through one tree node, relabelled or rejected in place: curation edits over the
// originals (the core keeps them), with undo.
import { ErrorNote } from '../components/ErrorNote';
import { useApp } from '../store';

export function CurationPanel({ node }: { node: number }) {
  const annotations = useApp((s) => s.annotations);
  const relabel = useApp((s) => s.relabel);
  const setPathState = useApp((s) => s.setPathState);
  const undo = useApp((s) => s.undo);
  const undoCount = useApp((s) => s.undoStack.length);
  const curationError = useApp((s) => s.curationError);

  // the annotations whose path runs through the node, and the step of theirs it holds (its last)
  const labels = annotations.flatMap((a) => {
    const nodes = (a.provenance.nodes as (number | null)[] | undefined) ?? [];
    const idx = nodes.lastIndexOf(node);
    return idx >= 0 && a.steps[idx] ? [{ a, step: a.steps[idx] }] : [];
  });

  return (
    <div className="curation" data-testid="curation">
      <h4>
        Labels through node #{node}{' '}
        <button type="button" disabled={undoCount === 0} onClick={() => void undo()}>
          Undo
        </button>
      </h4>
      {curationError && <ErrorNote message={curationError} />}
      {labels.length === 0 && <p className="muted small">No annotation path runs through this node (MM-PRM's rules keep only some paths; search with --all-paths to label every node).</p>}
      {labels.map(({ a, step }) => (
        <div key={a.id} className="label-row" data-testid={`label-${a.id}-${step.idx}`}>
          <span className="mono small">
            path #{a.id} ({a.setName}), step {step.idx + 1}:
          </span>{' '}
          <strong data-testid="soft-label">{step.softLabel.toFixed(3)}</strong> ({step.hardLabel ? 'good' : 'bad'})
          {step.edited && <span className="muted small"> · curated, search said {step.originalSoft.toFixed(3)}</span>}
          {a.rejected && <span className="badge warn"> rejected</span>}{' '}
          <button type="button" onClick={() => void relabel(a.id, step.idx, 1)}>
            Mark good
          </button>{' '}
          <button type="button" onClick={() => void relabel(a.id, step.idx, 0)}>
            Mark bad
          </button>{' '}
          <button type="button" onClick={() => void setPathState(a.id, a.rejected ? 'accept' : 'reject')}>
            {a.rejected ? 'Accept path' : 'Reject path'}
          </button>
        </div>
      ))}
    </div>
  );
}
