// The workspace's datasets: name, version, size and splits; a row opens its problems. Below them, the
// annotation sets (the labelled paths searches made), each renamed or deleted here too.
import { useCallback, useEffect, useState } from 'react';
import type { Output } from '../../src-shared/api';
import { ErrorNote } from '../components/ErrorNote';
import { ManageButtons } from '../components/ManageDialog';
import { describeError } from '../errors';
import { useApp, useConnection } from '../store';

export function DatasetsView() {
  const datasets = useApp((s) => s.datasets);
  const loaded = useApp((s) => s.datasetsLoaded);
  const error = useApp((s) => s.datasetsError);
  const load = useApp((s) => s.loadDatasets);
  const go = useApp((s) => s.go);
  const { api } = useConnection();
  const [sets, setSets] = useState<Output<'annotations.sets'> | null>(null);
  const [setsError, setSetsError] = useState<string | null>(null);
  const loadSets = useCallback(async () => {
    try {
      setSets(await api['annotations.sets']({}));
      setSetsError(null);
    } catch (e) {
      setSetsError(describeError(e));
    }
  }, [api]);
  useEffect(() => {
    void loadSets();
  }, [loadSets]);

  return (
    <section aria-labelledby="datasets-title">
      <div className="view-head">
        <h2 id="datasets-title">Datasets</h2>
        <button type="button" onClick={() => (void load(), void loadSets())}>
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
                  <ManageButtons target={{ kind: 'dataset', ref: d.id, label: `“${d.name}”`, name: d.name }} after={() => void loadSets()} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {setsError && <ErrorNote message={setsError} onRetry={() => void loadSets()} />}
      {sets && sets.length > 0 && (
        <>
          <h3 id="annotation-sets-title">Annotation sets</h3>
          <table className="data-table" data-testid="annotation-sets-table" aria-labelledby="annotation-sets-title">
            <thead>
              <tr>
                <th>Set</th>
                <th className="num">Annotations</th>
                <th className="num">Problems</th>
                <th className="num">Steps</th>
                <th className="num">Searches</th>
                <th>Created</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {sets.map((a) => (
                <tr key={a.name}>
                  <td>
                    <strong>{a.name}</strong>
                  </td>
                  <td className="num">{a.annotations.toLocaleString()}</td>
                  <td className="num">{a.problems.toLocaleString()}</td>
                  <td className="num">{a.steps.toLocaleString()}</td>
                  <td className="num">{a.searches.toLocaleString()}</td>
                  <td className="small">{new Date(a.createdAt).toLocaleString()}</td>
                  <td className="actions">
                    <ManageButtons target={{ kind: 'annotationSet', ref: a.name, label: `“${a.name}”`, name: a.name }} after={() => void loadSets()} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
