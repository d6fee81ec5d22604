// Windows of rows of a paged list method (offset, limit -> total, items), fetched as a virtualized list
// scrolls to them; a new key (another query, or the list reloaded) starts a new cache.
import { useCallback, useEffect, useRef, useState } from 'react';
import { describeError } from '../errors';

export interface PagedRows<T> {
  /** how many rows there are in all; null until the first window is in */
  total: number | null;
  error: string | null;
  rowAt(i: number): T | undefined;
  /** fetches the windows that rows first..last fall in, those not fetched yet */
  ensure(first: number, last: number): void;
  retry(): void;
}

export function usePagedRows<T>(key: string, fetchPage: (offset: number, limit: number) => Promise<{ total: number; items: T[] }>, window = 100): PagedRows<T> {
  const [state, setState] = useState<{ key: string; total: number | null; windows: Map<number, T[]>; error: string | null }>({ key, total: null, windows: new Map(), error: null });
  const inflight = useRef(new Set<string>());
  const [reload, setReload] = useState(0);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;

  const fetchWindow = useCallback(
    (w: number) => {
      const id = `${key}#${w}`;
      if (inflight.current.has(id)) return;
      inflight.current.add(id);
      fetchRef
        .current(w * window, window)
        .then((page) =>
          setState((s) => {
            if (s.key !== key) return s;
            const windows = new Map(s.windows);
            windows.set(w, page.items);
            return { ...s, total: page.total, windows, error: null };
          }),
        )
        .catch((e: unknown) => setState((s) => (s.key === key ? { ...s, error: describeError(e), total: s.total ?? 0 } : s)))
        .finally(() => inflight.current.delete(id));
    },
    [key, window],
  );

  useEffect(() => {
    setState({ key, total: null, windows: new Map(), error: null });
    inflight.current.clear();
    fetchWindow(0);
  }, [key, fetchWindow, reload]);

  const current = state.key === key ? state : { key, total: null, windows: new Map<number, T[]>(), error: null };
  return {
    total: current.total,
    error: current.error,
    rowAt: (i) => current.windows.get(Math.floor(i / window))?.[i % window],
    ensure: (first, last) => {
      for (let w = Math.floor(first / window); w <= Math.floor(last / window); w++) if (!current.windows.has(w)) fetchWindow(w);
    },
    retry: () => setReload((n) => n + 1),
  };
}
