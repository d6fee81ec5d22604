// The workspace's datasets: name, version, size and splits; a row opens its problems.
import { ErrorNote } from '../components/ErrorNote';
import { useApp } from '../store';

export function DatasetsView() {
  const datasets = useApp((s) => s.datasets);
  const loaded = useApp((s) => s.datasetsLoaded);
  const error = useApp((s) => s.datasetsError);
  const load = useApp((s) => s.loadDatasets);
  const go = useApp((s) => s.go);

  return (
    <section aria-labelledby="datasets-title">
      <div className="view-head">
        <h2 id="datasets-title">Datasets</h2>
        <button type="button" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      {error && <ErrorNote message={error} onRetry={() => void load()} />}
      {loaded && datasets.length === 0 && (
        <p className="empty">
          This workspace has no datasets yet.{' '}
          <button type="button" className="link" onClick={() => go('import')}>
            Import a problem file
          </button>{' '}
          to create one.
        </p>
      )}
      {!loaded && !error && <p className="muted">Loading…</p>}
      {datasets.length > 0 && (
        <table className="data-table" data-testid="datasets-table">
          <thead>
            <tr>
              <th>Name</th>
              <th className="num">Version</th>
              <th className="num">Problems</th>
              <th className="num">Images</th>
              <th>Splits</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {datasets.map((d) => (
              <tr key={d.id}>
                <td>
                  <strong>{d.name}</strong>
                  {d.description && <div className="muted small">{d.description}</div>}
                </td>
                <td className="num">{d.version}</td>
                <td className="num">{d.problemCount.toLocaleString()}</td>
                <td className="num">{d.imageCount.toLocaleString()}</td>
                <td>
                  {Object.keys(d.splits).length === 0 ? (
                    <span className="muted">none</span>
                  ) : (
                    Object.entries(d.splits)
                      .sort(([a], [b]) => a.localeCompare(b))
                      .map(([split, n]) => (
                        <span key={split} className="chip">
                          {split} <span className="muted">{n.toLocaleString()}</span>
                        </span>
                      ))
                  )}
                </td>
                <td className="actions">
                  <button type="button" onClick={() => go('problems', d.name)}>
                    Problems
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
