// One dataset's problems: a virtualized table over the whole filtered dataset (rows fetched in windows as
// it scrolls), with search and filters (split, answer type, images, solved, label status); the keyboard
// moves the selection and Enter opens a problem. The same view shows one problem or the dataset heatmap
// when the route focuses one.
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { Input, Output } from '../../src-shared/api';
import type { Dataset } from '../../src-shared/domain';
import { ErrorNote } from '../components/ErrorNote';
import { LoadingRow, SpacerRow } from '../components/PagedTableRows';
import { describeError } from '../errors';
import { clip } from '../format';
import { usePagedRows, type PagedRows } from '../hooks/usePagedRows';
import { useVirtualPaged } from '../hooks/useVirtualPaged';
import { useApp, useConnection } from '../store';
import { DatasetHeatmap } from './DatasetHeatmap';
import { ProblemView } from './ProblemView';
import './ProblemsView.css';

const WINDOW = 100;
const ROW_HEIGHT = 64;
const QUESTION_CHARS = 200;
const SEARCH_DELAY_MS = 250;
const NO_SPLIT = '(none)';
const ANSWER_TYPES = ['number', 'fraction', 'choice', 'expression', 'text'] as const;

type Item = Output<'problems.list'>['items'][number];
type Query = Omit<Input<'problems.list'>, 'offset' | 'limit'>;

interface Filters {
  split: string;
  answerType: string;
  images: '' | 'with' | 'without';
  solved: '' | 'solved' | 'unsolved' | 'none';
  label: '' | 'search' | 'curated' | 'none';
}
const NO_FILTERS: Filters = { split: '', answerType: '', images: '', solved: '', label: '' };

/** The filter selects above the table: the filter each sets, its label and its options (value, text). */
function filterSelects(splits: readonly string[]): { key: keyof Filters; label: string; options: [string, string][] }[] {
  return [
    { key: 'split', label: 'Split', options: [['', 'All splits'], ...splits.map((x): [string, string] => [x, x])] },
    { key: 'answerType', label: 'Answer type', options: [['', 'Any type'], ...ANSWER_TYPES.map((x): [string, string] => [x, x])] },
    {
      key: 'images',
      label: 'Images',
      options: [
        ['', 'With or without'],
        ['with', 'Has an image'],
        ['without', 'No image'],
      ],
    },
    {
      key: 'solved',
      label: 'Solutions',
      options: [
        ['', 'Any'],
        ['solved', 'Solved (a solution verified correct)'],
        ['unsolved', 'Unsolved (solutions, none correct)'],
        ['none', 'No solutions yet'],
      ],
    },
    {
      key: 'label',
      label: 'Labels',
      options: [
        ['', 'Any'],
        ['search', 'Labelled by a search'],
        ['curated', 'Curated'],
        ['none', 'Unlabelled'],
      ],
    },
  ];
}

function toQuery(dataset: string, search: string, f: Filters): Query {
  return {
    dataset,
    ...(search ? { search } : {}),
    ...(f.split ? { split: f.split } : {}),
    ...(f.answerType ? { answerType: f.answerType as Query['answerType'] } : {}),
    ...(f.images ? { hasImage: f.images === 'with' } : {}),
    ...(f.solved ? { solved: f.solved } : {}),
    ...(f.label ? { label: f.label } : {}),
  };
}

const LABEL_TEXT: Record<Item['label'], string> = { search: 'search', curated: 'curated', none: '—' };

/** Windows of rows of one query, fetched on demand; a new query starts a new cache. */
function useRowWindows(query: Query): PagedRows<Item> {
  const { api } = useConnection();
  return usePagedRows<Item>(JSON.stringify(query), (offset, limit) => api['problems.list']({ ...query, offset, limit }), WINDOW);
}

export function ProblemsView() {
  const focus = useApp((s) => s.focus);
  const dataset = useApp((s) => s.dataset);
  if (focus?.kind === 'problem') return <ProblemView id={focus.id} solution={focus.solution} step={focus.step} dataset={dataset} />;
  if (focus?.kind === 'ref' && dataset) return <ProblemByRef dataset={dataset} extId={focus.extId} solution={focus.solution} step={focus.step} />;
  if (focus?.kind === 'heatmap' && dataset) return <DatasetHeatmap dataset={dataset} />;
  return <ProblemsTable />;
}

