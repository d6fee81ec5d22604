// The workspace's datasets: name, version, size and splits; a row opens its problems. A virtualized table
// over datasets.list's pages (a few dozen rows in the DOM however many datasets there are). Below them, the
// annotation sets (the labelled paths searches made), each renamed or deleted here too.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Output } from '../../src-shared/api';
import type { Dataset } from '../../src-shared/domain';
import { ErrorNote } from '../components/ErrorNote';
import { ManageButtons } from '../components/ManageDialog';
import { LoadingRow, SpacerRow } from '../components/PagedTableRows';
import { describeError } from '../errors';
import { usePagedRows } from '../hooks/usePagedRows';
import { useVirtualPaged } from '../hooks/useVirtualPaged';
import { useApp, useConnection } from '../store';

const ROW_HEIGHT = 48;

export function DatasetsView() {
  const total = useApp((s) => s.datasetsTotal);
  const version = useApp((s) => s.datasetsVersion);
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
      {loaded && total === 0 && (
        <p className="empty">
          This workspace has no datasets yet.{' '}
          <button type="button" className="link" onClick={() => go('import')}>
            Import a problem file
          </button>{' '}
          to create one.
        </p>
      )}
      {!loaded && !error && <p className="muted">Loading…</p>}
      {total > 0 && <DatasetsTable version={version} after={() => void loadSets()} />}
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

/** The datasets, a window of rows at a time as the table scrolls; `version` moves when the list reloads. */
function DatasetsTable({ version, after }: { version: number; after: () => void }) {
  const { api } = useConnection();
  const go = useApp((s) => s.go);
  const rows = usePagedRows<Dataset>(`datasets#${version}`, (offset, limit) => api['datasets.list']({ offset, limit }));
  const scroller = useRef<HTMLDivElement>(null);
  const { count, items, padTop, padBottom } = useVirtualPaged(rows, scroller, ROW_HEIGHT, 10);
  return (
    <>
      {rows.error && <ErrorNote message={rows.error} onRetry={rows.retry} />}
      {count > 20 && (
        <p className="muted small" data-testid="datasets-range">
          {count.toLocaleString()} datasets, by name
        </p>
      )}
      <div className="paged-scroll datasets-scroll" ref={scroller} role="region" aria-label="Datasets table">
        <table className="data-table" data-testid="datasets-table" aria-rowcount={count}>
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
            <SpacerRow height={padTop} />
            {items.map((v) => {
              const d = rows.rowAt(v.index);
              if (!d) return <LoadingRow key={v.key} index={v.index} height={ROW_HEIGHT} columns={6} />;
              return (
                <tr key={v.key} style={{ height: ROW_HEIGHT }} aria-rowindex={v.index + 1}>
                  <td>
                    <strong>{d.name}</strong>
                    {d.description && <div className="muted small clip-line">{d.description}</div>}
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
                    <ManageButtons target={{ kind: 'dataset', ref: d.id, label: `“${d.name}”`, name: d.name }} after={after} />
                  </td>
                </tr>
              );
            })}
            <SpacerRow height={padBottom} />
          </tbody>
        </table>
      </div>
    </>
  );
}
