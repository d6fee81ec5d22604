// The top of a list view: its title, a Refresh button, the load error (with retry) and the loading line.
import type { ReactNode } from 'react';
import { ErrorNote } from './ErrorNote';

export function ViewHeader({ id, title, onRefresh, error, loading }: { id: string; title: ReactNode; onRefresh(): void; error: string | null; loading: boolean }) {
  return (
    <>
      <div className="view-head">
        <h2 id={id}>{title}</h2>
        <button type="button" onClick={onRefresh}>
          Refresh
        </button>
      </div>
      {error && <ErrorNote message={error} onRetry={onRefresh} />}
      {loading && !error && <p className="muted">Loading…</p>}
    </>
  );
}