/** A problem named by its dataset id (#/problems/<dataset>/id/<ext id>): found, then shown. */
function ProblemByRef({ dataset, extId, solution, step }: { dataset: string; extId: string; solution?: number; step?: number }) {
  const { api } = useConnection();
  const go = useApp((s) => s.go);
  const [found, setFound] = useState<{ key: string; id: number | null; error: string | null } | null>(null);
  const key = `${dataset}\u0000${extId}`;
  useEffect(() => {
    let live = true;
    api['problems.find']({ dataset, extId }).then(
      (r) => live && setFound({ key, id: r.id, error: null }),
      (e: unknown) => live && setFound({ key, id: null, error: describeError(e) }),
    );
    return () => {
      live = false;
    };
  }, [api, dataset, extId, key]);
  if (!found || found.key !== key) return <p className="muted">Finding {extId} in {dataset}…</p>;
  if (found.id === null) {
    return (
      <section className="problem-view">
        <button type="button" className="link" onClick={() => go('problems', dataset)}>
          ← Problems in {dataset}
        </button>
        <ErrorNote message={found.error ?? `no problem ${extId}`} />
      </section>
    );
  }
  return <ProblemView id={found.id} solution={solution} step={step} dataset={dataset} extId={extId} />;
}

function ProblemsTable() {
  const datasets = useApp((s) => s.datasets);
  const dataset = useApp((s) => s.dataset);
  const go = useApp((s) => s.go);
  const navigate = useApp((s) => s.navigate);

  const [searchInput, setSearchInput] = useState('');
  const [search, setSearch] = useState('');
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const listed = datasets.find((d) => d.name === dataset);
  // the store lists the first datasets by name (the pickers' share); one past them is asked for by name
  const { api } = useConnection();
  const [fetched, setFetched] = useState<Dataset | null>(null);
  useEffect(() => {
    let live = true;
    if (dataset && !listed) api['datasets.get']({ name: dataset }).then((d) => live && setFetched(d), () => live && setFetched(null));
    return () => {
      live = false;
    };
  }, [api, dataset, listed]);
  const info = listed ?? (fetched?.name === dataset ? fetched : undefined);

  useEffect(() => {
    const t = setTimeout(() => setSearch(searchInput.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(t);
  }, [searchInput]);
  useEffect(() => {
    setSearchInput('');
    setSearch('');
    setFilters(NO_FILTERS);
  }, [dataset]);

  const chooser = (
    <label className="field inline">
      <span>Dataset</span>
      <select value={dataset ?? ''} onChange={(e) => go('problems', e.target.value || null)}>
        <option value="">Choose a dataset…</option>
        {info && !listed && <option value={info.name}>{info.name}</option>}
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

  const set = <K extends keyof Filters>(k: K, v: Filters[K]) => setFilters((f) => ({ ...f, [k]: v }));
  const splits = Object.keys(info?.splits ?? {})
    // the core counts problems without a split under "(none)", but cannot filter on a missing split
    .filter((name) => name !== NO_SPLIT)
    .sort();

  return (
    <section aria-labelledby="problems-title" className="problems-view">
      <div className="view-head">
        <h2 id="problems-title">
          Problems <span className="muted">in {dataset}</span>
        </h2>
        <button
          type="button"
          onClick={() => {
            performance.mark('steplab:heatmap-open');
            navigate({ view: 'problems', dataset, focus: { kind: 'heatmap' } });
          }}
        >
          Dataset heatmap
        </button>
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
        {filterSelects(splits).map(({ key, label, options }) => (
          <label key={key} className="field inline">
            <span>{label}</span>
            <select value={filters[key]} onChange={(e) => set(key, e.target.value as Filters[typeof key])} aria-label={label}>
              {options.map(([value, text]) => (
                <option key={value} value={value}>
                  {text}
                </option>
              ))}
            </select>
          </label>
        ))}
      </div>
      <VirtualTable key={dataset} query={toQuery(dataset, search, filters)} dataset={dataset} />
    </section>
  );
}

function VirtualTable({ query, dataset }: { query: Query; dataset: string }) {
  const { imageUrl } = useConnection();
  const navigate = useApp((s) => s.navigate);
  const stableQuery = useMemo(() => query, [JSON.stringify(query)]); // eslint-disable-line react-hooks/exhaustive-deps
  const rows = useRowWindows(stableQuery);
  const { total, error, rowAt, retry } = rows;
  const [selected, setSelected] = useState(0);
  const scroller = useRef<HTMLDivElement>(null);

  const { count, virtualizer, items, first, last, padTop, padBottom } = useVirtualPaged(rows, scroller, ROW_HEIGHT, 10);
  useEffect(() => setSelected(0), [stableQuery]);

  const open = (i: number) => {
    const row = rowAt(i);
    if (row) navigate({ view: 'problems', dataset, focus: { kind: 'ref', extId: row.extId } });
  };
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (!total) return;
    const move = (to: number) => {
      const i = Math.max(0, Math.min(total - 1, to));
      setSelected(i);
      virtualizer.scrollToIndex(i, { align: 'auto' });
      e.preventDefault();
    };
    if (e.key === 'ArrowDown') move(selected + 1);
    else if (e.key === 'ArrowUp') move(selected - 1);
    else if (e.key === 'PageDown') move(selected + 10);
    else if (e.key === 'PageUp') move(selected - 10);
    else if (e.key === 'Home') move(0);
    else if (e.key === 'End') move(total - 1);
    else if (e.key === 'Enter') {
      open(selected);
      e.preventDefault();
    }
  };

  // the rows in sight (without the overscan), for "1–50 of 3,000"
  const shownFrom = Math.min(virtualizer.range?.startIndex ?? first, Math.max(0, count - 1));
  const shownTo = Math.min(virtualizer.range?.endIndex ?? last, Math.max(0, count - 1));
  return (
    <>
      {error && <ErrorNote message={error} onRetry={retry} />}
      <div className="pager">
        <span className="muted" data-testid="problems-range">
          {total === null ? 'Loading…' : count === 0 ? 'No problems match' : `${(shownFrom + 1).toLocaleString()}–${(shownTo + 1).toLocaleString()} of ${count.toLocaleString()}`}
        </span>
        {count > 0 && (
          <span className="muted small" title="Solved: at least one stored solution verified correct. Unsolved: solutions exist, none correct.">
            row {(selected + 1).toLocaleString()} selected · ↑/↓ move, Enter opens · solutions: correct / stored
          </span>
        )}
      </div>
      {count > 0 && (
        <div className="problems-scroll" ref={scroller} tabIndex={0} onKeyDown={onKey} role="region" aria-label="Problems table: arrow keys move, Enter opens">
          <table className="data-table problems" data-testid="problems-table" aria-rowcount={count}>
            <thead>
              <tr>
                <th>ID</th>
                <th>Split</th>
                <th>Question</th>
                <th>Answer</th>
                <th>Type</th>
                <th>Images</th>
                <th className="num">Solutions</th>
                <th>Labels</th>
              </tr>
            </thead>
            <tbody>
              <SpacerRow height={padTop} />
              {items.map((v) => {
                const p = rowAt(v.index);
                const sel = v.index === selected;
                if (!p) return <LoadingRow key={v.key} index={v.index} height={ROW_HEIGHT} columns={8} />;
                return (
                  <tr
                    key={v.key}
                    style={{ height: ROW_HEIGHT }}
                    className={sel ? 'selected' : undefined}
                    aria-selected={sel}
                    aria-rowindex={v.index + 1}
                    data-problem-id={p.id}
                    onClick={() => setSelected(v.index)}
                    onDoubleClick={() => open(v.index)}
                  >
                    <td className="mono">
                      <button type="button" className="link" onClick={() => open(v.index)} title="Open this problem">
                        {p.extId}
                      </button>
                    </td>
                    <td>{p.split ?? <span className="muted">—</span>}</td>
                    <td className="question" title={p.question.length > QUESTION_CHARS ? p.question : undefined}>
                      <div className="clamp">{clip(p.question, QUESTION_CHARS)}</div>
                    </td>
                    <td className="mono">{clip(p.answer, 80)}</td>
                    <td>
                      <span className="chip">{p.answerType}</span>
                    </td>
                    <td>
                      {p.images.length > 0 && (
                        <div className="thumbs">
                          {p.images.slice(0, 3).map((img, i) => (
                            <img key={img.hash} src={imageUrl(img.hash)} alt={`Image ${i + 1} of problem ${p.extId}`} title={`${img.width}×${img.height} ${img.mime}`} loading="lazy" width={48} height={48} />
                          ))}
                          {p.imageCount > 3 && <span className="muted small">+{p.imageCount - 3}</span>}
                        </div>
                      )}
                    </td>
                    <td className="num" title={p.solutions ? `${p.correct} of ${p.solutions} stored solutions verified correct` : 'no stored solutions'}>
                      {p.solutions ? (
                        <span className={p.correct > 0 ? 'solved' : 'unsolved'}>
                          {p.correct}/{p.solutions}
                        </span>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td>{p.label === 'none' ? <span className="muted">—</span> : <span className={`chip label-${p.label}`}>{LABEL_TEXT[p.label]}</span>}</td>
                  </tr>
                );
              })}
              <SpacerRow height={padBottom} />
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
