// One dataset's problems, a page at a time, with text search and a split filter.
import { useEffect, useState } from 'react';
import type { Output } from '../../src-shared/api';
import { ErrorNote } from '../components/ErrorNote';
import { describeError } from '../errors';
import { clip } from '../format';
import { useApp, useConnection } from '../store';

const PAGE_SIZE = 50;
const QUESTION_CHARS = 200;
const SEARCH_DELAY_MS = 250;
const NO_SPLIT = '(none)';

type Page = Output<'problems.list'>;

export function ProblemsView() {
  const datasets = useApp((s) => s.datasets);
  const dataset = useApp((s) => s.dataset);
  const go = useApp((s) => s.go);
  const { api, imageUrl } = useConnection();

  const [searchInput, setSearchInput] = useState('');
  const [search, setSearch] = useState('');
  const [split, setSplit] = useState('');
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<Page | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [reload, setReload] = useState(0);

  const info = datasets.find((d) => d.name === dataset);

  // typing settles before the query runs
  useEffect(() => {
    const t = setTimeout(() => setSearch(searchInput.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(t);
  }, [searchInput]);

  useEffect(() => setOffset(0), [dataset, search, split]);

  useEffect(() => {
    setSearchInput('');
    setSearch('');
    setSplit('');
  }, [dataset]);

  useEffect(() => {
    if (!dataset) return;
    let live = true;
    setLoading(true);
    api['problems.list']({
      dataset,
      offset,
      limit: PAGE_SIZE,
      ...(search ? { search } : {}),
      ...(split ? { split } : {}),
    })
      .then((p) => {
        if (!live) return;
        setPage(p);
        setError(null);
      })
      .catch((e: unknown) => {
        if (!live) return;
        setPage(null);
        setError(describeError(e));
      })
      .finally(() => {
        if (live) setLoading(false);
      });
    return () => {
      live = false;
    };
  }, [api, dataset, search, split, offset, reload]);

  const chooser = (
    <label className="field inline">
      <span>Dataset</span>
      <select value={dataset ?? ''} onChange={(e) => go('problems', e.target.value || null)}>
        <option value="">Choose a dataset…</option>
        {datasets.map((d) => (
          <option key={d.id} value={d.name}>
            {d.name}
          </option>
        ))}
      </select>
    </label>
  );

  if (!dataset) {
    return (
      <section aria-labelledby="problems-title">
        <div className="view-head">
          <h2 id="problems-title">Problems</h2>
        </div>
        {datasets.length === 0 ? (
          <p className="empty">
            No datasets yet.{' '}
            <button type="button" className="link" onClick={() => go('import')}>
              Import a problem file
            </button>{' '}
            first.
          </p>
        ) : (
          <div className="toolbar">{chooser}</div>
        )}
      </section>
    );
  }

  const total = page?.total ?? 0;
  const first = total === 0 ? 0 : offset + 1;
  const last = Math.min(offset + PAGE_SIZE, total);

  return (
    <section aria-labelledby="problems-title">
      <div className="view-head">
        <h2 id="problems-title">
          Problems <span className="muted">in {dataset}</span>
        </h2>
      </div>
      <div className="toolbar">
        {chooser}
        <label className="field inline grow">
          <span>Search</span>
          <input
            type="search"
            value={searchInput}
            placeholder="Text in the question or the ID"
            onChange={(e) => setSearchInput(e.target.value)}
            aria-label="Search problems"
          />
        </label>
        <label className="field inline">
          <span>Split</span>
          <select value={split} onChange={(e) => setSplit(e.target.value)} aria-label="Split">
            <option value="">All splits</option>
            {Object.keys(info?.splits ?? {})
              // the core counts problems without a split under "(none)", but cannot filter on a missing split
              .filter((name) => name !== NO_SPLIT)
              .sort()
              .map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
          </select>
        </label>
      </div>
      {error && <ErrorNote message={error} onRetry={() => setReload((n) => n + 1)} />}
      {page && (
        <>
          <div className="pager">
            <span className="muted" data-testid="problems-range">
              {total === 0 ? 'No problems match' : `${first.toLocaleString()}–${last.toLocaleString()} of ${total.toLocaleString()}`}
              {loading ? ' · loading…' : ''}
            </span>
            <button type="button" disabled={offset === 0 || loading} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>
              Previous
            </button>
            <button type="button" disabled={last >= total || loading} onClick={() => setOffset(offset + PAGE_SIZE)}>
              Next
            </button>
          </div>
          {page.items.length > 0 && (
            <table className="data-table problems" data-testid="problems-table">
              <thead>
                <tr>
                  <th>ID</th>
                  <th>Split</th>
                  <th>Question</th>
                  <th>Answer</th>
                  <th>Type</th>
                  <th>Images</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((p) => (
                  <tr key={p.id}>
                    <td className="mono">{p.extId}</td>
                    <td>{p.split ?? <span className="muted">—</span>}</td>
                    <td className="question" title={p.question.length > QUESTION_CHARS ? p.question : undefined}>
                      {clip(p.question, QUESTION_CHARS)}
                    </td>
                    <td className="mono">{clip(p.answer, 80)}</td>
                    <td>
                      <span className="chip">{p.answerType}</span>
                    </td>
                    <td>
                      {p.images.length > 0 && (
                        <div className="thumbs">
                          {p.images.map((img, i) => (
                            <a key={img.hash} href={imageUrl(img.hash)} target="_blank" rel="noreferrer" title={`${img.width}×${img.height} ${img.mime}`}>
                              <img src={imageUrl(img.hash)} alt={`Image ${i + 1} of problem ${p.extId}`} loading="lazy" width={48} height={48} />
                            </a>
                          ))}
                        </div>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
      {!page && !error && <p className="muted">Loading…</p>}
    </section>
  );
}
